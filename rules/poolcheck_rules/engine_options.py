"""PC1xx: engine and pool configuration.

Every rule here checks *engine sites* (``ctx.engine_sites()``): direct ``create_engine`` /
``create_async_engine`` / ``engine_from_config`` calls and every other source that registers
sites (Flask-SQLAlchemy engine options, APScheduler job stores). One implementation per rule
serves all of them.
"""

from __future__ import annotations

from poolcheck.api import Applicability, Fix, Invalid, Rule, RuleContext, Severity, Valid
from poolcheck.engine_checks import SiteFacts, describe_site, engine_sites_with_facts, truthiness

ENGINE_TOKENS = (b"create_engine", b"create_async_engine", b"engine_from_config")

GONE_AWAY = "(2006, 'MySQL server has gone away')"
LOST = "(2013, 'Lost connection to MySQL server during query')"


class MysqlIdleDisconnect(Rule):
    code = "PC101"
    name = "mysql-idle-disconnect"
    severity = Severity.WARNING
    summary = "MySQL/MariaDB engine with neither `pool_pre_ping=True` nor a `pool_recycle`."
    tokens = ENGINE_TOKENS
    what = """
        Flags a MySQL or MariaDB engine whose pool neither pings connections at checkout
        (`pool_pre_ping=True`) nor recycles them (`pool_recycle`, absent or `-1`). A
        `pool_recycle` that is set but too long is [PC102](PC102.md)'s.

        Not flagged with `poolclass=NullPool` (nothing stays idle in the pool), nor where the
        options cannot be known (a `**kwargs` of unknown content could hold them). Where the
        URL cannot be resolved statically (an environment variable without a default),
        nothing is flagged unless `[tool.poolcheck.database] dialect` says what to assume.
    """
    why = f"""
        MySQL and MariaDB close a connection that has been idle longer than `wait_timeout`
        (28800 s, eight hours, by default; often much less in production). The pool does not
        know: it hands the dead connection to the next request, which fails with

        ```
        sqlalchemy.exc.OperationalError: (pymysql.err.OperationalError) {GONE_AWAY}
        ```

        or `{LOST}`. The failure comes hours after deploy, typically the first request of
        the morning, and every idle connection in the pool fails once.

        `pool_pre_ping=True` tests each connection when it is checked out and transparently
        replaces a dead one. `pool_recycle=N` replaces connections older than `N` seconds,
        which prevents the error only while `N` is below the server's `wait_timeout`.
    """
    example = """
        from sqlalchemy import create_engine

        engine = create_engine("mysql+pymysql://app:secret@db/app", pool_size=10)
    """
    use_instead = """
        from sqlalchemy import create_engine

        engine = create_engine("mysql+pymysql://app:secret@db/app", pool_size=10, pool_pre_ping=True)
    """
    fix = """
        Unsafe: adds `pool_pre_ping=True`. Safe in the sense that it cannot break the
        program, but it changes run-time behaviour (one extra round trip per checkout), so
        it is applied only with `--unsafe-fixes`.
    """
    help = "Add `pool_pre_ping=True`, or `pool_recycle=N` with N below the server's wait_timeout."
    options = """
        - `[tool.poolcheck.database] dialect`: the dialect to assume where the URL is not
          statically known (for example `"mysql"` when `DATABASE_URL` comes from the
          environment).
    """
    references = (
        "[SQLAlchemy: Dealing with Disconnects](https://docs.sqlalchemy.org/en/20/core/pooling.html#dealing-with-disconnects)",
        "[SQLAlchemy: MySQL connection timeouts](https://docs.sqlalchemy.org/en/20/dialects/mysql.html#connection-timeouts-and-disconnects)",
        "[MariaDB: wait_timeout](https://mariadb.com/kb/en/server-system-variables/#wait_timeout)",
    )
    invalid = (
        Invalid(
            """
            import os
            from sqlalchemy import create_engine

            DATABASE_URL = os.environ.get("DATABASE_URL", "mysql+pymysql://root@localhost/app")


            def create_app():
                engine = create_engine(DATABASE_URL, echo=False)
                return engine
            """,
            line=8,
            note="app factory, URL from an environment default",
        ),
        Invalid(
            """
            from sqlalchemy.ext.asyncio import create_async_engine as make_engine

            engine = make_engine("mysql+aiomysql://app@db/app", pool_size=20, max_overflow=0)
            """,
            line=3,
            note="async engine, aliased import",
        ),
        Invalid(
            """
            import sqlalchemy as sa

            ENGINE_OPTIONS = {"pool_size": 10, "max_overflow": 5}
            engine = sa.create_engine("mariadb+mariadbconnector://app@db/app", **ENGINE_OPTIONS)
            """,
            line=4,
            note="**splat of a known dict",
        ),
        Invalid(
            """
            from functools import lru_cache

            from sqlalchemy import create_engine

            from app.settings import DB_URL


            @lru_cache
            def get_engine():
                return create_engine(DB_URL)
            """,
            files={"app/__init__.py": "", "app/settings.py": 'DB_URL = "mysql+mysqldb://app@db/app"\n'},
            path="app/db.py",
            line=10,
            note="lru_cached getter, URL constant imported from a settings module",
        ),
        Invalid(
            """
            from sqlalchemy import create_engine

            engine = create_engine("mysql://app@db/app", pool_pre_ping=False, pool_recycle=-1)
            """,
            note="explicitly off",
        ),
        Invalid(
            """
            import os

            from sqlalchemy import create_engine

            engine = create_engine(os.environ["DATABASE_URL"])
            """,
            settings={"database": {"dialect": "mysql"}},
            message="assum",
            note="URL from the environment, dialect assumed by configuration",
        ),
        Invalid(
            """
            from sqlalchemy import engine_from_config

            engine = engine_from_config({"sqlalchemy.url": "mysql+pymysql://app@db/app", "sqlalchemy.pool_size": "5"})
            """,
            note="engine_from_config",
        ),
        Invalid(
            """
            from sqlalchemy import URL, create_engine

            url = URL.create("mysql+pymysql", username="app", password="s3cret", host="db", database="app")
            engine = create_engine(url)
            """,
            note="URL.create",
        ),
    )
    valid = (
        Valid(
            """
            import os
            from sqlalchemy import create_engine

            engine = create_engine(os.environ["DATABASE_URL"])
            """,
            note="unknown URL, no assumption configured: silent",
        ),
        Valid(
            """
            from sqlalchemy import create_engine
            from sqlalchemy.pool import NullPool

            engine = create_engine("mysql+pymysql://app@db/app", poolclass=NullPool)
            """,
            note="NullPool keeps nothing idle",
        ),
        Valid(
            """
            from sqlalchemy import create_engine

            engine = create_engine("mysql+pymysql://app@db/app", pool_recycle=3600)
            """,
            note="recycle set: PC102 judges its length",
        ),
        Valid(
            """
            from sqlalchemy import create_engine

            def make(**options):
                return create_engine("mysql+pymysql://app@db/app", **options)
            """,
            note="options unknown",
        ),
        Valid(
            """
            from sqlalchemy import create_engine

            engine = create_engine("postgresql+psycopg2://app@db/app")
            """,
            note="not MySQL",
        ),
        Valid(
            """
            from sqlalchemy.ext.asyncio import create_async_engine

            PING = True
            engine = create_async_engine("mysql+asyncmy://app@db/app", pool_pre_ping=PING)
            """,
        ),
        Valid(
            """
            def create_engine(url):
                return url

            engine = create_engine("mysql://app@db/app")
            """,
            note="not SQLAlchemy's create_engine",
        ),
    )

    def check(self, ctx: RuleContext) -> None:
        for facts in engine_sites_with_facts(ctx):
            if not self.applies(facts):
                continue
            site = facts.site
            wait = facts.wait_timeout
            message = (
                f"{describe_site(facts)} has neither `pool_pre_ping` nor `pool_recycle`: "
                f"the server closes connections idle longer than its wait_timeout ({wait.describe()}), "
                f"and the next checkout of one fails with {GONE_AWAY}"
            )
            fix = None
            if site.kind in ("create_engine", "create_async_engine", "engine_from_config", "async_engine_from_config"):
                fix = self.add_pre_ping(ctx, site.node)
            ctx.report(site.node, message, fix=fix, related=facts.related())

    @staticmethod
    def applies(facts: SiteFacts) -> bool:
        if facts.url is None or not facts.url.is_mysql_family:
            return False
        if facts.pool_class == "NullPool" or (facts.pool_class is None and facts.pool_class_explicit):
            return False
        pre_ping = truthiness(facts.site, "pool_pre_ping")
        recycle = facts.site.options.get("pool_recycle")
        if pre_ping is None or pre_ping is True:
            return False  # unknown, or on (a truthy string is on too: PC105 reports it)
        if recycle is not None:
            value = recycle.value
            known_off = getattr(value, "value", None) == -1 and not isinstance(getattr(value, "value", None), bool)
            if not known_off:
                return False  # set (PC102's business) or unknown
        elif not facts.site.complete:
            return False
        return True

    @staticmethod
    def add_pre_ping(ctx: RuleContext, call) -> Fix:
        import libcst as cst

        from poolcheck.edits import add_keyword_argument

        if any(arg.keyword is not None and arg.keyword.value == "pool_pre_ping" for arg in call.args):
            new = call.with_changes(
                args=[
                    arg.with_changes(value=cst.Name("True")) if arg.keyword is not None and arg.keyword.value == "pool_pre_ping" else arg
                    for arg in call.args
                ]
            )
        else:
            new = add_keyword_argument(call, "pool_pre_ping", cst.Name("True"))
        return Fix("Add `pool_pre_ping=True`", Applicability.UNSAFE, ctx.replacement(call, new))


RULES = [MysqlIdleDisconnect]
