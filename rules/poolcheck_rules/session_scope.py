"""PC402 and PC403: sessions whose scope is wider than a request.

- PC402 scoped-session-never-removed: a ``scoped_session`` / ``async_scoped_session``
  registry that nothing in the project ever ``remove()``s or ``close()``s. Each thread (or
  task) keeps its session, and the connection its open transaction holds, after the request
  that used it.
- PC403 module-level-session: a session *instance* created at import time and used by the
  code that runs later (functions, loops, other modules): one session, and one checked-out
  connection, shared by every request and thread.

Both build on the shared lifecycle model (``poolcheck.lifecycle``): what creates a session or
a registry, traced to SQLAlchemy through aliases, imports and factories project-wide. The
question "is this registry removed anywhere?" is a project fact gathered from every file of
the root, so checking one file (pre-commit) answers as a full run does.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import FrozenSet, Optional, Set, Tuple

from poolcheck.api import Invalid, Rule, RuleContext, Severity, Valid
from poolcheck.lifecycle.tokens import REGISTRY_TOKENS, SESSION_TOKENS, definition_test, may_create, registry_project_tokens, session_project_tokens
from poolcheck.prefilter import ProjectTokens


def _registry_and_session_tokens(project) -> Tuple[bytes, ...]:
    return tuple(session_project_tokens(project)) + tuple(registry_project_tokens(project))


def _is_test_module(relative) -> bool:
    name = PurePosixPath(str(relative)).name
    return name == "conftest.py" or name.startswith("test_") or name.endswith("_test.py")


def _may_hold_module_level_session(raw: bytes, project, relative) -> bool:
    """PC403's refinement: its findings are creation sites and ``x = registry()`` calls, all
    calls :func:`may_create` sees (a registry's name is one of its words); test modules are
    skipped by the rule anyway. A file that only mentions ``Session`` / ``db_session`` is
    not parsed for it."""
    return not _is_test_module(relative) and may_create(project, raw)


# --- PC402 -------------------------------------------------------------------------------------


class ScopedSessionNeverRemoved(Rule):
    code = "PC402"
    name = "scoped-session-never-removed"
    severity = Severity.WARNING
    summary = "A `scoped_session` registry on which nothing in the project ever calls `.remove()` (or `.close()`)."
    tokens = REGISTRY_TOKENS
    pruning = staticmethod(definition_test)
    what = """
        Flags a `scoped_session(...)` / `async_scoped_session(...)` registry when nothing in
        the project calls `.remove()` or `.close()` on it: not under the name it is defined
        with, not under an alias or an import from another module, not in a
        `teardown_appcontext` / `teardown_request` handler, a middleware, a Celery
        `task_postrun` handler, a `finally` block, or as `registry().close()` /
        `with registry() as session:`.

        The whole project is searched, whichever files are checked, so pre-commit on the
        file defining the registry gives the same answer as a full run. A registry handed to
        other code (`zope.sqlalchemy.register(DBSession)`, `init_app(app, db_session)`)
        is not flagged: that code may remove it. Neither is a removal that cannot be
        resolved but names the registry (`current_app.db_session.remove()`), nor a project
        that calls `close_all_sessions()`. Flask-SQLAlchemy's `db.session` is removed by
        the extension at the end of every request and is never flagged.
    """
    why = """
        A registry keeps one session per thread (per task for `async_scoped_session`)
        until `remove()` is called. A request that reads without committing leaves the
        session's transaction open, and with it a connection checked out of the pool. On a
        threaded server every worker thread keeps one, between requests and forever; once
        the threads outnumber `pool_size + max_overflow` the others wait, then fail:

        ```
        sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 30.00
        ```

        and the idle connections the threads hold are closed by the server after
        `wait_timeout`, so the thread's next request fails with `(2013, 'Lost connection
        to MySQL server during query')`; its session then refuses every later query with
        `Can't reconnect until invalid transaction is rolled back` until something rolls it
        back. `remove()` closes the thread's session (returning the connection) and
        discards it, so the next request starts clean.
    """
    example = """
        from flask import Flask
        from sqlalchemy import create_engine, select
        from sqlalchemy.orm import scoped_session, sessionmaker

        from shop.models import Product

        engine = create_engine("mysql+pymysql://shop@db/shop", pool_pre_ping=True)
        db_session = scoped_session(sessionmaker(bind=engine))
        app = Flask(__name__)


        @app.route("/products")
        def products():
            return [p.name for p in db_session.scalars(select(Product))]
    """
    use_instead = """
        from flask import Flask
        from sqlalchemy import create_engine, select
        from sqlalchemy.orm import scoped_session, sessionmaker

        from shop.models import Product

        engine = create_engine("mysql+pymysql://shop@db/shop", pool_pre_ping=True)
        db_session = scoped_session(sessionmaker(bind=engine))
        app = Flask(__name__)


        @app.teardown_appcontext
        def shutdown_session(exception=None):
            db_session.remove()


        @app.route("/products")
        def products():
            return [p.name for p in db_session.scalars(select(Product))]
    """
    help = "Call `.remove()` on the registry when each request, task or thread's unit of work ends (Flask: `@app.teardown_appcontext`; elsewhere a `finally` or middleware)."
    references = (
        "[SQLAlchemy: Contextual/Thread-local Sessions](https://docs.sqlalchemy.org/en/20/orm/contextual.html)",
        "[SQLAlchemy: Using Thread-Local Scope with Web Applications](https://docs.sqlalchemy.org/en/20/orm/contextual.html#using-thread-local-scope-with-web-applications)",
        "[Flask: SQLAlchemy in Flask (declarative)](https://flask.palletsprojects.com/en/stable/patterns/sqlalchemy/)",
        "[SQLAlchemy: async_scoped_session](https://docs.sqlalchemy.org/en/20/orm/extensions/asyncio.html#using-asyncio-scoped-session)",
    )
    invalid = (
        Invalid(
            """
            from sqlalchemy import create_engine
            from sqlalchemy.orm import scoped_session, sessionmaker

            engine = create_engine("mysql+pymysql://app@db/app", pool_pre_ping=True)
            Session = scoped_session(sessionmaker(bind=engine, autoflush=False))
            """,
            path="app/database.py",
            files={
                "app/__init__.py": "",
                "app/views.py": """
                    from flask import Blueprint

                    from app.database import Session
                    from app.models import User

                    bp = Blueprint("users", __name__)


                    @bp.route("/users/<int:user_id>")
                    def show(user_id):
                        return Session.get(User, user_id).name
                """,
            },
            line=5,
            message="`Session`",
            note="defined in one module, used by views in another, removed nowhere",
        ),
        Invalid(
            """
            from celery import Celery
            from sqlalchemy import create_engine, text
            import sqlalchemy.orm as orm

            celery = Celery("jobs")
            engine = create_engine("postgresql+psycopg://app@db/app")
            TaskSession = orm.scoped_session(orm.sessionmaker(engine))


            @celery.task
            def refresh(report_id):
                TaskSession.execute(text("CALL refresh_report(:id)"), {"id": report_id})
                TaskSession.commit()
            """,
            line=7,
            note="Celery task committing on the happy path only: a failed task leaves its transaction to the thread",
        ),
        Invalid(
            """
            import asyncio

            from sqlalchemy.ext.asyncio import async_scoped_session, async_sessionmaker, create_async_engine

            engine = create_async_engine("mysql+aiomysql://app@db/app", pool_pre_ping=True)
            AsyncScopedSession = async_scoped_session(async_sessionmaker(engine), scopefunc=asyncio.current_task)


            async def handle(message):
                session = AsyncScopedSession()
                session.add(message)
                await session.commit()
            """,
            line=6,
            message="async_scoped_session",
            note="async_scoped_session, per task",
        ),
        Invalid(
            """
            from sqlalchemy import create_engine
            from sqlalchemy.orm import scoped_session, sessionmaker


            class Database:
                def __init__(self, url):
                    self.engine = create_engine(url, pool_pre_ping=True)
                    self.session = scoped_session(sessionmaker(bind=self.engine))

                def users(self):
                    return self.session.execute("SELECT name FROM users").all()

                def dispose(self):
                    self.engine.dispose()
            """,
            line=8,
            note="registry on self, never removed (engine.dispose() does not remove sessions)",
        ),
        Invalid(
            """
            from flask import Flask
            from sqlalchemy import create_engine
            from sqlalchemy.orm import scoped_session, sessionmaker

            engine = create_engine("mysql+pymysql://app@db/app", pool_pre_ping=True)
            db_session = scoped_session(sessionmaker(bind=engine))
            app = Flask(__name__)


            @app.teardown_appcontext
            def shutdown_session(exception=None):
                db_session.commit()
            """,
            line=6,
            note="teardown commits but never removes",
        ),
    )
    valid = (
        Valid(
            """
            from sqlalchemy import create_engine
            from sqlalchemy.orm import scoped_session, sessionmaker

            engine = create_engine("mysql+pymysql://app@db/app", pool_pre_ping=True)
            db_session = scoped_session(sessionmaker(bind=engine))
            """,
            path="app/database.py",
            files={
                "app/__init__.py": "",
                "app/factory.py": """
                    from flask import Flask

                    from app import database


                    def create_app():
                        app = Flask(__name__)

                        @app.teardown_appcontext
                        def shutdown_session(exception=None):
                            database.db_session.remove()

                        return app
                """,
            },
            note="removed in a teardown handler in another module (module.attribute)",
        ),
        Valid(
            """
            from sqlalchemy import create_engine
            from sqlalchemy.orm import scoped_session, sessionmaker

            engine = create_engine("postgresql+psycopg://app@db/app")
            Session = scoped_session(sessionmaker(bind=engine))
            """,
            path="jobs/db.py",
            files={
                "jobs/__init__.py": "",
                "jobs/signals.py": """
                    from celery.signals import task_postrun

                    from jobs.db import Session as TaskSession


                    @task_postrun.connect
                    def close_session(*args, **kwargs):
                        TaskSession.remove()
                """,
            },
            note="removed by a Celery task_postrun handler, imported under another name",
        ),
        Valid(
            """
            from sqlalchemy import create_engine, text
            from sqlalchemy.orm import scoped_session, sessionmaker

            engine = create_engine("mysql+pymysql://app@db/app", pool_pre_ping=True)
            Session = scoped_session(sessionmaker(bind=engine))


            def worker(queue):
                while True:
                    item = queue.get()
                    try:
                        Session.execute(text("UPDATE items SET done = 1 WHERE id = :id"), {"id": item})
                        Session.commit()
                    finally:
                        Session.close()
            """,
            note="closed in a finally block (close() returns the thread's connection)",
        ),
        Valid(
            """
            from pyramid.config import Configurator
            from sqlalchemy import engine_from_config
            from sqlalchemy.orm import scoped_session, sessionmaker
            import zope.sqlalchemy

            DBSession = scoped_session(sessionmaker())


            def main(global_config, **settings):
                engine = engine_from_config(settings, "sqlalchemy.")
                DBSession.configure(bind=engine)
                zope.sqlalchemy.register(DBSession)
                return Configurator(settings=settings).make_wsgi_app()
            """,
            note="handed to zope.sqlalchemy, which closes it when the transaction ends",
        ),
        Valid(
            """
            from starlette.middleware.base import BaseHTTPMiddleware
            from sqlalchemy.ext.asyncio import async_scoped_session, async_sessionmaker, create_async_engine
            from asyncio import current_task

            engine = create_async_engine("postgresql+asyncpg://app@db/app")
            AsyncSession = async_scoped_session(async_sessionmaker(engine), scopefunc=current_task)


            class SessionMiddleware(BaseHTTPMiddleware):
                async def dispatch(self, request, call_next):
                    try:
                        return await call_next(request)
                    finally:
                        await AsyncSession.remove()
            """,
            note="async registry removed in middleware",
        ),
        Valid(
            """
            from flask import Flask
            from flask_sqlalchemy import SQLAlchemy

            app = Flask(__name__)
            db = SQLAlchemy(app)


            @app.route("/users")
            def users():
                return [u.name for u in db.session.scalars(db.select(User))]
            """,
            note="Flask-SQLAlchemy's db.session is removed by the extension",
        ),
        Valid(
            """
            from flask import current_app
            from sqlalchemy.orm import scoped_session, sessionmaker


            def init_db(app, engine):
                app.db_session = scoped_session(sessionmaker(bind=engine))


            def close_db(exception=None):
                current_app.db_session.remove()
            """,
            note="removal through an attribute that cannot be resolved but names the registry",
        ),
        Valid(
            """
            from sqlalchemy import create_engine, text
            from sqlalchemy.orm import scoped_session, sessionmaker

            engine = create_engine("mysql+pymysql://app@db/app", pool_pre_ping=True)
            registry = scoped_session(sessionmaker(bind=engine))


            def job():
                with registry() as session:
                    session.execute(text("SELECT 1"))
            """,
            note="every use closes the thread's session (with registry() as session)",
        ),
    )

    def check(self, ctx: RuleContext) -> None:
        from poolcheck.lifecycle import ASSIGNED, REGISTRY, STORED, creation_sites

        from .scope_analysis import registry_names, releases

        released = None
        for site in creation_sites(ctx):
            if site.kind != REGISTRY or site.holding not in (ASSIGNED, STORED):
                continue
            names = registry_names(ctx, site)
            if names is None:
                continue  # created in a function and handed on: whoever gets it may remove it
            if "ZopeTransaction" in ctx.parsed.code(site.call):
                continue  # zope.sqlalchemy's extension closes the session with the transaction
            if released is None:
                released = releases(ctx.project)
            key = site.creation.origin.key if site.creation.origin is not None else None
            if released.close_all or key in released.keys or names & released.names:
                continue
            shown = sorted(names)[0] if names else ctx.parsed.code(site.call)
            noun = site.creation.noun
            ctx.report(
                site.call,
                f"`{shown}` ({noun}) is never removed: nothing in the project calls `{shown}.remove()` or `.close()`, "
                "so each thread keeps its session after every request, and with it the connection of any transaction "
                "a request leaves open (a read without commit, an error)",
                help=f"Call `{shown}.remove()` when each request, task or thread's unit of work ends "
                "(Flask: `@app.teardown_appcontext`; elsewhere a `finally` or middleware).",
            )


# --- PC403 -------------------------------------------------------------------------------------


class ModuleLevelSession(Rule):
    code = "PC403"
    name = "module-level-session"
    severity = Severity.WARNING
    summary = "A session instance (not a factory) created at module level and shared by every request and thread."
    tokens = ProjectTokens(SESSION_TOKENS + REGISTRY_TOKENS, _registry_and_session_tokens, refine=_may_hold_module_level_session)
    pruning = staticmethod(definition_test)
    what = """
        Flags a `Session` / `AsyncSession` *instance* created when a module is imported
        (`session = Session(engine)`, `session = SessionLocal()` with a `sessionmaker`
        defined anywhere in the project, `sessionmaker(bind=engine)()`, the thread's session
        of a `scoped_session` called at import time, a session held by a class attribute
        or by an object built at module level) that code running later uses: a function
        or method of the module, a loop at module level, or another module importing it.

        A session created inside `if __name__ == "__main__":`, a module-level `with`
        block, a script that uses its session only in its own top-level statements, and
        test modules (`test_*.py`, `*_test.py`, `conftest.py`) are not flagged. Factories (`sessionmaker(...)`, `scoped_session(...)`) belong at module
        level and are never flagged.
    """
    why = """
        A session is one unit of work: one transaction, on one connection. Shared by a
        whole process it is used by every thread at once (a `Session` is not thread-safe),
        and after a request that reads without committing it keeps its transaction open,
        and its connection checked out of the pool, until the next request. The server
        closes that idle connection after `wait_timeout`, and `pool_pre_ping` cannot help
        (it pings only at checkout, and the session never checks the connection in). The
        next request fails:

        ```
        sqlalchemy.exc.OperationalError: (pymysql.err.OperationalError) (2006, "MySQL server has gone away (ConnectionResetError(104, 'Connection reset by peer'))")
        ```

        (`(2013, 'Lost connection to MySQL server during query')` with other timings), and
        every request after it fails too, until something rolls the shared session back:

        ```
        sqlalchemy.exc.PendingRollbackError: Can't reconnect until invalid transaction is rolled back.  Please rollback() fully before proceeding
        ```
    """
    example = """
        from flask import Flask
        from sqlalchemy import create_engine, select
        from sqlalchemy.orm import Session

        from shop.models import Product

        engine = create_engine("mysql+pymysql://shop@db/shop", pool_pre_ping=True)
        session = Session(engine)
        app = Flask(__name__)


        @app.route("/products/<int:product_id>")
        def product(product_id):
            return session.get(Product, product_id).name
    """
    use_instead = """
        from flask import Flask
        from sqlalchemy import create_engine, select
        from sqlalchemy.orm import sessionmaker

        from shop.models import Product

        engine = create_engine("mysql+pymysql://shop@db/shop", pool_pre_ping=True)
        SessionLocal = sessionmaker(bind=engine)
        app = Flask(__name__)


        @app.route("/products/<int:product_id>")
        def product(product_id):
            with SessionLocal() as session:
                return session.get(Product, product_id).name
    """
    help = "Keep only the factory (`sessionmaker`) at module level; create a session per request or unit of work (`with SessionLocal() as session:`)."
    references = (
        "[SQLAlchemy: When do I construct a Session, when do I commit it, and when do I close it?](https://docs.sqlalchemy.org/en/20/orm/session_basics.html#session-faq-whentocreate)",
        "[SQLAlchemy: Is the Session thread-safe?](https://docs.sqlalchemy.org/en/20/orm/session_basics.html#is-the-session-thread-safe-is-asyncsession-safe-to-share-in-concurrent-tasks)",
        "[SQLAlchemy: Dealing with Disconnects](https://docs.sqlalchemy.org/en/20/core/pooling.html#dealing-with-disconnects)",
    )
    invalid = (
        Invalid(
            """
            from sqlalchemy import create_engine
            from sqlalchemy.orm import sessionmaker

            engine = create_engine("mysql+pymysql://app@db/app")
            Session = sessionmaker(bind=engine)
            session = Session()
            """,
            path="app/db.py",
            files={
                "app/__init__.py": "",
                "app/users.py": """
                    from app.db import session
                    from app.models import User


                    def find_user(name):
                        return session.query(User).filter_by(name=name).first()
                """,
            },
            line=6,
            message="`session`",
            note="the tutorial shape: one session in db.py, imported by the code that runs per request",
        ),
        Invalid(
            """
            from fastapi import FastAPI
            from sqlalchemy import select
            from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

            engine = create_async_engine("postgresql+asyncpg://app@db/app")
            session = AsyncSession(engine)
            app = FastAPI()


            @app.get("/items")
            async def items():
                return (await session.scalars(select(Item))).all()
            """,
            line=6,
            message="AsyncSession",
            note="AsyncSession shared by every task",
        ),
        Invalid(
            """
            from sqlalchemy import create_engine
            from sqlalchemy.orm import sessionmaker

            session = sessionmaker(bind=create_engine("mysql+mysqldb://app@db/app"))()


            class UserRepository:
                def get(self, user_id):
                    return session.get(User, user_id)
            """,
            line=4,
            note="sessionmaker(...)() used by a repository",
        ),
        Invalid(
            """
            from sqlalchemy import text
            from sqlalchemy.orm import Session

            from app.db import engine


            class Reports:
                session = Session(bind=engine)

                def daily(self):
                    return self.session.execute(text("SELECT * FROM daily")).all()
            """,
            path="app/reports.py",
            files={"app/__init__.py": "", "app/db.py": 'from sqlalchemy import create_engine\n\nengine = create_engine("mysql+pymysql://app@db/app")\n'},
            line=8,
            note="class attribute shared by every instance",
        ),
        Invalid(
            """
            import time

            from sqlalchemy import create_engine, text
            from sqlalchemy.orm import Session

            engine = create_engine("mysql+pymysql://app@db/app", pool_pre_ping=True)
            session = Session(engine)

            while True:
                for row in session.execute(text("SELECT id FROM jobs WHERE state = 'new'")):
                    print(row.id)
                time.sleep(600)
            """,
            line=7,
            note="a worker polling forever at module level with one session",
        ),
        Invalid(
            """
            from sqlalchemy import create_engine, text
            from sqlalchemy.orm import scoped_session, sessionmaker

            engine = create_engine("mysql+pymysql://app@db/app")
            db_session = scoped_session(sessionmaker(bind=engine))
            session = db_session()


            def count_users():
                return session.execute(text("SELECT COUNT(*) FROM users")).scalar()
            """,
            line=6,
            message="scoped_session",
            note="the importing thread's session of a registry, shared by every thread",
        ),
    )
    valid = (
        Valid(
            """
            from sqlalchemy import create_engine, text
            from sqlalchemy.orm import Session

            engine = create_engine("sqlite:///app.db")


            def main():
                with Session(engine) as session:
                    session.execute(text("DELETE FROM sessions WHERE expired"))
                    session.commit()


            if __name__ == "__main__":
                session = Session(engine)
                main()
            """,
            note="inside the __main__ guard",
        ),
        Valid(
            """
            from sqlalchemy import create_engine
            from sqlalchemy.orm import Session

            from app.models import User

            engine = create_engine("postgresql+psycopg://app@db/app")
            session = Session(engine)
            session.add(User(name="admin"))
            session.commit()
            session.close()
            """,
            path="scripts/seed.py",
            note="a script using its session only in its own top-level statements",
        ),
        Valid(
            """
            from sqlalchemy import create_engine
            from sqlalchemy.orm import Session, scoped_session, sessionmaker

            engine = create_engine("mysql+pymysql://app@db/app", pool_pre_ping=True)
            SessionLocal = sessionmaker(bind=engine)
            db_session = scoped_session(SessionLocal)


            def get_db():
                db = SessionLocal()
                try:
                    yield db
                finally:
                    db.close()
            """,
            note="factories and registries at module level",
        ),
        Valid(
            """
            from sqlalchemy import create_engine, text
            from sqlalchemy.orm import Session

            engine = create_engine("sqlite:///cache.db")

            with Session(engine) as session:
                session.execute(text("CREATE TABLE IF NOT EXISTS cache (k TEXT, v TEXT)"))
                session.commit()
            """,
            note="a module-level with block closes the session",
        ),
        Valid(
            """
            import requests
            from flask import Flask
            from flask_session import Session

            app = Flask(__name__)
            Session(app)
            http = requests.Session()


            def fetch(url):
                return http.get(url).json()
            """,
            note="Flask-Session and requests.Session are not database sessions",
        ),
        Valid(
            """
            import pytest
            from sqlalchemy import create_engine
            from sqlalchemy.orm import Session

            engine = create_engine("sqlite://")
            session = Session(engine)


            @pytest.fixture
            def db():
                yield session
                session.rollback()
            """,
            path="tests/conftest.py",
            note="a test module",
        ),
        Valid(
            """
            from flask import Flask
            from flask_sqlalchemy import SQLAlchemy

            app = Flask(__name__)
            db = SQLAlchemy(app)
            session = db.session


            def users():
                return session.scalars(db.select(User)).all()
            """,
            note="Flask-SQLAlchemy's scoped db.session, removed per request",
        ),
    )

    def check(self, ctx: RuleContext) -> None:
        import libcst as cst

        from poolcheck.lifecycle import ARGUMENT, ASSIGNED, SESSION, STORED, creation_sites

        from .scope_analysis import in_main_guard, registry_calls_at_module_level, shown_name, used_later

        if _is_test_module(ctx.parsed.relative):
            return  # a test module serves no requests: its process is gone long before wait_timeout
        reported: Set[int] = set()
        for site in creation_sites(ctx):
            if site.kind != SESSION or not site.at_module_level or not site.holds_something:
                continue
            if site.holding not in (ASSIGNED, STORED, ARGUMENT) or in_main_guard(site.parents):
                continue
            if site.holding == ARGUMENT and not isinstance(site.statement, (cst.Assign, cst.AnnAssign)):
                continue  # Session(engine) passed to a call whose result is not kept
            at_class_level = isinstance(site.where.scopes[-1], cst.ClassDef)
            if site.holding == ASSIGNED and not at_class_level and not used_later(ctx, site.names):
                continue
            reported.add(id(site.call))
            owner = site.where.scopes[-1].name.value if at_class_level else None
            self._report(ctx, site.call, shown_name(ctx, site), site.creation.noun, owner=owner)
        for call, names in registry_calls_at_module_level(ctx):
            if id(call) not in reported and used_later(ctx, names):
                self._report(ctx, call, sorted(names)[0], "scoped_session", registry=True)

    def _report(self, ctx: RuleContext, call, shown: Optional[str], noun: str, registry: bool = False, owner: Optional[str] = None) -> None:
        if shown and owner:
            shown = f"{owner}.{shown}"
        what = f"`{shown}`" if shown else f"`{ctx.parsed.code(call)}`"
        article = "an" if noun[0] in "AEIOU" else "a"
        kind = f"the importing thread's session of a {noun}" if registry else f"{article} {noun}"
        level = "class" if owner else "module"
        ctx.report(
            call,
            f"{what} is {kind} created at {level} level and shared by every request and thread: a transaction one "
            "request leaves open keeps its connection checked out until the next, and the server's wait_timeout closes it "
            "in between",
        )


__all__: FrozenSet[str] = frozenset({"ScopedSessionNeverRemoved", "ModuleLevelSession"})
RULES = [ScopedSessionNeverRemoved, ModuleLevelSession]
