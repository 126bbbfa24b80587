"""Probe a PostgreSQL server with psycopg (3): SELECTs on catalog views, nothing else.

- ``pg_settings`` gives each setting's value for this session and its ``source``. PostgreSQL
  has no separate "global" value an ordinary role can read: where the source is server-wide
  (default, configuration file, command line) the session value is the server's; where a role,
  a database or the connection's ``options`` set it, the server-wide value stays unknown
  (``pg_file_settings`` needs superuser or pg_read_all_settings) and the note says who set it.
- ``pg_roles.rolconnlimit`` and ``pg_database.datconnlimit`` are the per-role and per-database
  connection limits (``CONNECTION LIMIT``; -1 is none), readable by every role: PostgreSQL's
  counterparts of MySQL's ``max_user_connections``. Superusers are exempt from both.
- ``pg_stat_activity`` counts the client connections (PostgreSQL 10+).

The connection is in autocommit mode, so no transaction is opened and a refused statement
does not abort the ones after it. Settings a server does not have (``idle_session_timeout``
before PostgreSQL 14) are reported as missing, not as errors.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Dict, Optional

from .model import POSTGRESQL, ConnectionLimit, ProbedValue, ProbeError, ServerProbe
from .target import Target

SETTINGS = (
    "max_connections",
    "superuser_reserved_connections",
    "idle_session_timeout",
    "idle_in_transaction_session_timeout",
    "tcp_keepalives_idle",
)
# Read to compute the connection limit, shown only where the server has it (PostgreSQL 16+).
_RESERVED = "reserved_connections"

# pg_settings.source values that mean "the whole server": the session value is the global one.
_SERVER_WIDE = {"default", "environment variable", "configuration file", "command line", "global", "override"}
_SESSION_SOURCES = {
    "database": "set for this database (ALTER DATABASE ... SET)",
    "user": "set for this role (ALTER ROLE ... SET)",
    "database user": "set for this role in this database (ALTER ROLE ... IN DATABASE ... SET)",
    "client": "set by the connection (options in the URL)",
    "session": "set in this session",
}
# libpq keywords the probe decides itself (its timeout), or that would make the session a
# replication session where the catalog cannot be queried.
_OWN_KEYWORDS = {"connect_timeout", "replication"}


def probe_postgresql(target: Target, timeout: float) -> ServerProbe:
    try:
        import psycopg
    except ImportError:
        raise ProbeError(f"cannot probe {target.display}: psycopg is not installed (pip install 'poolcheck[postgresql]')") from None

    kwargs = {key: value for key, value in target.connect_kwargs.items() if key != "query"}
    kwargs.update(_libpq_query(psycopg, target.connect_kwargs.get("query", {})))
    # libpq counts connect_timeout in whole seconds (and treats anything below 2 as 2).
    kwargs["connect_timeout"] = max(2, math.ceil(timeout))
    try:
        connection = psycopg.connect(autocommit=True, **kwargs)
    except psycopg.Error as exc:
        raise ProbeError(f"cannot probe {target.display}: {_describe(exc, target, timeout)}") from None
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('server_version'), current_user, current_database()")
            version, account, _database = cursor.fetchone()
            cursor.execute(
                "SELECT name, setting, unit, source FROM pg_settings WHERE name = ANY(%s)",
                (list(SETTINGS) + [_RESERVED],),
            )
            rows = {name: (setting, unit, source) for name, setting, unit, source in cursor.fetchall()}
            cursor.execute("SELECT rolconnlimit, rolsuper FROM pg_roles WHERE rolname = current_user")
            role = cursor.fetchone() or (None, False)
            cursor.execute("SELECT datconnlimit FROM pg_database WHERE datname = current_database()")
            database = cursor.fetchone() or (None,)
            connections = _client_connections(cursor, psycopg)
    except psycopg.Error as exc:
        raise ProbeError(f"cannot probe {target.display}: {_describe(exc, target, timeout)}") from None
    finally:
        connection.close()
    values = [_setting(name, rows.get(name)) for name in SETTINGS]
    if _RESERVED in rows:
        values.append(_setting(_RESERVED, rows[_RESERVED]))
    values.append(ProbedValue("rolconnlimit", role[0], role[0], "", "this role's CONNECTION LIMIT"))
    values.append(ProbedValue("datconnlimit", database[0], database[0], "", "this database's CONNECTION LIMIT"))
    values.append(ProbedValue("client_connections", connections, connections, "",
                              "client backends in pg_stat_activity" if connections is not None else "not available"))
    probe = ServerProbe(POSTGRESQL, "PostgreSQL", str(version).split(" ")[0], target.display, str(account), tuple(values))
    return replace(probe, connection_limit=_connection_limit(probe, bool(role[1])))


def _libpq_query(psycopg, query: Dict[str, str]) -> Dict[str, str]:
    """The URL's query parameters libpq knows (sslmode, host=/run/postgresql, options...);
    SQLAlchemy's and asyncpg's own (prepared_statement_cache_size...) are dropped."""
    if not query:
        return {}
    known = {item.keyword.decode() for item in psycopg.pq.Conninfo.get_defaults()}
    return {key: value for key, value in query.items() if key in known and key not in _OWN_KEYWORDS}


def _client_connections(cursor, psycopg) -> Optional[int]:
    try:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'")
    except psycopg.Error:  # before PostgreSQL 10 there is no backend_type
        return None
    return int(cursor.fetchone()[0])


def _setting(name: str, row) -> ProbedValue:
    if row is None:
        return ProbedValue(name, None, None, "", "not a setting of this server version")
    setting, unit, source = row
    try:
        value: Optional[int] = int(setting)
    except (TypeError, ValueError):
        value = None
    unit = unit if unit in ("s", "ms") else ""
    if source in _SERVER_WIDE:
        return ProbedValue(name, value, value, unit, "")
    note = _SESSION_SOURCES.get(source, f"source: {source}")
    return ProbedValue(name, value, None, unit, note + "; the server-wide value is not readable")


def _connection_limit(probe: ServerProbe, superuser: bool) -> Optional[ConnectionLimit]:
    """The connections this role can hold: ``max_connections`` less the slots reserved for
    superusers (and, on 16+, for pg_use_reserved_connections), capped by the role's and the
    database's CONNECTION LIMIT. A superuser may use every slot and ignores both limits."""
    max_connections = probe.get("max_connections")
    if max_connections is None or max_connections.value is None:
        return None
    total = max_connections.value
    if superuser:
        return ConnectionLimit(total, "max_connections", f"max_connections = {total}; {probe.account} is a superuser")
    limit, setting, parts = total, "max_connections", [f"max_connections = {total}"]
    for name in ("superuser_reserved_connections", _RESERVED):
        reserved = probe.get(name)
        if reserved is not None and reserved.value:
            limit -= reserved.value
            parts.append(f"- {name} {reserved.value}")
    explanation = " ".join(parts)
    for name, what in (("rolconnlimit", f"role {probe.account}"), ("datconnlimit", "this database")):
        cap = probe.get(name)
        if cap is not None and cap.value is not None and 0 <= cap.value < limit:
            limit, setting, explanation = cap.value, name, f"CONNECTION LIMIT {cap.value} of {what}"
    return ConnectionLimit(limit, setting, explanation)


def _describe(exc: Exception, target: Target, timeout: float) -> str:
    text = str(exc) or type(exc).__name__
    if "timeout" in type(exc).__name__.lower() or "timeout expired" in text.lower():
        text = f"timed out after {max(2, math.ceil(timeout))} s: {text}"
    return target.scrub(text)
