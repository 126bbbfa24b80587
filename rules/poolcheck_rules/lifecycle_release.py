"""PC401 and PC404: a session or a connection created in a function and not released on
every path out of it, exceptions included.

Both rules read the shared lifecycle model (``poolcheck.lifecycle``): what creates a session
or a connection is traced to SQLAlchemy across the project (factories defined in another
module, under another name, on a class, through ``functools.partial``; engines imported from
elsewhere), and one flow analysis decides whether every way out of the function releases it.
"""

from __future__ import annotations

from typing import Optional

from poolcheck.api import Rule, RuleContext, Severity
from poolcheck.lifecycle.tokens import CONNECTION_TOKENS, SESSION_TOKENS, definition_test, refine_candidates, refine_connections, session_project_tokens
from poolcheck.prefilter import ProjectTokens

from . import _lifecycle_examples as examples

SESSION_HELP = "Use `with {factory} as {name}:`, or close it in a `finally:` block (`try: ... finally: {name}.close()`)."
GENERATOR_HELP = "Yield it inside `try:` ... `finally: {name}.close()`, or `with {factory} as {name}: yield {name}`."
CONNECTION_HELP = "Use `with {factory} as {name}:` (or `engine.begin()` for a transaction), or close it in a `finally:` block."


def _short(code: str, limit: int = 40) -> str:
    code = " ".join(code.split())
    if len(code) <= limit:
        return code
    head = code.split("(", 1)[0]
    return f"{head}(...)" if len(head) + 5 <= limit else code[: limit - 3] + "..."


def check_release(rule: Rule, ctx: RuleContext, kind: str) -> None:
    """Report every ``kind`` resource created in a function of this file and not released
    on every path (shared by PC401 and PC404)."""
    from poolcheck.lifecycle import ASSIGNED, ON_THE_SPOT, SESSION, YIELDED, binds_to_connection, creation_sites, release_problem, resolver
    from poolcheck.lifecycle.verdict import NEVER_CLOSED, Problem

    resolve = resolver(ctx.project)
    consumers: dict = {}
    sites = creation_sites(ctx)
    for site in sites:
        if site.kind != kind or site.function is None or site.in_lambda or not site.holds_something:
            continue
        if kind == SESSION and (binds_to_connection(site, sites) or site.creation.bind not in (None, "engine") or _unknown_direct_bind(site)):
            continue  # bound to a connection, to nothing, or to what cannot be traced to an engine
        problem: Optional[Problem]
        if site.holding == ASSIGNED:
            problem = release_problem(site, resolve, consumers)
        elif site.holding == ON_THE_SPOT:
            problem = Problem(NEVER_CLOSED)
        elif site.holding == YIELDED:
            problem = Problem("yielded")
        else:
            continue  # with, returned, stored, handed to a call: someone else's to release
        if problem is not None:
            message, help_text = _describe(ctx, site, problem)
            ctx.report(site.call, message, help=help_text)


def _unknown_direct_bind(site) -> bool:
    """A direct ``Session(x)`` whose ``x`` is not traced to an engine (``op.get_bind()``, a
    parameter): it may be a connection someone else holds. Factories are always judged."""
    creation = site.creation
    return creation.origin is None and creation.via is None and creation.bind is None


def _describe(ctx: RuleContext, site, problem):
    from poolcheck.lifecycle import SESSION
    from poolcheck.lifecycle.verdict import HAPPY_PATH, NEVER_CLOSED, REBOUND, SOME_PATHS, YIELD_OUTSIDE_FINALLY

    creation = site.creation
    noun = creation.noun
    made_by = _short(ctx.parsed.code(site.call))
    name = site.names[0] if site.names else None
    subject = f"{noun} `{name}` from `{made_by}`" if name else f"{noun} from `{made_by}`"
    subject = subject[0].upper() + subject[1:]
    shown = name or ("session" if creation.kind == SESSION else "conn")
    helper = CONNECTION_HELP if creation.kind != SESSION else SESSION_HELP
    help_text = helper.format(factory=made_by, name=shown)
    released = f" (line {problem.release_line})" if problem.release_line else ""
    held = "it stays checked out of the pool" if creation.method == "raw_connection" else "its connection stays checked out of the pool"
    if problem.kind == NEVER_CLOSED and site.holding != "assigned":
        message = f"{subject} is used on the spot and never closed: {held}"
    elif problem.kind == "yielded":
        message = f"{subject} is yielded and never closed: {held}"
        help_text = GENERATOR_HELP.format(factory=made_by, name=shown)
    elif problem.kind == NEVER_CLOSED:
        what = "is yielded and never closed" if problem.generator else "is never closed"
        message = f"{subject} {what}: {held}"
        if problem.generator:
            help_text = GENERATOR_HELP.format(factory=made_by, name=shown)
    elif problem.kind == SOME_PATHS:
        message = f"{subject} is not closed on every path: a `return` or the end of the function leaves it open"
    elif problem.kind == YIELD_OUTSIDE_FINALLY:
        message = (
            f"{subject} is yielded outside `try`/`finally`: the close{released} is skipped when the "
            "consumer raises or closes the generator"
        )
        help_text = GENERATOR_HELP.format(factory=made_by, name=shown)
    elif problem.kind == HAPPY_PATH:
        message = f"{subject} is closed only on the happy path{released}: an exception before that leaves it open"
    elif problem.kind == REBOUND:
        message = f"{subject} is replaced while still open: nothing can close it any more"
    else:  # pragma: no cover - every kind is described above
        message = f"{subject} is not closed on every path"
    return message, help_text


class SessionNotClosed(Rule):
    code = "PC401"
    name = "session-not-closed"
    severity = Severity.WARNING
    summary = "A `Session` / `AsyncSession` created in a function and not closed on every path, exceptions included."
    tokens = ProjectTokens(SESSION_TOKENS, session_project_tokens, refine=refine_candidates)
    pruning = staticmethod(definition_test)
    what = """
        Flags a `Session` or `AsyncSession` created inside a function and not closed on every
        way out of it, exceptions included. A session is recognised by where it comes from,
        across the whole project: `Session(...)` / `AsyncSession(...)` (SQLAlchemy's or
        SQLModel's, or a project subclass), a call of a `sessionmaker` /
        `async_sessionmaker` factory defined anywhere (a module constant, a class
        attribute, `self.Session = sessionmaker(...)`, imported under another name, a
        `functools.partial(Session, ...)`), `sessionmaker(...)()`, and project functions
        that return a fresh session.

        It is released when it is closed on every path: `with` / `async with` (also
        `contextlib.closing`, `ExitStack.enter_context`), `close()` in a `finally:` that
        covers every use after creation, `close()` called where it is made
        (`Session(engine).close()`), or a project helper that closes the session
        handed to it; or when ownership is handed on: returned, stored on `self` or
        another object (`self.session = ...`, `g.db = ...`), put in a container, given to
        a constructor (`UnitOfWork(session)`), or captured by a callback.

        Flagged: a session never closed; `close()` reached only when nothing raises; a
        generator (a FastAPI dependency, a `@contextmanager`) that yields the session
        outside `try`/`finally`, where the caller's exception is thrown in at the `yield`;
        a session replaced while still open. A pytest fixture may close after a bare
        `yield`: pytest resumes it for teardown whatever the test did. A direct
        `Session(x)` is judged only when `x` is an engine the project creates: bound to a
        connection (`Session(bind=conn)`, Alembic's `op.get_bind()`) or to a parameter,
        it may hold no pooled connection of its own (the connection is PC404's).

        Never flagged: Flask-SQLAlchemy's `db.session` (the extension removes it),
        `requests.Session()`, Flask-Session's `Session(app)`, a model class that happens to
        be called `Session`, and any call whose origin cannot be traced to SQLAlchemy.
        A statement is assumed to raise only if it uses the session (or is a `raise`, or a
        `yield` in a generator); when in doubt the rule stays silent.
    """
    why = """
        An open session holds its pooled connection from its first query until it is
        closed. If the function leaves without closing it (an exception on the way, a
        `return` before the `close()`), the connection is only returned when the garbage
        collector gets to the session; while the exception's traceback, a debugger, a
        long-lived generator or an error reporter keeps the frame alive, it stays checked
        out. A few such requests exhaust the pool, and every later request waits
        `pool_timeout` seconds and fails:

        ```
        sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 30.00
        ```

        On the server side the symptom is a growing `SHOW PROCESSLIST` of sleeping
        connections, then `(1040, 'Too many connections')`. A FastAPI dependency that
        yields a session without `try`/`finally` leaks one connection per failed request.
    """
    example = examples.SESSION_EXAMPLE
    use_instead = examples.SESSION_USE_INSTEAD
    invalid = examples.SESSION_INVALID
    valid = examples.SESSION_VALID
    help = "Use `with SessionLocal() as session:`, or close the session in a `finally:` block."
    references = (
        "[SQLAlchemy: Opening and Closing a Session](https://docs.sqlalchemy.org/en/20/orm/session_basics.html#opening-and-closing-a-session)",
        "[SQLAlchemy: When do I construct a Session, when do I commit it, and when do I close it?](https://docs.sqlalchemy.org/en/20/orm/session_basics.html#when-do-i-construct-a-session-when-do-i-commit-it-and-when-do-i-close-it)",
        "[SQLAlchemy: Using AsyncSession](https://docs.sqlalchemy.org/en/20/orm/extensions/asyncio.html#synopsis-orm)",
        "[FastAPI: Dependencies with yield](https://fastapi.tiangolo.com/tutorial/dependencies/dependencies-with-yield/)",
    )

    def check(self, ctx: RuleContext) -> None:
        from poolcheck.lifecycle import SESSION

        check_release(self, ctx, SESSION)


class ConnectionNotClosed(Rule):
    code = "PC404"
    name = "connection-not-closed"
    severity = Severity.WARNING
    summary = "`engine.connect()` / `engine.raw_connection()` (sync or async) not closed on every path, exceptions included."
    tokens = ProjectTokens(CONNECTION_TOKENS, refine=refine_connections)
    pruning = staticmethod(definition_test)
    what = """
        Flags a connection taken from an engine inside a function and not closed on every
        way out of it, exceptions included: `engine.connect()`, `engine.raw_connection()`,
        `await async_engine.connect()`, `await async_engine.raw_connection()`, for any
        engine the project creates (`create_engine`, `create_async_engine`,
        `engine_from_config`, Flask-SQLAlchemy's `db.engine`), wherever it is defined: a
        module constant imported from another module, a class attribute, `self.engine`, an
        `lru_cache`d getter.

        It is released when it is used as a context manager (`with engine.connect() as
        conn:`, `async with engine.connect() as conn:`, `with closing(...)`,
        `ExitStack.enter_context`), closed in a `finally:` covering every use, closed where
        it is taken (`engine.connect().close()`, a probe of the server), or handed on
        (returned, stored on an object, given to a constructor). `close()` reached only
        when nothing raises is flagged.

        `engine.begin()` is not flagged on its own: it is a context manager, and nothing is
        checked out until it is entered. Connections of engines the rule cannot trace to
        SQLAlchemy (a parameter, an unknown object) are left alone.
    """
    why = """
        A `Connection` holds a pooled DBAPI connection from `connect()` until `close()`. A
        path that skips the `close()` (an exception from `execute()`, an early `return`)
        leaves it checked out until the garbage collector finds the object; with a
        traceback or a generator keeping the frame alive that can be much later, and the
        pool runs dry:

        ```
        sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 30.00
        ```

        With asyncio the pool cannot return a garbage-collected connection at all: it is
        terminated with `SAWarning: The garbage collector is trying to clean up
        non-checked-in connection ..., which will be terminated.`
    """
    example = examples.CONNECTION_EXAMPLE
    use_instead = examples.CONNECTION_USE_INSTEAD
    invalid = examples.CONNECTION_INVALID
    valid = examples.CONNECTION_VALID
    help = "Use `with engine.connect() as conn:` (or `engine.begin()`), or close the connection in a `finally:` block."
    references = (
        "[SQLAlchemy: Working with Engines and Connections](https://docs.sqlalchemy.org/en/20/core/connections.html#basic-usage)",
        "[SQLAlchemy: Working with Driver SQL and Raw DBAPI Connections](https://docs.sqlalchemy.org/en/20/core/connections.html#working-with-the-dbapi-cursor-directly)",
        "[SQLAlchemy: Asyncio Platform Support](https://docs.sqlalchemy.org/en/20/orm/extensions/asyncio.html#using-events-with-the-asyncio-extension)",
    )

    def check(self, ctx: RuleContext) -> None:
        from poolcheck.lifecycle import CONNECTION

        check_release(self, ctx, CONNECTION)


RULES = [SessionNotClosed, ConnectionNotClosed]
