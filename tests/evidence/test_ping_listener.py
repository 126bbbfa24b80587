"""PC107 evidence: the hand-written ping listener against the built-in pool_pre_ping.

PC107 is an *info* rule: the pre-1.2 recipe (seed 000: a ``checkout`` listener that pings
and raises ``DisconnectionError``) does keep an idle-closed connection from failing. What
this test shows, on MariaDB with ``SET SESSION wait_timeout=2`` on every new connection:

1. the seed's recipe and ``pool_pre_ping=True`` both survive the idle disconnect, so the
   listener is redundant with the one-word option;
2. the variants people write instead go wrong in both directions: ``ping(reconnect=True)``
   "survives" by reopening the socket behind the pool's back, so the pool's ``connect``
   event does not run again and everything it set on the session is silently gone (here
   ``time_zone``; ``pool_pre_ping`` replaces the connection through the pool and keeps
   it); a bare ``ping(False)`` that does not turn the error into ``DisconnectionError``
   protects nothing: the checkout itself fails with 2006.

poolcheck must flag both listeners and not the pool_pre_ping engine.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import DisconnectionError, OperationalError

from _lint import findings

pytestmark = pytest.mark.database

WAIT_TIMEOUT = 2
SESSION_TIME_ZONE = "+03:00"

SEED_LISTENER = '''
def checkout_listener(dbapi_con, con_record, con_proxy):
    try:
        try:
            dbapi_con.ping(False)
        except TypeError:
            dbapi_con.ping()
    except dbapi_con.OperationalError as exc:
        if exc.args[0] in (2006, 2013, 2014, 2045, 2055):
            raise DisconnectionError()
        else:
            raise
'''

RECONNECTING_LISTENER = '''
def checkout_listener(dbapi_con, con_record, con_proxy):
    dbapi_con.ping(reconnect=True)
'''

BARE_LISTENER = '''
def checkout_listener(dbapi_con, con_record, con_proxy):
    dbapi_con.ping(False)
'''


def session_engine(url: str, **options):
    engine = create_engine(url, pool_size=1, max_overflow=0, **options)

    @event.listens_for(engine, "connect")
    def configure_session(dbapi_connection, connection_record):
        cursor = dbapi_connection.cursor()
        cursor.execute(f"SET SESSION wait_timeout = {WAIT_TIMEOUT}")
        cursor.execute(f"SET SESSION time_zone = '{SESSION_TIME_ZONE}'")
        cursor.close()

    return engine


def with_listener(engine, listener_source: str):
    namespace = {"DisconnectionError": DisconnectionError}
    exec(listener_source, namespace)
    event.listen(engine, "checkout", namespace["checkout_listener"])
    return engine


def time_zone_after_idle(engine) -> str:
    with engine.connect() as connection:
        assert connection.execute(text("SELECT @@session.time_zone")).scalar() == SESSION_TIME_ZONE
    time.sleep(WAIT_TIMEOUT + 1.5)
    with engine.connect() as connection:
        return connection.execute(text("SELECT @@session.time_zone")).scalar()


def listener_module(listener_source: str) -> str:
    return (
        "from sqlalchemy import create_engine, event\nfrom sqlalchemy.exc import DisconnectionError\n"
        + listener_source
        + '\n\ndb_engine = create_engine("mysql+pymysql://app@db/app", pool_size=1, max_overflow=0, pool_recycle=3600)\n'
        + 'event.listen(db_engine, "checkout", checkout_listener)\n'
    )


def test_seed_recipe_survives_like_pool_pre_ping_and_is_flagged(mariadb_url):
    recipe = with_listener(session_engine(mariadb_url), SEED_LISTENER)
    builtin = session_engine(mariadb_url, pool_pre_ping=True)
    try:
        assert time_zone_after_idle(recipe) == SESSION_TIME_ZONE
        assert time_zone_after_idle(builtin) == SESSION_TIME_ZONE
    finally:
        recipe.dispose()
        builtin.dispose()

    reported = findings("PC107", listener_module(SEED_LISTENER))
    assert len(reported) == 1 and "pool_pre_ping=True" in reported[0].message
    source = 'from sqlalchemy import create_engine\n\ndb_engine = create_engine("mysql+pymysql://app@db/app", pool_pre_ping=True)\n'
    assert findings("PC107", source) == []


@pytest.mark.filterwarnings("ignore:The 'reconnect' argument is deprecated:DeprecationWarning")
def test_a_reconnecting_ping_loses_the_session_settings(mariadb_url):
    engine = with_listener(session_engine(mariadb_url), RECONNECTING_LISTENER)
    try:
        after = time_zone_after_idle(engine)
    finally:
        engine.dispose()
    assert after != SESSION_TIME_ZONE  # the server's default again: the connect event did not rerun

    reported = findings("PC107", listener_module(RECONNECTING_LISTENER))
    assert len(reported) == 1 and "dbapi_con.ping(reconnect=True)" in reported[0].message


def test_a_bare_ping_protects_nothing(mariadb_url):
    engine = with_listener(session_engine(mariadb_url), BARE_LISTENER)
    try:
        with pytest.raises(OperationalError) as raised:
            time_zone_after_idle(engine)
    finally:
        engine.dispose()
    assert raised.value.orig.args[0] in (2006, 2013)

    reported = findings("PC107", listener_module(BARE_LISTENER))
    assert len(reported) == 1
