"""What a probe learns from a live server: plain data, no driver in sight."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

MYSQL = "mysql"  # MySQL and MariaDB: one protocol, one set of variables
POSTGRESQL = "postgresql"


class ProbeError(Exception):
    """The probe could not answer: no driver, no connection, no permission, not a server we
    know. The message is one line, names the server with its password masked, and says what
    to do; it never contains the password."""


@dataclass(frozen=True)
class ProbedValue:
    """One setting or status counter as the server reports it to the probing account.

    ``value`` is what a new connection of this account gets (the session value), which is what
    a pool's connections get; ``global_value`` is the server-wide value, or None where the
    server does not let an ordinary account read it. They differ when the account or the
    server's ``init_connect`` sets the session value (MySQL), or a role, database or
    connection option sets it (PostgreSQL: ``note`` says which)."""

    name: str
    value: Optional[int]  # None: the server does not have this setting (older version)
    global_value: Optional[int] = None
    unit: str = ""  # "s", "ms" or "" (a count)
    note: str = ""  # where a session value comes from, or why a value is missing

    @property
    def differs(self) -> bool:
        return self.value is not None and self.global_value is not None and self.value != self.global_value

    def seconds(self) -> Optional[int]:
        """The value in whole seconds for a time setting (None for counts). Milliseconds are
        rounded up: for a whole number of seconds ``r``, ``r >= 1.5 s`` exactly when
        ``r >= 2``, so comparisons with ``pool_recycle`` stay exact."""
        if self.value is None or self.unit not in ("s", "ms"):
            return None
        return -(-self.value // 1000) if self.unit == "ms" else self.value


@dataclass(frozen=True)
class ConnectionLimit:
    """How many connections this account can hold at once, and which setting says so."""

    value: int
    setting: str  # "max_connections", "max_user_connections", "rolconnlimit", ...
    explanation: str  # "max_connections 100 - superuser_reserved_connections 3"


@dataclass(frozen=True)
class ServerProbe:
    """Everything one probe read. ``url`` is already masked (``mysql://app:***@db/app``)."""

    family: str  # MYSQL or POSTGRESQL
    product: str  # "MySQL", "MariaDB" or "PostgreSQL"
    version: str
    url: str
    account: str  # the account the server says we are (CURRENT_USER(), current_user)
    values: Tuple[ProbedValue, ...]
    connection_limit: Optional[ConnectionLimit] = None

    def get(self, name: str) -> Optional[ProbedValue]:
        for value in self.values:
            if value.name == name:
                return value
        return None
