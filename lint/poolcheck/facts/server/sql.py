"""``SET GLOBAL wait_timeout = 600`` in SQL files and in Python string literals.

Only the global scope counts. ``SET SESSION wait_timeout`` / ``SET wait_timeout`` /
``SET @@wait_timeout`` change the one connection that runs them: the pool's other
connections keep the global value, and so does the next connection the pool opens, so a
session value says nothing about when the server drops pooled connections. (A pool-wide
session value needs a connect event listener, which is the rules' business, not a fact.)

Rules measured on MariaDB 10.11 (and the same in the MySQL 8 manual):

- only underscores, no size suffixes, no quotes: ``wait-timeout``, ``1K``, ``'600'``,
  ``600.0``, ``6e2`` and ``0x10`` are all errors; ``+600`` and backquoted names are fine;
- ``SET GLOBAL a = 1, b = 2`` sets both globally (a scope keyword carries to the following
  assignments until the next keyword), but ``SET @@global.a = 1, b = 2`` sets ``b`` in the
  session (the ``@@global.`` prefix is for its own variable only);
- ``/*! ... */`` and ``/*M! ... */`` comments are executed, other comments are not.

``SET PERSIST`` / ``SET PERSIST_ONLY`` (MySQL 8 only; MariaDB rejects them) set the global
value now and/or at every later start, so they count as global too.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import Iterator, List, Optional, Tuple

from poolcheck.facts.server.model import Setting
from poolcheck.facts.server.mysqld_options import SERVER_VARIABLES
from poolcheck.findings import Location

_GLOBAL_SCOPES = frozenset({"global", "persist", "persist_only"})

_SET_KEYWORD = re.compile(r"(?<![\w@$.])SET(?=\s)", re.IGNORECASE)
_ASSIGNMENT = re.compile(
    r"""\s*
    (?:(?P<keyword>GLOBAL|SESSION|LOCAL|PERSIST_ONLY|PERSIST)\s+)?
    (?P<at>@@(?:(?P<prefix>GLOBAL|SESSION|LOCAL|PERSIST_ONLY|PERSIST)\s*\.\s*)?|@)?
    (?P<name>`[^`]+`|[A-Za-z_][A-Za-z0-9_$]*)
    \s*:?=\s*""",
    re.IGNORECASE | re.VERBOSE,
)
# A plain integer literal: what SET accepts for these variables without an expression.
# It must end the assignment (a comma, the statement's end, or the end of the enclosing
# Python string or call); "600 + 0" or "10*60" are expressions, left unknown.
_INTEGER_VALUE = re.compile(r"\+?([0-9]+)(?=\s*(?:[,;)'\"\\]|$))")


def _end_of_value(text: str, position: int) -> Optional[int]:
    """Where the value starting at ``position`` ends if a ``,`` follows, else None."""
    depth = 0
    for index in range(position, len(text)):
        char = text[index]
        if char == "(":
            depth += 1
        elif char == ")":
            if depth == 0:
                return None
            depth -= 1
        elif char == "," and depth == 0:
            return index
        elif char in ";'\"":
            # The statement ends, or so does the Python string holding it.
            return None
    return None


def _global_assignments(text: str) -> Iterator[Tuple[str, int, int, str]]:
    """``(variable, value, offset, scope)`` of each global wait_timeout / max_connections SET."""
    for set_match in _SET_KEYWORD.finditer(text):
        position = set_match.end()
        carried_scope = "session"
        while True:
            assignment = _ASSIGNMENT.match(text, position)
            if assignment is None:
                break
            if assignment.group("keyword"):
                carried_scope = assignment.group("keyword").lower()
            at = assignment.group("at") or ""
            if at == "@":
                scope = "user variable"
            elif at.startswith("@@"):
                scope = (assignment.group("prefix") or "session").lower()
            else:
                scope = carried_scope
            name = assignment.group("name").strip("`").lower()
            value_start = assignment.end()
            value = _INTEGER_VALUE.match(text, value_start)
            if value is not None and name in SERVER_VARIABLES and scope in _GLOBAL_SCOPES:
                yield name, int(value.group(1)), assignment.start("name"), scope
            comma = _end_of_value(text, value_start)
            if comma is None:
                break
            position = comma + 1


def _line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _scope_word(scope: str) -> str:
    return "SET GLOBAL" if scope == "global" else "SET " + scope.upper()


def _settings(text: str, path: PurePosixPath, assignments: Iterator[Tuple[str, int, int, str]]) -> List[Setting]:
    return [
        Setting(name, value, Location(Path(path.as_posix()), _line_at(text, offset)),
                f"{_scope_word(scope)} in {path.name}")
        for name, value, offset, scope in assignments
    ]


# SQL text that is not executed: comments (except the executable /*! */ kind) and string
# literals, which a data dump may fill with anything. Backquoted names are kept as they are.
_SQL_NOT_CODE = re.compile(
    r"""(?P<executable>/\*M?![0-9]*)
    |(?P<comment>/\*.*?(?:\*/|\Z)|(?:--(?=\s|\Z)|\#)[^\n]*)
    |(?P<string>'(?:[^'\\]|\\.|'')*(?:'|\Z)|"(?:[^"\\]|\\.|"")*(?:"|\Z))
    |(?P<quoted_name>`(?:[^`]|``)*(?:`|\Z))
    |(?P<closing>\*/)""",
    re.DOTALL | re.VERBOSE,
)


def _blank(text: str) -> str:
    return re.sub(r"[^\n]", " ", text)


def _code_only(sql: str) -> str:
    """The SQL with comments and strings blanked out; offsets and lines are unchanged."""
    def replace(match: "re.Match[str]") -> str:
        # The end of an executable comment (or a stray "*/") is blanked like its start.
        return match.group() if match.lastgroup == "quoted_name" else _blank(match.group())

    return _SQL_NOT_CODE.sub(replace, sql)


def might_set_global(data: bytes) -> bool:
    """A cheap test on the raw bytes: can this file hold a global SET of our variables?"""
    lowered = data.lower()
    return (b"wait_timeout" in lowered or b"max_connections" in lowered) and (
        b"global" in lowered or b"persist" in lowered
    )


def read_sql_file(text: str, path: PurePosixPath) -> List[Setting]:
    return _settings(text, path, _global_assignments(_code_only(text)))


def _in_python_comment(line_before: str) -> bool:
    """Does a ``#`` outside string quotes start a comment before this point of the line?

    Lines inside a triple-quoted string have no quotes to track; a ``#`` there is a SQL
    comment inside the string, which does not run either.
    """
    quote = ""
    index = 0
    while index < len(line_before):
        char = line_before[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "#":
            return True
        index += 1
    return False


def read_python_file(text: str, path: PurePosixPath) -> List[Setting]:
    """Global SETs written in a Python file's strings (``conn.execute(text("SET GLOBAL ..."))``).

    The text is scanned, not parsed: a statement counts unless a Python comment holds it.
    """
    def not_commented_out() -> Iterator[Tuple[str, int, int, str]]:
        for name, value, offset, scope in _global_assignments(text):
            line_start = text.rfind("\n", 0, offset) + 1
            if not _in_python_comment(text[line_start:offset]):
                yield name, value, offset, scope

    return _settings(text, path, not_commented_out())
