"""PC3xx: APScheduler.

A SQLAlchemy job store given a URL builds its own engine with SQLAlchemy's defaults, apart
from the application's engine and its pool settings. The stores are found in every form
APScheduler accepts (``poolcheck.jobstores``); those built from a URL are also engine sites,
so their ``engine_options`` get every PC1xx check.
"""

from __future__ import annotations

from typing import List, NamedTuple, Optional, Tuple

from poolcheck.api import Invalid, Related, Rule, RuleContext, Severity, Valid
from poolcheck.jobstores.tokens import CONSUMER_TOKENS, STORE_TOKENS
from poolcheck.site_sources import register_site_source

# The rule reports in files that can define a store. What must survive pruned parsing in the
# other files its project-wide facts read: functions that hand a mapping to a scheduler, and
# Flask-SQLAlchemy's URI set in an app factory.
KEEP_TOKENS = tuple(dict.fromkeys(tuple(CONSUMER_TOKENS) + (b"SQLALCHEMY_DATABASE_URI",)))

GONE_AWAY = "(2006, 'MySQL server has gone away')"
SHUTDOWN_NOTE = "`scheduler.shutdown()` then disposes its pool"
MAX_RELATED = 3


class JobstoreUrlNotEngine(Rule):
    code = "PC301"
    name = "jobstore-url-not-engine"
    severity = Severity.WARNING
    summary = (
        "A SQLAlchemy job store built from a URL (MySQL/MariaDB, or the application's own database) "
        "without `pool_pre_ping`/`pool_recycle`: a second engine with SQLAlchemy's defaults."
    )
    tokens = STORE_TOKENS
    keep_tokens = KEEP_TOKENS
    what = """
        Flags an APScheduler SQLAlchemy job store that is given a database URL instead of an
        engine, has no `engine_options` with `pool_pre_ping` or `pool_recycle`, and whose URL
        is a MySQL/MariaDB one, or names the database the project's own engine uses (a
        `create_engine(...)` anywhere in the project, or Flask-SQLAlchemy's
        `SQLALCHEMY_DATABASE_URI`). When the URL is the same expression or constant as that
        engine's (the same `DATABASE_URL`, the same environment variable,
        `app.config["SQLALCHEMY_DATABASE_URI"]`, `engine.url`), the finding says so and
        points at the engine.

        Every configuration form is recognised, however the names are imported:
        `SQLAlchemyJobStore(url=...)` and `SQLAlchemyJobStore("...")`;
        `scheduler.add_jobstore("sqlalchemy", alias, url=..., engine_options=...)`;
        `add_jobstore(SQLAlchemyJobStore(...))`; `jobstores={...}` given to a scheduler's
        constructor or `configure()`, holding store objects or `{"type": "sqlalchemy", ...}` /
        `{"class": "apscheduler.jobstores.sqlalchemy:SQLAlchemyJobStore", ...}` mappings;
        `gconfig` mappings with `apscheduler.jobstores.<alias>` keys, nested or flat
        (`"apscheduler.jobstores.default.url"`), also under a custom `prefix`;
        Flask-APScheduler's `SCHEDULER_JOBSTORES` in a config class, a settings module,
        `app.config[...]`, `app.config.update(...)` or `from_mapping(...)`; and APScheduler
        4's `SQLAlchemyDataStore(url)`. A mapping written in one module and handed to a
        scheduler in another is reported where the mapping is written.

        Not flagged: a store given `engine=`; a deliberately separate store (its own SQLite
        file, or any non-MySQL database the project's engines do not use);
        `engine_options` that set `pool_pre_ping` or `pool_recycle` (their values are the
        engine checks' business: PC101, PC102, PC105), or `poolclass=NullPool`; a URL or
        options that cannot be known statically, unless `[tool.poolcheck.database] dialect`
        says what to assume.

        A job store built from a URL is also an engine site: its `engine_options` get the
        PC1xx checks (a typo like `pool_recyle` is PC104). PC101 leaves these stores to this
        rule, which names the better remedy.
    """
    why = f"""
        `SQLAlchemyJobStore(url=...)` runs `create_engine(url, **(engine_options or {{}}))` and
        nothing else: the job store gets its own pool with SQLAlchemy's defaults, no
        `pool_pre_ping` and no `pool_recycle` (`-1`), whatever `pool_size`, `pool_recycle` or
        `pool_pre_ping` the application gave its own engine. On MySQL and MariaDB the server
        closes connections idle longer than `wait_timeout`; the scheduler's next query on
        one fails with

        ```
        sqlalchemy.exc.OperationalError: (pymysql.err.OperationalError) {GONE_AWAY}
        ```

        (or `(2013, 'Lost connection to MySQL server during query')`), and the scheduler
        logs `Error getting due jobs from job store` until a new connection replaces it. On
        any database the store's pool adds connections the application's sizing does not
        count.

        Passing the application's engine (`engine=`) makes the store share its pool and its
        settings. Know one consequence: APScheduler 3's `SQLAlchemyJobStore.shutdown()` calls
        `engine.dispose()`, so `scheduler.shutdown()` disposes the shared engine's pool (the
        engine opens new connections on next use; a shutdown at process exit is harmless).
        Where that matters, give the store its own engine options instead
        (`engine_options={{"pool_pre_ping": True, "pool_recycle": 3600}}`). APScheduler 4's
        `SQLAlchemyDataStore` takes no engine options; give it the engine (it does not
        dispose an engine it was given).
    """
    example = """
        from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
        from apscheduler.schedulers.background import BackgroundScheduler
        from sqlalchemy import create_engine

        DATABASE_URL = "mysql+pymysql://app:secret@db/app"
        engine = create_engine(DATABASE_URL, pool_size=10, pool_recycle=3600, pool_pre_ping=True)

        scheduler = BackgroundScheduler(jobstores={"default": SQLAlchemyJobStore(url=DATABASE_URL)})
    """
    use_instead = """
        from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
        from apscheduler.schedulers.background import BackgroundScheduler
        from sqlalchemy import create_engine

        DATABASE_URL = "mysql+pymysql://app:secret@db/app"
        engine = create_engine(DATABASE_URL, pool_size=10, pool_recycle=3600, pool_pre_ping=True)

        scheduler = BackgroundScheduler(jobstores={"default": SQLAlchemyJobStore(engine=engine)})
    """
    help = (
        "Pass `engine=` the application's engine (note: `scheduler.shutdown()` then disposes its pool), "
        'or give the store `engine_options={"pool_pre_ping": True}`.'
    )
    options = """
        - `[tool.poolcheck.database] dialect`: the dialect to assume where a job store's URL
          is not statically known (for example `"mysql"` when it comes from the environment).
    """
    references = (
        "[APScheduler 3: SQLAlchemyJobStore](https://apscheduler.readthedocs.io/en/3.x/modules/jobstores/sqlalchemy.html)",
        "[APScheduler 3: configuring the scheduler](https://apscheduler.readthedocs.io/en/3.x/userguide.html#configuring-the-scheduler)",
        "[Flask-APScheduler: configuration](https://viniciuschiele.github.io/flask-apscheduler/rst/configuration.html)",
        "[SQLAlchemy: Dealing with Disconnects](https://docs.sqlalchemy.org/en/20/core/pooling.html#dealing-with-disconnects)",
        "[APScheduler #228: 'MySQL server has gone away' when the job store's connection goes stale]"
        "(https://github.com/agronholm/apscheduler/issues/228)",
        "[Flask-APScheduler #86: MySQL server has gone away (fixed with `engine_options=dict(pool_pre_ping=True)`)]"
        "(https://github.com/viniciuschiele/flask-apscheduler/issues/86)",
        "Field report: seed `002` (\u4f7f\u7528apscheduler\u51fa\u73b0MySQL server has gone away): `add_jobstore()` given a URL "
        "builds its own engine, so the application's `pool_size` and `pool_recycle` do not apply; pass `engine=`.",
    )
    invalid = (
        Invalid(
            """
            from apscheduler.schedulers.background import BackgroundScheduler

            scheduler = BackgroundScheduler()
            scheduler.add_jobstore("sqlalchemy", url="mysql+pymysql://app@db/app")
            """,
            line=4,
            message=GONE_AWAY,
            note="the seed: add_jobstore with a URL",
        ),
        Invalid(
            """
            from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

            store = SQLAlchemyJobStore("mariadb+mariadbconnector://app@db/app", tablename="jobs")
            """,
            line=3,
            note="positional URL",
        ),
        Invalid(
            """
            import os

            from sqlalchemy import create_engine

            from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

            engine = create_engine(os.environ["DATABASE_URL"], pool_size=20, pool_pre_ping=True)
            store = SQLAlchemyJobStore(url=os.environ["DATABASE_URL"])
            """,
            line=8,
            message="environment variable `DATABASE_URL`",
            note="unknown URL, but the same environment variable as the engine",
        ),
        Invalid(
            """
            JOBSTORES = {"default": {"type": "sqlalchemy", "url": "mysql://app@db/app"}}
            """,
            path="app/config.py",
            files={
                "app/__init__.py": "",
                "app/scheduler.py": (
                    "from apscheduler.schedulers.background import BackgroundScheduler\n\n"
                    "from app.config import JOBSTORES\n\n"
                    "scheduler = BackgroundScheduler(jobstores=JOBSTORES)\n"
                ),
            },
            line=1,
            note="a mapping in a settings module, consumed by a scheduler elsewhere",
        ),
        Invalid(
            """
            from apscheduler.schedulers.background import BackgroundScheduler

            scheduler = BackgroundScheduler({
                "apscheduler.jobstores.default.type": "sqlalchemy",
                "apscheduler.jobstores.default.url": "mysql+pymysql://app@db/app",
                "apscheduler.jobstores.default.engine_options.pool_size": 5,
            })
            """,
            line=5,
            note="flat gconfig keys",
        ),
        Invalid(
            """
            from flask_apscheduler import APScheduler


            class Config:
                SQLALCHEMY_DATABASE_URI = "postgresql+psycopg2://app@db/app"
                SCHEDULER_JOBSTORES = {"default": {"type": "sqlalchemy", "url": SQLALCHEMY_DATABASE_URI}}
            """,
            files={"app/models.py": "from flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy()\n"},
            line=6,
            message="Flask-SQLAlchemy",
            note="Flask-APScheduler on Flask-SQLAlchemy's PostgreSQL database",
        ),
        Invalid(
            """
            from apscheduler.datastores.sqlalchemy import SQLAlchemyDataStore

            data_store = SQLAlchemyDataStore("mysql+asyncmy://app@db/app")
            """,
            line=3,
            note="APScheduler 4",
        ),
    )
    valid = (
        Valid(
            """
            from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

            store = SQLAlchemyJobStore(url="sqlite:///jobs.sqlite")
            """,
            note="a separate SQLite store",
        ),
        Valid(
            """
            from apscheduler.schedulers.background import BackgroundScheduler

            scheduler = BackgroundScheduler()
            scheduler.add_jobstore(
                "sqlalchemy",
                url="mysql+pymysql://app@db/app",
                engine_options={"pool_pre_ping": True, "pool_recycle": 3600},
            )
            """,
            note="engine_options keep the store's connections alive",
        ),
        Valid(
            """
            from sqlalchemy import create_engine

            from apscheduler.schedulers.background import BackgroundScheduler

            engine = create_engine("mysql+pymysql://app@db/app", pool_pre_ping=True)
            scheduler = BackgroundScheduler(jobstores={"default": {"type": "sqlalchemy", "engine": engine}})
            """,
            note="the application's engine",
        ),
        Valid(
            """
            import os

            from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

            store = SQLAlchemyJobStore(url=os.environ["SCHEDULER_DATABASE_URL"])
            """,
            note="unknown URL, not the project's database: silent",
        ),
        Valid(
            """
            from sqlalchemy import create_engine

            from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

            engine = create_engine("postgresql+psycopg2://app@db/app")
            store = SQLAlchemyJobStore(url="postgresql+psycopg2://app@db/scheduler")
            """,
            note="another PostgreSQL database",
        ),
        Valid(
            """
            from sqlalchemy.ext.asyncio import create_async_engine

            from apscheduler.datastores.sqlalchemy import SQLAlchemyDataStore

            engine = create_async_engine("mysql+asyncmy://app@db/app", pool_pre_ping=True)
            data_store = SQLAlchemyDataStore(engine)
            """,
            note="APScheduler 4 given the engine",
        ),
        Valid(
            """
            class SQLAlchemyJobStore:
                def __init__(self, url):
                    self.url = url

            store = SQLAlchemyJobStore(url="mysql://app@db/app")
            """,
            note="not APScheduler's class",
        ),
    )

    def check(self, ctx: RuleContext) -> None:
        from poolcheck.jobstores import jobstore_sites, site_span

        for store in jobstore_sites(ctx):
            verdict = judge(ctx, store)
            if verdict is not None:
                ctx.report(site_span(store), verdict.message(ctx), related=verdict.related(ctx), help=verdict.help())


# --- the verdict -------------------------------------------------------------------------------


class Verdict(NamedTuple):
    store: object  # JobStoreSite
    url_text: str  # the URL as messages show it (password masked)
    mysql: bool
    matches: list  # poolcheck.databases.Match, shared origins first
    url_code: Optional[str]
    options_given: bool  # engine_options given, without pool_pre_ping / pool_recycle

    def message(self, ctx: RuleContext) -> str:
        text = f"{self.store.label()} builds its own engine from {self.url_text}"
        if self.matches:
            match = self.matches[0]
            database = match.database
            where = f"{_location(ctx, database)}{self._why_same(match)}"
            text += f", the database of {database.label} ({where}) whose pool settings it ignores,"
        text += " with no `pool_pre_ping` and no `pool_recycle`"
        if self.options_given:
            text += " in its `engine_options`"
        if self.mysql:
            wait = _wait_timeout(ctx)
            text += f": idle connections fail with {GONE_AWAY} after {wait.describe()}"
        return text + "; " + self._remedy()

    def _why_same(self, match) -> str:
        origin = match.shared_origin
        if origin is None:
            return "; the same database URL"
        if origin[0] == "env" and len(origin) == 2:
            return f"; both read the environment variable `{origin[1]}`"
        if origin[0] == "flask-config":
            return "; `SQLALCHEMY_DATABASE_URI` is Flask-SQLAlchemy's database"
        if origin[-1] == ".url":
            return "; it is that engine's own `url`"
        if self.url_code:
            return f"; both use `{self.url_code}`"
        return "; the same URL expression"

    def _remedy(self) -> str:
        engine = next((m.database.engine_name for m in self.matches if m.database.engine_name), None)
        if self.store.api == 4:
            name = engine or "engine"
            return (
                f"pass the engine instead, `SQLAlchemyDataStore({name})` "
                "(a data store does not dispose an engine it is given)"
            )
        target = f"`engine={engine}`" if engine else "`engine=` an engine created with `pool_pre_ping=True`"
        return f'pass {target} ({SHUTDOWN_NOTE}) or `engine_options={{"pool_pre_ping": True}}`'

    def help(self) -> str:
        if self.store.api == 4:
            return "Pass the application's engine to `SQLAlchemyDataStore` instead of a URL."
        return JobstoreUrlNotEngine.help

    def related(self, ctx: RuleContext) -> Tuple[Related, ...]:
        from poolcheck.engine_checks import display_location

        found: List[Related] = []
        for match in self.matches[:MAX_RELATED]:
            database = match.database
            location = display_location(ctx.project, database.path, database.line)
            found.append(Related(location, f"{database.label}: the same database, with its own pool settings"))
        if self.mysql:
            wait = _wait_timeout(ctx)
            if wait.location is not None:
                place = wait.location
                location = display_location(ctx.project, place.path, place.line, place.column)
                found.append(Related(location, f"{wait.name} = {wait.value} is set here ({wait.source})"))
        return tuple(found)


def judge(ctx: RuleContext, store) -> Optional[Verdict]:
    """The verdict on one store, or None when it is not a finding (or cannot be known)."""
    from poolcheck.databases import matching_databases, origins_of
    from poolcheck.engines import resolve_url
    from poolcheck.jobstores import LIVENESS_OPTIONS, is_url_value
    from poolcheck.origins import trace
    from poolcheck.values import Known

    url = store.url
    if url is None:
        return None
    options_given = False
    if store.api == 3:
        if store.engine_given() is not False:
            return None  # an engine wins over the URL (or one may be hiding in a **splat)
        if isinstance(url.value, Known) and url.value.value in (None, ""):
            return None
        options = store.engine_options()
        if options is None or options.names_any(LIVENESS_OPTIONS) is not False:
            return None  # unknown, or the store's own engine is kept alive
        if _null_pool(options):
            return None
        options_given = options.options is not None
    where = url.where
    origins = frozenset()
    if where is not None and url.value_node is not None:
        origins = origins_of(trace(ctx.evaluator, url.value_node, where))
    matches = matching_databases(ctx.project, url.value, origins, near=ctx.parsed.relative)
    if store.api == 4 and not is_url_value(url.value) and not matches:
        return None  # it may be an engine
    resolved = resolve_url(url.value, ctx.settings.database.dialect)
    mysql = resolved is not None and resolved.is_mysql_family
    if not (mysql or matches):
        return None
    code = _code(url) if url.value_node is not None else None
    if resolved is not None and not resolved.assumed:
        url_text = f"`{resolved.display}`"
    elif resolved is not None:
        url_text = f"`{code or 'its URL'}` (assuming {resolved.drivername} from [tool.poolcheck.database] dialect)"
    else:
        url_text = f"`{code}`" if code else "its URL"
    return Verdict(store, url_text, mysql, matches, code if _is_reference(url) else None, options_given)


def _null_pool(options) -> bool:
    from poolcheck.engines import knowledge
    from poolcheck.values import ImportedName, Known

    entry = options.options.get("poolclass") if options.options is not None else None
    if entry is None or not isinstance(entry.value, Known) or not isinstance(entry.value.value, ImportedName):
        return False
    return knowledge().resolve_pool_class(entry.value.value.qualified) == "NullPool"


def _code(entry) -> Optional[str]:
    from poolcheck.masking import mask_secrets

    if entry.file is None:
        return None
    text = " ".join(entry.file.code(entry.value_node).split())
    return mask_secrets(text) if len(text) <= 80 else None


def _is_reference(entry) -> bool:
    import libcst as cst

    return isinstance(entry.value_node, (cst.Name, cst.Attribute, cst.Subscript, cst.Call))


def _location(ctx: RuleContext, database) -> str:
    from poolcheck.engine_checks import display_location

    return str(display_location(ctx.project, database.path, database.line))


def _wait_timeout(ctx: RuleContext):
    from poolcheck.engine_checks import server_settings
    from poolcheck.facts.server import DEFAULT_WAIT_TIMEOUT, WAIT_TIMEOUT, Setting

    # Only MySQL/MariaDB stores mention it; a probed live server counts only if it is one too.
    default = Setting(WAIT_TIMEOUT, DEFAULT_WAIT_TIMEOUT, None, "the MySQL/MariaDB default")
    return server_settings(ctx.project).for_family("mysql").wait_timeout or default


# --- job stores as engine sites (PC1xx) ---------------------------------------------------------


def jobstore_engine_sites(file_ctx) -> list:
    """The engines job stores build from URLs, for the engine-option checks. A store this rule
    reports for its missing pre-ping/recycle is marked so PC101 does not say it again."""
    from poolcheck.jobstores import LIVENESS_OPTIONS, engine_site_for, jobstore_sites

    sites = []
    for store in jobstore_sites(file_ctx):
        site = engine_site_for(store)
        if site is None:
            continue
        options = store.engine_options() if store.api == 3 else None
        if store.api == 4 or (options is not None and options.names_any(LIVENESS_OPTIONS) is False):
            site.liveness_reported_by = JobstoreUrlNotEngine.code
        sites.append(site)
    return sites


register_site_source(jobstore_engine_sites, tokens=STORE_TOKENS)

RULES = [JobstoreUrlNotEngine]
