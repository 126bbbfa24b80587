"""What the PC1xx rules need to know about an engine site, computed once per site.

For each engine site in a file: its resolved URL (SQLAlchemy's parser, or the configured
dialect assumption), its pool class (named, or the dialect's default from SQLAlchemy), and
the server settings that apply (``wait_timeout``, ``max_connections``, workers) with where
each came from, so a finding can name both places.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, List, NamedTuple, Optional, Tuple

from .findings import Location, Related

if TYPE_CHECKING:  # pragma: no cover
    import libcst as cst

    from .context import RuleContext
    from .engines import EngineOption, EngineSite, ResolvedUrl
    from .facts.server import ServerSettings, Setting
    from .project import Project


class SiteFacts(NamedTuple):
    site: "EngineSite"
    url: Optional["ResolvedUrl"]
    pool_class: Optional[str]
    pool_class_explicit: bool
    server: "ServerSettings"
    project: "Project"  # to turn project-relative locations into paths the user recognises

    @property
    def wait_timeout(self) -> "Setting":
        from .facts.server import DEFAULT_WAIT_TIMEOUT, WAIT_TIMEOUT, Setting

        return self.server.wait_timeout or Setting(WAIT_TIMEOUT, DEFAULT_WAIT_TIMEOUT, None, "the MySQL/MariaDB default")

    @property
    def max_connections(self) -> "Setting":
        from .facts.server import DEFAULT_MAX_CONNECTIONS, MAX_CONNECTIONS, Setting

        return self.server.max_connections or Setting(MAX_CONNECTIONS, DEFAULT_MAX_CONNECTIONS, None, "the MySQL/MariaDB default")

    @property
    def workers(self) -> Optional["Setting"]:
        """The web worker count the project states (gunicorn/uvicorn...), None if none."""
        return self.server.workers

    @property
    def drivername(self) -> Optional[str]:
        return self.url.drivername if self.url is not None else None

    def located(self, setting: "Setting") -> Optional[Related]:
        if setting.location is None:
            return None
        location = Location(self.project.display(setting.location.path), setting.location.line, setting.location.column)
        return Related(location, f"{setting.name} = {setting.value} is set here ({setting.source})")

    def related(self, *settings: "Setting") -> Tuple[Related, ...]:
        chosen = settings or (self.wait_timeout,)
        return tuple(r for r in (self.located(s) for s in chosen) if r is not None)


def display_location(project: "Project", relative, line: int, column: int = 0) -> Location:
    """A project-relative place as the user's paths show it (relative to the working directory)."""
    return Location(project.display(relative), line, column)


def server_settings(project: "Project") -> "ServerSettings":
    """The server settings the project states, with the live server's values (``check
    --database-url``) over them and ``[tool.poolcheck.database]`` over both."""
    from dataclasses import replace

    from .facts.server import ServerOverrides, collect_server_settings

    def compute(project: "Project") -> "ServerSettings":
        database = project.settings.database
        locations = {}
        for key in ("wait-timeout", "max-connections", "workers", "idle-session-timeout"):
            if key in database.locations:
                loc = database.locations[key]
                locations[key] = Location(Path(_relative_to_root(project.root, loc.path)), loc.line)
        first = next(iter(locations.values()), None)
        overrides = ServerOverrides(
            database.wait_timeout,
            database.max_connections,
            database.workers,
            database.idle_session_timeout,
            first,
            key_locations=locations,
        )
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
            result.append(SiteFacts(site, url, pool_class, explicit, server.for_family(family), file_ctx.project))
        return result

    return ctx.file.memo("engine-site-facts", compute)


# The project facts engine_sites_with_facts reads for every file: the rules built on it (and
# on engine_arguments.argument_verdicts, which reads it) name these as their
# Rule.shared_facts, so that a run computes them once before its workers fork.
ENGINE_SITE_FACTS = (server_settings,)


def truthiness(site: "EngineSite", option: str) -> Optional[bool]:
    """Whether a boolean option is on: True/False when known (a non-empty string is True, as
    it is at run time), None when it is set to something unknown or the options are
    incomplete and it is absent."""
    from .values import Known  # here, not at import: rule modules import this one, and libcst is heavy

    entry = site.options.get(option)
    if entry is None:
        return False if site.complete else None
    if isinstance(entry.value, Known):
        value = entry.value.value
        if isinstance(value, (bool, int, float, str)) or value is None:
            return bool(value)
    return None


def describe_site(facts: SiteFacts) -> str:
    """``MySQL engine `mysql+pymysql://app:***@db/app``` (``Engine `postgresql://...``` for
    other databases; password masked), saying so when the dialect is an assumption from the
    configuration."""
    url = facts.url
    if url is None:
        return f"Engine ({facts.site.label})"
    if not url.is_mysql_family:
        return f"Engine `{url.display}`"
    family = "MariaDB" if url.backend == "mariadb" else "MySQL"
    if url.assumed:
        return f"{facts.site.label} engine (assuming {url.drivername} from [tool.poolcheck.database] dialect)"
    return f"{family} engine `{url.display}`"


# --- options as create_engine receives them -----------------------------------------------


class OptionValue(NamedTuple):
    """What create_engine receives for one option of a site.

    ``written`` is the value in the code; ``value`` what create_engine gets, which differs
    only where engine_from_config coerces strings (``"3600"`` -> 3600). ``coercion_error``
    is the exception engine_from_config raises for a string it cannot coerce.
    """

    option: "EngineOption"
    written: Any
    value: Any
    coerced: bool = False
    coercion_error: Optional[str] = None

    @property
    def from_environment(self) -> bool:
        """The value is the default of ``os.getenv(...)``: at run time it is whatever string
        the environment holds."""
        return bool(getattr(self.option.value, "from_env_default", False))


def option_value(facts: SiteFacts, name: str) -> Optional[OptionValue]:
    """The statically known value create_engine receives for ``name``; None when the
    option is absent, its value unknown, or engine_from_config's coercion of it unknown."""
    from .values import Known

    option = facts.site.options.get(name)
    if option is None or not isinstance(option.value, Known):
        return None
    written = option.value.value
    if not isinstance(written, (bool, int, float, str)) and written is not None:
        return None  # a dict, an imported name, a template...: not a plain value
    if not (facts.site.coerces_strings and isinstance(written, str)):
        return OptionValue(option, written, written)
    from .sqla import installed_knowledge

    answer = installed_knowledge().coerce_config_value(facts.drivername, name, written, facts.site.is_async)
    if answer is None:
        return None
    if "error" in answer:
        return OptionValue(option, written, None, coerced=True, coercion_error=answer["error"])
    value = answer["value"]
    return OptionValue(option, written, value, coerced=not isinstance(value, str))


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def option_anchor(
    ctx: "RuleContext", facts: SiteFacts, option: Optional["EngineOption"]
) -> Tuple["cst.CSTNode", Tuple[Related, ...]]:
    """Where to report about ``option``: its keyword or dict key when written in the checked
    file; otherwise the site, with the other file's place as a related location (a settings
    module's ``ENGINE_OPTIONS``), so the finding names both places."""
    site = facts.site
    if option is None or option.key_node is None:
        return site.node, ()
    if option.file is None or option.file is ctx.parsed or option.file.relative == ctx.parsed.relative:
        return option.key_node, ()
    location = option_location(facts, option)
    if location is None:
        return site.node, ()
    shown = Location(facts.project.display(location.path), location.line, location.column)
    return site.node, (Related(shown, f"`{option.name}` is set here"),)


def option_reference(ctx: "RuleContext", facts: SiteFacts, option: "EngineOption", text: Optional[str] = None) -> str:
    """How a message names an option: "`pool_size`", or "`pool_size` (app/settings.py:3)"
    when it is written in another file than the one the finding is reported in."""
    shown = f"`{text or option.name}`"
    if option.key_node is None or option.file is None or option.file.relative == ctx.parsed.relative:
        return shown
    location = option_location(facts, option)
    return f"{shown} ({location})" if location is not None else shown


def option_location(facts: SiteFacts, option: "EngineOption") -> Optional[Location]:
    """The place an option is written, relative to the project root (as server settings'
    places are), for messages; None for options a library adds implicitly."""
    if option.key_node is None:
        return None
    parsed = option.file or facts.site.file
    span = parsed.span(option.key_node)
    return Location(Path(parsed.relative), span.start.line, span.start.column)


def dialect_class_name(facts: SiteFacts) -> Optional[str]:
    """The dialect class create_engine uses for the site (``MySQLDialect_pymysql``), as it
    appears in SQLAlchemy's errors; None when the URL is unknown or assumed."""
    from .sqla import installed_knowledge

    if facts.url is None or facts.url.assumed:
        return None
    info = installed_knowledge().scheme_info(facts.url.drivername)
    if info is None:
        return None
    return info.async_dialect_class if facts.site.is_async else info.dialect_class
