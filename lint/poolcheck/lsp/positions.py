"""Columns: poolcheck counts characters (code points); an LSP client counts code units of the
position encoding negotiated at initialization, UTF-16 unless both sides agreed on another.
A character outside the Basic Multilingual Plane (an emoji) is one character, two UTF-16
code units and four UTF-8 ones."""

from __future__ import annotations

import re
from typing import List

UTF8 = "utf-8"
UTF16 = "utf-16"
UTF32 = "utf-32"

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> List[str]:
    """The lines as LSP counts them: only ``\\n``, ``\\r\\n`` and ``\\r`` end a line (unlike
    ``str.splitlines``, which also breaks at form feeds and other separators)."""
    return _LINE_BREAK.split(text)


def _units(char: str, encoding: str) -> int:
    point = ord(char)
    if encoding == UTF8:
        return 1 if point < 0x80 else 2 if point < 0x800 else 3 if point < 0x10000 else 4
    if encoding == UTF32:
        return 1
    return 2 if point > 0xFFFF else 1


def column_to_units(line: str, column: int, encoding: str = UTF16) -> int:
    """The client's column for character ``column`` of ``line`` (past the end: the end)."""
    prefix = line[: max(0, column)]
    if encoding == UTF32:
        return len(prefix)
    return sum(_units(char, encoding) for char in prefix)


def units_to_column(line: str, units: int, encoding: str = UTF16) -> int:
    """The character column of the client's ``units`` on ``line``. A position inside a
    character (between the two halves of a surrogate pair) counts as that character's
    start; past the end of the line, the end."""
    if encoding == UTF32:
        return min(max(0, units), len(line))
    count = 0
    for index, char in enumerate(line):
        count += _units(char, encoding)
        if count > units:
            return index
    return len(line)
