"""Pipfile (pipenv's manifest): ``[packages]`` and ``[dev-packages]``.

A package is ``name = "*"``, ``name = ">=2.4,<3"`` (PEP 440), or a table with ``version``,
``markers``, ``extras``, or ``git`` / ``path`` / ``file`` (which name no version). Marker
variables may also stand as keys (``sys_platform = "== 'win32'"``).
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any, Dict, Iterator, List, Optional, Tuple

from packaging.specifiers import SpecifierSet

from poolcheck.findings import Location

from .model import Pin, RequirementSite, canonical_name
from .specifiers import parse_specifiers
from .text_lines import TomlLines
from .toml_data import load_toml, table

_SOURCE_KEYS = ("git", "path", "file", "url")
_MARKER_KEYS = (
    "python_version",
    "python_full_version",
    "sys_platform",
    "platform_system",
    "os_name",
    "platform_machine",
)


def _specifier(version: str) -> Optional[SpecifierSet]:
    version = version.strip()
    if version in ("", "*"):
        return SpecifierSet("")
    parsed = parse_specifiers(version)
    # pipenv takes a bare version as ``==``.
    return parsed if parsed is not None else parse_specifiers(f"=={version}")


def _markers(details: Dict[str, Any]) -> Tuple[str, ...]:
    markers = [details["markers"]] if isinstance(details.get("markers"), str) else []
    markers += [f"{key} {details[key]}" for key in _MARKER_KEYS if isinstance(details.get(key), str)]
    return tuple(markers)


def _section_pins(data: Dict[str, Any], section: str, path: PurePosixPath, lines: TomlLines) -> Iterator[Pin]:
    where: Tuple[str, ...] = (section,)
    source = f"{path.as_posix()} [{section}]"
    for key, written in table(data, section).items():
        name = canonical_name(key)
        line = lines.line_of_package(where, name)
        location = Location(Path(path.as_posix()), line or lines.line_of_table(where))
        requirement = lines.lines[line - 1].strip() if line else key
        details: Dict[str, Any] = written if isinstance(written, dict) else {"version": written}
        if any(source_key in details for source_key in _SOURCE_KEYS):
            yield Pin(name, RequirementSite(requirement, "", location, source), None, _markers(details))
            continue
        version = details.get("version", "*")
        specifier = _specifier(version) if isinstance(version, str) else None
        if specifier is not None:
            site = RequirementSite(requirement, version.strip(), location, source)
            yield Pin(name, site, (specifier,), _markers(details))


def read_pipfile(path: PurePosixPath, text: str) -> List[Pin]:
    data = load_toml(text)
    if data is None:
        return []
    lines = TomlLines(text)
    return [pin for section in ("packages", "dev-packages") for pin in _section_pins(data, section, path, lines)]
