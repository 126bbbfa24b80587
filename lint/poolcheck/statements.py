"""Which statement a line belongs to: the statement a finding's fingerprint is computed from.

Built with Python's own parser (``ast``) from the file's text, for every file with a finding:
files a rule parsed with libcst (possibly pruned to the statements that matter) and files no
rule needed to parse (an unused ``# noqa`` found by the suppression stage) alike, so a
finding's statement never depends on which rules are enabled. ``ast`` gives every statement's
lines at a fraction of the cost of parsing with libcst and resolving its positions.
"""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

from .findings import Position, Span
from .source import split_lines

_BLANK_OR_COMMENT = re.compile(r"\s*(#.*)?$")
_Match = getattr(ast, "Match", ())  # Python >= 3.10


@dataclass(frozen=True)
class StatementIndex:
    """The lines of every statement of a file, to find the statement holding a line."""
    # The flaggable units: simple statements, compound statement headers, decorators, each as
    # whole lines (statements joined by `;` share theirs).
    units: Tuple[Span, ...]

    @classmethod
    def empty(cls) -> "StatementIndex":
        return cls(())

    @classmethod
    def of(cls, text: str) -> "StatementIndex":
        from .pyast import MAX_PARSE_BYTES

        if len(text) > MAX_PARSE_BYTES:
            return cls.empty()  # not parsed for the rules either (PC001): not for this
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # SyntaxWarnings about escapes are not ours
                tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return cls.empty()
        lines = split_lines(text)
        units: List[Span] = []

        def unit(first: int, last: int) -> None:
            last_text = lines[last - 1] if 0 < last <= len(lines) else ""
            units.append(Span(Position(first, 0), Position(last, len(last_text))))

        def header(first: int, first_inner_line: int) -> None:
            # A header ends before its block and the comments or blank lines leading it.
            end = max(first, first_inner_line - 1)
            while end > first and _BLANK_OR_COMMENT.match(lines[end - 1] if end <= len(lines) else ""):
                end -= 1
            unit(first, end)

        def visit(statements: Sequence[ast.stmt]) -> None:
            for node in statements:
                last = node.end_lineno or node.lineno
                if isinstance(node, _Match):
                    header(node.lineno, node.cases[0].pattern.lineno)
                    for case in node.cases:  # a match_case has no position; its pattern has
                        header(case.pattern.lineno, case.body[0].lineno)
                        visit(case.body)
                    continue
                blocks = [block for block in (getattr(node, name, None) for name in ("body", "orelse", "finalbody")) if block]
                if not blocks or not isinstance(blocks[0][0], ast.stmt):
                    unit(node.lineno, last)  # a simple statement
                    continue
                for decorator in getattr(node, "decorator_list", ()):
                    unit(decorator.lineno, decorator.end_lineno or decorator.lineno)
                header(node.lineno, node.body[0].lineno)
                for handler in getattr(node, "handlers", ()):
                    header(handler.lineno, handler.body[0].lineno)
                    visit(handler.body)
                for block in blocks:
                    visit(block)

        visit(tree.body)
        return cls(tuple(units))

    def unit_at(self, line: int) -> Optional[Span]:
        """The innermost unit containing ``line``: None on a line outside any (a comment)."""
        best: Optional[Span] = None
        for span in self.units:
            if span.start.line <= line <= span.end.line and (
                best is None or span.end.line - span.start.line < best.end.line - best.start.line
            ):
                best = span
        return best

