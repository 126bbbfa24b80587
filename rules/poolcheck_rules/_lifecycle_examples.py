"""The flagged and clean examples of PC401 and PC404, in the shapes real code uses (Flask
views, FastAPI dependencies, Celery tasks, repositories and units of work, async handlers,
scripts). Kept apart from the rules so each rule reads in one screen."""

from __future__ import annotations

from poolcheck.api import Example, Invalid, Valid

DB = """
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

engine = create_engine("mysql+pymysql://app:secret@db/app", pool_pre_ping=True)
SessionLocal = sessionmaker(bind=engine)
"""
MODELS = """
from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
"""
APP = {"app/__init__.py": "", "app/db.py": DB, "app/models.py": MODELS}

# --- PC401 ------------------------------------------------------------------------------------

SESSION_EXAMPLE = Example(
    """
    from flask import Flask, jsonify

    from app.db import SessionLocal
    from app.models import User

    app = Flask(__name__)


    @app.route("/users/<int:user_id>")
    def show_user(user_id):
        session = SessionLocal()
        user = session.get(User, user_id)
        session.close()
        return jsonify(name=user.name)
    """,
    path="app/views.py",
    files=APP,
)
SESSION_USE_INSTEAD = Example(
    """
    from flask import Flask, jsonify

    from app.db import SessionLocal
    from app.models import User

    app = Flask(__name__)


    @app.route("/users/<int:user_id>")
    def show_user(user_id):
        with SessionLocal() as session:
            user = session.get(User, user_id)
            return jsonify(name=user.name)
    """,
    path="app/views.py",
    files=APP,
)

SESSION_INVALID = (
    Invalid(
        """
        from flask import Flask, jsonify

        from app.db import SessionLocal
        from app.models import User

        app = Flask(__name__)


        @app.route("/users/<int:user_id>")
        def show_user(user_id):
            session = SessionLocal()
            user = session.get(User, user_id)
            session.close()
            return jsonify(name=user.name)
        """,
        path="app/views.py",
        files=APP,
        line=11,
        message="closed only on the happy path (line 13)",
        note="Flask view: close() only when nothing raises",
    ),
    Invalid(
        """
        from app.db import SessionLocal


        def get_db():
            db = SessionLocal()
            yield db
            db.close()
        """,
        path="app/deps.py",
        files=APP,
        line=5,
        message="yielded outside `try`/`finally`",
        note="FastAPI dependency: yield outside try/finally",
    ),
    Invalid(
        """
        from fastapi import Depends, FastAPI

        from app.db import SessionLocal

        app = FastAPI()


        def get_db():
            db = SessionLocal()
            yield db


        @app.get("/users")
        def users(db=Depends(get_db)):
            return db.execute("SELECT name FROM users").scalars().all()
        """,
        path="app/main.py",
        files=APP,
        line=9,
        message="is yielded and never closed",
        note="FastAPI dependency that never closes",
    ),
    Invalid(
        """
        from celery import shared_task

        from app.db import SessionLocal as make_session
        from app.models import User


        @shared_task
        def deactivate(user_id):
            session = make_session()
            session.get(User, user_id).active = False
            session.commit()
        """,
        path="app/tasks.py",
        files=APP,
        line=9,
        message="is never closed",
        note="Celery task, factory imported under another name",
    ),
    Invalid(
        """
        from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

        from app.models import User

        engine = create_async_engine("postgresql+asyncpg://app@db/app")


        async def on_signup(event):
            session = AsyncSession(engine)
            session.add(User(name=event["name"]))
            await session.commit()
            await session.close()
        """,
        line=9,
        message="AsyncSession `session`",
        note="async handler: await close() only on the happy path",
    ),
    Invalid(
        """
        from sqlalchemy import create_engine, text
        from sqlalchemy.orm import Session


        def main():
            engine = create_engine("sqlite:///app.db")
            session = Session(engine)
            session.execute(text("DELETE FROM sessions WHERE expires < CURRENT_TIMESTAMP"))
            session.commit()


        if __name__ == "__main__":
            main()
        """,
        path="scripts/cleanup.py",
        line=7,
        message="never closed",
        note="script with a direct Session(engine)",
    ),
    Invalid(
        """
        from app.db import SessionLocal
        from app.models import User


        def user_id(name):
            session = SessionLocal()
            user = session.query(User).filter_by(name=name).first()
            if user is None:
                return None
            session.close()
            return user.id
        """,
        path="app/lookup.py",
        files=APP,
        line=6,
        message="not closed on every path",
        note="early return before close()",
    ),
    Invalid(
        """
        from sqlalchemy import text

        from app import db


        def ping():
            return db.SessionLocal().execute(text("SELECT 1")).scalar()
        """,
        path="app/health.py",
        files=APP,
        line=7,
        message="used on the spot and never closed",
        note="factory reached through the module, used on the spot",
    ),
    Invalid(
        """
        from sqlalchemy import text
        from sqlalchemy.orm import sessionmaker

        from app.db import engine


        class Reports:
            Session = sessionmaker(bind=engine)

            def totals(self):
                session = self.Session()
                rows = session.execute(text("SELECT day, SUM(amount) FROM sales GROUP BY day")).all()
                session.close()
                return rows
        """,
        path="app/reports.py",
        files=APP,
        line=11,
        message="closed only on the happy path",
        note="factory as a class attribute, called through self",
    ),
    Invalid(
        """
        import functools

        from sqlalchemy.orm import Session

        from app.db import engine

        make_session = functools.partial(Session, engine, expire_on_commit=False)


        def export(rows):
            session = make_session()
            session.add_all(rows)
            session.commit()
        """,
        path="app/export.py",
        files=APP,
        line=11,
        message="never closed",
        note="functools.partial(Session, ...)",
    ),
    Invalid(
        """
        from sqlalchemy.orm import sessionmaker

        from app.db import engine


        def import_batches(batches):
            session = sessionmaker(bind=engine)()
            for batch in batches:
                session.add_all(batch)
            session.commit()
            return len(batches)
        """,
        path="app/imports.py",
        files=APP,
        line=7,
        message="never closed",
        note="sessionmaker(...)() called on the spot",
    ),
    Invalid(
        """
        from app.db import SessionLocal


        def migrate(batches):
            session = SessionLocal()
            for batch in batches:
                session.add_all(batch)
                session.commit()
                session = SessionLocal()
            session.close()
        """,
        path="app/migrate.py",
        files=APP,
        line=5,
        message="replaced while still open",
        note="a session replaced while still open",
    ),
)

SESSION_VALID = (
    Valid(
        """
        from app.db import SessionLocal


        def warm_up():
            SessionLocal().close()
        """,
        path="app/warm.py",
        files=APP,
        note="a session closed where it is made",
    ),
    Valid(
        """
        from app.db import SessionLocal


        def get_db():
            db = SessionLocal()
            try:
                yield db
            finally:
                db.close()
        """,
        path="app/deps.py",
        files=APP,
        note="FastAPI dependency: yield inside try/finally",
    ),
    Valid(
        """
        from app.db import SessionLocal


        def get_db():
            with SessionLocal() as db:
                yield db
        """,
        path="app/deps.py",
        files=APP,
        note="FastAPI dependency: yield inside with",
    ),
    Valid(
        """
        from celery import shared_task

        from app.db import SessionLocal
        from app.models import User


        @shared_task
        def deactivate(user_id):
            session = SessionLocal()
            try:
                session.get(User, user_id).active = False
                session.commit()
            except Exception:
                session.rollback()
                raise
            finally:
                session.close()
        """,
        path="app/tasks.py",
        files=APP,
        note="Celery task: commit, rollback, close in finally",
    ),
    Valid(
        """
        from app.db import SessionLocal


        class UnitOfWork:
            def __enter__(self):
                self.session = SessionLocal()
                return self

            def __exit__(self, *exc):
                self.session.rollback()
                self.session.close()


        class UserRepository:
            def __init__(self, session_factory=SessionLocal):
                self.session = session_factory()
        """,
        path="app/uow.py",
        files=APP,
        note="unit of work and repository own their session (self.session = ...)",
    ),
    Valid(
        """
        from app.db import SessionLocal


        def get_session():
            session = SessionLocal()
            session.info["tenant"] = "default"
            return session
        """,
        path="app/sessions.py",
        files=APP,
        note="a session handed to the caller (returned)",
    ),
    Valid(
        """
        from flask import Flask
        from flask_sqlalchemy import SQLAlchemy

        app = Flask(__name__)
        db = SQLAlchemy(app)


        @app.post("/users")
        def create_user():
            db.session.add(User(name="ann"))
            db.session.commit()
            return "", 201
        """,
        note="Flask-SQLAlchemy's db.session: the extension removes it",
    ),
    Valid(
        """
        import requests
        from flask import Flask
        from flask_session import Session


        def create_app():
            app = Flask(__name__)
            app.config["SESSION_TYPE"] = "filesystem"
            Session(app)
            return app


        def fetch(url):
            http = requests.Session()
            return http.get(url).json()
        """,
        note="Flask-Session's Session(app) and requests.Session() are not SQLAlchemy sessions",
    ),
    Valid(
        """
        from app.models import Session


        def start(user):
            session = Session(user_id=user.id)
            return session.token
        """,
        path="app/login.py",
        files={
            **APP,
            "app/models.py": MODELS + "\n\nclass Session(Base):\n    __tablename__ = 'sessions'\n    id: Mapped[int] = mapped_column(primary_key=True)\n",
        },
        note="an ORM model that happens to be called Session",
    ),
    Valid(
        """
        from contextlib import ExitStack, closing

        from app.db import SessionLocal


        def copy(rows):
            with ExitStack() as stack:
                source = stack.enter_context(SessionLocal())
                target = SessionLocal()
                stack.callback(target.close)
                target.add_all(source.merge(row) for row in rows)
                target.commit()


        def count():
            with closing(SessionLocal()) as session:
                return session.query(User).count()
        """,
        path="app/copy.py",
        files=APP,
        note="ExitStack.enter_context, stack.callback(close), contextlib.closing",
    ),
    Valid(
        """
        from app.db import SessionLocal


        def commit_and_close(session):
            try:
                session.commit()
            finally:
                session.close()


        def save(user):
            session = SessionLocal()
            try:
                session.add(user)
            finally:
                commit_and_close(session)
        """,
        path="app/save.py",
        files=APP,
        note="a commit-and-close helper the project defines, in finally",
    ),
    Valid(
        """
        from app.db import SessionLocal


        def rename(user_id, name):
            session = None
            try:
                session = SessionLocal()
                session.get(User, user_id).name = name
                session.commit()
            finally:
                if session is not None:
                    session.close()
        """,
        path="app/rename.py",
        files=APP,
        note="created inside try, closed under `if session is not None` in finally",
    ),
    Valid(
        """
        from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

        engine = create_async_engine("postgresql+asyncpg://app@db/app")
        AsyncSessionLocal = async_sessionmaker(engine, expire_on_commit=False)


        async def on_signup(event):
            async with AsyncSessionLocal() as session, session.begin():
                session.add(User(name=event["name"]))


        async def get_session():
            async with AsyncSessionLocal() as session:
                yield session
        """,
        note="async with, also in an async generator dependency",
    ),
    Valid(
        """
        from flask import Flask, g

        from app.db import SessionLocal

        app = Flask(__name__)


        @app.before_request
        def open_session():
            g.db = SessionLocal()


        @app.teardown_appcontext
        def close_session(exc):
            db = g.pop("db", None)
            if db is not None:
                db.close()
        """,
        path="app/web.py",
        files=APP,
        note="stored on flask.g, closed at teardown",
    ),
)

# --- PC404 ------------------------------------------------------------------------------------

CONNECTION_EXAMPLE = Example(
    """
    from sqlalchemy import text

    from app.db import engine


    def daily_totals():
        conn = engine.connect()
        rows = conn.execute(text("SELECT day, SUM(amount) FROM sales GROUP BY day")).all()
        conn.close()
        return rows
    """,
    path="app/reports.py",
    files=APP,
)
CONNECTION_USE_INSTEAD = Example(
    """
    from sqlalchemy import text

    from app.db import engine


    def daily_totals():
        with engine.connect() as conn:
            return conn.execute(text("SELECT day, SUM(amount) FROM sales GROUP BY day")).all()
    """,
    path="app/reports.py",
    files=APP,
)

CONNECTION_INVALID = (
    Invalid(
        """
        from sqlalchemy import text

        from app.db import engine


        def daily_totals():
            conn = engine.connect()
            rows = conn.execute(text("SELECT day, SUM(amount) FROM sales GROUP BY day")).all()
            conn.close()
            return rows
        """,
        path="app/reports.py",
        files=APP,
        line=7,
        message="closed only on the happy path",
        note="engine imported from another module: close() only on the happy path",
    ),
    Invalid(
        """
        from app.db import engine


        def refresh_stats():
            raw = engine.raw_connection()
            cursor = raw.cursor()
            cursor.callproc("refresh_stats")
            raw.commit()
        """,
        path="app/maintenance.py",
        files=APP,
        line=5,
        message="Raw DBAPI connection `raw`",
        note="raw_connection() never closed",
    ),
    Invalid(
        """
        from sqlalchemy import text
        from sqlalchemy.ext.asyncio import create_async_engine

        engine = create_async_engine("postgresql+asyncpg://app@db/app")


        async def health():
            conn = await engine.connect()
            await conn.execute(text("SELECT 1"))
            await conn.close()
            return {"ok": True}
        """,
        line=8,
        message="AsyncConnection `conn`",
        note="async engine: await close() only on the happy path",
    ),
    Invalid(
        """
        from sqlalchemy import text

        from app.db import engine


        def vacuum():
            engine.connect().execute(text("OPTIMIZE TABLE events"))
        """,
        path="app/vacuum.py",
        files=APP,
        line=7,
        message="used on the spot",
        note="connection used on the spot",
    ),
    Invalid(
        """
        from sqlalchemy import create_engine, text


        class Exporter:
            def __init__(self, url):
                self.engine = create_engine(url)

            def export(self, table):
                conn = self.engine.connect()
                result = conn.execute(text(f"SELECT * FROM {table}"))
                if result.returns_rows:
                    return result.all()
                conn.close()
                return []
        """,
        line=9,
        message="not closed on every path",
        note="self.engine set in __init__; early return",
    ),
    Invalid(
        """
        from functools import lru_cache

        from sqlalchemy import create_engine, text


        @lru_cache
        def get_engine():
            return create_engine("postgresql+psycopg://app@db/app")


        def count_users():
            conn = get_engine().connect()
            return conn.execute(text("SELECT count(*) FROM users")).scalar()
        """,
        line=12,
        message="never closed",
        note="engine from an lru_cache'd getter",
    ),
    Invalid(
        """
        from flask import Flask
        from flask_sqlalchemy import SQLAlchemy

        app = Flask(__name__)
        db = SQLAlchemy(app)


        @app.route("/export")
        def export():
            conn = db.engine.connect()
            rows = conn.exec_driver_sql("SELECT * FROM orders").all()
            conn.close()
            return {"rows": len(rows)}
        """,
        line=10,
        message="closed only on the happy path",
        note="Flask-SQLAlchemy's db.engine in a view",
    ),
)

CONNECTION_VALID = (
    Valid(
        """
        from sqlalchemy import create_engine
        from sqlalchemy.exc import OperationalError
        from sqlalchemy.pool import NullPool


        def database_answers(uri):
            try:
                engine = create_engine(uri, poolclass=NullPool)
                engine.connect().close()
            except OperationalError:
                return False
            return True
        """,
        note="a connection closed where it is made (a setup wizard's probe)",
    ),
    Valid(
        """
        from sqlalchemy import text

        from app.db import engine


        def record(event):
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO events (name) VALUES (:name)"), {"name": event})
        """,
        path="app/events.py",
        files=APP,
        note="engine.begin() as a context manager",
    ),
    Valid(
        """
        from sqlalchemy import text
        from sqlalchemy.ext.asyncio import create_async_engine

        engine = create_async_engine("postgresql+asyncpg://app@db/app")


        async def health():
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return {"ok": True}
        """,
        note="async with engine.connect()",
    ),
    Valid(
        """
        from app.db import engine


        def refresh_stats():
            raw = engine.raw_connection()
            try:
                cursor = raw.cursor()
                cursor.callproc("refresh_stats")
                raw.commit()
            finally:
                raw.close()
        """,
        path="app/maintenance.py",
        files=APP,
        note="raw connection closed in finally",
    ),
    Valid(
        """
        from app.db import engine


        def get_connection():
            conn = engine.connect()
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            return conn
        """,
        path="app/conn.py",
        files=APP,
        note="handed to the caller",
    ),
    Valid(
        """
        import socket
        import sqlite3


        def probe(host, engine):
            sock = socket.socket()
            sock.connect((host, 3306))
            conn = engine.connect()
            local = sqlite3.connect("cache.db")
            return sock, conn, local
        """,
        note="socket.connect, sqlite3.connect and a parameter's connect(): not traced to an engine the project creates",
    ),
    Valid(
        """
        from contextlib import ExitStack

        import pandas as pd

        from app.db import engine


        def load(queries):
            with ExitStack() as stack:
                conn = stack.enter_context(engine.connect())
                return [pd.read_sql(query, conn) for query in queries]
        """,
        path="app/load.py",
        files=APP,
        note="ExitStack.enter_context",
    ),
)
