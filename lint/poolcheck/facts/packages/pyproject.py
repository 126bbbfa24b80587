"""pyproject.toml: PEP 621 ``[project]`` dependencies, PEP 735 ``[dependency-groups]`` and Poetry.

- ``[project] dependencies`` and ``[project.optional-dependencies]``: PEP 508 strings;
- ``[dependency-groups]``: PEP 508 strings (``{include-group = ...}`` entries name no package);
- ``[tool.poetry.dependencies]``, ``[tool.poetry.dev-dependencies]`` and
  ``[tool.poetry.group.<name>.dependencies]``: ``name = "^2.5"``, ``name = {version = "^2.5",
  python = ">=3.8", markers = "..."}``, a list of such tables (one per Python range), or a
  ``git`` / ``path`` / ``url`` table, which names no version.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any, Dict, Iterator, List, Optional, Tuple

from poolcheck.findings import Location

from .model import Pin, RequirementSite, canonical_name
from .pep508 import pin_from_requirement
from .poetry_constraints import parse_poetry_constraint
from .pythons import python_marker
from .text_lines import TomlLines
from .toml_data import load_toml, table

_Table = Tuple[str, ...]


def _pep508_list(
    requirements: Any, tables: Tuple[_Table, ...], source: str, path: PurePosixPath, lines: TomlLines
) -> Iterator[Pin]:
    """Pins from an array of PEP 508 strings written under the first of ``tables`` that exists."""
    if not isinstance(requirements, list):
        return
    where = next((candidate for candidate in tables if lines.table_lines(candidate)), tables[-1])
    previous_line = 0
    for requirement in requirements:
        if not isinstance(requirement, str):
            continue
        line = lines.line_of_string(where, requirement, after=previous_line)
        previous_line = line or previous_line
        pin = pin_from_requirement(
            requirement, Location(Path(path.as_posix()), line or lines.line_of_table(where)), source
        )
        if pin is not None:
            yield pin


def _pep621_pins(data: Dict[str, Any], path: PurePosixPath, lines: TomlLines) -> Iterator[Pin]:
    project = table(data, "project")
    yield from _pep508_list(
        project.get("dependencies"), (("project",),), f"{path.as_posix()} [project.dependencies]", path, lines
    )
    for extra, requirements in table(project, "optional-dependencies").items():
        yield from _pep508_list(
            requirements,
            (("project", "optional-dependencies"), ("project",)),
            f"{path.as_posix()} [project.optional-dependencies.{extra}]",
            path,
            lines,
        )
    for group, requirements in table(data, "dependency-groups").items():
        yield from _pep508_list(
            requirements, (("dependency-groups",),), f"{path.as_posix()} [dependency-groups.{group}]", path, lines
        )


def _markers_of(constraint: Dict[str, Any]) -> Tuple[str, ...]:
    """The markers of a Poetry dependency table: its ``markers`` and its ``python`` range."""
    markers = []
    if isinstance(constraint.get("markers"), str):
        markers.append(constraint["markers"])
    if isinstance(constraint.get("python"), str):
        alternatives = parse_poetry_constraint(constraint["python"])
        python = python_marker(alternatives) if alternatives is not None else None
        if python is not None:
            markers.append(python)
    return tuple(markers)


def _poetry_pin(name: str, written: Any, requirement: str, location: Location, source: str) -> Optional[Pin]:
    """One Poetry constraint: a string, or one table of a dependency's table or list of tables."""
    details: Dict[str, Any] = written if isinstance(written, dict) else {"version": written}
    if any(key in details for key in ("git", "path", "url")):
        site = RequirementSite(requirement, "", location, source)
        return Pin(name, site, None, _markers_of(details))
    version = details.get("version", "*")
    if not isinstance(version, str):
        return None
    alternatives = parse_poetry_constraint(version)
    if alternatives is None:
        return None
    site = RequirementSite(requirement, version.strip(), location, source)
    return Pin(name, site, alternatives, _markers_of(details))


def _poetry_tables(data: Dict[str, Any]) -> Iterator[Tuple[_Table, Dict[str, Any]]]:
    poetry = table(data, "tool", "poetry")
    yield ("tool", "poetry", "dependencies"), table(poetry, "dependencies")
    yield ("tool", "poetry", "dev-dependencies"), table(poetry, "dev-dependencies")
    for group in table(poetry, "group"):
        yield ("tool", "poetry", "group", group, "dependencies"), table(poetry, "group", group, "dependencies")


def _poetry_pins(data: Dict[str, Any], path: PurePosixPath, lines: TomlLines) -> Iterator[Pin]:
    for where, dependencies in _poetry_tables(data):
        source = f"{path.as_posix()} [{'.'.join(where)}]"
        for key, written in dependencies.items():
            name = canonical_name(key)
            if name == "python":  # the project's own Python range, not a package
                continue
            line = lines.line_of_package(where, name)
            # Several constraints (one per Python range) are tables on lines of their own.
            constraints = written if isinstance(written, list) else [written]
            previous = line or 0
            for constraint in constraints:
                version = constraint.get("version") if isinstance(constraint, dict) else None
                own_line = None
                if len(constraints) > 1 and isinstance(version, str):
                    own_line = lines.line_of_string(where, version, after=previous)
                    previous = own_line or previous
                found = own_line or line
                # The text as written: the line it is on; the bare key when that was not found.
                requirement = lines.lines[found - 1].strip().rstrip(",") if found else key
                location = Location(Path(path.as_posix()), found or lines.line_of_table(where))
                pin = _poetry_pin(name, constraint, requirement, location, source)
                if pin is not None:
                    yield pin


def read_pyproject(path: PurePosixPath, text: str) -> List[Pin]:
    data = load_toml(text)
    if data is None:
        return []
    lines = TomlLines(text)
    return [*_pep621_pins(data, path, lines), *_poetry_pins(data, path, lines)]
