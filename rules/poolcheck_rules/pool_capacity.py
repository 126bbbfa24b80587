"""PC106: pools that may open more connections than the database server allows.

A pool's limit is asked of the installed SQLAlchemy (``pool_checkout_limit``: the real pool
class, counted with fake connections), because it is not always ``pool_size +
max_overflow``: ``max_overflow=-1`` has no limit, and neither has ``pool_size=0`` from
SQLAlchemy 2.0 on. The worker count and ``max_connections`` come from the project's files
(``poolcheck.facts.server``) or ``[tool.poolcheck.database]``.
"""

from __future__ import annotations

from typing import List, Optional, Tuple

from poolcheck.api import Example, Invalid, Rule, RuleContext, Severity, Valid
from poolcheck.site_sources import ENGINE_SITE_FACT_TOKENS, ENGINE_SITE_TOKENS
from poolcheck.engine_checks import (
    ENGINE_SITE_FACTS,
    SiteFacts,
    describe_site,
    engine_sites_with_facts,
    is_number,
    option_anchor,
    option_reference,
    option_value,
)

# Every engine site: the factories and each registered site source (job stores, Flask).
ENGINE_TOKENS = ENGINE_SITE_TOKENS
TOO_MANY = "(1040, 'Too many connections')"
# What the server answers when it is full, by backend (the servers' own texts, for messages).
REFUSALS = {"mysql": TOO_MANY, "mariadb": TOO_MANY, "postgresql": "FATAL: sorry, too many clients already"}


def _knowledge():
    from poolcheck.sqla import installed_knowledge

    return installed_knowledge()


def _place(setting) -> str:
    return str(setting.location) if setting.location is not None else setting.source


class PoolExceedsMaxConnections(Rule):
    code = "PC106"
    name = "pool-exceeds-max-connections"
    severity = Severity.WARNING
    summary = "`(pool_size + max_overflow) × workers` exceeds the server's `max_connections`."
    tokens = ENGINE_TOKENS
    shared_facts = ENGINE_SITE_FACTS
    fact_tokens = ENGINE_SITE_FACT_TOKENS
    what = """
        Flags an engine whose pool, multiplied by the number of web worker processes, may
        hold more connections than the database server accepts:
        `(pool_size + max_overflow) × workers > max_connections`.

        - The pool's limit comes from the installed SQLAlchemy, with the pool class's own
          defaults (`pool_size=5`, `max_overflow=10` for `QueuePool`) for what the code does
          not set. `max_overflow=-1` means no limit at all, and so does `pool_size=0` on
          SQLAlchemy 2.x (on 1.4 it means `max_overflow` connections).
        - Workers: the gunicorn / uvicorn / hypercorn worker count the project states
          (`gunicorn.conf.py`, `-w`/`--workers` in a Procfile, compose file or Dockerfile,
          `WEB_CONCURRENCY`), or `[tool.poolcheck.database] workers`; else 1. Each worker
          process has its own pool.
        - `max_connections`: for MySQL and MariaDB, the project's server configuration
          (option files, container commands, `SET GLOBAL`) or the server default, 151; for
          other databases only `[tool.poolcheck.database] max-connections`.

        Unknown sizes, unknown URLs and pools without a size limit of their own (`NullPool`,
        `StaticPool`) are not flagged. The finding names every place it depends on.
    """
    why = f"""
        Every worker process fills its own pool under load. When their sum passes the
        server's limit, the next connection attempt is refused, by every application
        sharing the server, not only the one with the big pool:

        ```
        sqlalchemy.exc.OperationalError: (pymysql.err.OperationalError) {TOO_MANY}
        ```

        (`(1226, "User 'app' has exceeded the 'max_user_connections' resource")` for a
        per-user limit; `FATAL: sorry, too many clients already` on PostgreSQL.) It shows up
        only at peak traffic, or after scaling the workers up.
    """
    example = Example(
        """
        from sqlalchemy import create_engine

        engine = create_engine("mysql+pymysql://app:secret@db/app", pool_size=20, max_overflow=30, pool_pre_ping=True)
        """,
        files={"gunicorn.conf.py": "workers = 4\n", "deploy/my.cnf": "[mysqld]\nmax_connections = 150\n"},
    )
    use_instead = Example(
        """
        from sqlalchemy import create_engine

        engine = create_engine("mysql+pymysql://app:secret@db/app", pool_size=20, max_overflow=10, pool_pre_ping=True)
        """,
        files={"gunicorn.conf.py": "workers = 4\n", "deploy/my.cnf": "[mysqld]\nmax_connections = 150\n"},
    )
    help = "Keep (pool_size + max_overflow) × workers below max_connections: shrink the pool, or raise max_connections."
    options = """
        - `[tool.poolcheck.database] max-connections`: the server's `max_connections` (the
          only source for databases other than MySQL/MariaDB).
        - `[tool.poolcheck.database] workers`: the number of processes that each hold a
          pool, where the project's files do not say.
        - `[tool.poolcheck.database] dialect`: the dialect to assume where the URL is not
          statically known.
    """
    references = (
        "[SQLAlchemy: QueuePool](https://docs.sqlalchemy.org/en/20/core/pooling.html#sqlalchemy.pool.QueuePool)",
        "[MariaDB: max_connections](https://mariadb.com/kb/en/server-system-variables/#max_connections)",
        "[MySQL: Too many connections](https://dev.mysql.com/doc/refman/8.0/en/too-many-connections.html)",
        "[gunicorn: How many workers?](https://docs.gunicorn.org/en/stable/design.html#how-many-workers)",
    )
    invalid = (
        Invalid(
            """
            from sqlalchemy import create_engine

            engine = create_engine("mysql+mysqldb://app@db/app", pool_size=10, max_overflow=-1, pool_pre_ping=True)
            """,
            line=3,
            message="no connection limit",
            note="max_overflow=-1 is unbounded",
        ),
        Invalid(
            """
            import os

            from sqlalchemy.ext.asyncio import create_async_engine

            DATABASE_URL = os.getenv("DATABASE_URL", "mariadb+asyncmy://app@db/app")


            def create_app():
                engine = create_async_engine(DATABASE_URL, pool_size=50, max_overflow=50, pool_pre_ping=True)
                return engine
            """,
            files={
                "docker-compose.yml": """
                    services:
                      db:
                        image: mariadb:10.11
                        command: ["--max-connections=80"]
                      web:
                        build: .
                        command: uvicorn app:create_app --factory --workers 2
                    """,
            },
            line=9,
            message="docker-compose.yml:4",
            note="async app factory, compose file: server limit and uvicorn workers",
        ),
        Invalid(
            """
            from sqlalchemy import create_engine

            engine = create_engine("mysql+pymysql://app@db/app", pool_pre_ping=True)
            """,
            files={"Procfile": "web: gunicorn --workers 12 app.wsgi:application\nworker: celery -A app worker\n"},
            line=3,
            message="12 workers",
            note="QueuePool's default 5 + 10, twelve gunicorn workers, the server default 151",
        ),
        Invalid(
            """
            import sqlalchemy as sa

            from app.settings import POOL

            engine = sa.create_engine("postgresql+psycopg2://app@db/app", **POOL)
            """,
            path="app/db.py",
            files={"app/__init__.py": "", "app/settings.py": 'POOL = {"pool_size": 40, "max_overflow": 20}\n'},
            settings={"database": {"max-connections": 100, "workers": 2}},
            line=5,
            message="app/settings.py:1",
            note="PostgreSQL with max-connections and workers from the configuration, sizes from a settings module",
        ),
        Invalid(
            """
            from sqlalchemy import engine_from_config

            engine = engine_from_config(
                {"sqlalchemy.url": "mysql+pymysql://app@db/app", "sqlalchemy.pool_size": "100", "sqlalchemy.max_overflow": "100"},
                pool_pre_ping=True,
            )
            """,
            files={"docker/Dockerfile": 'FROM python:3.12\nCMD ["gunicorn", "-w", "3", "app:app"]\n'},
            line=4,
            note="engine_from_config coerces the ini-style sizes; Dockerfile workers",
        ),
    )
    valid = (
        Valid(
            """
            from sqlalchemy import create_engine

            engine = create_engine("mysql+pymysql://app@db/app", pool_size=10, max_overflow=5, pool_pre_ping=True)
            """,
            files={"gunicorn.conf.py": "import multiprocessing\n\nworkers = 4\n", "my.cnf": "[mysqld]\nmax_connections = 100\n"},
            note="4 × 15 = 60 < 100",
        ),
        Valid(
            """
            from sqlalchemy import create_engine

            engine = create_engine("postgresql+psycopg2://app@db/app", pool_size=200, max_overflow=-1)
            """,
            note="PostgreSQL: no max-connections stated",
        ),
        Valid(
            """
            from sqlalchemy import create_engine
            from sqlalchemy.pool import NullPool

            engine = create_engine("mysql+pymysql://app@db/app", poolclass=NullPool)
            """,
            files={"Procfile": "web: gunicorn -w 64 app:app\n"},
            note="NullPool holds nothing",
        ),
        Valid(
            """
            import os

            from sqlalchemy import create_engine

            engine = create_engine("mysql+pymysql://app@db/app", pool_size=int(os.environ["POOL_SIZE"]), pool_pre_ping=True)
            """,
            note="unknown size",
        ),
        Valid(
            """
            import os

            from sqlalchemy import create_engine

            engine = create_engine(os.environ["DATABASE_URL"], pool_size=100, max_overflow=100)
            """,
            note="unknown URL, no dialect assumed",
        ),
        Valid(
            """
            from functools import lru_cache

            from sqlalchemy import create_engine


            @lru_cache
            def get_engine():
                return create_engine("mysql+pymysql://app@db/app", pool_size=20, max_overflow=10, pool_pre_ping=True)
            """,
            files={"gunicorn.conf.py": "import multiprocessing\n\nworkers = multiprocessing.cpu_count() * 2 + 1\n"},
            note="a machine-dependent worker count states nothing: one process, 30 < 151",
        ),
    )

    def check(self, ctx: RuleContext) -> None:
        for facts in engine_sites_with_facts(ctx):
            limit = self.server_limit(facts)
            if limit is None:
                continue
            pool = self.pool_limit(ctx, facts)
            if pool is None:
                continue
            per_process, described, anchor_option = pool
            workers = facts.workers
            count = workers.value if workers is not None else 1
            worker_text = f" × {count} workers ({_place(workers)})" if workers is not None and count > 1 else ""
            related = facts.related(*(s for s in (limit, workers) if s is not None))
            at, option_related = option_anchor(ctx, facts, anchor_option)
            refusal = REFUSALS.get(facts.url.backend)
            refused = f" with {refusal}" if refusal else ""
            if per_process == -1:
                message = (
                    f"{describe_site(facts)} has no connection limit ({described}): under load its pool opens "
                    f"connections until the server's {limit.describe()} refuses them{refused}"
                )
            elif per_process * count > limit.value:
                total = f"{per_process}{worker_text} = {per_process * count}" if worker_text else str(per_process)
                message = (
                    f"{describe_site(facts)} may hold {described} = {total} connections, more than the server's "
                    f"{limit.describe()}: at peak load the server refuses new connections{refused}"
                )
            else:
                continue
            ctx.report(at, message, related=option_related + related)

    @staticmethod
    def server_limit(facts: SiteFacts):
        """The max_connections to compare with: the project's (or the default 151) for
        MySQL/MariaDB; for other databases only one stated for them: the configured one, or
        the live server's (already limited to engines of the probed server's kind)."""
        from poolcheck.facts.server import MAX_CONNECTIONS

        if facts.url is None:
            return None
        if facts.url.is_mysql_family:
            return facts.max_connections
        for setting in facts.server.overrides + facts.server.live:
            if setting.name == MAX_CONNECTIONS:
                return setting
        return None

    @staticmethod
    def pool_limit(ctx: RuleContext, facts: SiteFacts) -> Optional[Tuple[int, str, Optional[object]]]:
        """(connections one process may hold, -1 for no limit; how the message states it;
        the option to report at), or None when unknown."""
        knowledge = _knowledge()
        pool_class = facts.pool_class
        if pool_class is None:
            return None
        names = knowledge.pool_kwargs(pool_class) or frozenset()
        defaults = knowledge.pool_defaults(pool_class) or {}
        if not {"pool_size", "max_overflow"} <= names:
            return None
        values: List[int] = []
        parts: List[str] = []
        for name in ("pool_size", "max_overflow"):
            option = facts.site.options.get(name)
            if option is None:
                if not facts.site.complete or not is_number(defaults.get(name)):
                    return None
                values.append(int(defaults[name]))
                parts.append(f"{name} {defaults[name]} ({pool_class}'s default)")
                continue
            value = option_value(facts, name)
            if value is None or not isinstance(value.value, int) or isinstance(value.value, bool):
                return None
            values.append(value.value)
            parts.append(option_reference(ctx, facts, option, f"{name}={value.value}"))
        size, overflow = values
        if size < 0 or overflow < -1:
            return None  # PC105's
        limit = knowledge.pool_checkout_limit(pool_class, size, overflow)
        if limit is None:
            if size <= 0 or overflow < 0:
                return None
            limit = size + overflow  # too large to count; positive sizes add up
        anchor = facts.site.options.get("pool_size") or facts.site.options.get("max_overflow")
        if limit == -1:
            cause = "`max_overflow=-1`" if overflow == -1 else f"`pool_size=0` on SQLAlchemy {knowledge.sqlalchemy_version()}"
            return -1, cause, facts.site.options.get("max_overflow" if overflow == -1 else "pool_size")
        described = " + ".join(parts) if limit == size + overflow else f"{' + '.join(parts)} (at most {limit} at once)"
        return limit, described, anchor


RULES = [PoolExceedsMaxConnections]
