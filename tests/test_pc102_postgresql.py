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


@pytest.mark.parametrize(
    "options, flagged",
    [("pool_recycle=3600", True), ("", True), ("pool_pre_ping=True", False), ("pool_recycle=1", False)],
    ids=["recycle_longer", "no_recycle", "pre_ping", "recycle_below"],
)
def test_poolcheck_judges_the_same_configurations(options, flagged):
    """The verdict on the configurations the evidence above runs, with the same 2 s limit."""
    from poolcheck.rule import Example
    from poolcheck.testing import check_example

    arguments = ", ".join(a for a in ('"postgresql+psycopg://app@db/app"', "pool_size=1", options) if a)
    example = Example(
        f"from sqlalchemy import create_engine\nengine = create_engine({arguments})\n",
        settings={"database": {"idle-session-timeout": 2}},
    )
    found = [f for f in check_example(example, ["PC102"]) if f.code == "PC102"]
    assert bool(found) is flagged, found
    if flagged:
        assert IDLE_SESSION_TIMEOUT_ERROR in found[0].message
