"""The plain data the package-version readers produce and the index hands out.

Only the standard library is imported here: the specifier objects a :class:`Pin` holds come
from ``packaging``, which the readers import when a dependency file is actually read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, FrozenSet, Optional, Tuple

from poolcheck.findings import Location

if TYPE_CHECKING:  # pragma: no cover - typing only
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

# Operators that pin one version. "==" with a wildcard (``==2.5.*``) is a range.
_PINNING_OPERATORS = ("==", "===")
# Operators that let prereleases in when their version is one (``>=3.0b1``), as packaging's
# own ``Specifier.prereleases`` decides: "!=", "<" and ">" never do.
_PRERELEASE_OPENING_OPERATORS = ("==", "===", ">=", "<=", "~=")


def canonical_name(name: str) -> str:
    """The PEP 503 normal form: ``Flask_SQLAlchemy`` and ``flask.sqlalchemy`` are ``flask-sqlalchemy``."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class RequirementSite:
    """A requirement as one project file states it."""

    requirement: str  # the text as written: ``Flask-SQLAlchemy>=2.5,<3``, ``flask-sqlalchemy = "^2.5"``
    constraint: str  # its version part as written: ``>=2.5,<3``, ``^2.5``; "" when it names none
    location: Location
    source: str  # ``requirements/base.txt``, ``pyproject.toml [project.dependencies]``

    def quoted(self) -> str:
        return f'"{self.constraint}" ({self.location})'


@dataclass(frozen=True)
class Pin:
    """A requirement on a package, with the versions it admits and the Pythons it applies to."""

    name: str  # canonical
    site: RequirementSite
    # The versions admitted: any one of these specifier sets (Poetry's ``^1 || ^2`` is two).
    # None for a URL or path requirement, which names no version at all.
    alternatives: Optional[Tuple[SpecifierSet, ...]]
    # Environment markers (PEP 508 text) that must all hold; Poetry's ``python = "^3.8"`` is
    # written as one too.
    markers: Tuple[str, ...] = ()

    @cached_property
    def pythons(self) -> FrozenSet[str]:
        """The Python versions ("3.8", ...) its markers allow.

        Computed on first use: only the requirements on a package someone asks about are
        evaluated, not every line of a long requirements file.
        """
        from .pythons import ALL_PYTHONS, pythons_where_written

        pythons = ALL_PYTHONS
        for marker in self.markers:
            pythons = pythons & pythons_where_written(marker)
        return pythons

    @property
    def gives_version(self) -> bool:
        return self.alternatives is not None and bool(self.pythons)

    def admits(self, version: Version) -> bool:
        # Prereleases are filtered by the caller, once for all pins (see choose.py), so each
        # specifier is asked only whether the version is in its range.
        return any(spec.contains(version, prereleases=True) for spec in self.alternatives or ())

    @property
    def pinned_version(self) -> Optional[str]:
        """The one version an ``==`` / ``===`` specifier names, else None."""
        if not self.alternatives or len(self.alternatives) != 1:
            return None
        for spec in self.alternatives[0]:
            if spec.operator in _PINNING_OPERATORS and not spec.version.endswith(".*"):
                return spec.version
        return None

    @property
    def names_prerelease(self) -> bool:
        """Whether the requirement asks for a prerelease (``>=3.0b1``), which lets prereleases in."""
        from packaging.version import InvalidVersion, Version

        for spec_set in self.alternatives or ():
            for spec in spec_set:
                if spec.operator not in _PRERELEASE_OPENING_OPERATORS:
                    continue
                version = spec.version[:-2] if spec.version.endswith(".*") else spec.version
                try:
                    if Version(version).is_prerelease:
                        return True
                except InvalidVersion:
                    continue
        return False


@dataclass(frozen=True)
class LockedPackage:
    """One package entry of a lock file."""

    name: str  # canonical
    version: str
    requirement: str  # ``flask-sqlalchemy==2.5.1``, as the lock spells the name
    location: Location
    source: str


@dataclass(frozen=True)
class PackageVersion:
    """The version of a package the project uses, and where that came from."""

    name: str  # canonical (PEP 503)
    version: str
    requirement: str  # the text as written at ``location``
    location: Location
    source: str
    exact: bool  # locked or ``==`` pinned, rather than chosen from a range
    display_name: str = ""  # the name as the caller spelled it, for messages
    constraint: str = ""  # the version part of ``requirement`` as written ("" for a lock entry)
    # Other requirements that, together with this one, decide the version from a range.
    also: Tuple[RequirementSite, ...] = ()

    @property
    def locations(self) -> Tuple[Location, ...]:
        """Every place that decided the version, for a finding's related locations."""
        return (self.location,) + tuple(site.location for site in self.also)

    def describe(self) -> str:
        """``Flask-SQLAlchemy 2.5.1 (poetry.lock:120)``, or how the version was chosen from a range."""
        head = f"{self.display_name or self.name} {self.version}"
        if self.exact:
            return f"{head} ({self.location})"
        if not self.constraint and not self.also:
            return f'{head}, the newest release; "{self.requirement}" sets no bound ({self.location})'
        sites = [RequirementSite(self.requirement, self.constraint, self.location, self.source), *self.also]
        if len(sites) == 1:
            return f'{head}, the newest that "{self.constraint}" admits ({self.location})'
        return f"{head}, the newest that {' and '.join(site.quoted() for site in sites)} admit"
