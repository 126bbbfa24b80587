"""The project fact (:func:`flask_config`), without libcst until it is needed.

Every run asks whether the project uses Flask-SQLAlchemy (the engine rules' prefilter
does, for every file mentioning a Flask token); most projects do not, and the answer comes
from one bytes scan. The collector (``.collect``), which parses with libcst, is imported
only for a project that imports ``flask_sqlalchemy``: imported in a cold run's main
process, libcst was a tenth of a second on the path every worker waits for.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .model import FlaskConfig

if TYPE_CHECKING:  # pragma: no cover
    from ..project import Project

FACT_KEY = "flask-config"
_IMPORT = re.compile(
    rb"^[ \t]*(?:from[ \t]+flask_sqlalchemy[ \t.]|import[ \t]+(?:[\w.]+[ \t]*,[ \t]*)*flask_sqlalchemy\b)", re.MULTILINE
)


def flask_config(project: "Project") -> FlaskConfig:
    """The project's Flask configuration (computed once per project)."""
    return project.fact(FACT_KEY, _collect)


def imports_flask_sqlalchemy(project: "Project") -> bool:
    """Whether any project module imports ``flask_sqlalchemy`` (an import statement, not a
    mention in a comment or a string)."""
    from .tokens import IMPORT_TOKENS

    for path in project.python_files_containing(IMPORT_TOKENS):
        data = project.read_bytes(path)
        if data is not None and _IMPORT.search(data):
            return True
    return False


def _collect(project: "Project") -> FlaskConfig:
    if not imports_flask_sqlalchemy(project):
        return FlaskConfig(uses_flask_sqlalchemy=False)
    from .collect import collect_config

    return collect_config(project)
