"""Line numbers for values TOML and JSON parsers read: those parsers keep no positions.

Each helper scans the text for where a value is written and answers None when it cannot
tell; callers then fall back to the table's header line, then to line 1.
"""

from __future__ import annotations

import re
from typing import List, Optional, Tuple

from .model import canonical_name

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# One key of a TOML table header: bare (``tool``), or quoted (``"flask-sqlalchemy"``).
_HEADER_KEY = re.compile(r"""\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*(\.|$)""")
# A line that starts a key/value pair: ``flask-sqlalchemy = ...``, ``"flask_sqlalchemy" = ...``.
_KEY_LINE = re.compile(r"""\s*(?:"([^"]*)"|'([^']*)'|([A-Za-z0-9_.-]+))\s*=""")


def split_lines(text: str) -> List[str]:
    """Physical lines as an editor numbers them (``\\r\\n``, ``\\r`` and ``\\n`` end a line)."""
    return _LINE_BREAK.split(text)


def _header_keys(line: str) -> Optional[Tuple[str, ...]]:
    """``("tool", "poetry", "dependencies")`` for ``[tool.poetry.dependencies]``, None if not a header."""
    stripped = line.strip()
    if stripped.startswith("[["):
        inner, closing = stripped[2:], "]]"
    elif stripped.startswith("["):
        inner, closing = stripped[1:], "]"
    else:
        return None
    end = inner.find(closing)
    if end < 0:
        return None
    inner = inner[:end]
    keys = []
    position = 0
    while position < len(inner):
        match = _HEADER_KEY.match(inner, position)
        if not match or match.end() == position:
            return None
        keys.append(next(group for group in match.groups()[:3] if group is not None))
        position = match.end()
    return tuple(keys)


class TomlLines:
    """Where tables and keys sit in a TOML file's text."""

    def __init__(self, text: str) -> None:
        self.lines = split_lines(text)
        self._headers = [
            (index, keys)
            for index, keys in ((index, _header_keys(line)) for index, line in enumerate(self.lines))
            if keys
        ]

    def table_lines(self, table: Tuple[str, ...]) -> Optional[Tuple[int, int]]:
        """The 0-based line range ``[header, next header)`` of ``[a.b.c]``, or None."""
        for position, (index, keys) in enumerate(self._headers):
            if keys == table:
                end = self._headers[position + 1][0] if position + 1 < len(self._headers) else len(self.lines)
                return index, end
        return None

    def line_of_package(self, table: Tuple[str, ...], name: str) -> Optional[int]:
        """The 1-based line of the key naming package ``name`` (canonical) in ``[table]``.

        Either ``flask-sqlalchemy = ...`` inside the table, or a sub-table of its own
        (``[tool.poetry.dependencies.Flask_SQLAlchemy]``).
        """
        span = self.table_lines(table)
        if span is not None:
            for index in range(span[0] + 1, span[1]):
                match = _KEY_LINE.match(self.lines[index])
                if match and canonical_name(next(group for group in match.groups() if group is not None)) == name:
                    return index + 1
        for index, keys in self._headers:
            if keys[:-1] == table and canonical_name(keys[-1]) == name:
                return index + 1
        return None

    def line_of_string(self, table: Tuple[str, ...], value: str, after: int = 0) -> Optional[int]:
        """The 1-based line of the first quoted ``value`` in ``[table]`` (or anywhere), after line ``after``."""
        quoted = (f'"{value}"', f"'{value}'")
        span = self.table_lines(table) or (0, len(self.lines))
        for index in range(max(span[0], after), span[1]):
            if any(needle in self.lines[index] for needle in quoted):
                return index + 1
        return None

    def line_of_table(self, table: Tuple[str, ...]) -> int:
        """The 1-based line of ``[table]``'s header, or 1."""
        span = self.table_lines(table)
        return span[0] + 1 if span else 1
