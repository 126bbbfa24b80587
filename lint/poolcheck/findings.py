"""The data a run produces: findings, their locations, related places and fixes.

Everything here is plain, immutable data. Rules create it, the suppression stage filters it,
the fixer applies its edits and reporters format it; none of them needs anything else.

Conventions (the same everywhere in poolcheck):
- lines are 1-based;
- columns are 0-based character offsets inside the line (reporters add 1 where their format
  wants 1-based columns, as ruff's JSON and SARIF do);
- paths are ``pathlib.Path`` objects as the user named them (relative stays relative); a
  relative :class:`Location` path (a fact from ``my.cnf``) is relative to the project root.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import NamedTuple, Optional, Tuple


class Severity(str, enum.Enum):
    """How bad a finding is. The catalog's definitions:

    - error: the program will crash or silently misbehave;
    - warning: it will fail under ordinary production conditions (idle time, load, exceptions);
    - info: a smell worth knowing.
    """

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 0, "warning": 1, "info": 2}[self.value]


# The small immutable records of a finding (positions, spans, locations, edits, fixes) are
# named tuples: compared, hashed and sorted by their fields in order, which is what they
# are. (As frozen dataclasses they were generated at every run's import, six to nine
# methods each, 6 ms of a 0.12 s one-file run.)
class Position(NamedTuple):
    line: int  # 1-based
    column: int  # 0-based, in characters


class Span(NamedTuple):
    start: Position
    end: Position

    @classmethod
    def at(cls, line: int, column: int = 0, end_line: Optional[int] = None, end_column: Optional[int] = None) -> "Span":
        return cls(
            Position(line, column),
            Position(end_line if end_line is not None else line, end_column if end_column is not None else column),
        )


class Location(NamedTuple):
    """A place in a project file: used for facts gathered from other files (``my.cnf:3``).
    A relative ``path`` is relative to the root of the project the finding belongs to."""

    path: Path
    line: int
    column: int = 0

    def __str__(self) -> str:
        return f"{self.path.as_posix()}:{self.line}"


class Related(NamedTuple):
    """Another place a finding depends on, with a word on why (``wait_timeout = 600 is set here``)."""

    location: Location
    message: str


class Applicability(str, enum.Enum):
    """ruff's vocabulary: a safe fix keeps the program's meaning, an unsafe one may change it."""

    SAFE = "safe"
    UNSAFE = "unsafe"


class Edit(NamedTuple):
    """Replace the text between two positions of the checked file with ``content``."""

    start: Position
    end: Position
    content: str


class Fix(NamedTuple):
    message: str
    applicability: Applicability
    edits: Tuple[Edit, ...]


def applicable(fix: Optional[Fix], unsafe: bool) -> bool:
    """Whether ``--fix`` applies ``fix`` (``--unsafe-fixes`` given or not)."""
    return fix is not None and bool(fix.edits) and (unsafe or fix.applicability == Applicability.SAFE)


class Finding(NamedTuple):
    # A named tuple like the records above (a dataclass costs its module, and `inspect`,
    # at every run's start): immutable, compared by its fields; `finding._replace(...)`.
    code: str
    name: str
    message: str
    severity: Severity
    path: Path
    span: Span
    help: Optional[str] = None
    # The first line of the statement holding the finding: where ``# noqa`` may also go.
    noqa_line: Optional[int] = None
    related: Tuple[Related, ...] = ()
    fix: Optional[Fix] = None
    url: Optional[str] = None
    # Set by the runner's fingerprint stage, when a report or a baseline needs them (see
    # ``fingerprints.py``): the lines of the flagged statement (a simple statement, a compound
    # statement's header, a decorator; None outside one, or in a file that does not parse),
    # and the identity of the finding across runs, which survives line shifts and edits
    # elsewhere in the file.
    statement: Optional[Span] = None
    fingerprint: Optional[str] = None

    @property
    def line(self) -> int:
        return self.span.start.line

    @property
    def column(self) -> int:
        return self.span.start.column

    def sort_key(self) -> tuple:
        return (self.path.as_posix(), self.span.start.line, self.span.start.column, self.code, self.message)
