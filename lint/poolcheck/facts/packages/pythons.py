"""Which Python versions a requirement applies to (its environment markers).

A requirement is kept when some supported Python could install it; one whose marker excludes
every supported Python (``python_version < "3"``) says nothing about this project. Other marker
variables (platform, implementation) are not known statically, so a marker counts as holding
for a Python when it holds on any of a few common platforms: ``sys_platform == "win32"`` keeps
its requirement.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Dict, FrozenSet, Iterator, Optional, Sequence

if TYPE_CHECKING:  # pragma: no cover - typing only
    from packaging.markers import Marker
    from packaging.specifiers import SpecifierSet

# Every Python 3 (poolcheck parses Python 3 sources), oldest first.
PYTHON_VERSIONS = tuple(f"3.{minor}" for minor in range(16))
ALL_PYTHONS = frozenset(PYTHON_VERSIONS)
# Full versions are tried at the first and a late patch release of each, so that
# ``python_full_version >= "3.8.1"`` holds on 3.8.
_PATCH_RELEASES = ("0", "99")
_FULL_VERSION_VARIABLES = ("python_full_version", "implementation_version")

_PLATFORMS = (
    {"os_name": "posix", "sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64"},
    {"os_name": "posix", "sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "arm64"},
    {"os_name": "nt", "sys_platform": "win32", "platform_system": "Windows", "platform_machine": "AMD64"},
)
_IMPLEMENTATIONS = (
    {"implementation_name": "cpython", "platform_python_implementation": "CPython"},
    {"implementation_name": "pypy", "platform_python_implementation": "PyPy"},
)
_PLATFORM_VARIABLES = ("os_name", "sys_platform", "platform_", "implementation_")


def _environments(python: str, marker: str) -> Iterator[Dict[str, str]]:
    """Environments for ``python``, varied only in what ``marker`` mentions (most name only Python)."""
    patches = _PATCH_RELEASES if any(name in marker for name in _FULL_VERSION_VARIABLES) else _PATCH_RELEASES[:1]
    varied = any(name in marker for name in _PLATFORM_VARIABLES)
    for patch in patches:
        full_version = f"{python}.{patch}"
        for platform in _PLATFORMS if varied else _PLATFORMS[:1]:
            for implementation in _IMPLEMENTATIONS if varied else _IMPLEMENTATIONS[:1]:
                yield {
                    **platform,
                    **implementation,
                    "python_version": python,
                    "python_full_version": full_version,
                    "implementation_version": full_version,
                    "platform_release": "",
                    "platform_version": "",
                    "extra": "",
                }


def _holds_somewhere(marker: Marker, written: str, python: str) -> bool:
    for environment in _environments(python, written):
        try:
            if marker.evaluate(environment):
                return True
        except Exception:  # a variable packaging does not know: it excludes nothing we know of
            return True
    return False


@lru_cache(maxsize=1024)
def pythons_where_written(marker: str) -> FrozenSet[str]:
    """The supported Pythons on which the PEP 508 ``marker`` can hold (all, if it is invalid)."""
    from packaging.markers import InvalidMarker, Marker

    try:
        parsed = Marker(marker)
    except InvalidMarker:
        return ALL_PYTHONS
    return frozenset(python for python in PYTHON_VERSIONS if _holds_somewhere(parsed, marker, python))


def python_marker(alternatives: Sequence[SpecifierSet]) -> Optional[str]:
    """A version constraint on Python itself (Poetry's ``python = "^3.8"``) written as a marker.

    None when some alternative admits every Python.
    """
    terms = []
    for specifiers in alternatives:
        if not len(specifiers):
            return None
        terms.append(" and ".join(f'python_full_version {spec.operator} "{spec.version}"' for spec in specifiers))
    return " or ".join(f"({term})" for term in terms) if terms else None
