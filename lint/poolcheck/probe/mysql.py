"""Probe a MySQL or MariaDB server with PyMySQL: two read statements, nothing else.

- ``SELECT @@GLOBAL.x, @@SESSION.x ...`` reads every variable in one round trip. The session
  value is what a new connection of this account gets: ``init_connect`` can change it for
  accounts without SUPER, and the session ``max_user_connections`` is read-only and reflects
  the account's own ``WITH MAX_USER_CONNECTIONS`` limit (verified on MariaDB 10.11; the MySQL
  manual says the same). That is the portable way to learn the per-account limit: reading
  ``mysql.user`` needs a SELECT grant on the ``mysql`` schema, and ``SHOW GRANTS`` prints the
  password hash, so the probe uses neither.
- ``SHOW GLOBAL STATUS WHERE Variable_name IN (...)`` reads the two connection counters. It
  needs no privilege; if a server refuses it anyway, the counters are reported as unreadable
  and the probe still succeeds.

Like a pool's connections (PyMySQL does not set CLIENT_INTERACTIVE), the probe's session starts
from ``wait_timeout``, not ``interactive_timeout``. PyMySQL itself sends ``SET NAMES`` while
connecting; ``autocommit=None`` stops it from also sending ``SET AUTOCOMMIT``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import List, Optional, Tuple

from .model import MYSQL, ConnectionLimit, ProbedValue, ProbeError, ServerProbe
from .target import Target

# (variable, unit, has a session value)
_VARIABLES = (
    ("wait_timeout", "s", True),
    ("interactive_timeout", "s", True),
    ("max_connections", "", False),
    ("max_user_connections", "", True),
)
_STATUS = ("Threads_connected", "Max_used_connections")


def _select_variables() -> str:
    columns = ["VERSION()", "CURRENT_USER()"]
    for name, _, has_session in _VARIABLES:
        columns.append(f"@@GLOBAL.{name}")
        if has_session:
            columns.append(f"@@SESSION.{name}")
    return "SELECT " + ", ".join(columns)


def probe_mysql(target: Target, timeout: float) -> ServerProbe:
    try:
        import pymysql
    except ImportError:
        raise ProbeError(f"cannot probe {target.display}: PyMySQL is not installed (pip install 'poolcheck[mysql]')") from None

    try:
        connection = pymysql.connect(
            connect_timeout=timeout, read_timeout=timeout, write_timeout=timeout, autocommit=None,
            **target.connect_kwargs,
        )
    except pymysql.MySQLError as exc:
        raise ProbeError(f"cannot probe {target.display}: {_describe(exc, target, timeout)}") from None
    except (OSError, ValueError) as exc:  # a socket path that does not exist, a bad TLS file
        raise ProbeError(f"cannot probe {target.display}: {target.scrub(str(exc) or type(exc).__name__)}") from None
    try:
        with connection.cursor() as cursor:
            cursor.execute(_select_variables())
            row = cursor.fetchone()
            status = _read_status(cursor, pymysql)
    except pymysql.MySQLError as exc:
        raise ProbeError(f"cannot probe {target.display}: {_describe(exc, target, timeout)}") from None
    finally:
        try:
            connection.close()
        except Exception:  # noqa: BLE001 - closing a broken connection must not hide the answer
            pass
    return _build(target, row, status)


def _read_status(cursor, pymysql) -> Optional[dict]:
    names = ", ".join(f"'{name}'" for name in _STATUS)
    try:
        cursor.execute(f"SHOW GLOBAL STATUS WHERE Variable_name IN ({names})")
    except pymysql.err.OperationalError as exc:
        if exc.args and exc.args[0] in (1142, 1227, 1044):  # access denied variants
            return None
        raise
    return {str(name): value for name, value in cursor.fetchall()}


def _as_int(value) -> Optional[int]:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _build(target: Target, row: Tuple, status: Optional[dict]) -> ServerProbe:
    version, account, *numbers = row
    version = version.decode() if isinstance(version, bytes) else str(version)
    product = "MariaDB" if "mariadb" in version.lower() else "MySQL"
    values: List[ProbedValue] = []
    position = 0
    for name, unit, has_session in _VARIABLES:
        global_value = _as_int(numbers[position])
        session_value = _as_int(numbers[position + 1]) if has_session else global_value
        position += 2 if has_session else 1
        note = ""
        if name == "max_user_connections" and session_value != global_value:
            note = "this account's own limit (WITH MAX_USER_CONNECTIONS)"
        elif session_value != global_value:
            note = "this account's session value (init_connect or account settings)"
        values.append(ProbedValue(name, session_value, global_value, unit, note))
    for name in _STATUS:
        if status is None:
            values.append(ProbedValue(name, None, None, "", "not readable by this account"))
        else:
            count = _as_int(status.get(name))
            values.append(ProbedValue(name, count, count, "", ""))
    probe = ServerProbe(MYSQL, product, version.split("-")[0], target.display, str(account), tuple(values))
    return replace(probe, connection_limit=_connection_limit(probe))


def _connection_limit(probe: ServerProbe) -> Optional[ConnectionLimit]:
    """``max_connections``, or the account's ``max_user_connections`` where that is lower.

    The session ``max_user_connections`` is the account's own limit, else the global one, and
    0 means no per-account limit. (MySQL lets one more connection in for an account with
    CONNECTION_ADMIN/SUPER; an application account should not rely on it, so it is not
    counted.)"""
    max_connections = probe.get("max_connections")
    per_user = probe.get("max_user_connections")
    if max_connections is None or max_connections.value is None:
        return None
    if per_user is not None and per_user.value is not None and 0 < per_user.value < max_connections.value:
        return ConnectionLimit(per_user.value, "max_user_connections", f"max_user_connections = {per_user.value} for {probe.account}")
    return ConnectionLimit(max_connections.value, "max_connections", f"max_connections = {max_connections.value}")


def _describe(exc: Exception, target: Target, timeout: float) -> str:
    """PyMySQL's ``(1045, "Access denied ...")`` as one readable line without the password."""
    args = getattr(exc, "args", ())
    if len(args) >= 2 and isinstance(args[0], int):
        code, message = args[0], str(args[1])
        text = f"{message} (MySQL error {code})" if code else message
    else:
        text = str(exc) or type(exc).__name__
    if "timed out" in text.lower():
        text = f"timed out after {timeout:g} s: {text}"
    return target.scrub(text)
