"""Whether the project itself reads a config key.

A key Flask-SQLAlchemy does not read may still be the application's own setting:
``SQLALCHEMY_DATABASE_URL`` handed to the app's own ``create_engine``, ``POOL_SIZE`` used in
``SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": POOL_SIZE}``. Such a key is not a mistake. A key
counts as read when its name appears in a project Python file anywhere but where it is
written (the statement that writes it: ``POOL_SIZE = int(os.getenv("POOL_SIZE", 5))``
mentions the name twice and still reads nothing), outside comments and outside tests (a test
asserting a config value is not the application using it). Lower-case keys count only as
quoted strings (``pool_recycle`` is everywhere as a keyword argument).
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Dict, Iterable, Optional, Set

from ..findings import Location
from ..source import split_lines
from .model import ConfigEntry

if TYPE_CHECKING:  # pragma: no cover
    from ..project import Project

_TEST_FOLDERS = ("test", "tests", "testing")


def is_test_file(path: PurePosixPath) -> bool:
    name = path.name
    return (
        name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
        or any(part.lower() in _TEST_FOLDERS for part in path.parts[:-1])
    )


def written_lines(entries: Iterable[ConfigEntry]) -> Dict[PurePosixPath, Set[int]]:
    """The lines that write each entry, by file: the whole statement for ``KEY = ...`` and
    ``app.config["KEY"] = ...``; the key's line for a keyword or dict key (the call or dict
    around it writes other keys too)."""
    lines: Dict[PurePosixPath, Set[int]] = {}
    for entry in entries:
        if entry.file is None or entry.key_node is None:
            continue
        whole_statement = entry.form in ("attribute", "subscript") and entry.statement is not None
        span = entry.file.span(entry.statement if whole_statement else entry.key_node)
        lines.setdefault(entry.path, set()).update(range(span.start.line, span.end.line + 1))
    return lines


def first_read(project: "Project", key: str, writes: Iterable[ConfigEntry]) -> Optional[Location]:
    """Where the project reads ``key`` (outside the places that write it), or None."""
    writes = list(writes)
    cache_key = (key, tuple(sorted(id(entry) for entry in writes)))
    return project.memo("flask-config-key-reads", cache_key, lambda: _first_read(project, key, written_lines(writes)))


def _first_read(project: "Project", key: str, skip: Dict[PurePosixPath, Set[int]]) -> Optional[Location]:
    if key.isupper():
        pattern = re.compile(rf"(?<![A-Za-z0-9_]){re.escape(key)}(?![A-Za-z0-9_])")
    else:
        pattern = re.compile(rf"""(?<=["']){re.escape(key)}(?=["'])""")
    for path in project.python_files_containing((key.encode("utf-8"),)):
        if is_test_file(path):
            continue
        text = project.read_text(path)
        if text is None:
            continue
        skipped = skip.get(path, set())
        for number, line in enumerate(split_lines(text), start=1):
            if number in skipped:
                continue
            for match in pattern.finditer(line):
                if "#" in line[: match.start()] and _in_comment(line, match.start()):
                    continue
                return Location(PurePosixPath(path), number, match.start())
    return None


def _in_comment(line: str, column: int) -> bool:
    quote = None
    for index, char in enumerate(line[:column]):
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "#":
            return True
    return False
