"""The bytes that reveal a file may create a session, a registry or a connection: the
prefilters of the lifecycle rules, kept free of libcst so rule modules stay cheap to import.

Fixed tokens cover what SQLAlchemy names itself (``Session``, ``sessionmaker``,
``.connect(``). A file calling ``SessionLocal()`` or ``make_db()`` imported from ``db.py``
mentions none of them: :func:`project_names` finds, with a cheap ``ast`` scan of the files
that do mention SQLAlchemy, the names the project binds to factories, registries and engines,
so the runner parses such files (and keeps the definitions using those names in pruned
parses). The scan over-approximates on purpose (any name assigned from an expression that
mentions a factory, transitively); the real decision is :mod:`.resolve`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, FrozenSet, Tuple

if TYPE_CHECKING:  # pragma: no cover
    from ..project import Project

# What a file creating a session must mention, unless it calls a factory by a project name.
SESSION_TOKENS: Tuple[bytes, ...] = (b"Session", b"sessionmaker", b"create_session")
# scoped_session / async_scoped_session.
REGISTRY_TOKENS: Tuple[bytes, ...] = (b"scoped_session",)
# engine.connect(), engine.raw_connection() (engine.begin() only as a context manager).
CONNECTION_TOKENS: Tuple[bytes, ...] = (b".connect(", b"raw_connection", b".begin(")
ENGINE_TOKENS: Tuple[bytes, ...] = (b"create_engine", b"create_async_engine", b"engine_from_config")

_SESSION_CLASSES = frozenset({"Session", "AsyncSession", "create_session"})
_SEED = {
    "sessionmaker": "factories",
    "async_sessionmaker": "factories",
    "scoped_session": "registries",
    "async_scoped_session": "registries",
    "create_engine": "engines",
    "create_async_engine": "engines",
    "engine_from_config": "engines",
    "async_engine_from_config": "engines",
}
_SCAN_TOKENS: Tuple[bytes, ...] = (b"sessionmaker", b"Session", b"scoped_session") + ENGINE_TOKENS
_MAX_ROUNDS = 6


@dataclass(frozen=True)
class ProjectNames:
    """Names the project may bind to a session factory (or a function returning a session),
    a registry or an engine: module constants, class attributes, ``self.`` attributes,
    function locals, getters. A superset: each still has to be resolved."""

    factories: FrozenSet[str] = frozenset()
    registries: FrozenSet[str] = frozenset()
    engines: FrozenSet[str] = frozenset()

    def tokens(self, *kinds: str) -> Tuple[bytes, ...]:
        """The names of the given kinds ("factories", "registries", "engines") as bytes."""
        names = set()
        for kind in kinds or ("factories", "registries", "engines"):
            names |= getattr(self, kind)
        return tuple(sorted(name.encode("utf-8") for name in names))


def project_names(project: "Project") -> ProjectNames:
    """The project's candidate names, computed once per project from bytes (an ``ast``
    parse of the files mentioning SQLAlchemy's factories; never ``project.parsed``)."""
    return project.fact("lifecycle-project-names", _scan)


def session_project_tokens(project: "Project") -> Tuple[bytes, ...]:
    """For ``ProjectTokens``: names whose call may create a session."""
    return project_names(project).tokens("factories")


def registry_project_tokens(project: "Project") -> Tuple[bytes, ...]:
    """For ``ProjectTokens``: names that may hold a ``scoped_session`` registry."""
    return project_names(project).tokens("registries")


def engine_project_tokens(project: "Project") -> Tuple[bytes, ...]:
    """For ``ProjectTokens``: names that may hold an engine."""
    return project_names(project).tokens("engines")


def _scan(project: "Project") -> ProjectNames:
    import ast
    import warnings

    bound = []  # (names bound, how the value is made: its head words, its partial() words)
    for path in project.python_files_containing(_SCAN_TOKENS):
        data = project.read_bytes(path)
        if data is None:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(data)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names = {n for t in targets for n in _bound_names(t)}
                if names:
                    bound.append((names, node.value, False))
            elif isinstance(node, ast.ClassDef):
                for base in node.bases:  # class TenantSession(Session): calling it makes a session
                    bound.append(({node.name}, base, "class"))
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Return) and inner.value is not None:
                        bound.append(({node.name}, inner.value, True))
    kinds = dict(_SEED)
    for _ in range(_MAX_ROUNDS):
        added = False
        for names, value, is_getter in bound:
            kind = _kind_of(value, kinds, is_getter)
            if kind is None:
                continue
            for name in names:
                if name not in kinds:
                    kinds[name] = kind
                    added = True
        if not added:
            break
    found = {"factories": set(), "registries": set(), "engines": set()}
    for name, kind in kinds.items():
        if name not in _SEED and len(name) > 1:
            found[kind].add(name)
    return ProjectNames(frozenset(found["factories"]), frozenset(found["registries"]), frozenset(found["engines"]))


def _kind_of(value, kinds, is_getter: bool):
    """What a value made this way may be: an alias of a known name, a call of a known maker,
    ``partial(Session, ...)``; a getter returning a session counts as a factory."""
    import ast

    if is_getter == "class":
        head = _head(value)
        return "factories" if head in _SESSION_CLASSES or (kinds.get(head) == "factories" and head not in _SEED) else None
    if isinstance(value, ast.Await):
        value = value.value
    if isinstance(value, (ast.Name, ast.Attribute)):
        return kinds.get(_head(value))
    if not isinstance(value, ast.Call):
        return None
    head = _head(value.func)
    if head == "partial" and value.args:
        inner = _head(value.args[0])
        return "factories" if inner in _SESSION_CLASSES or kinds.get(inner) == "factories" else None
    if head in _SESSION_CLASSES or (kinds.get(head) == "factories" and head not in _SEED) or isinstance(value.func, ast.Call):
        # A session instance: its name is no factory, but a getter returning one is.
        return "factories" if is_getter else None
    if head in _SEED:
        return _SEED[head]
    # A project name of the engine kind that is called is a getter (`get_engine()`).
    return "engines" if kinds.get(head) == "engines" else None


def _head(node) -> str:
    import ast

    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _bound_names(target) -> set:
    import ast

    if isinstance(target, ast.Name):
        return {target.id}
    if isinstance(target, ast.Attribute):
        return {target.attr}  # self.Session = ..., Config.engine = ...
    if isinstance(target, (ast.Tuple, ast.List)):
        return {n for element in target.elts for n in _bound_names(element)}
    return set()
