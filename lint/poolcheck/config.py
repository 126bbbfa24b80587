"""Configuration: ``[tool.poolcheck]`` in ``pyproject.toml``, or ``poolcheck.toml`` /
``.poolcheck.toml`` (same keys at the top level), found from the checked path upward.

Every key is declared once in :data:`SCHEMA` with its type; anything else is an error that
names the file and the key and suggests the near miss. Errors raise :class:`ConfigError`,
which the command line turns into one line on standard error and exit code 2.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Dict, List, Mapping, NamedTuple, Optional, Tuple

from .findings import Location
from .source import split_lines

CONFIG_FILENAMES = ("poolcheck.toml", ".poolcheck.toml", "pyproject.toml")


class ConfigError(Exception):
    pass


def load_toml(path: Path, data: Optional[bytes] = None) -> dict:
    """The TOML document in the file ``path`` (whose bytes are ``data``, when read already)."""
    if data is None:
        data = _read_config(path)
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python < 3.11
        import tomli as tomllib
    try:
        return tomllib.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: is not valid UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: is not valid TOML: {exc}") from None


def _read_config(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None


def load_toml_text(text: str) -> Optional[dict]:
    """The TOML document in ``text``, or None when it is not valid TOML."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python < 3.11
        import tomli as tomllib
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None


# --- value checkers -----------------------------------------------------------------------


def _string_list(value: Any) -> Optional[str]:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return None
    return "a list of strings"


def _positive_int(value: Any) -> Optional[str]:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return None
    return "a positive integer"


def _per_file_ignores(value: Any) -> Optional[str]:
    if isinstance(value, dict) and all(isinstance(v, list) and all(isinstance(c, str) for c in v) for v in value.values()):
        return _bad_globs(list(value))
    return 'a table of glob = ["CODE", ...]'


def _glob_list(value: Any) -> Optional[str]:
    return _string_list(value) or _bad_globs(value)


def _bad_globs(globs: List[str]) -> Optional[str]:
    from .discovery import invalid_glob

    for glob in globs:
        reason = invalid_glob(glob)
        if reason is not None:
            return f"gitignore-style globs, and {glob!r} is not one ({reason})"
    return None


def _at_most(limit: int, server: str) -> Checker:
    """A positive integer no server accepts above ``limit`` (beyond it is a typo, or
    milliseconds written for seconds)."""

    def check(value: Any) -> Optional[str]:
        if _positive_int(value) is None and value <= limit:
            return None
        return f"a positive integer of seconds, at most {limit} ({server})"

    return check


_DIALECT = re.compile(r"^[a-z][a-z0-9_]*(\+[a-z0-9_]+)?$")
_DIALECT_EXPECTED = 'a dialect name such as "mysql", "mariadb", "postgresql" or "mysql+pymysql"'


def _dialect(value: Any) -> Optional[str]:
    if not (isinstance(value, str) and _DIALECT.match(value)):
        return _DIALECT_EXPECTED
    near = _dialect_near_miss(value.split("+", 1)[0])
    if near:
        # "myslq", "postgres" (refused by SQLAlchemy since 1.4): every engine would silently
        # be assumed to be a database nothing applies to.
        return f"a SQLAlchemy dialect name (there is no {value.split('+', 1)[0]!r}; did you mean {near!r}?)"
    return None


def _dialect_near_miss(backend: str) -> Optional[str]:
    """The SQLAlchemy dialect ``backend`` is a typo of, None when it is one or is unlike any
    (a third-party dialect such as "snowflake" is the project's business)."""
    try:
        from sqlalchemy.dialects import __all__ as shipped
    except ImportError:  # pragma: no cover - SQLAlchemy is a dependency
        return None
    known = set(shipped) | {"mariadb"}
    if backend in known:
        return None
    import difflib  # only for a suggestion: most runs make none

    near = difflib.get_close_matches(backend, sorted(known), n=1, cutoff=0.75)
    return near[0] if near else None


_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _env_name(value: Any) -> Optional[str]:
    if isinstance(value, str) and _ENV_NAME.match(value):
        return None
    return 'the name of an environment variable such as "DATABASE_URL" (the URL itself never belongs in a file)'


def _string(value: Any) -> Optional[str]:
    return None if isinstance(value, str) and value else "a non-empty string"


# key -> checker returning None when valid or a description of the expected type.
Checker = Callable[[Any], Optional[str]]

SCHEMA: Dict[str, Checker] = {
    "select": _string_list,
    "extend-select": _string_list,
    "ignore": _string_list,
    "per-file-ignores": _per_file_ignores,
    "exclude": _glob_list,
    "extend-exclude": _glob_list,
}

DATABASE_SCHEMA: Dict[str, Checker] = {
    "dialect": _dialect,
    "wait-timeout": _at_most(31536000, "MySQL's and MariaDB's maximum wait_timeout"),
    "max-connections": _positive_int,
    "workers": _positive_int,
    # PostgreSQL's idle_session_timeout (seconds): PC102's limit for PostgreSQL engines.
    "idle-session-timeout": _at_most(2147483, "PostgreSQL's maximum idle_session_timeout, 2147483647 ms"),
    # `poolcheck check` probes the server whose URL this variable holds (see docs/probe.md).
    "url-env": _env_name,
}


# Settings are named tuples (immutable; `settings._replace(...)`): a dataclass costs its
# module, and `inspect`, at the start of every run.
_NO_ENTRIES: Mapping[str, Any] = MappingProxyType({})


class DatabaseSettings(NamedTuple):
    """What to assume about the database server where the project does not say."""

    dialect: Optional[str] = None
    wait_timeout: Optional[int] = None
    max_connections: Optional[int] = None
    workers: Optional[int] = None
    idle_session_timeout: Optional[int] = None
    # The environment variable holding the URL of a live server to probe during `check`.
    url_env: Optional[str] = None
    # What that probe found (poolcheck.facts.server Setting values): attached by the command
    # line after probing, never read from a file. Explicit keys above win over them.
    live: Tuple[Any, ...] = ()
    live_family: Optional[str] = None  # "mysql" or "postgresql": the engines `live` applies to
    # Where each key was set (for "wait-timeout = 600 (pyproject.toml:14)" in findings).
    locations: Mapping[str, Location] = _NO_ENTRIES


class Settings(NamedTuple):
    path: Optional[Path] = None  # the configuration file, None when there is none
    select: Optional[Tuple[str, ...]] = None
    extend_select: Tuple[str, ...] = ()
    ignore: Tuple[str, ...] = ()
    per_file_ignores: Mapping[str, Tuple[str, ...]] = _NO_ENTRIES
    exclude: Tuple[str, ...] = ()
    extend_exclude: Tuple[str, ...] = ()
    database: DatabaseSettings = DatabaseSettings()

    @property
    def base(self) -> Optional[Path]:
        """The directory relative paths in the configuration are resolved against."""
        return self.path.parent if self.path else None


def _suggest(key: str, known) -> str:
    import difflib  # only for a suggestion: most runs make none

    near = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    return f"; did you mean {near[0]!r}?" if near else ""


def _check_table(table: Mapping[str, Any], schema: Mapping[str, Checker], where: str, nested: Mapping[str, Any]) -> None:
    for key, value in table.items():
        if key in nested:
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: {key!r} must be a table")
            continue
        checker = schema.get(key)
        if checker is None:
            known = list(schema) + list(nested)
            raise ConfigError(f"{where}: unknown key {key!r}{_suggest(key, known)}")
        expected = checker(value)
        if expected:
            raise ConfigError(f"{where}: {key!r} must be {expected}, not {value!r}")


def _key_location(path: Path, text: str, key: str) -> Location:
    for number, line in enumerate(split_lines(text), start=1):
        if re.match(rf"\s*[\"']?{re.escape(key)}[\"']?\s*=", line):
            return Location(path, number)
    return Location(path, 1)


def settings_from_table(table: Mapping[str, Any], path: Path, where: str) -> Settings:
    _check_table(table, SCHEMA, where, {"database": DATABASE_SCHEMA})
    database_table = table.get("database", {})
    _check_table(database_table, DATABASE_SCHEMA, f"{where[:-1]}.database]" if where.endswith("]") else f"{where} [database]", {})
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        text = ""
    database = DatabaseSettings(
        dialect=database_table.get("dialect"),
        wait_timeout=database_table.get("wait-timeout"),
        max_connections=database_table.get("max-connections"),
        workers=database_table.get("workers"),
        idle_session_timeout=database_table.get("idle-session-timeout"),
        url_env=database_table.get("url-env"),
        locations={key: _key_location(path, text, key) for key in database_table},
    )
    select = table.get("select")
    return Settings(
        path=path,
        select=tuple(select) if select is not None else None,
        extend_select=tuple(table.get("extend-select", ())),
        ignore=tuple(table.get("ignore", ())),
        per_file_ignores={glob: tuple(codes) for glob, codes in table.get("per-file-ignores", {}).items()},
        exclude=tuple(table.get("exclude", ())),
        extend_exclude=tuple(table.get("extend-exclude", ())),
        database=database,
    )


def load_settings(path: Path, data: Optional[dict] = None) -> Settings:
    """Load an explicit configuration file (``--config``); ``data``: its TOML, if parsed
    already."""
    if data is None:
        data = load_toml(path)
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get("poolcheck")
        if table is None:
            return Settings(path=path)
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [tool.poolcheck] must be a table")
        return settings_from_table(table, path, f"{path}: [tool.poolcheck]")
    return settings_from_table(data, path, str(path))


def find_config_file(start: Path) -> Optional[Path]:
    """The nearest configuration file from ``start`` upward. A ``pyproject.toml`` counts only
    if it has a ``[tool.poolcheck]`` table (as ruff does), but one that mentions poolcheck and
    is not valid TOML is an error rather than silently skipped: the user would not learn why
    their settings are ignored."""
    found = find_config(start)
    return found[0] if found is not None else None


def find_config(start: Path) -> Optional[Tuple[Path, Optional[dict]]]:
    """The nearest configuration file, with its TOML when finding it took a parse."""
    directory = start if start.is_dir() else start.parent
    for folder in [directory, *directory.parents]:
        for name in CONFIG_FILENAMES:
            candidate = folder / name
            if not candidate.is_file():
                continue
            if name != "pyproject.toml":
                return candidate, None
            raw = _read_config(candidate)
            # A [tool.poolcheck] table, in any TOML spelling, holds the word: a pyproject.toml
            # without it is not parsed (and a broken one is not ours to report). Parsing took a
            # tenth of a one-file run, tomllib's import (with datetime's) most of it.
            if b"poolcheck" not in raw:
                continue
            data = load_toml(candidate, raw)
            if isinstance(data.get("tool"), dict) and "poolcheck" in data["tool"]:
                return candidate, data
    return None


def discover_settings(start: Path) -> Settings:
    found = find_config(start.resolve())
    return load_settings(*found) if found is not None else Settings()


def describe_keys() -> List[str]:
    return list(SCHEMA) + [f"database.{key}" for key in DATABASE_SCHEMA]
