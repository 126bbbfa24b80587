"""Flask configuration, found statically wherever Flask reads it, and the engines
Flask-SQLAlchemy makes from it.

- ``model``: entries (one key written in one place), units (what Flask loads as a whole:
  a config class, a settings module, one function's ``app.config`` writes, a ``.env`` or
  JSON/TOML file) and the calls that load them;
- ``python_scan``: one Python file's config writes, classes, loading calls, constructions;
- ``text_files``: ``.env`` / JSON / TOML readers with positions;
- ``collect``: the project fact (:func:`flask_config`), resolving what loads what;
- ``usage``: whether the project itself reads a key (then it is the app's own setting);
- ``sites``: the engine sites (:func:`flask_engine_sites`) for the PC1xx checks, given a
  release's :class:`Behaviour`;
- ``edits``: the rewrites fixes make (move keys into ``SQLALCHEMY_ENGINE_OPTIONS``, rename).

Nothing here knows which Flask-SQLAlchemy release reads which key: that is data of the rule
module that uses it.
"""

from .collect import env_file_unit, flask_config, imports_flask_sqlalchemy
from .model import ConfigEntry, ConfigUnit, FlaskConfig, LoadCall
from .sites import Behaviour, flask_engine_sites, project_engine_sites
from .text_files import ENV_FILE_PATTERNS

__all__ = [
    "ENV_FILE_PATTERNS",
    "Behaviour",
    "ConfigEntry",
    "ConfigUnit",
    "FlaskConfig",
    "LoadCall",
    "env_file_unit",
    "flask_config",
    "flask_engine_sites",
    "imports_flask_sqlalchemy",
    "project_engine_sites",
]
