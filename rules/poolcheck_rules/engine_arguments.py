"""PC103, PC104: keywords create_engine rejects (``TypeError: Invalid argument(s)``).

What is accepted is asked of the installed SQLAlchemy (``poolcheck.sqla``, through
``poolcheck.engine_arguments``): the keyword sets of the dialect, pool and Engine classes
for the engine's URL and pool class. Values are PC105's (``engine_values``).
"""

from __future__ import annotations

from typing import List, Optional

from poolcheck.api import Applicability, Fix, Invalid, Rule, RuleContext, Severity, Valid
from poolcheck.engine_arguments import argument_verdicts, pool_origin, suggestion_is_unique
from poolcheck.engine_checks import ENGINE_SITE_FACTS, SiteFacts, option_anchor, option_reference
from poolcheck.site_sources import ENGINE_SITE_FACT_TOKENS, ENGINE_SITE_TOKENS

# Every engine site: the factories and each registered site source (job stores, Flask).
ENGINE_TOKENS = ENGINE_SITE_TOKENS

INVALID_ARGUMENTS = "TypeError: Invalid argument(s) 'pool_size' sent to create_engine(), using configuration MySQLDialect_pymysql/NullPool/Engine."


def _knowledge():
    from poolcheck.sqla import installed_knowledge

    return installed_knowledge()


def _names(ctx: RuleContext, facts: SiteFacts, options) -> str:
    return ", ".join(option_reference(ctx, facts, option) for option in options)


def _in_this_file(ctx: RuleContext, option) -> bool:
    return option.file is None or option.file is ctx.parsed or option.file.relative == ctx.parsed.relative


class PoolArgRejected(Rule):
    code = "PC103"
    name = "pool-arg-rejected"
    severity = Severity.ERROR
    summary = "A pool argument the engine's pool class does not accept, or a pool class the engine refuses."
    tokens = ENGINE_TOKENS
    shared_facts = ENGINE_SITE_FACTS
    fact_tokens = ENGINE_SITE_FACT_TOKENS
    what = """
        Flags pool keywords the engine's pool class does not take: `pool_size`,
        `max_overflow`, `pool_timeout` or `pool_use_lifo` with `poolclass=NullPool` or
        `StaticPool`; `max_overflow` or `pool_timeout` with the `SingletonThreadPool`
        SQLAlchemy picks for an in-memory SQLite database. The pool class is the one named
        by `poolclass=`, or the one SQLAlchemy chooses for the URL; which keywords each pool
        class takes is read from the installed SQLAlchemy, not from a list.

        Also flags a pool class the engine refuses outright: `poolclass=QueuePool` with
        `create_async_engine` (an asyncio engine needs `AsyncAdaptedQueuePool`, `NullPool`
        or `StaticPool`), or `AsyncAdaptedQueuePool` with a synchronous driver, where the
        installed SQLAlchemy (2.0 and later) refuses them.

        Everything here is what the *installed* SQLAlchemy does: SQLAlchemy 1.4 gives a
        file-based SQLite URL `NullPool` (2.x: `QueuePool`) and accepts any pool class with
        any engine, and the messages name the version.
    """
    why = f"""
        `create_engine()` hands each pool keyword to the pool class's constructor, and
        rejects what is left over. The program stops at start-up:

        ```
        {INVALID_ARGUMENTS}  Please check that the keyword arguments are appropriate for this combination of components.
        ```

        This typically happens when `poolclass=NullPool` is added for a worker or a test
        (or for PgBouncer) to settings that still carry `pool_size` and `max_overflow`, or
        when a file-based SQLite URL used in development becomes `sqlite://` in tests. A
        pool class of the wrong kind fails the same way:
        `ArgumentError: Pool class QueuePool cannot be used with asyncio engine`.
    """
    example = """
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool

        engine = create_engine("mysql+pymysql://app:secret@db/app", poolclass=NullPool, pool_size=10, max_overflow=20)
    """
    use_instead = """
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool

        engine = create_engine("mysql+pymysql://app:secret@db/app", poolclass=NullPool)
    """
    help = "Remove the arguments this pool class does not take, or use a pool class that takes them (QueuePool)."
    references = (
        "[SQLAlchemy: Switching Pool Implementations](https://docs.sqlalchemy.org/en/20/core/pooling.html#switching-pool-implementations)",
        "[SQLAlchemy: create_engine parameters](https://docs.sqlalchemy.org/en/20/core/engines.html#sqlalchemy.create_engine)",
        "[SQLAlchemy: Using a pool with asyncio](https://docs.sqlalchemy.org/en/20/orm/extensions/asyncio.html#using-multiple-asyncio-event-loops)",
    )
    invalid = (
        Invalid(
            """
            from sqlalchemy import create_engine

            engine = create_engine("sqlite://", pool_size=5, max_overflow=10)
            """,
            line=3,
            message="SingletonThreadPool",
            note="in-memory SQLite: SingletonThreadPool takes pool_size but not max_overflow",
        ),
        Invalid(
            """
            import os

            from sqlalchemy import create_engine
            from sqlalchemy.pool import NullPool

            from app.settings import ENGINE_OPTIONS


            def make_worker_engine():
                return create_engine(os.environ["DATABASE_URL"], poolclass=NullPool, **ENGINE_OPTIONS)
            """,
            path="app/worker.py",
            files={"app/__init__.py": "", "app/settings.py": 'ENGINE_OPTIONS = {"pool_size": 10, "pool_recycle": 3600}\n'},
            line=10,
            message="app/settings.py:1",
            note="worker factory with NullPool, options splatted from a settings module, URL unknown",
        ),
        Invalid(
            """
            import sqlalchemy as sa

            engine = sa.engine_from_config(
                {
                    "sqlalchemy.url": "sqlite:///:memory:",
                    "sqlalchemy.pool_timeout": "30",
                },
                prefix="sqlalchemy.",
            )
            """,
            line=6,
            note="engine_from_config with an ini-style dict",
        ),
        Invalid(
            """
            from sqlalchemy import create_engine as ce
            from sqlalchemy.pool import StaticPool

            TEST_ENGINE = ce("sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool, pool_size=1)
            """,
            line=4,
            message="StaticPool",
            note="aliased import, StaticPool in a test fixture module",
        ),
        Invalid(
            """
            from sqlalchemy.ext.asyncio import create_async_engine
            from sqlalchemy.pool import NullPool


            async def make_engine(url):
                return create_async_engine(url, poolclass=NullPool, pool_size=20, max_overflow=0)
            """,
            line=6,
            note="async factory, unknown URL: NullPool rejects them under every dialect",
        ),
    )
    valid = (
        Valid(
            """
            from sqlalchemy import create_engine
            from sqlalchemy.pool import QueuePool

            engine = create_engine("sqlite:///app.db", poolclass=QueuePool, pool_size=5, max_overflow=10)
            """,
            note="file SQLite with QueuePool named",
        ),
        Valid(
            """
            from sqlalchemy import create_engine

            engine = create_engine("sqlite://", pool_size=1)
            """,
            note="SingletonThreadPool takes pool_size",
        ),
        Valid(
            """
            from sqlalchemy.ext.asyncio import create_async_engine
            from sqlalchemy.pool import AsyncAdaptedQueuePool

            engine = create_async_engine("mysql+aiomysql://app@db/app", poolclass=AsyncAdaptedQueuePool, pool_size=10)
            """,
        ),
        Valid(
            """
            import os

            from sqlalchemy import create_engine

            engine = create_engine(os.environ["DATABASE_URL"], pool_size=10, max_overflow=20)
            """,
            note="unknown URL: the default pool could take them",
        ),
        Valid(
            """
            from sqlalchemy import create_engine
            from sqlalchemy.pool import NullPool

            def make(url, **options):
                return create_engine(url, poolclass=NullPool, **options)
            """,
            note="options unknown",
        ),
        Valid(
            """
            from sqlalchemy import create_engine
            from sqlalchemy.pool import QueuePool

            engine = create_engine("postgresql+psycopg2://app@db/app", poolclass=QueuePool, pool_size=5, pool_use_lifo=True)
            """,
        ),
    )

    def check(self, ctx: RuleContext) -> None:
        for verdict in argument_verdicts(ctx):
            facts = verdict.facts
            refused = self.refused_pool_class(facts)
            if refused is not None:
                option = facts.site.options.get("poolclass")
                at, related = option_anchor(ctx, facts, option)
                ctx.report(at, refused, related=related,
                           help="Use AsyncAdaptedQueuePool (the default) or NullPool with an asyncio engine, QueuePool with a synchronous one.")
                continue
            if not verdict.wrong_pool:
                continue
            first = verdict.wrong_pool[0]
            at, related = option_anchor(ctx, facts, first)
            names = _names(ctx, facts, verdict.wrong_pool)
            plural = "are" if len(verdict.wrong_pool) > 1 else "is"
            error = verdict.type_error([option.name for option in verdict.wrong_pool])
            message = f"{names} {plural} not accepted by {pool_origin(facts)}: create_engine() raises `{error}` at start-up"
            for other in verdict.wrong_pool[1:]:
                if not _in_this_file(ctx, other):
                    _, more = option_anchor(ctx, facts, other)
                    related += more
            ctx.report(at, message, related=related)

    @staticmethod
    def refused_pool_class(facts: SiteFacts) -> Optional[str]:
        """The message for a named pool class the engine refuses, if it does."""
        if not facts.pool_class_explicit or facts.pool_class is None:
            return None
        knowledge = _knowledge()
        if facts.url is not None and not facts.url.assumed:
            allowed = knowledge.pool_class_allowed(facts.pool_class, facts.url.drivername, facts.site.is_async)
            info = knowledge.scheme_info(facts.url.drivername)
            dialect_async = None if info is None else (info.async_supported if facts.site.is_async else info.is_async)
        elif facts.site.is_async:
            # create_async_engine works only with an asyncio dialect, whatever the URL.
            mode, rejected = knowledge.pool_class_async_mode(facts.pool_class), knowledge.pool_mismatch_rejected()
            allowed = None if mode is None or rejected is None else not (rejected and mode == "sync")
            dialect_async = True
        else:
            return None
        if allowed is not False or dialect_async is None:
            return None
        kind = "asyncio" if dialect_async else "non-asyncio"
        version = knowledge.sqlalchemy_version()
        return (
            f"`poolclass={facts.pool_class}` cannot be used with this {kind} engine: SQLAlchemy {version} raises "
            f"`ArgumentError: Pool class {facts.pool_class} cannot be used with {kind} engine` at start-up"
        )


class UnknownEngineArg(Rule):
    code = "PC104"
    name = "unknown-engine-arg"
    severity = Severity.ERROR
    summary = "A keyword `create_engine` rejects: a typo of a real one, or a driver option passed as an engine keyword."
    tokens = ENGINE_TOKENS
    shared_facts = ENGINE_SITE_FACTS
    fact_tokens = ENGINE_SITE_FACT_TOKENS
    what = """
        Flags keywords that neither the dialect, the pool class nor the Engine accepts, as
        the installed SQLAlchemy reports them for the engine's URL: typos (`pool_recyle`,
        `pre_ping`, `poolsize`, with a did-you-mean) and options of the database driver
        passed to `create_engine()` itself (`charset=`, `connect_timeout=`, `ssl=`), which
        belong in the URL's query string or in `connect_args`.

        Where the URL is not statically known, only near misses of a real keyword that no
        dialect SQLAlchemy ships accepts are flagged: a third-party dialect (BigQuery,
        Snowflake...) may take other names. A pool keyword the pool class rejects is
        [PC103](PC103.md)'s. Keywords spelled with `engine_from_config`'s prefix
        (`sqlalchemy.pool_recyle`) are checked the same way.
    """
    why = """
        `create_engine()` rejects leftover keywords when the engine is built, so the
        application does not start:

        ```
        TypeError: Invalid argument(s) 'pool_recyle' sent to create_engine(), using configuration MySQLDialect_pymysql/QueuePool/Engine.  Please check that the keyword arguments are appropriate for this combination of components.
        ```

        The same error hides in rarely-run paths (a migration script, a management
        command, a scheduler's job store `engine_options`) until the day they run. Keywords
        accepted by one SQLAlchemy version fail on the next: `encoding=` and
        `convert_unicode=` were removed in 2.0.
    """
    example = """
        from sqlalchemy import create_engine

        engine = create_engine("mysql+pymysql://app:secret@db/app", pool_recyle=3600, charset="utf8mb4")
    """
    use_instead = """
        from sqlalchemy import create_engine

        engine = create_engine("mysql+pymysql://app:secret@db/app?charset=utf8mb4", pool_recycle=3600)
    """
    fix = """
        Unsafe: renames a misspelt keyword to the one suggested, when there is exactly one
        clear suggestion that the call does not already set. Unsafe because the renamed
        option then takes effect.
    """
    help = "Fix the keyword's spelling; pass driver options in the URL query or in `connect_args={...}`."
    references = (
        "[SQLAlchemy: create_engine parameters](https://docs.sqlalchemy.org/en/20/core/engines.html#sqlalchemy.create_engine)",
        "[SQLAlchemy: Custom DBAPI connect() arguments](https://docs.sqlalchemy.org/en/20/core/engines.html#custom-dbapi-connect-arguments-on-connect-routines)",
        "[SQLAlchemy 2.0 migration: removed create_engine parameters](https://docs.sqlalchemy.org/en/20/changelog/migration_20.html)",
    )
    invalid = (
        Invalid(
            """
            import os

            from sqlalchemy import create_engine

            engine = create_engine(os.environ["DATABASE_URL"], pre_ping=True)
            """,
            line=5,
            message="did you mean `pool_pre_ping`",
            note="unknown URL: a near miss is rejected under every dialect",
        ),
        Invalid(
            """
            from sqlalchemy.ext.asyncio import create_async_engine

            from .config import settings


            def init_engine():
                return create_async_engine(
                    "postgresql+asyncpg://app@db/app",
                    poolsize=settings.pool_size,
                    connect_timeout=10,
                )
            """,
            path="app/db.py",
            files={"app/__init__.py": "", "app/config.py": "settings = object()\n"},
            line=9,
            message="`pool_size`",
            note="async factory: a typo and a driver option",
        ),
        Invalid(
            """
            from sqlalchemy import engine_from_config

            config = {
                "db.url": "mysql+mysqldb://app@db/app",
                "db.pool_recyle": "3600",
            }
            engine = engine_from_config(config, prefix="db.")
            """,
            line=5,
            message="pool_recycle",
            note="ini-style dict with a custom prefix",
        ),
        Invalid(
            """
            import sqlalchemy

            DB_OPTIONS = dict(pool_size=10, read_timeout=30)
            engine = sqlalchemy.create_engine("mysql+pymysql://app@db/app", **DB_OPTIONS)
            """,
            line=3,
            message="read_timeout",
            note="a PyMySQL option in a dict() splat",
        ),
        Invalid(
            """
            from functools import lru_cache

            from sqlalchemy import create_engine


            @lru_cache
            def get_engine():
                return create_engine("postgresql+psycopg2://app@db/app", pool_size=5, sslmode="require")
            """,
            line=8,
            message="connect_args",
            note="lru_cached getter, a libpq option passed as a keyword",
        ),
    )
    valid = (
        Valid(
            """
            from sqlalchemy import create_engine

            engine = create_engine(
                "mysql+pymysql://app@db/app?charset=utf8mb4",
                pool_recycle=3600,
                connect_args={"connect_timeout": 10},
                isolation_level="READ COMMITTED",
            )
            """,
        ),
        Valid(
            """
            from sqlalchemy import create_engine

            engine = create_engine("mssql+pyodbc://app@dsn", fast_executemany=True)
            """,
            note="a dialect's own keyword",
        ),
        Valid(
            """
            import os

            from sqlalchemy import create_engine

            engine = create_engine(os.environ["BIGQUERY_URL"], credentials_path="/secrets/sa.json")
            """,
            note="unknown URL: a third-party dialect may take it",
        ),
        Valid(
            """
            from sqlalchemy import engine_from_config

            engine = engine_from_config({"sqlalchemy.url": "sqlite:///app.db", "sqlalchemy.echo": "false", "other.key": "x"})
            """,
            note="keys without the prefix are not engine keywords",
        ),
        Valid(
            """
            from sqlalchemy.ext.asyncio import create_async_engine

            engine = create_async_engine(
                "postgresql+asyncpg://app@db/app",
                pool_pre_ping=True,
                execution_options={"isolation_level": "AUTOCOMMIT"},
                hide_parameters=True,
            )
            """,
            note="async engine, Engine keywords",
        ),
        Valid(
            """
            def create_engine(url, **kw):
                return url, kw

            engine = create_engine("mysql://app@db/app", charset="utf8")
            """,
            note="not SQLAlchemy's create_engine",
        ),
    )

    def check(self, ctx: RuleContext) -> None:
        knowledge = _knowledge()
        for verdict in argument_verdicts(ctx):
            facts = verdict.facts
            for unknown in verdict.unknown:
                option = unknown.option
                at, related = option_anchor(ctx, facts, option)
                if facts.url is not None:
                    scope = f"for `{facts.url.drivername}` (SQLAlchemy {knowledge.sqlalchemy_version()})"
                else:
                    scope = "under any dialect SQLAlchemy ships"
                name = option_reference(ctx, facts, option)
                if unknown.suggestion is not None:
                    message = f"{name} is not a create_engine() keyword {scope}: did you mean `{unknown.suggestion}`?"
                else:
                    message = (
                        f"{name} is not a create_engine() keyword {scope}: if it is an option of the database "
                        f"driver, pass it in the URL's query string or in `connect_args={{\"{option.name}\": ...}}`."
                    )
                if verdict.facts.url is not None:
                    message += f" create_engine() raises `{verdict.type_error([option.name])}`"
                fix = None
                if unknown.suggestion is not None and suggestion_is_unique(verdict, unknown) and _in_this_file(ctx, option):
                    fix = self.rename(ctx, option, unknown.suggestion)
                ctx.report(at, message, related=related, fix=fix)

    @staticmethod
    def rename(ctx: RuleContext, option, new_name: str) -> Optional[Fix]:
        import libcst as cst

        node = option.key_node
        if isinstance(node, cst.Name):
            replacement = node.with_changes(value=new_name)
        elif isinstance(node, cst.SimpleString) and node.evaluated_value.endswith(option.name):
            text = node.evaluated_value
            new_text = text[: len(text) - len(option.name)] + new_name
            quote = node.quote
            if "\\" in node.value or quote in new_text:
                return None
            replacement = node.with_changes(value=f"{node.prefix}{quote}{new_text}{quote}")
        else:
            return None
        return Fix(f"Rename `{option.name}` to `{new_name}`", Applicability.UNSAFE, ctx.replacement(node, replacement))


RULES: List[type] = [PoolArgRejected, UnknownEngineArg]
