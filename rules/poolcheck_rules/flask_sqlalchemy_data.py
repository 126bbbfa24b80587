"""What each Flask-SQLAlchemy release reads, and how it makes engines: data the PC2xx rules and
the Flask-SQLAlchemy engine-site source share.

Verified by reading each release's source and running 2.5.1, 3.0.5 and 3.1.1
(shared/reference/ground-truth.md section 3; the boundaries below from 2.4.0, 2.4.2, 2.4.3,
3.0.0 and 3.1.0 sources):

- ``SQLALCHEMY_POOL_SIZE`` / ``_POOL_TIMEOUT`` / ``_POOL_RECYCLE`` / ``_MAX_OVERFLOW`` and
  ``SQLALCHEMY_NATIVE_UNICODE``: read; from 2.4.0 read with a ``DeprecationWarning``; from
  3.0.0 ignored, silently.
- ``SQLALCHEMY_COMMIT_ON_TEARDOWN``: read; from 2.4.3 with a ``DeprecationWarning`` (at
  teardown; at ``init_app`` in 3.0); from 3.1.0 ignored.
- ``SQLALCHEMY_ENGINE_OPTIONS`` and ``SQLAlchemy(engine_options=...)``: from 2.4.0.

Only the standard library is imported here; ``packaging`` is imported on first comparison.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Dict, NamedTuple, Optional, Tuple

if TYPE_CHECKING:  # pragma: no cover
    from poolcheck.facts.packages import PackageVersion
    from poolcheck.flask_config import Behaviour

PACKAGE = "Flask-SQLAlchemy"
# Every release on PyPI (pip index versions flask-sqlalchemy, 2026-11): a range in a project's
# requirements picks the newest of these it admits.
RELEASES = (
    "0.5",
    "0.6",
    "0.9",
    "0.9.1",
    "0.10",
    "0.11",
    "0.12",
    "0.13",
    "0.14",
    "0.15",
    "0.16",
    "1.0",
    "2.0",
    "2.1",
    "2.2",
    "2.3.0",
    "2.3.1",
    "2.3.2",
    "2.4.0",
    "2.4.1",
    "2.4.2",
    "2.4.3",
    "2.4.4",
    "2.5.0",
    "2.5.1",
    "3.0.0",
    "3.0.1",
    "3.0.2",
    "3.0.3",
    "3.0.4",
    "3.0.5",
    "3.1.0",
    "3.1.1",
)
NEWEST = RELEASES[-1]

URI = "SQLALCHEMY_DATABASE_URI"
ENGINE_OPTIONS = "SQLALCHEMY_ENGINE_OPTIONS"
ENGINE_OPTIONS_SINCE = "2.4.0"
ALWAYS_READ = (
    URI,
    "SQLALCHEMY_BINDS",
    "SQLALCHEMY_ECHO",
    "SQLALCHEMY_RECORD_QUERIES",
    "SQLALCHEMY_TRACK_MODIFICATIONS",
)

READ = "read"
DEPRECATED = "deprecated"
IGNORED = "ignored"


class RemovedKey(NamedTuple):
    deprecated: str  # the first release that warns
    ignored: str  # the first release that ignores it
    option: Optional[str]  # the engine option it used to set, if any
    effect: str  # what is lost once it is ignored
    instead: str  # what to do (the help line)
    # Values that ask for what the release does anyway: ignoring them changes nothing.
    harmless: Tuple = (None,)


REMOVED: Dict[str, RemovedKey] = {
    "SQLALCHEMY_POOL_SIZE": RemovedKey("2.4.0", "3.0.0", "pool_size", "", ""),
    "SQLALCHEMY_POOL_TIMEOUT": RemovedKey("2.4.0", "3.0.0", "pool_timeout", "", ""),
    "SQLALCHEMY_POOL_RECYCLE": RemovedKey("2.4.0", "3.0.0", "pool_recycle", "", ""),
    "SQLALCHEMY_MAX_OVERFLOW": RemovedKey("2.4.0", "3.0.0", "max_overflow", "", ""),
    "SQLALCHEMY_NATIVE_UNICODE": RemovedKey(
        "2.4.0",
        "3.0.0",
        None,
        "it has no effect",
        "Delete it: drivers return `str` already (on SQLAlchemy 1.4 with psycopg2, set "
        "`use_native_unicode` in `SQLALCHEMY_ENGINE_OPTIONS` instead).",
        harmless=(None, True),
    ),
    "SQLALCHEMY_COMMIT_ON_TEARDOWN": RemovedKey(
        "2.4.3",
        "3.1.0",
        None,
        "sessions are no longer committed at the end of a request",
        "Delete it and call `db.session.commit()` where each request's work is done.",
        harmless=(None, False),
    ),
}
LEGACY_OPTION_KEYS = tuple((key, removed.option) for key, removed in REMOVED.items() if removed.option)
KNOWN_KEYS = frozenset(ALWAYS_READ) | frozenset(REMOVED) | {ENGINE_OPTIONS}


@lru_cache(maxsize=None)
def _version(text: str):
    from packaging.version import InvalidVersion, Version

    try:
        return Version(text)
    except InvalidVersion:
        return Version(NEWEST)


def at_least(version: str, release: str) -> bool:
    return _version(version) >= _version(release)


def status(key: str, version: str) -> Optional[str]:
    """How ``version`` treats ``key``: READ, DEPRECATED (read, with a warning), IGNORED, or
    None for a key no release reads."""
    removed = REMOVED.get(key)
    if removed is not None:
        if at_least(version, removed.ignored):
            return IGNORED
        return DEPRECATED if at_least(version, removed.deprecated) else READ
    if key == ENGINE_OPTIONS:
        return READ if at_least(version, ENGINE_OPTIONS_SINCE) else IGNORED
    return READ if key in ALWAYS_READ else None


def keys_read(version: str) -> Tuple[str, ...]:
    return tuple(key for key in sorted(KNOWN_KEYS) if status(key, version) in (READ, DEPRECATED))


class UsedRelease(NamedTuple):
    """The release the project uses, and where that came from."""

    version: str
    found: Optional["PackageVersion"] = None

    def describe(self) -> str:
        if self.found is not None:
            return self.found.describe()
        return f"{PACKAGE} {self.version} (the newest release: the project's dependency files do not say which it uses)"

    @property
    def label(self) -> str:
        return f"{PACKAGE} {self.version}"


def used_release(project) -> UsedRelease:
    """The Flask-SQLAlchemy release the project's dependency files give (lock files over
    requirements), else the newest."""

    def compute(project) -> UsedRelease:
        from poolcheck.facts.packages import PackageIndex

        index = project.fact("package-index", PackageIndex)
        found = index.version_of(PACKAGE, RELEASES)
        return UsedRelease(found.version, found) if found is not None else UsedRelease(NEWEST)

    return project.fact("flask-sqlalchemy-release", compute)


def behaviour(version: str) -> "Behaviour":
    """How ``version`` turns configuration into engines (see poolcheck.flask_config.sites)."""
    from poolcheck.flask_config import Behaviour

    release = f"{PACKAGE} {version}"
    if at_least(version, "3.0.0"):
        return Behaviour(
            release=release,
            reads_engine_options=True,
            legacy_option_keys=(),
            mysql_defaults=(("pool_recycle", 7200),),
            mysql_defaults_skip=(),
            sqlite_memory_drivers=("sqlite", "sqlite+pysqlite"),
            sqlite_file_null_pool=False,
            driver_defaults_first=False,
            coerces_strings=True,
            dict_binds=True,
            binds_get_config_options=False,
            config_over_constructor=True,
            engine_hooks=("_apply_driver_defaults", "_make_engine", "init_app"),
        )
    return Behaviour(
        release=release,
        reads_engine_options=at_least(version, ENGINE_OPTIONS_SINCE),
        legacy_option_keys=LEGACY_OPTION_KEYS,
        mysql_defaults=(("pool_size", 10), ("pool_recycle", 7200)),
        mysql_defaults_skip=("mysql+gaerdbms",),
        sqlite_memory_drivers=("sqlite",),
        sqlite_file_null_pool=True,
        driver_defaults_first=True,
        coerces_strings=False,
        dict_binds=False,
        binds_get_config_options=at_least(version, ENGINE_OPTIONS_SINCE),
        config_over_constructor=False,
        engine_hooks=("apply_driver_hacks", "apply_pool_defaults", "create_engine", "get_engine", "init_app"),
    )
