"""The flow analysis behind PC401 / PC404, case by case: which ways out of a function leave a
session or a connection open, and which hand it on or close it."""

from __future__ import annotations

import textwrap

import pytest

from poolcheck.registry import load_rules
from poolcheck.rule import Example
from poolcheck.testing import check_example

RULES = load_rules()
DB = textwrap.dedent(
    """\
    from sqlalchemy import create_engine, engine_from_config
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
    from sqlalchemy.orm import sessionmaker

    engine = create_engine("sqlite:///app.db")
    SessionLocal = sessionmaker(bind=engine)
    async_engine = create_async_engine("sqlite+aiosqlite:///app.db")
    AsyncSessionLocal = async_sessionmaker(async_engine)
    config_engine = engine_from_config({"sqlalchemy.url": "sqlite://"})
    """
)
HEADER = "from app.db import SessionLocal, AsyncSessionLocal, engine, async_engine, config_engine\n"


def findings(code: str, code_set=("PC401", "PC404"), files=None):
    example = Example(HEADER + textwrap.dedent(code), path="app/views.py", files={"app/__init__.py": "", "app/db.py": DB, **(files or {})})
    return [(f.code, f.line - 1, f.message) for f in check_example(example, list(code_set), RULES)]


def lines(code: str, **kw):
    return sorted((code_, line) for code_, line, _ in findings(code, **kw))


# --- flagged -----------------------------------------------------------------------------------

FLAGGED = {
    "close only in the except handler": (
        """
        def f():
            s = SessionLocal()
            try:
                s.execute("SELECT 1")
            except Exception:
                s.close()
                raise
        """,
        "not closed on every path",
    ),
    "close only in else": (
        """
        def f():
            s = SessionLocal()
            try:
                s.execute("SELECT 1")
            except ValueError:
                return None
            else:
                s.close()
        """,
        "not closed on every path",
    ),
    "close under an unrelated condition in finally": (
        """
        def f(ok):
            s = SessionLocal()
            try:
                s.execute("SELECT 1")
            finally:
                if ok:
                    s.close()
        """,
        "not closed on every path",
    ),
    "a narrow except closes, other errors escape": (
        """
        def f():
            s = SessionLocal()
            try:
                s.execute("SELECT 1")
            except ValueError:
                s.close()
                raise
            s.close()
        """,
        "closed only on the happy path",
    ),
    "worker loop closing on the happy path": (
        """
        def worker(queue):
            while True:
                job = queue.get()
                s = SessionLocal()
                s.execute(job)
                s.commit()
                s.close()
        """,
        "closed only on the happy path",
    ),
    "session.begin() commits but does not close": (
        """
        def f(item):
            s = SessionLocal()
            with s.begin():
                s.add(item)
        """,
        "never closed",
    ),
    "async generator dependency without try": (
        """
        async def get_session():
            session = AsyncSessionLocal()
            yield session
            await session.close()
        """,
        "yielded outside `try`/`finally`",
    ),
    "contextmanager yielding outside try/finally": (
        """
        from contextlib import contextmanager

        @contextmanager
        def session_scope():
            session = SessionLocal()
            yield session
            session.commit()
            session.close()
        """,
        "yielded outside `try`/`finally`",
    ),
    "yield of a fresh session": (
        """
        def get_db():
            yield SessionLocal()
        """,
        "yielded and never closed",
    ),
    "explicit raise before close": (
        """
        def f(user_id):
            s = SessionLocal()
            user = s.get(object, user_id)
            if user is None:
                raise LookupError(user_id)
            s.close()
            return user
        """,
        "closed only on the happy path",
    ),
    "a local sessionmaker": (
        """
        from sqlalchemy.orm import sessionmaker

        def f():
            Local = sessionmaker(bind=engine)
            s = Local()
            s.execute("SELECT 1")
        """,
        "never closed",
    ),
    "a project subclass of Session": (
        """
        from sqlalchemy.orm import Session

        class TenantSession(Session):
            pass

        def f():
            s = TenantSession(engine)
            s.execute("SELECT 1")
        """,
        "never closed",
    ),
    "SQLModel's Session": (
        """
        from sqlmodel import Session

        def f():
            s = Session(engine)
            return s.exec("SELECT 1").all()
        """,
        "never closed",
    ),
    "a session in a nested function": (
        """
        def outer():
            def inner():
                s = SessionLocal()
                return s.execute("SELECT 1").all()
            return inner
        """,
        "never closed",
    ),
    "a function handing out a fresh session, its caller never closes": (
        """
        def get_session():
            return SessionLocal()

        def f():
            s = get_session()
            s.execute("SELECT 1")
        """,
        "never closed",
    ),
}


@pytest.mark.parametrize("name", list(FLAGGED))
def test_flagged(name):
    code, message = FLAGGED[name]
    found = [f for f in findings(code) if f[0] == "PC401"]
    assert len(found) == 1, found
    assert message in found[0][2]


# --- clean -------------------------------------------------------------------------------------

CLEAN = {
    "with and begin": """
        from sqlalchemy.orm import Session

        def f():
            with Session(engine) as s, s.begin():
                s.execute("SELECT 1")
        """,
    "async with": """
        async def f():
            async with AsyncSessionLocal() as s:
                await s.execute("SELECT 1")
        """,
    "await close in finally": """
        async def f():
            s = AsyncSessionLocal()
            try:
                await s.execute("SELECT 1")
                await s.commit()
            finally:
                await s.close()
        """,
    "closed in except (re-raised) and after": """
        def f():
            s = SessionLocal()
            try:
                s.execute("SELECT 1")
                s.commit()
            except:
                s.rollback()
                s.close()
                raise
            s.close()
        """,
    "stored on self later": """
        class Repo:
            def open(self):
                session = SessionLocal()
                session.info["repo"] = self
                self._session = session
        """,
    "appended to a container": """
        def f(pool):
            s = SessionLocal()
            pool.append(s)
        """,
    "given to a constructor": """
        class UnitOfWork:
            def __init__(self, session):
                self.session = session

        def f():
            s = SessionLocal()
            return UnitOfWork(s)
        """,
    "closed by a callback": """
        import atexit

        def f(request):
            s = SessionLocal()
            request.add_finalizer(lambda: s.close())
            t = SessionLocal()
            atexit.register(t.close)
        """,
    "a lazily initialised global": """
        session = None

        def get():
            global session
            if session is None:
                session = SessionLocal()
            return session
        """,
    "with on the name": """
        def f():
            s = SessionLocal()
            with s:
                s.execute("SELECT 1")
        """,
    "an unknown factory": """
        def f(factory):
            s = factory()
            s.execute("SELECT 1")
        """,
    "a registry call is not a new session": """
        from sqlalchemy.orm import scoped_session

        registry = scoped_session(SessionLocal)

        def f():
            s = registry()
            s.execute("SELECT 1")
        """,
    "a method closing its argument, in finally": """
        class Service:
            def _finish(self, session):
                session.commit()
                session.close()

            def run(self):
                s = SessionLocal()
                try:
                    s.execute("SELECT 1")
                finally:
                    self._finish(s)
        """,
    "an unresolvable star import": """
        from models import *

        def f():
            s = Session()
            s.execute("SELECT 1")
        """,
    "module level and lambda": """
        session = SessionLocal()
        make = lambda: SessionLocal()
        """,
    "not-None narrowing with `if not s`": """
        def f():
            s = None
            try:
                s = SessionLocal()
                s.execute("SELECT 1")
            finally:
                if not s:
                    pass
                else:
                    s.close()
        """,
    "generator dependency with rollback and finally": """
        def get_db():
            db = SessionLocal()
            try:
                yield db
                db.commit()
            except Exception:
                db.rollback()
                raise
            finally:
                db.close()
        """,
    "pytest fixture closing after a bare yield": """
        import pytest

        @pytest.fixture
        def session():
            s = SessionLocal()
            yield s
            s.rollback()
            s.close()
        """,
    "a session bound to the function's own connection": """
        from sqlalchemy.orm import Session

        def f():
            with engine.connect() as conn:
                session = Session(bind=conn)
                session.execute("SELECT 1")
        """,
    "returned in a tuple": """
        def f():
            s = SessionLocal()
            c = engine.connect()
            return s, c
        """,
}


@pytest.mark.parametrize("name", list(CLEAN))
def test_clean(name):
    assert findings(CLEAN[name]) == []


# --- connections -------------------------------------------------------------------------------


def test_connection_cases():
    assert lines(
        """
        def a():
            conn = engine.connect()
            try:
                conn.execute("SELECT 1")
            finally:
                conn.close()

        def b():
            conn = engine.connect()
            trans = conn.begin()
            conn.execute("SELECT 1")
            trans.commit()
            conn.close()

        def c():
            ctx = engine.begin()
            pending = async_engine.connect()

        async def d():
            conn = await async_engine.connect()
            try:
                await conn.execute("SELECT 1")
            finally:
                await conn.close()

        def e():
            conn = config_engine.connect()
            return conn.execute("SELECT 1").all()

        def f():
            with engine.connect() as conn:
                conn = conn.execution_options(isolation_level="AUTOCOMMIT")
                conn.execute("SELECT 1")
        """
    ) == [("PC404", 10), ("PC404", 28)]


def test_class_attribute_engine():
    assert lines(
        """
        from sqlalchemy import create_engine

        class Config:
            engine = create_engine("sqlite://")

        def f():
            raw = Config.engine.raw_connection()
            raw.cursor().execute("SELECT 1")
        """
    ) == [("PC404", 8)]


def test_match_and_except_star_are_followed():
    assert lines(
        """
        def by_kind(kind):
            s = SessionLocal()
            match kind:
                case "a":
                    s.close()
                    return 1
                case _:
                    return 2

        def grouped():
            s = SessionLocal()
            try:
                s.execute("SELECT 1")
            except* ValueError:
                pass
            finally:
                s.close()
        """
    ) == [("PC401", 3)]
