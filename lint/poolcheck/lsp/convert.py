"""poolcheck's data in the LSP's terms: findings as diagnostics, edits as text edits, a rule's
summary as a hover. Pure functions of their inputs; the server decides when to call them.

Every piece of free text goes through ``mask_secrets`` (a password in a URL must never reach
the editor's problem list or its logs). Edit contents do not: they are the user's own code,
written back into the user's own buffer.
"""

from __future__ import annotations

import textwrap
from typing import Callable, Iterable, List, Optional, Sequence, Tuple, Type

from lsprotocol import types

from ..findings import Edit, Finding, Location, Position, Severity
from ..masking import mask_secrets
from ..rule import Rule
from .positions import UTF16, column_to_units, split_lines, units_to_column

SOURCE = "poolcheck"

SEVERITY = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
}


class TextLines:
    """One text's lines, for converting positions both ways in the client's encoding."""

    def __init__(self, text: str, encoding: str = UTF16) -> None:
        self.lines = split_lines(text)
        self.encoding = encoding

    def to_lsp(self, position: Position) -> types.Position:
        """A poolcheck position (1-based line, character column) for the client. Past the end
        of a line: the line's end; past the last line: the end of the text."""
        index = position.line - 1
        if index < 0:
            return types.Position(line=0, character=0)
        if index >= len(self.lines):
            last = len(self.lines) - 1
            return types.Position(line=last, character=column_to_units(self.lines[last], len(self.lines[last]), self.encoding))
        line = self.lines[index]
        return types.Position(line=index, character=column_to_units(line, position.column, self.encoding))

    def from_lsp(self, position: types.Position) -> Position:
        index = min(max(position.line, 0), len(self.lines) - 1)
        return Position(index + 1, units_to_column(self.lines[index], position.character, self.encoding))

    def range(self, start: Position, end: Position) -> types.Range:
        return types.Range(start=self.to_lsp(start), end=self.to_lsp(end))


# A resolver for the other files a finding names: a Location (a path as poolcheck reports it)
# to an LSP location, or None when the file cannot be found.
RelatedResolver = Callable[[Location], Optional[types.Location]]


def diagnostic(finding: Finding, lines: TextLines, related: RelatedResolver) -> types.Diagnostic:
    message = mask_secrets(finding.message)
    if finding.help:
        message += "\nhelp: " + mask_secrets(finding.help)
    related_information = []
    for item in finding.related:
        location = related(item.location)
        if location is not None:
            related_information.append(types.DiagnosticRelatedInformation(location=location, message=mask_secrets(item.message)))
    return types.Diagnostic(
        range=lines.range(finding.span.start, finding.span.end),
        message=message,
        severity=SEVERITY[finding.severity],
        code=finding.code,
        code_description=types.CodeDescription(href=finding.url) if finding.url else None,
        source=SOURCE,
        related_information=related_information or None,
    )


def text_edits(edits: Iterable[Edit], lines: TextLines) -> List[types.TextEdit]:
    return [types.TextEdit(range=lines.range(edit.start, edit.end), new_text=edit.content) for edit in edits]


def overlaps(a: types.Range, b: types.Range) -> bool:
    """Whether two ranges share a position (touching counts: a cursor at a diagnostic's end
    is on it)."""
    return _key(a.start) <= _key(b.end) and _key(b.start) <= _key(a.end)


def _key(position: types.Position) -> Tuple[int, int]:
    return (position.line, position.character)


def wanted(kind: str, only: Optional[Sequence[str]]) -> bool:
    """Whether a code action of ``kind`` is asked for: ``only`` lists kinds and their
    sub-kinds (``source`` covers ``source.fixAll.poolcheck``); None asks for every kind."""
    return only is None or any(kind == base or kind.startswith(base + ".") for base in only)


def rule_hover(rule: Type[Rule]) -> str:
    default = "" if rule.default_enabled else " · opt-in"
    lines = [f"**{rule.code}** `{rule.name}` · {rule.severity.value}{default}", "", textwrap.dedent(rule.summary).strip()]
    if rule.url():
        lines += ["", f"[Documentation]({rule.url()})"]
    return "\n".join(lines)


def unknown_code_hover(code: str) -> str:
    return f"**{code}** is not a poolcheck rule (`poolcheck rules` lists them)."
