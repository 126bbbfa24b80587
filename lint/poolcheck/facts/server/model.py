"""What the project says about its database server and its web workers, and where it says it.

Plain data only: the collectors in this package produce :class:`Setting` values, and
:func:`~poolcheck.facts.server.collect.collect_server_settings` wraps them in one
:class:`ServerSettings`. Rules read the effective values and point at their locations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional, Tuple

from poolcheck.findings import Location

WAIT_TIMEOUT = "wait_timeout"
MAX_CONNECTIONS = "max_connections"
WORKERS = "workers"
# PostgreSQL's counterpart of wait_timeout, in seconds; only a live server reports it
# (poolcheck.probe.live). Unset (the server default, 0) means sessions never time out.
IDLE_SESSION_TIMEOUT = "idle_session_timeout"
SETTING_NAMES = (WAIT_TIMEOUT, MAX_CONNECTIONS, WORKERS, IDLE_SESSION_TIMEOUT)

# Built-in server defaults, for the rules to fall back on when the project states nothing.
# They are deliberately not filled in by the collector: "the project does not say" and "the
# project says 28800" lead to different messages. Source: poolcheck's verified reference notes
# (shared/reference/ground-truth.md, section 5), measured on MariaDB 10.11.19 and the same in the
# MySQL 8 reference manual (server-system-variables: wait_timeout 28800, max_connections 151).
DEFAULT_WAIT_TIMEOUT = 28800
DEFAULT_MAX_CONNECTIONS = 151


@dataclass(frozen=True)
class Setting:
    """One value of one setting, as one place in the project states it."""

    name: str  # one of SETTING_NAMES
    value: int
    # Relative to the project root; None for built-in defaults and live-server values.
    location: Optional[Location]
    # A short human description of the place: "my.cnf [mysqld]", "Procfile: web",
    # "live server mysql://app:***@db/app", ...
    source: str

    def describe(self) -> str:
        """``wait_timeout = 600 (deploy/my.cnf:4)``: the form findings quote."""
        where = str(self.location) if self.location is not None else self.source
        return f"{self.name} = {self.value} ({where})"


@dataclass(frozen=True)
class ServerOverrides:
    """``[tool.poolcheck.database]`` values; each one wins over anything found in files."""

    wait_timeout: Optional[int] = None
    max_connections: Optional[int] = None
    workers: Optional[int] = None
    # Where the values are written (the poolcheck configuration file).
    location: Optional[Location] = None
    # Where each key is written ("wait-timeout" -> pyproject.toml:12), when known; keys not
    # listed fall back to ``location``.
    key_locations: Mapping[str, Location] = field(default_factory=dict)

    def as_settings(self) -> Tuple[Setting, ...]:
        keys = ((WAIT_TIMEOUT, "wait-timeout", self.wait_timeout),
                (MAX_CONNECTIONS, "max-connections", self.max_connections),
                (WORKERS, "workers", self.workers))
        return tuple(
            Setting(name, value, self.key_locations.get(key, self.location), f"[tool.poolcheck.database] {key}")
            for name, key, value in keys
            if value is not None
        )


@dataclass(frozen=True)
class ServerSettings:
    """Every value the project states, and the one each rule should use.

    ``found`` holds the candidates from project files in path, then line order. Where several
    places disagree we cannot know which one production runs with, so the effective value is
    the one that hurts first: the smallest ``wait_timeout`` and ``max_connections``, the
    largest ``workers``. A value read from the live server (``check --database-url``) beats
    the files: it is what the server runs with. An override from the poolcheck configuration
    beats all of them: it is the user's deliberate statement (see docs/probe.md).
    """

    found: Tuple[Setting, ...] = ()
    overrides: Tuple[Setting, ...] = ()
    live: Tuple[Setting, ...] = ()
    live_family: Optional[str] = None  # "mysql" (MySQL and MariaDB) or "postgresql"

    def for_family(self, family: Optional[str]) -> "ServerSettings":
        """The settings for an engine of ``family``: a live server's values say nothing about
        an engine on another kind of server (a MySQL probe's max_connections is not the
        PostgreSQL server's), nor about one whose kind is unknown."""
        if not self.live or family == self.live_family:
            return self
        return ServerSettings(self.found, self.overrides)

    def candidates(self, name: str) -> Tuple[Setting, ...]:
        """The values found in project files for ``name`` (overrides not included)."""
        return tuple(setting for setting in self.found if setting.name == name)

    def effective(self, name: str) -> Optional[Setting]:
        for override in self.overrides + self.live:
            if override.name == name:
                return override
        candidates = self.candidates(name)
        if not candidates:
            return None
        if name == WORKERS:
            # max() keeps the first of equal values, so ties resolve to the earliest place.
            return max(candidates, key=lambda setting: setting.value)
        return min(candidates, key=lambda setting: setting.value)

    @property
    def wait_timeout(self) -> Optional[Setting]:
        return self.effective(WAIT_TIMEOUT)

    @property
    def max_connections(self) -> Optional[Setting]:
        return self.effective(MAX_CONNECTIONS)

    @property
    def workers(self) -> Optional[Setting]:
        return self.effective(WORKERS)

    @property
    def idle_session_timeout(self) -> Optional[Setting]:
        return self.effective(IDLE_SESSION_TIMEOUT)
