"""setuptools metadata: ``setup.cfg`` and literal ``setup(install_requires=[...])`` in ``setup.py``.

setup.py is read with ``ast``, never run. A requirement list counts when it is a literal in
the ``setup()`` call or a module-level name bound to one (``REQUIRES = [...]`` ...
``install_requires=REQUIRES``); anything computed (read from a file, built in a loop) is not
followed. ``extras_require`` counts when it is a literal dict of such lists.

setup.cfg: ``[options] install_requires`` and ``[options.extras_require]``, as setuptools
reads them: one requirement per line, or ``;``-separated on a single line. ``file:``
directives are not followed.
"""

from __future__ import annotations

import ast
import configparser
import re
from pathlib import Path, PurePosixPath
from typing import Dict, Iterator, List, Optional, Tuple

from poolcheck.findings import Location

from .model import Pin
from .pep508 import pin_from_requirement
from .text_lines import split_lines

_INI_SECTION = re.compile(r"\s*\[([^\]]+)\]")


def _listed(value: str) -> List[str]:
    """setuptools' ``list-semi``: a dangling list, or ``;``-separated on one line."""
    items = value.splitlines() if "\n" in value else value.split(";")
    return [item.strip() for item in items if item.strip() and not item.strip().startswith("#")]


def _section_span(lines: List[str], section: str) -> Tuple[int, int]:
    """The 0-based line range of an ini ``[section]``, or the whole file."""
    start = None
    for index, line in enumerate(lines):
        match = _INI_SECTION.match(line)
        if not match:
            continue
        if start is not None:
            return start, index
        if match.group(1).strip() == section:
            start = index
    return (start, len(lines)) if start is not None else (0, len(lines))


def _cfg_pins(
    requirements: List[str], section: str, source: str, path: PurePosixPath, lines: List[str]
) -> Iterator[Pin]:
    start, end = _section_span(lines, section)
    search_from = start
    for requirement in requirements:
        # Written alone on its line, or after "install_requires =", or between ";"s.
        written = re.compile(r"(?:^|[\s=;])" + re.escape(requirement) + r"(?=$|[\s;])")
        found = next((index for index in range(search_from, end) if written.search(lines[index])), None)
        if found is not None:
            search_from = found  # the next one is on this line or below
        line = (found if found is not None else start) + 1
        pin = pin_from_requirement(requirement, Location(Path(path.as_posix()), line), source)
        if pin is not None:
            yield pin


def read_setup_cfg(path: PurePosixPath, text: str) -> List[Pin]:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except configparser.Error:
        return []
    lines = split_lines(text)
    where = path.as_posix()
    pins: List[Pin] = []
    if parser.has_option("options", "install_requires"):
        requirements = _listed(parser.get("options", "install_requires"))
        pins += _cfg_pins(requirements, "options", f"{where} [options] install_requires", path, lines)
    if parser.has_section("options.extras_require"):
        for extra, value in parser.items("options.extras_require"):
            source = f"{where} [options.extras_require] {extra}"
            pins += _cfg_pins(_listed(value), "options.extras_require", source, path, lines)
    return pins


def _is_setup_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    function = node.func
    return (isinstance(function, ast.Name) and function.id == "setup") or (
        isinstance(function, ast.Attribute) and function.attr == "setup"
    )


def _module_bindings(tree: ast.Module) -> Dict[str, ast.expr]:
    """``NAME = <expr>`` at module level (the last binding wins, as it would at run time)."""
    bindings: Dict[str, ast.expr] = {}
    for statement in tree.body:
        if (
            isinstance(statement, ast.Assign)
            and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name)
        ):
            bindings[statement.targets[0].id] = statement.value
    return bindings


def _literal(node: Optional[ast.expr], bindings: Dict[str, ast.expr]) -> Optional[ast.expr]:
    return bindings.get(node.id) if isinstance(node, ast.Name) else node


def _strings(node: Optional[ast.expr], bindings: Dict[str, ast.expr]) -> Iterator[Tuple[str, int]]:
    """(text, line) of each string in a literal list or tuple."""
    node = _literal(node, bindings)
    if isinstance(node, (ast.List, ast.Tuple)):
        for element in node.elts:
            if isinstance(element, ast.Constant) and isinstance(element.value, str):
                yield element.value, element.lineno


def read_setup_py(path: PurePosixPath, text: str) -> List[Pin]:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return []
    bindings = _module_bindings(tree)
    where = path.as_posix()
    pins: List[Pin] = []

    def add(requirements: Iterator[Tuple[str, int]], source: str) -> None:
        for requirement, line in requirements:
            pin = pin_from_requirement(requirement, Location(Path(where), line), source)
            if pin is not None:
                pins.append(pin)

    for node in ast.walk(tree):
        if not _is_setup_call(node):
            continue
        for keyword in node.keywords:
            if keyword.arg == "install_requires":
                add(_strings(keyword.value, bindings), f"{where} install_requires")
            elif keyword.arg == "extras_require":
                extras = _literal(keyword.value, bindings)
                if isinstance(extras, ast.Dict):
                    for key, value in zip(extras.keys, extras.values):
                        if isinstance(key, ast.Constant) and isinstance(key.value, str):
                            add(_strings(value, bindings), f"{where} extras_require[{key.value!r}]")
    return pins
