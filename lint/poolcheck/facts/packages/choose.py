"""Choosing the version a set of requirements gives the project.

Every requirement the project states on a package must hold at once (pip installs one version
that satisfies them all), so the version is the newest known release, or ``==`` pinned version,
that every requirement admits. Prereleases are left out unless a requirement names one
(``>=3.0b1``), as pip does.

Requirements split by environment markers (``<3; python_version < "3.8"`` beside
``>=3; python_version >= "3.8"``) are alternatives, not a conjunction: they are taken for the
newest Python on which any applies, then older ones, so each line counts where it holds.
When the requirements contradict each other outright (``==2.5.1`` in one file, ``>=3`` in
another), pip could not install the project as written; the strongest single requirement
(an ``==`` pin, else the first with a bound, in source order) is followed alone.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple

from packaging.version import InvalidVersion, Version

from .model import PackageVersion, Pin
from .pythons import PYTHON_VERSIONS

_Candidate = Tuple[Version, str]  # the parsed version and its spelling


def _parse(spelling: str) -> Optional[Version]:
    try:
        return Version(spelling)
    except InvalidVersion:
        return None


def _by_strength(pins: Sequence[Pin]) -> List[Pin]:
    """``==`` pins first, then requirements with a bound, then bare names; source order within."""
    return sorted(pins, key=lambda pin: (pin.pinned_version is None, not pin.site.constraint))


class _Chooser:
    def __init__(self, releases: Sequence[str], display_name: str) -> None:
        self._releases = [(version, spelling) for spelling in releases for version in [_parse(spelling)] if version]
        self._display_name = display_name

    def _candidates(self, pins: Sequence[Pin]) -> List[_Candidate]:
        """Known releases plus versions the pins name, newest first, prereleases only if asked for."""
        spellings: Dict[Version, str] = {}
        for version, spelling in self._releases:
            spellings.setdefault(version, spelling)
        for pin in pins:
            pinned = pin.pinned_version
            version = _parse(pinned) if pinned else None
            if version is not None:
                spellings.setdefault(version, pinned)
        prereleases_wanted = any(pin.names_prerelease for pin in pins)
        return sorted(
            (
                (version, spelling)
                for version, spelling in spellings.items()
                if prereleases_wanted or not version.is_prerelease
            ),
            reverse=True,
        )

    def choose(self, pins: Sequence[Pin]) -> Optional[PackageVersion]:
        """The newest candidate every pin admits, with the pins that rule out anything newer."""
        candidates = self._candidates(pins)
        chosen = next((candidate for candidate in candidates if all(pin.admits(candidate[0]) for pin in pins)), None)
        if chosen is None:
            return None
        newer = [version for version, _ in candidates if version > chosen[0]]
        # The fewest pins, strongest first, that between them exclude every newer candidate: these
        # are what a message should quote (one ``==`` pin says it all).
        deciding: List[Pin] = []
        for pin in _by_strength(pins):
            if not newer:
                break
            if not all(pin.admits(version) for version in newer):
                deciding.append(pin)
                newer = [version for version in newer if pin.admits(version)]
        first, *rest = deciding or _by_strength(pins)[:1]
        return PackageVersion(
            name=first.name,
            version=chosen[1],
            requirement=first.site.requirement,
            location=first.site.location,
            source=first.site.source,
            exact=first.pinned_version is not None,
            display_name=self._display_name,
            constraint=first.site.constraint,
            also=tuple(pin.site for pin in rest),
        )


def choose_version(pins: Sequence[Pin], releases: Sequence[str], display_name: str) -> Optional[PackageVersion]:
    """The version ``pins`` (all on one package) give the project, or None if they give none."""
    usable = [pin for pin in pins if pin.gives_version]
    if not usable:
        return None
    chooser = _Chooser(releases, display_name)
    tried = set()
    for python in reversed(PYTHON_VERSIONS):
        applying = tuple(pin for pin in usable if python in pin.pythons)
        if applying and applying not in tried:
            tried.add(applying)
            chosen = chooser.choose(applying)
            if chosen is not None:
                return chosen
    for pin in _by_strength(usable):
        chosen = chooser.choose((pin,))
        if chosen is not None:
            return chosen
    return None
