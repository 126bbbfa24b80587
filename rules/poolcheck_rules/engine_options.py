"""PC101, PC102: MySQL/MariaDB connections the server closes while they idle in the pool.

The PC1xx family is split by concern: this module (idle disconnects), ``engine_arguments``
(PC103-PC105: what create_engine accepts), ``pool_capacity`` (PC106), ``ping_listeners``
(PC107) and ``engine_per_call`` (PC108).

Every rule here checks *engine sites* (``ctx.engine_sites()``): direct ``create_engine`` /
``create_async_engine`` / ``engine_from_config`` calls and every other source that registers
sites (Flask-SQLAlchemy engine options, APScheduler job stores). One implementation per rule
serves all of them.
"""

from __future__ import annotations

from poolcheck.api import Applicability, Example, Fix, Invalid, Rule, RuleContext, Severity, Valid
from poolcheck.engine_checks import (
    ENGINE_SITE_FACTS,
    SiteFacts,
    describe_site,
    engine_sites_with_facts,
    is_number,
    option_anchor,
    option_location,
    option_value,
    truthiness,
)

from poolcheck.site_sources import ENGINE_SITE_FACT_TOKENS, ENGINE_SITE_TOKENS

# Every engine site's prefilter: the factories and each registered site source's tokens.
ENGINE_TOKENS = ENGINE_SITE_TOKENS
DIRECT_KINDS = ("create_engine", "create_async_engine", "engine_from_config", "async_engine_from_config")

GONE_AWAY = "(2006, 'MySQL server has gone away')"
# What psycopg raises on the next use of a session PostgreSQL ended (measured on 15.20).
IDLE_SESSION_ERROR = "(psycopg.errors.IdleSessionTimeout) terminating connection due to idle-session timeout"
LOST = "(2013, 'Lost connection to MySQL server during query')"


class MysqlIdleDisconnect(Rule):
    code = "PC101"
    name = "mysql-idle-disconnect"
    severity = Severity.WARNING
    summary = "MySQL/MariaDB engine with neither `pool_pre_ping=True` nor a `pool_recycle`."
    tokens = ENGINE_TOKENS
    shared_facts = ENGINE_SITE_FACTS
    fact_tokens = ENGINE_SITE_FACT_TOKENS
    what = """
        Flags a MySQL or MariaDB engine whose pool neither pings connections at checkout
        (`pool_pre_ping=True`) nor recycles them (`pool_recycle`, absent or `-1`). A
        `pool_recycle` that is set but too long is [PC102](PC102.md)'s.

        Not flagged with `poolclass=NullPool` (nothing stays idle in the pool), nor where the
        options cannot be known (a `**kwargs` of unknown content could hold them). Where the
        URL cannot be resolved statically (an environment variable without a default),
        nothing is flagged unless `[tool.poolcheck.database] dialect` says what to assume.
        An APScheduler job store built from a URL with neither option is
        [PC301](PC301.md)'s, which names the better remedy (pass it the application's engine);
        one whose `engine_options` switch them off is flagged here.
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
            help = None
            if site.kind in DIRECT_KINDS:
                fix = add_pre_ping(ctx, site.node)
            else:
                # Options given as a mapping: Flask-SQLAlchemy's, a job store's engine_options.
                where = options_mapping_of(site)
                help = f'Add `"pool_pre_ping": True` to {where}, or a `"pool_recycle"` below the server\'s wait_timeout.'
            ctx.report(site.node, message, fix=fix, help=help, related=facts.related())

    @staticmethod
    def applies(facts: SiteFacts) -> bool:
        if facts.url is None or not facts.url.is_mysql_family:
            return False
        if facts.site.liveness_reported_by:
            return False  # a more specific rule (PC301 for job stores) reports it with its remedy
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



def options_mapping_of(site) -> str:
    """Where a site's options go when they are not create_engine keywords."""
    if site.kind == "flask_sqlalchemy":
        return f"the bind's options in {site.label}" if "BINDS" in site.label else "`SQLALCHEMY_ENGINE_OPTIONS`"
    return f"the `engine_options` of {site.label}"


def keeps_idle_connections(facts: SiteFacts) -> bool:
    """The site's pool is known and keeps connections between checkouts (not NullPool)."""
    if facts.pool_class == "NullPool" or (facts.pool_class is None and facts.pool_class_explicit):
        return False
    return True


def add_pre_ping(ctx: RuleContext, call) -> Fix:
    """Unsafe fix: ``pool_pre_ping=True`` added to the call (or an existing one set to True)."""
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


class RecycleNotBelowWaitTimeout(Rule):
    code = "PC102"
    name = "recycle-not-below-wait-timeout"
    severity = Severity.ERROR
    summary = (
        "`pool_recycle` not below the server's idle limit (MySQL/MariaDB `wait_timeout`, "
        "PostgreSQL `idle_session_timeout`), without `pool_pre_ping`."
    )
    tokens = ENGINE_TOKENS
    shared_facts = ENGINE_SITE_FACTS
    fact_tokens = ENGINE_SITE_FACT_TOKENS
    what = """
        Flags a MySQL or MariaDB engine whose `pool_recycle` is at least the server's
        `wait_timeout` while `pool_pre_ping` is off. The `wait_timeout` is the one the
        project's own server configuration sets: option files (`my.cnf`, `mariadb.cnf`,
        `conf.d/*.cnf`: sections `[mysqld]`, `[mariadb]`, `[server]`, `[mysqld-X.Y]`),
        container commands (`--wait-timeout=N` in compose files and Dockerfiles), `SET GLOBAL
        wait_timeout` in `.sql` files and Python strings, or `[tool.poolcheck.database]
        wait-timeout`; else the server default, 28800 seconds. Where several places disagree,
        the smallest value counts. The finding names both places.

        It also covers the `pool_recycle=7200` Flask-SQLAlchemy adds by itself to `mysql`
        URIs, when the project's `wait_timeout` is 7200 or less.

        A `pool_recycle` from `engine_from_config` (an ini-style string such as `"3600"`) is
        read as SQLAlchemy coerces it. Unknown values, unknown URLs, `NullPool` and engines
        with `pool_pre_ping=True` are not flagged; a missing `pool_recycle` is
        [PC101](PC101.md)'s.

        **PostgreSQL.** PostgreSQL 14 and later close a session idle for longer than
        `idle_session_timeout`. It is off (0) by default, so this variant applies only where
        the value is known: from `[tool.poolcheck.database] idle-session-timeout`, or from the
        live server (`poolcheck check --database-url`, see `docs/probe.md`). A PostgreSQL
        engine is then flagged when `pool_pre_ping` is off and `pool_recycle` is absent, `-1`,
        or not below that limit (PC101 is MySQL-only, so the absent case is reported here).
    """
    why = f"""
        `pool_recycle=N` makes the pool replace a connection when it is checked out more
        than `N` seconds after it was opened. The server, meanwhile, closes any connection
        idle for longer than `wait_timeout`. When `N` is not below `wait_timeout`, a
        connection that sat idle between the two is already closed by the server when the
        pool hands it out, and the request using it fails:

        ```
        sqlalchemy.exc.OperationalError: (pymysql.err.OperationalError) {GONE_AWAY}
        ```

        or `{LOST}`. This is the classic "I set pool_recycle=3600 and still get 'gone
        away'" report: the DBA lowered `wait_timeout` to 600 in `my.cnf`, or the default
        eight hours were never the value production runs with.

        On PostgreSQL with `idle_session_timeout` set, the same sequence fails with

        ```
        sqlalchemy.exc.OperationalError: {IDLE_SESSION_ERROR}
        ```
    """
    example = Example(
        """
        from sqlalchemy import create_engine

        engine = create_engine("mysql+pymysql://app:secret@db/app", pool_recycle=3600)
        """,
        files={"deploy/my.cnf": "[mysqld]\nwait_timeout = 600\n"},
    )
    use_instead = Example(
        """
        from sqlalchemy import create_engine

        engine = create_engine("mysql+pymysql://app:secret@db/app", pool_recycle=300, pool_pre_ping=True)
        """,
        files={"deploy/my.cnf": "[mysqld]\nwait_timeout = 600\n"},
    )
    fix = """
        Unsafe: adds `pool_pre_ping=True`, which makes the pool test each connection at
        checkout and replace a dead one. Lowering `pool_recycle` below `wait_timeout` is
        the other way; the right value depends on the deployment, so it is left to you.
    """
    help = "Set `pool_recycle` below the server's wait_timeout, or add `pool_pre_ping=True`."
    options = """
        - `[tool.poolcheck.database] wait-timeout`: the server's `wait_timeout`, where the
          project's files do not state it (overrides them when set).
        - `[tool.poolcheck.database] dialect`: the dialect to assume where the URL is not
          statically known.
        - `[tool.poolcheck.database] idle-session-timeout`: PostgreSQL's
          `idle_session_timeout`, for the PostgreSQL variant.
        - `poolcheck check --database-url URL` (or `url-env`): read `wait_timeout` /
          `idle_session_timeout` from the live server instead.
    """
    references = (
        "[PostgreSQL: idle_session_timeout](https://www.postgresql.org/docs/current/runtime-config-client.html#GUC-IDLE-SESSION-TIMEOUT)",
        "[SQLAlchemy: Setting Pool Recycle](https://docs.sqlalchemy.org/en/20/core/pooling.html#setting-pool-recycle)",
        "[SQLAlchemy: Disconnect Handling - Pessimistic](https://docs.sqlalchemy.org/en/20/core/pooling.html#disconnect-handling-pessimistic)",
        "[MariaDB: wait_timeout](https://mariadb.com/kb/en/server-system-variables/#wait_timeout)",
        "[MySQL: wait_timeout](https://dev.mysql.com/doc/refman/8.0/en/server-system-variables.html#sysvar_wait_timeout)",
    )
    invalid = (
        Invalid(
            """
            from sqlalchemy import create_engine

            engine = create_engine("mysql+pymysql://app@db/app", pool_size=10, pool_recycle=28800)
            """,
            line=3,
            message="28800",
            note="the server default, no configuration in the project",
        ),
        Invalid(
            """
            import os

            from sqlalchemy.ext.asyncio import create_async_engine as make_engine

            DATABASE_URL = os.getenv("DATABASE_URL", "mysql+aiomysql://app@localhost/app")


            def create_app():
                engine = make_engine(DATABASE_URL, pool_recycle=60 * 60)
                return engine
            """,
            files={
                "docker-compose.yml": """
                    services:
                      db:
                        image: mariadb:10.11
                        command: --wait-timeout=900 --max-connections=200
                    """,
            },
            line=9,
            message="docker-compose.yml:4",
            note="async app factory, wait_timeout from a compose command",
        ),
        Invalid(
            """
            from sqlalchemy import engine_from_config

            settings = {
                "sqlalchemy.url": "mariadb+mariadbconnector://app@db/app",
                "sqlalchemy.pool_recycle": "3600",
            }
            engine = engine_from_config(settings)
            """,
            files={"etc/mysql/mariadb.conf.d/50-server.cnf": "[mariadb]\nwait-timeout = 10M\n[server]\nwait_timeout = 1800\n"},
            line=5,
            note="engine_from_config coerces the ini-style string",
        ),
        Invalid(
            """
            import sqlalchemy as sa

            from app.settings import ENGINE_OPTIONS

            engine = sa.create_engine("mysql+mysqldb://app@db/app", **ENGINE_OPTIONS)
            """,
            path="app/db.py",
            files={
                "app/__init__.py": "",
                "app/settings.py": 'ENGINE_OPTIONS = {"pool_size": 20, "pool_recycle": 7200, "pool_pre_ping": False}\n',
                "db/init.sql": "SET GLOBAL wait_timeout = 3600;\n",
            },
            line=5,
            message="app/settings.py:1",
            note="options from a settings module, SET GLOBAL in an init script",
        ),
        Invalid(
            """
            import os

            from sqlalchemy import create_engine

            engine = create_engine(os.environ["DATABASE_URL"], pool_recycle=600)
            """,
            settings={"database": {"dialect": "mysql", "wait-timeout": 300}},
            message="pyproject.toml",
            note="URL from the environment, dialect and wait_timeout from the configuration",
        ),
        Invalid(
            """
            from functools import lru_cache

            from sqlalchemy import create_engine


            @lru_cache
            def get_engine():
                return create_engine("mysql+pymysql://app@db/app", pool_recycle=7200, pool_pre_ping=False)
            """,
            files={"my.cnf": "[mysqld-10.11]\nwait_timeout=3600\n"},
            note="lru_cached getter, version-specific option group",
        ),
        Invalid(
            """
            from sqlalchemy.ext.asyncio import create_async_engine

            engine = create_async_engine("postgresql+asyncpg://app@db/app", pool_size=10)
            """,
            settings={"database": {"idle-session-timeout": 300}},
            line=3,
            message="idle_session_timeout = 300",
            note="PostgreSQL without pool_recycle, idle_session_timeout from the configuration",
        ),
        Invalid(
            """
            from sqlalchemy import create_engine

            engine = create_engine("postgresql+psycopg2://app@db/app", pool_recycle=3600)
            """,
            settings={"database": {"idle-session-timeout": 600}},
            line=3,
            message="IdleSessionTimeout",
            note="PostgreSQL, recycle longer than idle_session_timeout",
        ),
    )
    valid = (
        Valid(
            """
            from sqlalchemy import create_engine

            engine = create_engine("mysql+pymysql://app@db/app", pool_recycle=3600)
            """,
            note="below the default wait_timeout",
        ),
        Valid(
            """
            from sqlalchemy import create_engine

            engine = create_engine("mysql+pymysql://app@db/app", pool_recycle=3600, pool_pre_ping=True)
            """,
            files={"my.cnf": "[mysqld]\nwait_timeout = 600\n"},
            note="pre-ping catches what recycling misses",
        ),
        Valid(
            """
            from sqlalchemy import create_engine

            engine = create_engine("mysql+pymysql://app@db/app", pool_recycle=280)
            """,
            files={"docker-compose.yml": "services:\n  db:\n    image: mysql:8\n    command: --wait_timeout=300\n"},
            note="below the compose command's wait_timeout",
        ),
        Valid(
            """
            from sqlalchemy import create_engine
            from sqlalchemy.pool import NullPool

            engine = create_engine("mysql+pymysql://app@db/app", poolclass=NullPool, pool_recycle=86400)
            """,
            files={"my.cnf": "[mysqld]\nwait_timeout = 600\n"},
            note="NullPool keeps no idle connection",
        ),
        Valid(
            """
            import os

            from sqlalchemy import create_engine

            engine = create_engine(os.environ["DATABASE_URL"], pool_recycle=int(os.environ["POOL_RECYCLE"]))
            """,
            note="unknown URL and value",
        ),
        Valid(
            """
            from sqlalchemy import create_engine

            engine = create_engine("postgresql+psycopg://app@db/app", pool_recycle=86400)
            """,
            files={"my.cnf": "[mysqld]\nwait_timeout = 600\n"},
            note="not MySQL",
        ),
        Valid(
            """
            from sqlalchemy import create_engine

            def make_engine(url, **options):
                return create_engine(url, pool_recycle=3600, **options)

            engine = make_engine("mysql+pymysql://app@db/app", pool_pre_ping=True)
            """,
            files={"my.cnf": "[mysqld]\nwait_timeout = 600\n"},
            note="a factory whose options may add pool_pre_ping: unknown",
        ),
        Valid(
            """
            from sqlalchemy import create_engine

            engine = create_engine("postgresql+psycopg://app@db/app", pool_recycle=60)
            """,
            settings={"database": {"idle-session-timeout": 300}},
            note="PostgreSQL, recycled before idle_session_timeout",
        ),
        Valid(
            """
            from sqlalchemy import create_engine

            engine = create_engine("postgresql+psycopg://app@db/app")
            """,
            note="PostgreSQL without idle_session_timeout (the default, 0): nothing closes idle sessions",
        ),
    )

    def check(self, ctx: RuleContext) -> None:
        for facts in engine_sites_with_facts(ctx):
            if facts.url is None or not keeps_idle_connections(facts):
                continue
            if truthiness(facts.site, "pool_pre_ping") is not False:
                continue  # on, unknown, or a truthy string (PC105's)
            if facts.url.is_mysql_family:
                self.check_mysql(ctx, facts)
            elif facts.url.backend == "postgresql":
                self.check_postgresql(ctx, facts)

    def check_mysql(self, ctx: RuleContext, facts: SiteFacts) -> None:
        recycle = option_value(facts, "pool_recycle")
        if recycle is None or not is_number(recycle.value) or recycle.value < 0:
            return  # absent or off (PC101's), unknown, or not a number (PC105's)
        wait = facts.wait_timeout
        if recycle.value >= wait.value:
            self.report(ctx, facts, recycle.option, recycle.value, wait)

    def check_postgresql(self, ctx: RuleContext, facts: SiteFacts) -> None:
        """PostgreSQL (14+) closes sessions idle longer than ``idle_session_timeout``; unset
        (0) by default, so only a value the project states or the live server reports counts.
        No PC101 covers PostgreSQL, so a missing ``pool_recycle`` is reported here too."""
        limit = facts.server.idle_session_timeout
        if limit is None or limit.value <= 0:
            return
        entry = facts.site.options.get("pool_recycle")
        if entry is None:
            if facts.site.complete:
                self.report_postgresql(ctx, facts, None, None, limit)
            return
        recycle = option_value(facts, "pool_recycle")
        if recycle is None or not is_number(recycle.value):
            return
        if recycle.value < 0 or recycle.value >= limit.value:
            self.report_postgresql(ctx, facts, recycle.option, recycle.value, limit)

    @staticmethod
    def report_postgresql(ctx: RuleContext, facts: SiteFacts, option, seconds, limit) -> None:
        if option is None or seconds is None or seconds < 0:
            at, related = (facts.site.node, ())
            what = "PostgreSQL engine without `pool_recycle`" if option is None else "`pool_recycle=-1` (never)"
            if option is not None:
                at, related = option_anchor(ctx, facts, option)
        else:
            at, related = option_anchor(ctx, facts, option)
            what = f"`pool_recycle={seconds}`"
        message = (
            f"{what} is not below the server's {limit.describe()} and `pool_pre_ping` is off: "
            f"PostgreSQL closes sessions idle for more than {limit.value} s, and the next checkout of one fails "
            f"with {IDLE_SESSION_ERROR}"
        )
        fix = add_pre_ping(ctx, facts.site.node) if facts.site.kind in DIRECT_KINDS else None
        ctx.report(at, message, fix=fix, related=tuple(related) + facts.related(limit))

    @staticmethod
    def report(ctx: RuleContext, facts: SiteFacts, option, seconds, wait) -> None:
        at, related = option_anchor(ctx, facts, option)
        if option.implicit:
            # "Flask-SQLAlchemy 3.1.1 sets pool_recycle=7200 for mysql URLs": say whose it is.
            what = f"The implicit `pool_recycle={seconds}` ({option.implicit})"
        else:
            where = option_location(facts, option)
            elsewhere = f" ({where})" if where is not None and at is facts.site.node else ""
            what = f"`pool_recycle={seconds}`{elsewhere}"
        message = (
            f"{what} is not below the server's {wait.describe()} and `pool_pre_ping` is off: "
            f"a connection idle for more than {wait.value} s is closed by the server before the pool "
            f"recycles it, and the next checkout of it fails with {GONE_AWAY}"
        )
        fix = add_pre_ping(ctx, facts.site.node) if facts.site.kind in DIRECT_KINDS else None
        ctx.report(at, message, fix=fix, related=related + facts.related(wait))


RULES = [MysqlIdleDisconnect, RecycleNotBelowWaitTimeout]
