"""Lock files: what the project's installer actually installs.

- ``poetry.lock``, ``uv.lock``, ``pdm.lock``: TOML with one ``[[package]]`` table per package
  (``name``, ``version``);
- ``Pipfile.lock``: JSON, ``{"default": {name: {"version": "==x"}}, "develop": {...}}``;
  ``default`` (the runtime packages) is consulted before ``develop``.

A lock may hold one package at several versions (uv and Poetry do so for different Pythons);
the newest is taken, as choose.py takes the newest Python's requirements. Markers on lock
entries are not evaluated. An entry without a version (a uv workspace member with a dynamic
version, a Pipfile.lock git entry) gives none.
"""

from __future__ import annotations

import json
import re
from pathlib import Path, PurePosixPath
from typing import Any, Dict, List, Tuple

from packaging.version import InvalidVersion, Version

from poolcheck.findings import Location

from .model import LockedPackage, canonical_name
from .text_lines import split_lines
from .toml_data import load_toml

_PACKAGE_HEADER = "[[package]]"
_NAME_LINE = re.compile(r"""\s*name\s*=\s*["']""")


def _newest(entries: List[LockedPackage]) -> LockedPackage:
    def order(entry: LockedPackage) -> Tuple[bool, Version]:
        try:
            return (True, Version(entry.version))
        except InvalidVersion:  # below every valid version
            return (False, Version("0"))

    return max(entries, key=order)  # the first of equals: file order


def _by_name(entries: List[LockedPackage]) -> Dict[str, LockedPackage]:
    grouped: Dict[str, List[LockedPackage]] = {}
    for entry in entries:
        grouped.setdefault(entry.name, []).append(entry)
    return {name: _newest(same) for name, same in grouped.items()}


def _package_entry_lines(text: str) -> List[int]:
    """For the n-th ``[[package]]`` table, the 1-based line of its ``name =`` (else of its header).

    TOML keeps arrays of tables in the order they are written, so the n-th header line in the
    text is the n-th entry tomllib returns.
    """
    lines = split_lines(text)
    starts = [index for index, line in enumerate(lines) if line.strip() == _PACKAGE_HEADER]
    entry_lines = []
    for position, start in enumerate(starts):
        end = starts[position + 1] if position + 1 < len(starts) else len(lines)
        name_line = next(
            (index for index in range(start + 1, end) if _NAME_LINE.match(lines[index])),
            start,
        )
        entry_lines.append(name_line + 1)
    return entry_lines


def read_toml_lock(path: PurePosixPath, text: str) -> Dict[str, LockedPackage]:
    """``poetry.lock``, ``uv.lock`` and ``pdm.lock``."""
    data = load_toml(text)
    packages = data.get("package") if data else None
    if not isinstance(packages, list):
        return {}
    entry_lines = _package_entry_lines(text)
    source = path.as_posix()
    entries = []
    for position, package in enumerate(packages):
        if not isinstance(package, dict):
            continue
        name, version = package.get("name"), package.get("version")
        if not isinstance(name, str) or not isinstance(version, str) or not version:
            continue
        line = entry_lines[position] if position < len(entry_lines) else 1
        entries.append(
            LockedPackage(canonical_name(name), version, f"{name}=={version}", Location(Path(source), line), source)
        )
    return _by_name(entries)


def _pipfile_lock_key_lines(text: str) -> Dict[Tuple[str, str], int]:
    """The 1-based line of each ``"name": {`` key under ``"default"`` / ``"develop"``."""
    key_lines: Dict[Tuple[str, str], int] = {}
    section = ""
    for number, line in enumerate(split_lines(text), start=1):
        match = re.match(r'\s*"([^"]+)"\s*:\s*\{', line)
        if not match:
            continue
        key = match.group(1)
        # pipenv writes the top-level keys at 4 spaces, package names at 8: a package called
        # "default" does not switch sections.
        if key in ("default", "develop", "_meta") and re.match(r"\s{0,4}\"", line):
            section = key
        elif section in ("default", "develop"):
            key_lines.setdefault((section, canonical_name(key)), number)
    return key_lines


def read_pipfile_lock(path: PurePosixPath, text: str) -> Dict[str, LockedPackage]:
    try:
        data: Any = json.loads(text)
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    key_lines = _pipfile_lock_key_lines(text)
    source = path.as_posix()
    found: Dict[str, LockedPackage] = {}
    for section in ("default", "develop"):
        packages = data.get(section)
        if not isinstance(packages, dict):
            continue
        for name, details in packages.items():
            version = details.get("version") if isinstance(details, dict) else None
            if not isinstance(version, str) or not version.startswith("=="):
                continue
            key = canonical_name(name)
            version = version.lstrip("=").strip()
            line = key_lines.get((section, key), 1)
            found.setdefault(
                key, LockedPackage(key, version, f"{name}=={version}", Location(Path(source), line), source)
            )
    return found
