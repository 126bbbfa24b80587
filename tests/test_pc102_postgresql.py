"""PC102's PostgreSQL variant: ``idle_session_timeout`` is PostgreSQL's ``wait_timeout``.

The evidence: with a session-level ``idle_session_timeout`` (set through the connection's
``options``, never globally), a pooled connection that idled past it fails at the next use
with the error below, and ``pool_pre_ping=True`` or a ``pool_recycle`` below the timeout
survive the same idle time.
"""

from __future__ import annotations

import time

import pytest

IDLE_SESSION_TIMEOUT_ERROR = "(psycopg.errors.IdleSessionTimeout) terminating connection due to idle-session timeout"


def _engine_after_idle(postgresql_url: str, **options):
    """An engine whose one pooled connection has idled 3 s on a server that closes sessions
    idle for 2 s; the caller checks it out again."""
    from sqlalchemy import create_engine, text

    engine = create_engine(postgresql_url, connect_args={"options": "-c idle_session_timeout=2000"}, pool_size=1, **options)
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    time.sleep(3)
    return engine


@pytest.mark.database
def test_a_pooled_connection_idle_past_idle_session_timeout_fails(postgresql_url):
    from sqlalchemy import exc, text

    engine = _engine_after_idle(postgresql_url, pool_recycle=3600)
    try:
        with pytest.raises(exc.OperationalError) as failure:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        assert IDLE_SESSION_TIMEOUT_ERROR in str(failure.value)
    finally:
        engine.dispose()


@pytest.mark.database
@pytest.mark.parametrize("options", [{"pool_pre_ping": True}, {"pool_recycle": 1}], ids=["pre_ping", "recycle_below"])
def test_pre_ping_or_a_shorter_recycle_survives(postgresql_url, options):
    from sqlalchemy import text

    engine = _engine_after_idle(postgresql_url, **options)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()
