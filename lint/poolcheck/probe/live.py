"""The probed values as server-settings facts, for ``poolcheck check --database-url``.

The live server's values become :class:`~poolcheck.facts.server.Setting` values whose source
names the server (``wait_timeout = 600 (live server mysql://app:***@db/app)``), so the rules
need not know where a value came from. Precedence, highest first:

1. ``[tool.poolcheck.database]`` explicit keys: the user's deliberate statement, for example
   of production's values while CI probes a staging server (a differing live value is warned
   about, so a stale key does not go unnoticed);
2. the live server;
3. the project's files (my.cnf, compose, ``SET GLOBAL``...);
4. the built-in defaults.

Each value is the probing account's session value: what a new connection gets, so what the
pool's connections get.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, List, Tuple

from .model import MYSQL, ServerProbe

if TYPE_CHECKING:  # pragma: no cover
    from ..config import Settings
    from ..facts.server import Setting


def live_source(server: ServerProbe) -> str:
    return f"live server {server.url}"


def live_settings(server: ServerProbe) -> Tuple["Setting", ...]:
    from ..facts.server import IDLE_SESSION_TIMEOUT, MAX_CONNECTIONS, WAIT_TIMEOUT, Setting

    source = live_source(server)
    found: List[Setting] = []
    if server.family == MYSQL:
        wait = server.get("wait_timeout")
        if wait is not None and wait.value is not None:
            found.append(Setting(WAIT_TIMEOUT, wait.value, None, source))
    else:
        # PostgreSQL's wait_timeout. Not read by any rule yet: PC102's PostgreSQL variant
        # (issue 9) is to use it once PC102 is on main; see docs/probe.md.
        idle = server.get("idle_session_timeout")
        seconds = idle.seconds() if idle is not None else None
        if seconds:  # 0 (the default) is "never": no limit to check against
            found.append(Setting(IDLE_SESSION_TIMEOUT, seconds, None, source))
    limit = server.connection_limit
    if limit is not None:
        if limit.setting != "max_connections":
            # "max_connections = 20 (max_user_connections = 20 for app@%, live server ...)":
            # the account's own limit is the one its pool runs into.
            source = f"{limit.explanation}, {source}"
        found.append(Setting(MAX_CONNECTIONS, limit.value, None, source))
    return tuple(found)


def with_live_server(settings: "Settings", server: ServerProbe) -> "Settings":
    """``settings`` with the live server's values attached to its database settings."""
    return settings._replace(database=settings.database._replace(live=live_settings(server), live_family=server.family))


_CONFIG_KEYS = (("wait_timeout", "wait-timeout"), ("max_connections", "max-connections"))


def override_conflicts(settings: "Settings", server: ServerProbe) -> List[str]:
    """A warning for each ``[tool.poolcheck.database]`` key that overrides a different live
    value: the key wins (see the module docstring), but a stale key should not go unseen."""
    database = settings.database
    live = {setting.name: setting for setting in live_settings(server)}
    warnings = []
    for name, key in _CONFIG_KEYS:
        configured = getattr(database, name)
        probed = live.get(name)
        if configured is None or probed is None or probed.value == configured:
            continue
        where = str(database.locations[key]) if key in database.locations else "[tool.poolcheck.database]"
        warnings.append(
            f"{where}: {key} = {configured} overrides the live server's {name} = {probed.value} "
            f"({server.url}); remove the key to check against the server"
        )
    return warnings
