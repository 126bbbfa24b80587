"""Turn a SQLAlchemy URL into the arguments the probe's driver connects with.

The URL is the application's own (``mysql+aiomysql://...``, ``postgresql+asyncpg://...``): the
driver it names is the application's, not necessarily one poolcheck has. The probe talks the
server's protocol with its own driver (PyMySQL for MySQL and MariaDB, psycopg for PostgreSQL),
so only the server part of the URL matters: host, port, account, database, and the query
parameters that change how to reach the server (a socket path, TLS files).

Query parameters are allowed in by name, never passed through wholesale: PyMySQL would run an
``init_command`` from the URL, and the probe runs read statements only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Dict, Optional

from .model import MYSQL, POSTGRESQL, ProbeError

# Backend names (the part of the scheme before "+") per server family. "postgres" is the
# scheme Heroku and libpq accept; SQLAlchemy refuses it in create_engine, but the server is the
# same, so the probe accepts it.
_FAMILIES = {"mysql": MYSQL, "mariadb": MYSQL, "postgresql": POSTGRESQL, "postgres": POSTGRESQL}

# PyMySQL keyword arguments a URL may carry (PyMySQL's own names): where to connect and how to
# secure it. Anything else in the query (init_command, autocommit, client_flag...) is dropped.
_MYSQL_QUERY_KEYS = {
    "unix_socket": str,
    "charset": str,
    "ssl_ca": str,
    "ssl_cert": str,
    "ssl_key": str,
    "ssl_verify_cert": bool,
    "ssl_verify_identity": bool,
    "ssl_disabled": bool,
    "read_default_file": str,
    "read_default_group": str,
}


@dataclass(frozen=True)
class Target:
    """The server to probe: its family, the masked URL for every message, the password (so
    errors can be scrubbed of it), and the connection keywords for the family's driver."""

    family: str
    display: str  # the URL with its password masked: mysql://app:***@db/app
    password: Optional[str]
    connect_kwargs: Dict[str, Any] = field(default_factory=dict, repr=False)

    def scrub(self, text: str) -> str:
        """``text`` with the password removed, whatever the driver chose to echo."""
        from ..masking import mask_secrets

        # One line: libpq's messages run over several ("...failed: Connection refused\n\tIs the
        # server running...").
        text = "; ".join(line.strip() for line in str(text).splitlines() if line.strip())
        password = self.password
        if password:
            if len(password) >= 4:
                text = text.replace(password, "***")
            else:
                # A very short password is also a common substring of ordinary words; mask it
                # where it stands as a token of its own.
                text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(password)}(?![A-Za-z0-9])", "***", text)
        return mask_secrets(text)


def parse_target(url: str, source: str = "the database URL") -> Target:
    """Parse a SQLAlchemy URL. ``source`` names where the URL came from in error messages
    (``$DATABASE_URL``); an unparseable URL is never echoed, as it may hold a password."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url.strip())
        backend = parsed.get_backend_name()
    except Exception:  # ArgumentError, or ValueError for a port that is not a number
        raise ProbeError(
            f"{source} is not a valid SQLAlchemy URL (dialect+driver://user:password@host:port/database)"
        ) from None
    display = parsed.render_as_string(hide_password=True)
    family = _FAMILIES.get(backend)
    if family is None:
        raise ProbeError(f"cannot probe {display}: only MySQL, MariaDB and PostgreSQL servers can be probed")
    password = parsed.password
    if family == MYSQL:
        kwargs = _mysql_kwargs(parsed, display)
    else:
        kwargs = _postgresql_kwargs(parsed)
    return Target(family, display, str(password) if password is not None else None, kwargs)


def _single(value: Any) -> Any:
    # A key repeated in the query string comes back as a tuple; the last one wins, as in a URL
    # handed to a driver directly.
    return value[-1] if isinstance(value, tuple) else value


def _mysql_kwargs(url, display: str) -> Dict[str, Any]:
    kwargs: Dict[str, Any] = {
        "host": url.host or "localhost",
        "port": url.port or 3306,
        "user": url.username or "",
        "password": url.password or "",
    }
    if url.database:
        kwargs["database"] = url.database
    for key, value in url.query.items():
        kind = _MYSQL_QUERY_KEYS.get(key)
        if kind is None:
            continue
        value = _single(value)
        if kind is bool:
            lowered = str(value).strip().lower()
            if lowered not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                raise ProbeError(f"cannot probe {display}: {key}={value!r} in the URL is not true or false")
            value = lowered in ("1", "true", "yes", "on")
        kwargs[key] = value
    return kwargs


def _postgresql_kwargs(url) -> Dict[str, Any]:
    kwargs: Dict[str, Any] = {}
    if url.host:
        kwargs["host"] = url.host
    if url.port:
        kwargs["port"] = url.port
    if url.username:
        kwargs["user"] = url.username
    if url.password is not None:
        kwargs["password"] = str(url.password)
    if url.database:
        kwargs["dbname"] = url.database
    # libpq keywords in the query (host=/var/run/postgresql, sslmode=require, options=-c ...)
    # are kept: they say how the application reaches the server and what its sessions start
    # with. libpq rejects what it does not know, so the driver decides which they are.
    query = {key: ",".join(value) if isinstance(value, tuple) else value for key, value in url.query.items()}
    kwargs["query"] = query
    return kwargs
