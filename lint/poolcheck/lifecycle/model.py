"""The values of the lifecycle model: what an expression is (:class:`Origin`) and what a
call creates (:class:`Creation`). Plain data; :mod:`.resolve` computes them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

import libcst as cst

from ..syntax import ParsedFile

# What an expression can be (Origin.kind).
ENGINE = "engine"  # create_engine(...), create_async_engine(...), engine_from_config(...)
SESSION_FACTORY = "session-factory"  # sessionmaker(...), async_sessionmaker(...), partial(Session, ...)
REGISTRY = "registry"  # scoped_session(...), async_scoped_session(...)

# What a call can create (Creation.kind). REGISTRY: the call builds a registry.
SESSION = "session"
CONNECTION = "connection"


@dataclass(frozen=True)
class Origin:
    """An engine, a session factory or a registry, traced to the SQLAlchemy call that
    builds it (``node``, in ``file``). Two origins with the same ``key`` are the same object
    at run time (the same call, reached through different names or modules)."""

    kind: str  # ENGINE | SESSION_FACTORY | REGISTRY
    is_async: bool
    node: cst.CSTNode  # the building call (or, for a getter, the call its return builds)
    file: ParsedFile
    name: Optional[str] = None  # the name it is bound to where it is built, when known

    @property
    def key(self) -> Tuple[str, int, int]:
        """Identifies the building call across files and parses: (path, the first line of
        its top-level statement, its rank there), or, where statements' lines are unknown,
        (path, line, column). Positions cost a code generation of the whole statement
        (seconds for a large class); they are computed only for messages (``location``)."""
        path = self.file.relative.as_posix()
        found = self.file.node_key(self.node)
        if found is not None:
            return (path, found[0], -1 - found[1])  # negative: a rank, never a column
        start = self.file.span(self.node).start
        return (path, start.line, start.column)

    @property
    def location(self) -> str:
        return f"{self.file.relative.as_posix()}:{self.file.span(self.node).start.line}"

    def describe(self) -> str:
        """How messages name it: "`SessionLocal` (app/db.py:5)"."""
        label = f"`{self.name}`" if self.name else f"`{_short(self.file.code(self.node))}`"
        return f"{label} ({self.location})"


@dataclass(frozen=True)
class Creation:
    """What one call creates.

    - SESSION: ``Session(...)``, ``AsyncSession(...)``, a factory's call, ``sessionmaker(...)()``,
      a project function returning a fresh session; ``factory.begin()`` with ``context_only``.
    - CONNECTION: ``engine.connect()``, ``engine.raw_connection()``; ``engine.begin()`` with
      ``context_only`` (nothing is checked out until it is entered: it is a context
      manager). Async engines: held once awaited (``needs_await``).
    - REGISTRY: ``scoped_session(...)`` / ``async_scoped_session(...)``.
    """

    kind: str  # SESSION | CONNECTION | REGISTRY
    is_async: bool
    call: cst.Call
    origin: Optional[Origin] = None  # the factory / engine it comes from, when there is one
    method: Optional[str] = None  # "connect", "raw_connection", "begin" (calls on an engine/factory)
    context_only: bool = False
    needs_await: bool = False
    via: Optional[str] = None  # a project function returning it: its name
    # What a direct ``Session(...)`` / ``AsyncSession(...)`` is bound to: "engine" (traced to
    # one), "connection" (``Session(bind=engine.connect())``), "unbound" (no bind given), or
    # None (unknown: a parameter, ``op.get_bind()``). None for every other creation.
    bind: Optional[str] = None

    @property
    def noun(self) -> str:
        if self.kind == SESSION:
            return "AsyncSession" if self.is_async else "Session"
        if self.kind == CONNECTION:
            if self.method == "raw_connection":
                return "raw DBAPI connection"
            return "AsyncConnection" if self.is_async else "Connection"
        return "async_scoped_session" if self.is_async else "scoped_session"


def _short(code: str, limit: int = 50) -> str:
    code = " ".join(code.split())
    return code if len(code) <= limit else code[: limit - 3] + "..."
