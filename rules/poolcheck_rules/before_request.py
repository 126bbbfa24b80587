"""PC405 db-in-before-request (opt-in): database work in a Flask ``before_request`` hook.

A ``before_request`` function runs before every request the application serves, static
files, health checks and 404s included. Database work there makes every one of them check a
connection out of the pool. The analysis lives in :mod:`.request_hooks`.
"""

from __future__ import annotations

from typing import FrozenSet, Tuple

from poolcheck.api import Invalid, Rule, RuleContext, Severity, Valid
from poolcheck.prefilter import ProjectTokens

# `app.before_request(load_user)`: the registrations request_hooks.registered_names reads,
# in every file of the project (the rule's token source, which pruned parses ask for).
REGISTRATION_TOKENS: Tuple[bytes, ...] = (b"before_request(", b"before_app_request(")


def _registered_names(project):
    from .request_hooks import registered_names

    return registered_names(project)


class DatabaseInBeforeRequest(Rule):
    code = "PC405"
    name = "db-in-before-request"
    severity = Severity.INFO
    default_enabled = False
    summary = "Database access in a Flask `before_request` hook: every request, static files included, takes a connection."
    tokens = ProjectTokens((b"before_request", b"before_app_request"), _registered_names)
    fact_tokens = REGISTRATION_TOKENS
    what = """
        Flags database work in a function Flask runs before every request: decorated with
        `@app.before_request` or `@blueprint.before_app_request`, or registered with
        `app.before_request(load_user)` anywhere in the project (Quart's hooks alike).

        Database work is a query through Flask-SQLAlchemy (`db.session.execute(...)`,
        `db.session.get(...)`, `User.query.filter_by(...).first()`, `db.get_or_404(...)`,
        `db.engine.connect()`), through a `scoped_session` registry or a session
        (`db_session.query(User).get(uid)`, `User.query.get(uid)` on a base given
        `Base.query = db_session.query_property()`), a connection checked out of an engine
        (`engine.connect()`, `engine.begin()`), or a call of a project function that
        does one of those on every path (`g.user = load_user()`).

        Not flagged: opening a session without using it (`g.db = SessionLocal()`: a
        session checks a connection out only when it first runs a statement), a helper
        that queries only on some paths, and a hook that tests `request.endpoint` /
        `request.path` to choose the requests it works for. Off by default: select
        `PC405` to use it.
    """
    why = """
        The hook runs for requests that need no database at all: static files, health
        checks, redirects, 404s. Each one checks a connection out of the pool, waits for
        one when the pool is busy, and fails with the requests that need it when the
        pool is exhausted or the database is slow:

        ```
        sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 30.00
        ```

        A page with twenty assets makes twenty-one checkouts instead of one, and a load
        balancer's health check reports the application down whenever the database is.
    """
    example = """
        from flask import Flask, g
        from flask_sqlalchemy import SQLAlchemy

        app = Flask(__name__)
        db = SQLAlchemy(app)


        @app.before_request
        def load_settings():
            g.settings = dict(db.session.execute(db.text("SELECT name, value FROM settings")).all())
    """
    use_instead = """
        from flask import Flask, g
        from flask_sqlalchemy import SQLAlchemy

        app = Flask(__name__)
        db = SQLAlchemy(app)


        def site_settings():
            if "settings" not in g:
                g.settings = dict(db.session.execute(db.text("SELECT name, value FROM settings")).all())
            return g.settings
    """
    help = "Query in the views that need the data (or lazily, on first use, through a helper); if the hook must stay, skip static files and health checks by testing `request.endpoint`."
    references = (
        "[Flask: before_request](https://flask.palletsprojects.com/en/stable/api/#flask.Flask.before_request)",
        "[Flask: Application Structure and Lifecycle](https://flask.palletsprojects.com/en/stable/lifecycle/)",
        "[SQLAlchemy: Connection Pooling](https://docs.sqlalchemy.org/en/20/core/pooling.html)",
    )
    invalid = (
        Invalid(
            """
            from flask import Blueprint, g, session

            from app.extensions import db
            from app.models import User

            bp = Blueprint("auth", __name__)


            @bp.before_app_request
            def load_logged_in_user():
                user_id = session.get("user_id")
                if user_id is None:
                    g.user = None
                else:
                    g.user = db.session.get(User, user_id)
            """,
            path="app/auth.py",
            files={
                "app/__init__.py": "",
                "app/extensions.py": "from flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy()\n",
            },
            line=15,
            message="db.session",
            note="the Flask tutorial's load_logged_in_user, on Flask-SQLAlchemy",
        ),
        Invalid(
            """
            from flask import g

            from app.extensions import db


            class Tenant(db.Model):
                id = db.Column(db.Integer, primary_key=True)
                host = db.Column(db.String(200))


            def current_tenant(request):
                g.tenant = Tenant.query.filter_by(host=request.host).first_or_404()
            """,
            path="app/tenants.py",
            files={
                "app/__init__.py": "",
                "app/extensions.py": "from flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy()\n",
                "app/hooks.py": """
                    from flask import Flask, request

                    from app import tenants

                    app = Flask(__name__)
                    app.before_request(tenants.current_tenant)
                """,
            },
            line=12,
            message="app.before_request(tenants.current_tenant)",
            note="registered with app.before_request(fn) in another module; Model.query",
        ),
        Invalid(
            """
            from flask import Flask, g
            from sqlalchemy import create_engine, text

            engine = create_engine("mysql+pymysql://app@db/app", pool_pre_ping=True)
            app = Flask(__name__)


            @app.before_request
            def check_maintenance():
                with engine.connect() as conn:
                    g.maintenance = conn.execute(text("SELECT value FROM flags WHERE name = 'maintenance'")).scalar()
            """,
            line=10,
            message="Connection",
            note="a connection checked out of a plain SQLAlchemy engine",
        ),
        Invalid(
            """
            from flask import Flask, g, request
            from sqlalchemy import create_engine
            from sqlalchemy.orm import scoped_session, sessionmaker

            from app.models import User

            engine = create_engine("mysql+pymysql://app@db/app", pool_pre_ping=True)
            db_session = scoped_session(sessionmaker(bind=engine))
            app = Flask(__name__)


            def load_user():
                return db_session.query(User).filter_by(api_key=request.headers.get("X-Key")).one_or_none()


            @app.before_request
            def authenticate():
                g.user = load_user()


            @app.teardown_appcontext
            def remove_session(exception=None):
                db_session.remove()
            """,
            line=18,
            message="load_user()",
            note="through a project function that always queries a scoped_session",
        ),
        Invalid(
            """
            from flask import Flask, g, session
            from sqlalchemy import Column, Integer, String, create_engine
            from sqlalchemy.orm import declarative_base, scoped_session, sessionmaker

            engine = create_engine("mysql+pymysql://app@db/app", pool_pre_ping=True)
            db_session = scoped_session(sessionmaker(bind=engine))
            Base = declarative_base()
            Base.query = db_session.query_property()
            app = Flask(__name__)


            class User(Base):
                __tablename__ = "users"
                id = Column(Integer, primary_key=True)
                name = Column(String(80))


            @app.before_request
            def load_user():
                g.user = None
                if "user_id" in session:
                    g.user = User.query.get(session["user_id"])


            @app.teardown_appcontext
            def shutdown_session(exception=None):
                db_session.remove()
            """,
            line=22,
            message="on some paths",
            note="Flask's SQLAlchemy pattern: Base.query = db_session.query_property(), queried for logged-in users",
        ),
        Invalid(
            """
            from quart import Quart, g
            from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
            from sqlalchemy import text

            engine = create_async_engine("postgresql+asyncpg://app@db/app")
            Session = async_sessionmaker(engine)
            app = Quart(__name__)


            @app.before_request
            async def load_flags():
                async with Session() as session:
                    g.flags = (await session.execute(text("SELECT name FROM flags"))).scalars().all()
            """,
            line=13,
            message="execute()",
            note="Quart hook with an AsyncSession",
        ),
    )
    valid = (
        Valid(
            """
            from flask import Flask, g
            from sqlalchemy import create_engine
            from sqlalchemy.orm import sessionmaker

            engine = create_engine("mysql+pymysql://app@db/app", pool_pre_ping=True)
            SessionLocal = sessionmaker(bind=engine)
            app = Flask(__name__)


            @app.before_request
            def open_session():
                g.db = SessionLocal()


            @app.teardown_request
            def close_session(exception=None):
                db = g.pop("db", None)
                if db is not None:
                    db.close()
            """,
            note="opening a session takes no connection until it runs a statement",
        ),
        Valid(
            """
            from flask import Flask, g, request
            from flask_sqlalchemy import SQLAlchemy

            app = Flask(__name__)
            db = SQLAlchemy(app)


            @app.before_request
            def load_settings():
                if request.endpoint in ("static", "health"):
                    return
                g.settings = dict(db.session.execute(db.text("SELECT name, value FROM settings")).all())
            """,
            note="the hook skips static files and health checks itself",
        ),
        Valid(
            """
            from flask import Flask, g, session

            from app.cache import cache
            from app.models import User

            app = Flask(__name__)


            def cached_user(user_id):
                user = cache.get(f"user:{user_id}")
                if user is None:
                    user = User.query.get(user_id)
                    cache.set(f"user:{user_id}", user)
                return user


            @app.before_request
            def load_user():
                g.user = cached_user(session.get("user_id"))
            """,
            note="a helper that queries only on a cache miss",
        ),
        Valid(
            """
            from flask import Flask, g, request

            app = Flask(__name__)


            @app.before_request
            def request_id():
                g.request_id = request.headers.get("X-Request-Id")
            """,
            note="no database work",
        ),
        Valid(
            """
            from flask import Flask
            from flask_sqlalchemy import SQLAlchemy

            app = Flask(__name__)
            db = SQLAlchemy(app)


            @app.after_request
            def audit(response):
                db.session.execute(db.text("INSERT INTO audit (status) VALUES (:s)"), {"s": response.status_code})
                db.session.commit()
                return response


            @app.route("/users")
            def users():
                return [u.name for u in db.session.scalars(db.select(User))]
            """,
            note="after_request and views are not before_request",
        ),
        Valid(
            """
            from flask import Flask, g
            import peewee

            database = peewee.MySQLDatabase("app")
            app = Flask(__name__)


            @app.before_request
            def connect_db():
                database.connect()
            """,
            note="not SQLAlchemy (peewee's documented per-request connect)",
        ),
    )

    def check(self, ctx: RuleContext) -> None:
        from poolcheck.values import Where

        from .request_hooks import DatabaseUse, functions_of, hook_of, project_uses_flask

        if not project_uses_flask(ctx.project):
            return
        uses = None
        for function, scopes in functions_of(ctx.module):
            hook = hook_of(ctx, function)
            if hook is None:
                continue
            uses = uses or DatabaseUse(ctx)
            use = uses.first_use(function, Where(ctx.parsed, scopes + (function,)))
            if use is None:
                continue
            some = (", on some paths,", " taking that path") if use.conditional else ("", "")
            ctx.report(
                use.node,
                f"`{function.name.value}` runs before every request ({hook.evidence}){some[0]} and {use.what}: "
                f"every request{some[1]}, static files and health checks included, takes a connection from the pool",
            )


__all__: FrozenSet[str] = frozenset({"DatabaseInBeforeRequest"})
RULES = [DatabaseInBeforeRequest]
