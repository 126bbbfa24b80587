"""MySQL / MariaDB option files (``my.cnf``, ``mariadb.cnf``, ``conf.d/*.cnf``, ``my.ini``).

The syntax is the one ``mariadbd`` reads, checked with ``mariadbd --defaults-file=X
--verbose --help`` on MariaDB 10.11:

- a line is a group header ``[mysqld]``, a directive ``!include FILE`` / ``!includedir DIR``,
  an option ``name = value`` or a comment (``#`` or ``;`` as the first non-blank character);
- ``#`` also starts a comment after an option unless it is inside quotes; a trailing ``;``
  does *not* (the server refuses ``wait_timeout = 600 ; note``: "Unknown suffix ' '");
- one pair of matching quotes around the value is removed;
- group names ignore case but not a leading blank: ``[ mysqld ]`` is a group the server
  never reads; a directive's argument is the rest of the line, comments included.

Several statements of one option in the files one server reads: the last one wins. So for
one file together with what it includes, an earlier value that a later one overrides is not
a candidate (else a stale value could drive an error finding the server never has).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Dict, Iterator, List, Optional, Sequence, Set, Tuple, Union

from poolcheck.facts import ProjectFiles
from poolcheck.facts.server.model import Setting
from poolcheck.facts.server.mysqld_options import parse_server_number, server_variable_name
from poolcheck.findings import Location

# The groups the server reads. `mariadbd --verbose --help` (10.11) lists: mysqld server
# mysqld-10.11 mariadb mariadb-10.11 mariadbd mariadbd-10.11 client-server galera. MySQL reads
# [mysqld], [server] and [mysqld-8.0]. Client groups ([client], [mysql], [mysqldump]) and
# [mysqld_safe] are not read by the server.
_SERVER_GROUP = re.compile(
    r"(?P<program>mysqld|server|mariadbd|mariadb|client-server|galera)"
    r"(?:-(?P<version>[0-9]+\.[0-9]+))?",
    re.IGNORECASE,
)
_VERSIONED_PROGRAMS = {"mysqld", "mariadb", "mariadbd"}
_MARIADB_ONLY_PROGRAMS = {"mariadb", "mariadbd", "client-server", "galera"}


@dataclass(frozen=True)
class _Scope:
    """Which servers read a group: any or only MariaDB; any version or only one."""

    mariadb_only: bool
    version: Optional[str]

    def covers(self, other: "_Scope") -> bool:
        """Every server reading ``other`` also reads this group."""
        return (not self.mariadb_only or other.mariadb_only) and (
            self.version is None or self.version == other.version
        )


def _server_group_scope(group: str) -> Optional[_Scope]:
    match = _SERVER_GROUP.fullmatch(group)
    if match is None:
        return None
    program = match.group("program").lower()
    version = match.group("version")
    if version is not None and program not in _VERSIONED_PROGRAMS:
        return None
    return _Scope(mariadb_only=program in _MARIADB_ONLY_PROGRAMS, version=version)


@dataclass(frozen=True)
class _Assignment:
    """A server variable set in an option file (``wait_timeout = 600``), with its group and scope."""
    name: str
    value: Optional[int]  # None: a value the server refuses (it then does not start at all)
    line: int
    group: str
    scope: _Scope


@dataclass(frozen=True)
class _Include:
    """An ``!include`` or ``!includedir`` directive of an option file."""
    # The project files the directive reads, in the order the server reads them.
    targets: Tuple[PurePosixPath, ...]


_Entry = Union[_Assignment, _Include]


def _remove_end_comment(line: str) -> str:
    """Cut at the first ``#`` outside quotes, as mysys' ``remove_end_comment`` does."""
    quote = ""
    escaped = False
    for index, char in enumerate(line):
        if char in "'\"" and not escaped:
            if not quote:
                quote = char
            elif quote == char:
                quote = ""
        if not quote and char == "#":
            return line[:index]
        escaped = bool(quote) and char == "\\" and not escaped
    return line


def _unquote(value: str) -> str:
    if len(value) > 1 and value[0] in "'\"" and value[0] == value[-1]:
        return value[1:-1]
    return value


class _ProjectIndex:
    """Which project files exist, to resolve include directives without touching the disk."""

    def __init__(self, paths: Sequence[PurePosixPath]):
        self._paths: Set[PurePosixPath] = set(paths)
        self._by_directory: Dict[PurePosixPath, List[PurePosixPath]] = {}
        for path in paths:
            self._by_directory.setdefault(path.parent, []).append(path)

    @staticmethod
    def _inside_project(including: PurePosixPath, argument: str) -> Optional[PurePosixPath]:
        # mariadbd resolves a relative directive against its working directory (measured),
        # which a project cannot know; the including file's directory is what authors mean.
        # Absolute paths name the server's file system (/etc/mysql/conf.d), not the project:
        # the project's own *.cnf files are read anyway, whatever includes them.
        if not argument or argument.startswith("/") or "\x00" in argument:
            return None
        joined = posixpath.normpath(posixpath.join(including.parent.as_posix(), argument))
        if joined == ".." or joined.startswith("../"):
            return None
        return PurePosixPath(joined)

    def include_file(self, including: PurePosixPath, argument: str) -> Tuple[PurePosixPath, ...]:
        target = self._inside_project(including, argument)
        return (target,) if target is not None and target in self._paths else ()

    def include_directory(self, including: PurePosixPath, argument: str) -> Tuple[PurePosixPath, ...]:
        directory = self._inside_project(including, argument)
        if directory is None:
            return ()
        # !includedir reads only *.cnf (not .ini or .conf), in name order (measured).
        members = [path for path in self._by_directory.get(directory, ()) if path.name.endswith(".cnf")]
        return tuple(sorted(members, key=lambda path: path.name))


def _parse(text: str, path: PurePosixPath, index: _ProjectIndex) -> List[_Entry]:
    entries: List[_Entry] = []
    group = ""
    scope: Optional[_Scope] = None
    for line_number, raw_line in enumerate(text.split("\n"), start=1):
        line = raw_line.lstrip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("!includedir") and line[len("!includedir"):][:1].isspace():
            entries.append(_Include(index.include_directory(path, line[len("!includedir"):].strip())))
            continue
        if line.startswith("!include") and line[len("!include"):][:1].isspace():
            entries.append(_Include(index.include_file(path, line[len("!include"):].strip())))
            continue
        if line[0] == "[":
            # "[mysqld" without "]" stops the server; here it just ends the group.
            closing = line.find("]")
            group = line[1:closing].rstrip() if closing > 0 else ""
            scope = _server_group_scope(group) if group else None
            continue
        if scope is None:
            continue
        option, equals, value = _remove_end_comment(line).partition("=")
        name = server_variable_name(option)
        if name is None or not equals:
            continue
        number = parse_server_number(_unquote(value.strip()))
        entries.append(_Assignment(name, number, line_number, group, scope))
    return entries


def _without_overridden(sequence: List[Tuple[PurePosixPath, _Assignment]]) -> List[Tuple[PurePosixPath, _Assignment]]:
    """Drop each assignment a later one overrides on every server that reads it."""
    kept = []
    for position, (path, assignment) in enumerate(sequence):
        overridden = any(
            later.name == assignment.name and later.scope.covers(assignment.scope)
            for _, later in sequence[position + 1:]
        )
        if not overridden:
            kept.append((path, assignment))
    return kept


class _OptionFileReader:
    def __init__(self, files: ProjectFiles, index: _ProjectIndex):
        self._files = files
        self._index = index
        self._parsed: Dict[PurePosixPath, List[_Entry]] = {}

    def entries(self, path: PurePosixPath) -> List[_Entry]:
        if path not in self._parsed:
            text = self._files.read_text(path)
            self._parsed[path] = _parse(text, path, self._index) if text is not None else []
        return self._parsed[path]

    def expand(self, path: PurePosixPath, visited: Set[PurePosixPath],
               stack: Tuple[PurePosixPath, ...] = ()) -> Iterator[Tuple[PurePosixPath, _Assignment]]:
        """The assignments the server reads starting at ``path``, in order, includes inlined."""
        if path in stack:  # an include loop: mariadbd gives up at a depth limit, we at once
            return
        visited.add(path)
        for entry in self.entries(path):
            if isinstance(entry, _Include):
                for target in entry.targets:
                    yield from self.expand(target, visited, stack + (path,))
            else:
                yield path, entry


def read_option_files(files: ProjectFiles, option_paths: Sequence[PurePosixPath],
                      all_paths: Sequence[PurePosixPath]) -> List[Setting]:
    """The wait_timeout / max_connections values the project's option files give the server.

    A file another option file includes is read as part of that one (so an override made
    after the include is seen); the rest are read on their own. Files only reachable through
    an include loop are still read, starting from the first in path order.
    """
    reader = _OptionFileReader(files, _ProjectIndex(all_paths))
    included: Set[PurePosixPath] = set()
    for path in option_paths:
        for entry in reader.entries(path):
            if isinstance(entry, _Include):
                included.update(target for target in entry.targets if target != path)
    starts = [path for path in option_paths if path not in included]
    starts += [path for path in option_paths if path in included]

    settings: List[Setting] = []
    visited: Set[PurePosixPath] = set()
    for start in starts:
        if start in visited:
            continue
        sequence = list(reader.expand(start, visited))
        for path, assignment in _without_overridden(sequence):
            if assignment.value is None:
                continue
            settings.append(Setting(
                assignment.name,
                assignment.value,
                Location(Path(path.as_posix()), assignment.line),
                f"{path.name} [{assignment.group}]",
            ))
    return settings
