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

import importlib

# Names load on first use (PEP 562): a rule module importing only the tokens (.tokens) or the
# text patterns must not pull in libcst with the rest.
_LAZY = {
    "ENV_FILE_PATTERNS": (".tokens", "ENV_FILE_PATTERNS"),
    "SCAN_TOKENS": (".tokens", "SCAN_TOKENS"),
    "Behaviour": (".sites", "Behaviour"),
    "ConfigEntry": (".model", "ConfigEntry"),
    "ConfigUnit": (".model", "ConfigUnit"),
    "FlaskConfig": (".model", "FlaskConfig"),
    "LoadCall": (".model", "LoadCall"),
    "env_file_unit": (".collect", "env_file_unit"),
    "flask_config": (".fact", "flask_config"),
    "flask_engine_sites": (".sites", "flask_engine_sites"),
    "imports_flask_sqlalchemy": (".fact", "imports_flask_sqlalchemy"),
    "project_engine_sites": (".sites", "project_engine_sites"),
}


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(name)
    module, attribute = _LAZY[name]
    return getattr(importlib.import_module(module, __name__), attribute)


__all__ = sorted(_LAZY)
