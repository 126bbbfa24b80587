"""PC301's evidence: the failure it prevents, reproduced with APScheduler 3 against MariaDB.

A job store given a URL builds its own engine with SQLAlchemy's defaults (no recycle, no
pre-ping), whatever the application's engine says; once the server's ``wait_timeout`` passes,
its pooled connection is dead and the store's next query fails with ``(2006, 'MySQL server
has gone away')``. Given the application's pre-pinged engine instead, it survives. And
``scheduler.shutdown()`` disposes an engine the store was given. Each configuration is
written once, as source: the test runs that very source and lints it, so poolcheck's verdict
is about the code that failed (or survived).

The short ``wait_timeout`` is set per session, on the engine under test only, from a
``connect`` event: the server copies its global ``wait_timeout`` into each new session and
closes a connection idle longer than the session's value, so setting the session value at
connect is exactly what a server configured with that global would do to these connections,
without touching the server's global state.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest

pytest.importorskip("apscheduler", reason="APScheduler is in the test extra (pip install -e '.[test]')")

from sqlalchemy import event  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402

from poolcheck.rule import Example  # noqa: E402
from poolcheck.testing import check_example  # noqa: E402

pytestmark = pytest.mark.database

WAIT_TIMEOUT = 1  # seconds, session-level
IDLE = WAIT_TIMEOUT + 2  # long enough for the server to close an idle connection
GONE = (2006, 2013)  # MySQL server has gone away / Lost connection to MySQL server during query
TABLE = "poolcheck_pc301_evidence"

CONFIGURATION = '''\
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import create_engine

DATABASE_URL = {url!r}
engine = create_engine(DATABASE_URL, pool_size=5, pool_pre_ping=True)

scheduler = BackgroundScheduler(jobstores={{"default": SQLAlchemyJobStore({store}, tablename={table!r})}})
'''


def configuration(url: str, store: str) -> str:
    return CONFIGURATION.format(url=url, store=store, table=TABLE)


def run(source: str) -> dict:
    namespace: dict = {}
    exec(compile(source, "app.py", "exec"), namespace)
    return namespace


def pc301(source: str):
    return [f for f in check_example(Example(source), ["ALL"]) if f.code == "PC301"]


class ShortWaitTimeout:
    """A connect listener giving each new session of one engine a short wait_timeout."""

    def __init__(self) -> None:
        self.connections = 0

    def __call__(self, dbapi_connection, connection_record) -> None:
        self.connections += 1
        cursor = dbapi_connection.cursor()
        cursor.execute(f"SET SESSION wait_timeout = {WAIT_TIMEOUT}")
        cursor.close()


def test_a_store_built_from_the_url_gets_defaults_and_its_idle_connection_dies(mariadb_url):
    source = configuration(mariadb_url, "url=DATABASE_URL")
    [finding] = pc301(source)
    assert finding.line == 8
    assert "the database of the engine `engine`" in finding.message and "both use `DATABASE_URL`" in finding.message
    assert "(2006, 'MySQL server has gone away')" in finding.message

    app = run(source)
    scheduler = app["scheduler"]
    store = scheduler._jobstores["default"]
    assert store.engine is not app["engine"], "the store built an engine of its own"
    pool = store.engine.pool
    assert (type(pool).__name__, pool.size(), pool._recycle, pool._pre_ping) == ("QueuePool", 5, -1, False)
    assert app["engine"].pool._pre_ping is True, "the application's engine has the setting the store lacks"

    session = ShortWaitTimeout()
    event.listen(store.engine, "connect", session)
    scheduler.start(paused=True)  # creates the table; the connection goes back to the pool
    try:
        assert store.get_all_jobs() == []
        time.sleep(IDLE)
        with pytest.raises(OperationalError) as failure:
            store.get_due_jobs(datetime.now(timezone.utc))  # what the scheduler's loop asks
        assert failure.value.orig.args[0] in GONE, failure.value
        assert session.connections == 1, "the failure was the idle pooled connection, not a new one"
    finally:
        scheduler.shutdown(wait=False)


def test_given_the_applications_pre_pinged_engine_the_store_survives(mariadb_url):
    source = configuration(mariadb_url, "engine=engine")
    assert pc301(source) == []

    app = run(source)
    scheduler = app["scheduler"]
    store = scheduler._jobstores["default"]
    assert store.engine is app["engine"]

    session = ShortWaitTimeout()
    event.listen(app["engine"], "connect", session)
    scheduler.start(paused=True)
    try:
        assert store.get_all_jobs() == []
        time.sleep(IDLE)
        assert store.get_all_jobs() == []
        # Not vacuous: the first connection did die, and the pre-ping replaced it.
        assert session.connections == 2
    finally:
        scheduler.shutdown(wait=False)


def test_scheduler_shutdown_disposes_the_shared_engine_pool(mariadb_url):
    app = run(configuration(mariadb_url, "engine=engine"))
    engine, scheduler = app["engine"], app["scheduler"]
    scheduler.start(paused=True)
    scheduler._jobstores["default"].get_all_jobs()
    pool = engine.pool
    assert pool.checkedin() == 1, "the store's connection is pooled in the application's pool"

    scheduler.shutdown(wait=False)

    assert engine.pool is not pool, "SQLAlchemyJobStore.shutdown() called engine.dispose()"
    assert pool.checkedin() == 0, "the old pool's connections were closed"
    with engine.connect() as connection:  # the engine itself still works, on a new pool
        assert connection.exec_driver_sql("SELECT 1").scalar() == 1
