"""What the PC1xx rules need to know about an engine site, computed once per site.

For each engine site in a file: its resolved URL (SQLAlchemy's parser, or the configured
dialect assumption), its pool class (named, or the dialect's default from SQLAlchemy), and
the server settings that apply (``wait_timeout``, ``max_connections``, workers) with where
each came from, so a finding can name both places.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, List, Optional, Tuple

from .findings import Location, Related
from .values import Known

if TYPE_CHECKING:  # pragma: no cover
    from .context import RuleContext
    from .engines import EngineSite, ResolvedUrl
    from .facts.server import ServerSettings, Setting
    from .project import Project


@dataclass
class SiteFacts:
    site: "EngineSite"
    url: Optional["ResolvedUrl"]
    pool_class: Optional[str]
    pool_class_explicit: bool
    server: "ServerSettings"
    display_root: Path  # to turn project-relative locations into paths the user recognises

    @property
    def wait_timeout(self) -> "Setting":
        from .facts.server import DEFAULT_WAIT_TIMEOUT, WAIT_TIMEOUT, Setting

        return self.server.wait_timeout or Setting(WAIT_TIMEOUT, DEFAULT_WAIT_TIMEOUT, None, "the MySQL/MariaDB default")

    @property
    def max_connections(self) -> "Setting":
        from .facts.server import DEFAULT_MAX_CONNECTIONS, MAX_CONNECTIONS, Setting

        return self.server.max_connections or Setting(MAX_CONNECTIONS, DEFAULT_MAX_CONNECTIONS, None, "the MySQL/MariaDB default")

    def located(self, setting: "Setting") -> Optional[Related]:
        if setting.location is None:
            return None
        location = Location(_display(self.display_root, setting.location.path), setting.location.line, setting.location.column)
        return Related(location, f"{setting.name} = {setting.value} is set here ({setting.source})")

    def related(self, *settings: "Setting") -> Tuple[Related, ...]:
        chosen = settings or (self.wait_timeout,)
        return tuple(r for r in (self.located(s) for s in chosen) if r is not None)


def _display(root: Path, relative) -> Path:
    absolute = root / Path(str(relative))
    try:
        return absolute.relative_to(Path.cwd())
    except ValueError:
        return absolute


def server_settings(project: "Project") -> "ServerSettings":
    """The server settings the project states, with the live server's values (``check
    --database-url``) over them and ``[tool.poolcheck.database]`` over both."""
    from dataclasses import replace

    from .facts.server import ServerOverrides, collect_server_settings

    def compute(project: "Project") -> "ServerSettings":
        database = project.settings.database
        locations = {
            name: Location(Path(_relative_to_root(project.root, database.locations[key].path)), database.locations[key].line)
            for name, key in (("wait_timeout", "wait-timeout"), ("max_connections", "max-connections"), ("workers", "workers"))
            if key in database.locations
        }
        overrides = ServerOverrides(database.wait_timeout, database.max_connections, database.workers, locations=locations)
        found = collect_server_settings(project, overrides)
        return replace(found, live=database.live, live_family=database.live_family) if database.live else found

    return project.fact("server-settings", compute)


def _relative_to_root(root: Path, path: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)


def engine_sites_with_facts(ctx: "RuleContext") -> List[SiteFacts]:
    def compute(file_ctx) -> List[SiteFacts]:
        from .engines import pool_class_of, resolve_url

        assumed = file_ctx.settings.database.dialect
        server = server_settings(file_ctx.project)
        result = []
        for site in file_ctx.engine_sites():
            url = resolve_url(site.url, assumed)
            pool_class, explicit = pool_class_of(site, url)
            family = None if url is None else "mysql" if url.is_mysql_family else url.backend
            result.append(SiteFacts(site, url, pool_class, explicit, server.for_family(family), file_ctx.project.root))
        return result

    return ctx.file.memo("engine-site-facts", compute)


def truthiness(site: "EngineSite", option: str) -> Optional[bool]:
    """Whether a boolean option is on: True/False when known (a non-empty string is True, as
    it is at run time), None when it is set to something unknown or the options are
    incomplete and it is absent."""
    entry = site.options.get(option)
    if entry is None:
        return False if site.complete else None
    if isinstance(entry.value, Known):
        value = entry.value.value
        if isinstance(value, (bool, int, float, str)) or value is None:
            return bool(value)
    return None


def describe_site(facts: SiteFacts) -> str:
    """``MySQL engine `mysql+pymysql://app:***@db/app``` (password masked), saying so when
    the dialect is an assumption from the configuration."""
    url = facts.url
    family = "MariaDB" if url is not None and url.backend == "mariadb" else "MySQL"
    if url is None:
        return f"Engine ({facts.site.label})"
    if url.assumed:
        return f"{facts.site.label} engine (assuming {url.drivername} from [tool.poolcheck.database] dialect)"
    return f"{family} engine `{url.display}`"
