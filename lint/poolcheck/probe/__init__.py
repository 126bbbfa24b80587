"""Ask a live database server, read-only, for the settings that decide how long a pooled
connection may idle and how many connections fit.

``probe(url)`` connects once with a short timeout, runs a handful of SELECT / SHOW statements,
closes, and returns a :class:`ServerProbe`. Any failure (no driver, refused, bad credentials,
timeout, a server that is not MySQL, MariaDB or PostgreSQL) is a :class:`ProbeError` with a
one-line message that names the server with its password masked.

- ``target``: the URL -> the driver's connection keywords (allow-listed);
- ``mysql`` / ``postgresql``: one module per server family, each importing its driver lazily;
- ``report``: text and JSON for ``poolcheck probe``;
- ``live``: the probed values as server-settings facts for ``poolcheck check``.

The drivers are optional: ``pip install 'poolcheck[mysql]'`` (PyMySQL) or
``'poolcheck[postgresql]'`` (psycopg). Nothing here is imported unless a probe is asked for.
"""

from __future__ import annotations

from .model import MYSQL, POSTGRESQL, ConnectionLimit, ProbedValue, ProbeError, ServerProbe
from .target import Target, parse_target

DEFAULT_TIMEOUT = 5.0  # seconds, for connecting and for each statement


def probe(url: str, timeout: float = DEFAULT_TIMEOUT, source: str = "the database URL") -> ServerProbe:
    """Probe the server at ``url``; ``source`` names where the URL came from in messages."""
    target = parse_target(url, source)
    if target.family == MYSQL:
        from .mysql import probe_mysql

        return probe_mysql(target, timeout)
    from .postgresql import probe_postgresql

    return probe_postgresql(target, timeout)


__all__ = [
    "DEFAULT_TIMEOUT",
    "MYSQL",
    "POSTGRESQL",
    "ConnectionLimit",
    "ProbeError",
    "ProbedValue",
    "ServerProbe",
    "Target",
    "parse_target",
    "probe",
]
