"""The project's own databases, and whether a URL names one of them.

A :class:`ProjectDatabase` is a place where the project configures the database its
application uses: every ``create_engine`` / ``create_async_engine`` / ``engine_from_config``
call, and Flask-SQLAlchemy's ``SQLALCHEMY_DATABASE_URI``. Sources register in
:data:`DATABASE_SOURCES` (the Flask configuration model can add a better Flask source); the
list is a project fact, computed once per run.

A URL names one of them when both come from the same place (the same constant, the same
environment variable, the engine's own ``.url``: see :mod:`poolcheck.origins`), or when both
are literal URLs of the same database (SQLAlchemy parses them: same backend, host, port and
database; a SQLite file by its path; an in-memory SQLite database is never shared).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Callable, FrozenSet, List, Optional, Tuple

import libcst as cst

from .config_keys import config_assignments
from .origins import Trace, trace
from .values import Evaluator, Known, Unknown, Value, Where

if TYPE_CHECKING:  # pragma: no cover
    from .project import Project
    from .syntax import ParsedFile

FLASK_URI_KEY = "SQLALCHEMY_DATABASE_URI"
# Any lookup of this key (``app.config[...]``, ``current_app.config.get(...)``,
# ``Config.SQLALCHEMY_DATABASE_URI``) is Flask-SQLAlchemy's database, whatever object it is
# read from: the origin every Flask-SQLAlchemy database also carries.
FLASK_URI_ORIGIN: Tuple[object, ...] = ("flask-config", FLASK_URI_KEY)

ENGINE_TOKENS = (b"create_engine", b"create_async_engine", b"engine_from_config")
FLASK_SQLALCHEMY_TOKEN = b"flask_sqlalchemy"
DIRECT_CALLS = ("create_engine", "create_async_engine")


ENGINE = "engine"  # a create_engine-family call
FLASK_URI = "flask-uri"  # Flask-SQLAlchemy's SQLALCHEMY_DATABASE_URI, where it is set
FLASK_EXTENSION = "flask-extension"  # a flask_sqlalchemy.SQLAlchemy() object
# Which match a message names first: an engine the code can pass as it is comes first.
_PREFERENCE = {ENGINE: 0, FLASK_URI: 1, FLASK_EXTENSION: 2}


@dataclass(frozen=True)
class ProjectDatabase:
    """A database the project connects to: an engine or a Flask-SQLAlchemy URI, with its URL."""
    label: str  # "the engine `engine`", "Flask-SQLAlchemy's `SQLALCHEMY_DATABASE_URI`"
    kind: str  # ENGINE, FLASK_URI, FLASK_EXTENSION
    path: PurePosixPath  # project-relative
    line: int
    url: Value
    origins: FrozenSet[Tuple[object, ...]]
    # How code refers to its engine, for a fix hint: "engine", "db.engine" (None: unnamed).
    engine_name: Optional[str] = None

    @property
    def location(self) -> str:
        return f"{self.path.as_posix()}:{self.line}"


DatabaseSource = Callable[["Project"], List[ProjectDatabase]]
DATABASE_SOURCES: List[DatabaseSource] = []


def register_database_source(source: DatabaseSource) -> DatabaseSource:
    if source not in DATABASE_SOURCES:
        DATABASE_SOURCES.append(source)
    return source


def project_databases(project: "Project") -> List[ProjectDatabase]:
    """Every database the project's own code configures, in path and line order."""

    def compute(project: "Project") -> List[ProjectDatabase]:
        found = {}
        for source in DATABASE_SOURCES:
            for database in source(project):
                found.setdefault((database.path, database.line, database.label), database)
        return sorted(found.values(), key=lambda d: (d.path.as_posix(), d.line, d.label))

    return project.fact("project-databases", compute)


def origins_of(found: Trace) -> FrozenSet[Tuple[object, ...]]:
    keys = set()
    if found.key is not None:
        keys.add(found.key)
    if found.last_key == FLASK_URI_KEY:
        keys.add(FLASK_URI_ORIGIN)
    return frozenset(keys)


@dataclass(frozen=True)
class Match:
    """A project database another site's URL points at, and the origin they share (if any)."""
    database: ProjectDatabase
    shared_origin: Optional[Tuple[object, ...]]  # None: matched by comparing literal URLs


def matching_databases(
    project: "Project", url: Value, origins: FrozenSet[Tuple[object, ...]], near: Optional[PurePosixPath] = None
) -> List[Match]:
    """The project databases ``url`` (with ``origins``) certainly names: those sharing a
    specific origin first, then those sharing only "it is Flask-SQLAlchemy's URI", then equal
    literal URLs; engines before Flask-SQLAlchemy's configuration within each, and the ones
    in the file ``near`` (where the URL is used) before others: the engine the user most
    likely meant to share."""
    found = []
    for database in project_databases(project):
        shared = sorted(origins & database.origins, key=lambda key: (key == FLASK_URI_ORIGIN, repr(key)))
        if shared:
            found.append((0 if shared[0] != FLASK_URI_ORIGIN else 1, Match(database, shared[0])))
        elif same_database(url, database.url):
            found.append((2, Match(database, None)))
    found.sort(key=lambda item: (item[0], _PREFERENCE[item[1].database.kind], item[1].database.path != near))
    return [match for _, match in found]


def same_database(a: Value, b: Value) -> bool:
    """Both are literal URLs of one database (SQLAlchemy's parser decides)."""
    if not (isinstance(a, Known) and isinstance(b, Known) and isinstance(a.value, str) and isinstance(b.value, str)):
        return False
    from .sqla import installed_knowledge

    knowledge = installed_knowledge()
    first, second = knowledge.parse_url(a.value), knowledge.parse_url(b.value)
    if first is None or second is None or first.backend != second.backend:
        return False
    if first.backend == "sqlite":
        return _sqlite_file(first) is not None and _sqlite_file(first) == _sqlite_file(second)
    return (
        (first.host or "").lower() == (second.host or "").lower()
        and first.port == second.port
        and first.database == second.database
    )


def _sqlite_file(info) -> Optional[str]:
    database = info.database
    query = dict(info.query)
    if not database or database == ":memory:" or query.get("mode") == "memory" or "mode=memory" in database:
        return None
    if database.startswith("file:"):
        database = database[len("file:"):].split("?", 1)[0]
    return posixpath.normpath(database)


# --- sources -----------------------------------------------------------------------------------


def _evaluator(project: "Project") -> Evaluator:
    return project.fact("evaluator", Evaluator)


@register_database_source
def engine_calls(project: "Project") -> List[ProjectDatabase]:
    """Every engine factory call in the project."""
    from .engines import find_engine_calls

    evaluator = _evaluator(project)
    found = []
    for path in project.python_files_containing(ENGINE_TOKENS):
        parsed = project.parsed(path)
        if parsed is None:
            continue
        for site in find_engine_calls(parsed, evaluator):
            start = parsed.span(site.node).start
            origins = set()
            if site.kind in DIRECT_CALLS and site.url_node is not None:
                origins |= origins_of(trace(evaluator, site.url_node, Where(parsed, site.scopes)))
            elif isinstance(site.url, Known) and site.url.node is not None and site.url.file is not None:
                start_url = site.url.file.span(site.url.node).start
                origins.add(("value", site.url.file.relative.as_posix(), start_url.line, start_url.column))
            # `url=engine.url` is this engine's database by construction.
            origins.add(("object", path.as_posix(), start.line, start.column, ".url"))
            name = site.assigned_to
            label = f"the engine `{name}`" if name else f"the engine from `{site.label}`"
            found.append(ProjectDatabase(label, ENGINE, path, start.line, site.url, frozenset(origins), name))
    return found


@register_database_source
def flask_sqlalchemy(project: "Project") -> List[ProjectDatabase]:
    """Flask-SQLAlchemy's database: its ``SQLALCHEMY_DATABASE_URI`` wherever Python code sets
    it directly, and each ``SQLAlchemy()`` extension object (for ``db.engine.url``).

    A stopgap until the Flask configuration model provides the URI from every config source
    (``from_file``, ``.env``...): it registers its own source then, and duplicates at the
    same place are dropped."""
    extension_files = project.python_files_containing((FLASK_SQLALCHEMY_TOKEN,))
    if not extension_files:
        return []
    evaluator = _evaluator(project)
    found = []
    for path in project.python_files_containing((FLASK_URI_KEY.encode(),)):
        parsed = project.parsed(path)
        if parsed is None:
            continue
        for assignment in config_assignments(parsed, FLASK_URI_KEY):
            origins = origins_of(trace(evaluator, assignment.value, assignment.where)) | {FLASK_URI_ORIGIN}
            url = evaluator.evaluate(assignment.value, assignment.where)
            line = parsed.span(assignment.key_node).start.line
            label = f"Flask-SQLAlchemy's `{FLASK_URI_KEY}`"
            found.append(ProjectDatabase(label, FLASK_URI, path, line, url, origins, "db.engine"))
    for path in extension_files:
        parsed = project.parsed(path)
        if parsed is None:
            continue
        for call, name in _extension_objects(parsed, evaluator):
            start = parsed.span(call).start
            engine_url = ("object", path.as_posix(), start.line, start.column, ".engine", ".url")  # db.engine.url
            engine_name = f"{name}.engine" if name else None
            found.append(
                ProjectDatabase(
                    "Flask-SQLAlchemy's engine", FLASK_EXTENSION, path, start.line, Unknown("configured by Flask"),
                    frozenset({FLASK_URI_ORIGIN, engine_url}), engine_name,
                )
            )
    return found


def _extension_objects(parsed: "ParsedFile", evaluator: Evaluator) -> List[Tuple[cst.Call, Optional[str]]]:
    """Module-level ``db = SQLAlchemy(...)`` (flask_sqlalchemy's class), with the name."""
    found = []
    where = Where.module_level(parsed)
    for statement in parsed.module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            value = small.value if isinstance(small, (cst.Assign, cst.AnnAssign)) else None
            if not isinstance(value, cst.Call):
                continue
            qualified = evaluator.qualified_name(value.func, where) or ""
            if not (qualified.startswith("flask_sqlalchemy") and qualified.endswith(".SQLAlchemy")):
                continue
            target = small.targets[0].target if isinstance(small, cst.Assign) else small.target
            found.append((value, target.value if isinstance(target, cst.Name) else None))
    return found
