"""PC101 / PC102 evidence: MariaDB closes idle pooled connections after wait_timeout.

Every new pooled connection runs ``SET SESSION wait_timeout=2`` (a ``connect`` event: the
session-level stand-in for a server configured with ``wait_timeout = 2`` in my.cnf, which we
must not set globally on a shared server). A connection is used, returned to the pool, left
idle past the timeout, and checked out again:

- with neither ``pool_pre_ping`` nor ``pool_recycle`` (PC101), or with a ``pool_recycle``
  not below the timeout (PC102), the checkout hands out the dead connection and the query
  fails with ``(2006, 'MySQL server has gone away')`` / ``(2013, 'Lost connection ...')``;
- with ``pool_pre_ping=True`` or ``pool_recycle`` below the timeout, it survives.

poolcheck is run on the same options, with a ``my.cnf`` stating the same ``wait_timeout``,
and must flag exactly the failing forms.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, event, exc, text

from _lint import engine_module, findings

pytestmark = pytest.mark.database

WAIT_TIMEOUT = 2
MY_CNF = {"deploy/my.cnf": f"[mysqld]\nwait_timeout = {WAIT_TIMEOUT}\n"}
DISCONNECT_CODES = (2006, 2013)

FAILING = [
    pytest.param("PC101", {}, id="PC101-nothing"),
    pytest.param("PC102", {"pool_recycle": 3600}, id="PC102-recycle-above-wait-timeout"),
]
SURVIVING = [
    pytest.param({"pool_pre_ping": True}, id="pre-ping"),
    pytest.param({"pool_recycle": 1}, id="recycle-below-wait-timeout"),
    pytest.param({"pool_recycle": 3600, "pool_pre_ping": True}, id="long-recycle-with-pre-ping"),
]


def short_wait_engine(url: str, **options):
    engine = create_engine(url, pool_size=1, max_overflow=0, **options)

    @event.listens_for(engine, "connect")
    def short_wait_timeout(dbapi_connection, connection_record):
        cursor = dbapi_connection.cursor()
        cursor.execute(f"SET SESSION wait_timeout = {WAIT_TIMEOUT}")
        cursor.close()

    return engine


def use_idle_use(engine) -> int:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    time.sleep(WAIT_TIMEOUT + 1.5)  # idle in the pool, past the server's wait_timeout
    with engine.connect() as connection:
        return connection.execute(text("SELECT 1")).scalar()


@pytest.mark.parametrize("code,options", FAILING)
def test_idle_connection_fails_and_poolcheck_flags_it(mariadb_url, code, options):
    engine = short_wait_engine(mariadb_url, **options)
    try:
        with pytest.raises(exc.OperationalError) as raised:
            use_idle_use(engine)
    finally:
        engine.dispose()
    assert raised.value.orig.args[0] in DISCONNECT_CODES, raised.value
    assert raised.value.connection_invalidated

    reported = findings(code, engine_module({"pool_size": 1, "max_overflow": 0, **options}), files=MY_CNF)
    assert len(reported) == 1
    assert "(2006, 'MySQL server has gone away')" in reported[0].message
    if code == "PC102":
        assert "wait_timeout = 2 (deploy/my.cnf:2)" in reported[0].message
        assert [r.location.line for r in reported[0].related] == [2]


@pytest.mark.parametrize("options", SURVIVING)
def test_fixed_form_survives_and_poolcheck_is_silent(mariadb_url, options):
    engine = short_wait_engine(mariadb_url, **options)
    try:
        assert use_idle_use(engine) == 1
    finally:
        engine.dispose()
    source = engine_module({"pool_size": 1, "max_overflow": 0, **options})
    assert findings("PC101", source, files=MY_CNF) == []
    assert findings("PC102", source, files=MY_CNF) == []
