"""Finding a package's version across the project's dependency files, reading each file once.

Which files speak, in order:

1. Only files that can state a version are read: lock files (``poetry.lock``, ``uv.lock``,
   ``Pipfile.lock``, ``pdm.lock``), ``pyproject.toml``, ``Pipfile``, ``setup.cfg``,
   ``setup.py``, requirements files (``requirements*.txt``/``.in``, ``requirements/*.txt``/
   ``.in``, ``constraints*.txt``) and whatever those include with ``-r`` / ``-c``.
2. They are grouped by the folder they describe (a ``requirements/`` folder belongs to its
   parent). The shallowest folder that mentions the package at all speaks for the project: the
   root's files, when they mention it, are never overruled by a nested ``examples/`` or
   ``docs/`` project, yet a project kept in ``backend/`` is still found.
3. Within that folder a lock file wins (it is what gets installed), in the order above.
4. Otherwise every requirement found there must hold at once, as pip demands; choose.py picks
   the newest release they all admit (see its docstring for markers and contradictions).
   Source order, which decides what a message quotes first and which requirement answers
   when they contradict: requirements files (each followed by its includes), then Pipfile,
   pyproject.toml, setup.cfg and setup.py, since an application's requirements file is
   usually what its deployment installs.

Readers (and through them ``packaging`` and a TOML parser) are imported on first use: a
project without dependency files never loads them. A lock file is parsed only once its text
mentions a package asked about.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import PurePosixPath
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from .. import ProjectFiles
from .model import LockedPackage, PackageVersion, Pin, canonical_name

LOCK_FILES = ("poetry.lock", "uv.lock", "Pipfile.lock", "pdm.lock")
MANIFESTS = ("Pipfile", "pyproject.toml", "setup.cfg", "setup.py")
_REQUIREMENTS_PATTERNS = ("requirements*.txt", "requirements*.in", "constraints*.txt")
_REQUIREMENTS_FOLDER = "requirements"


def _is_requirements_entry(path: PurePosixPath) -> bool:
    name = path.name.lower()
    if path.parent.name.lower() == _REQUIREMENTS_FOLDER and name.endswith((".txt", ".in")):
        return True
    return any(fnmatch(name, pattern) for pattern in _REQUIREMENTS_PATTERNS)


@dataclass
class _Folder:
    """The dependency files describing one folder of the project."""

    path: PurePosixPath
    locks: List[PurePosixPath] = field(default_factory=list)
    requirements: List[PurePosixPath] = field(default_factory=list)
    manifests: List[PurePosixPath] = field(default_factory=list)

    @property
    def depth(self) -> int:
        return len(self.path.parts)


def _folders(paths: Sequence[PurePosixPath]) -> List[_Folder]:
    """The folders holding dependency files, shallowest first, each file list in reading order."""
    folders: Dict[PurePosixPath, _Folder] = {}

    def folder(path: PurePosixPath) -> _Folder:
        return folders.setdefault(path, _Folder(path))

    for path in paths:
        if path.name in LOCK_FILES:
            folder(path.parent).locks.append(path)
        elif path.name in MANIFESTS:
            folder(path.parent).manifests.append(path)
        elif _is_requirements_entry(path):
            described = path.parent.parent if path.parent.name.lower() == _REQUIREMENTS_FOLDER else path.parent
            folder(described).requirements.append(path)
    for each in folders.values():
        each.locks.sort(key=lambda path: LOCK_FILES.index(path.name))
        each.manifests.sort(key=lambda path: MANIFESTS.index(path.name))
        # requirements*.txt before constraints*.txt: constraints only narrow what is required.
        each.requirements.sort(key=lambda path: (path.name.lower().startswith("constraints"), path.as_posix()))
    return sorted(folders.values(), key=lambda each: (each.depth, each.path.as_posix()))


def _lock_reader(path: PurePosixPath) -> Callable[[PurePosixPath, str], Dict[str, LockedPackage]]:
    from .locks import read_pipfile_lock, read_toml_lock

    return read_pipfile_lock if path.name == "Pipfile.lock" else read_toml_lock


def _manifest_reader(path: PurePosixPath) -> Callable[[PurePosixPath, str], List[Pin]]:
    if path.name == "pyproject.toml":
        from .pyproject import read_pyproject

        return read_pyproject
    if path.name == "Pipfile":
        from .pipfile import read_pipfile

        return read_pipfile
    from .setuptools_files import read_setup_cfg, read_setup_py

    return read_setup_cfg if path.name == "setup.cfg" else read_setup_py


def _requirements_reader(path: PurePosixPath) -> Callable[[PurePosixPath, str], Any]:
    from .requirements_files import read_requirements_file

    return read_requirements_file


def _guarded(reader: Callable[[PurePosixPath, str], Any], path: PurePosixPath, text: str) -> Any:
    try:
        return reader(path, text)
    except Exception:
        # The readers expect malformed files; this is the last guard. A file poolcheck cannot
        # understand contributes nothing, and linting the rest goes on.
        return None


def _mentions(text: str, name: str) -> bool:
    """Whether ``text`` may name the canonical ``name`` in any spelling (``Flask_SQLAlchemy``)."""
    spelled_any_way = "[-_.]+".join(re.escape(part) for part in name.split("-"))
    return re.search(spelled_any_way, text.lower()) is not None


class PackageIndex:
    """Answers "which version of X does this project use?" for any number of packages.

    Each dependency file is read and parsed at most once per index, however many packages
    are asked about.
    """

    def __init__(self, files: ProjectFiles) -> None:
        self._files = files
        self._folders: Optional[List[_Folder]] = None
        self._parsed: Dict[Tuple[PurePosixPath, Callable[..., Any]], Any] = {}
        self._lock_texts: Dict[PurePosixPath, Optional[str]] = {}
        self._locked: Dict[PurePosixPath, Dict[str, LockedPackage]] = {}
        self._pins: Dict[PurePosixPath, Dict[str, List[Pin]]] = {}
        self._answers: Dict[Tuple[str, Tuple[str, ...]], Optional[PackageVersion]] = {}

    def version_of(self, name: str, releases: Sequence[str]) -> Optional[PackageVersion]:
        """The version of ``name`` the project uses, or None when its files do not say.

        ``releases`` are the package's known releases; a range picks the newest it admits.
        Each answer is worked out once; through the project's ``memo`` when it has one, so
        that whoever gets an answer depends on every file working it out read (the index's
        own caches would hide them from the second asker).
        """
        key = (name, tuple(releases))
        memo = getattr(self._files, "memo", None)
        if memo is not None:
            return memo("package-versions", key, lambda: self._fresh(lambda: self._version_of(name, releases)))
        if key not in self._answers:
            self._answers[key] = self._version_of(name, releases)
        return self._answers[key]

    def _fresh(self, compute):
        """``compute()`` with the index's caches emptied first and after: every file it
        needs is read (and so recorded) while it runs."""
        self._folders, self._parsed, self._lock_texts, self._locked, self._pins = None, {}, {}, {}, {}
        try:
            return compute()
        finally:
            self._folders, self._parsed, self._lock_texts, self._locked, self._pins = None, {}, {}, {}, {}

    def _version_of(self, name: str, releases: Sequence[str]) -> Optional[PackageVersion]:
        wanted = canonical_name(name)
        for folder in self._dependency_folders():
            locked = self._locked_in(folder, wanted)
            if locked is not None:
                return PackageVersion(
                    name=wanted,
                    version=locked.version,
                    requirement=locked.requirement,
                    location=locked.location,
                    source=locked.source,
                    exact=True,
                    display_name=name,
                )
            pins = self._pins_in(folder).get(wanted)
            if pins:
                from .choose import choose_version

                return choose_version(pins, releases, name)
        return None

    def _dependency_folders(self) -> List[_Folder]:
        if self._folders is None:
            self._folders = _folders(self._files.paths())
        return self._folders

    def _parse(self, path: PurePosixPath, reader: Callable[[PurePosixPath, str], Any]) -> Any:
        """``reader``'s result for ``path``, once; None when it cannot be read or understood."""
        # Keyed by reader too: ``-r pyproject.toml`` makes a requirements file of a manifest
        # (that odd file is then read twice).
        key = (path, reader)
        if key not in self._parsed:
            text = self._files.read_text(path)
            self._parsed[key] = _guarded(reader, path, text) if text is not None else None
        return self._parsed[key]

    def _locked_in(self, folder: _Folder, name: str) -> Optional[LockedPackage]:
        """The entry for ``name`` in the first of the folder's lock files that has one."""
        for path in folder.locks:
            entry = self._lock_entries(path, name).get(name)
            if entry is not None:
                return entry
        return None

    def _lock_entries(self, path: PurePosixPath, name: str) -> Dict[str, LockedPackage]:
        """The lock's entries, parsed the first time it mentions a package asked about.

        Lock files run to megabytes and parsing TOML costs about a second per MB: a project
        without Flask-SQLAlchemy should not pay that to learn so. The text is kept until then.
        """
        if path in self._locked:
            return self._locked[path]
        if path not in self._lock_texts:
            self._lock_texts[path] = self._files.read_text(path)
        text = self._lock_texts[path]
        if text is not None and not _mentions(text, name):
            return {}
        del self._lock_texts[path]
        self._locked[path] = (_guarded(_lock_reader(path), path, text) if text is not None else None) or {}
        return self._locked[path]

    def _pins_in(self, folder: _Folder) -> Dict[str, List[Pin]]:
        if folder.path not in self._pins:
            pins: Dict[str, List[Pin]] = {}
            for pin in [*self._requirements_pins(folder), *self._manifest_pins(folder)]:
                pins.setdefault(pin.name, []).append(pin)
            self._pins[folder.path] = pins
        return self._pins[folder.path]

    def _requirements_pins(self, folder: _Folder) -> List[Pin]:
        """Pins of the folder's requirements files and everything they include, each file once."""
        pins: List[Pin] = []
        visited = set()
        for entry in folder.requirements:
            pending = [entry]
            while pending:
                path = pending.pop()
                if path in visited:  # an include loop, or a file two others include
                    continue
                visited.add(path)
                parsed = self._parse(path, _requirements_reader(path))
                if parsed is None:
                    continue
                pins.extend(parsed.pins)
                pending.extend(reversed(parsed.includes))
        return pins

    def _manifest_pins(self, folder: _Folder) -> List[Pin]:
        return [pin for path in folder.manifests for pin in (self._parse(path, _manifest_reader(path)) or [])]


def find_package_version(files: ProjectFiles, name: str, releases: Sequence[str]) -> Optional[PackageVersion]:
    """The version of ``name`` the project uses (see :class:`PackageIndex` to ask about several)."""
    return PackageIndex(files).version_of(name, releases)
