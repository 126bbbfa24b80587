"""What a rule's check receives.

``FileContext`` holds one file's state: its source, its parse, the project it belongs to,
the evaluator, and the semantic models computed on first use and shared by every rule
(engine sites, for instance, are found once per file however many rules look at them).
``RuleContext`` is one rule's view of it, through which the rule reports findings.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Optional, Tuple, Type, Union

from .findings import Edit, Finding, Fix, Position, Related, Severity, Span

if TYPE_CHECKING:  # pragma: no cover
    import libcst as cst

    from .config import Settings
    from .discovery import Target
    from .engines import EngineSite
    from .project import Project
    from .rule import Rule
    from .source import SourceFile
    from .syntax import ParsedFile
    from .values import Evaluator


class FileContext:
    # Plain classes (not dataclasses, which cost their module and `inspect` at every run's
    # start), compared by identity.
    def __init__(self, target: "Target", project: "Project", source: Optional["SourceFile"], parsed: Optional["ParsedFile"] = None) -> None:
        self.target = target
        self.project = project
        self.source = source
        self.parsed = parsed
        self.findings: List[Finding] = []
        self._memo: Dict[str, Any] = {}
        self._statement_lines: Optional[Dict[int, List[Tuple[int, int]]]] = None

    @property
    def path(self) -> Path:
        return self.target.path

    @property
    def settings(self) -> "Settings":
        return self.project.settings

    @property
    def module(self) -> "cst.Module":
        assert self.parsed is not None, "check() runs only on parsed files"
        return self.parsed.module

    @property
    def evaluator(self) -> "Evaluator":
        from .values import Evaluator

        return self.project.fact("evaluator", Evaluator)

    def memo(self, key: str, compute: Callable[["FileContext"], Any]) -> Any:
        """Compute something once per file, whichever rule asks first."""
        if key not in self._memo:
            self._memo[key] = compute(self)
        return self._memo[key]

    def engine_sites(self) -> List["EngineSite"]:
        """Every engine configured in this file, from every registered source."""

        def compute(ctx: "FileContext") -> List["EngineSite"]:
            from .engines import SITE_SOURCES, find_engine_calls

            sites = list(find_engine_calls(ctx.parsed, ctx.evaluator)) if ctx.parsed is not None else []
            for source in SITE_SOURCES:
                sites.extend(source(ctx))
            return sites

        return self.memo("engine_sites", compute)

    def statement_start(self, line: int) -> int:
        """The first line of the innermost statement containing ``line``: where ``# noqa``
        for a finding on a continuation line of a multi-line statement may also go."""
        if self.parsed is None:
            return line
        best: Optional[Tuple[int, int]] = None
        ranges = self._statement_lines.get(line) if self._statement_lines is not None else None
        if ranges is None:
            # Only the statements of the top-level statement holding the line: their
            # positions are already there for the finding being reported.
            ranges = self.parsed.statement_ranges(line)
            if self._statement_lines is None:
                self._statement_lines = {}
            self._statement_lines[line] = ranges
        for start, end in ranges:
            if start <= line <= end and (best is None or end - start < best[1] - best[0]):
                best = (start, end)
        return best[0] if best else line


class RuleContext:
    def __init__(self, file: FileContext, rule: Type["Rule"]) -> None:
        self.file = file
        self.rule = rule

    # conveniences ----------------------------------------------------------------------------
    @property
    def path(self) -> Path:
        return self.file.path

    @property
    def module(self) -> "cst.Module":
        return self.file.module

    @property
    def parsed(self) -> "ParsedFile":
        assert self.file.parsed is not None
        return self.file.parsed

    @property
    def project(self) -> "Project":
        return self.file.project

    @property
    def settings(self) -> "Settings":
        return self.file.settings

    @property
    def evaluator(self) -> "Evaluator":
        return self.file.evaluator

    @property
    def text(self) -> str:
        """The file's text (Python or not)."""
        return self.file.source.text if self.file.source is not None else ""

    def engine_sites(self) -> List["EngineSite"]:
        return self.file.engine_sites()

    # reporting -------------------------------------------------------------------------------
    def span_of(self, node: "cst.CSTNode", file: Optional["ParsedFile"] = None) -> Span:
        return (file or self.parsed).span(node)

    def report(
        self,
        at: Union["cst.CSTNode", Span],
        message: str,
        *,
        help: Optional[str] = None,
        fix: Optional[Fix] = None,
        related: Iterable[Related] = (),
        severity: Optional[Severity] = None,
    ) -> Finding:
        span = at if isinstance(at, Span) else self.span_of(at)
        finding = Finding(
            code=self.rule.code,
            name=self.rule.name,
            message=message,
            severity=severity or self.rule.severity,
            path=self.file.path,
            span=span,
            help=help if help is not None else (self.rule.help or None),
            noqa_line=self.file.statement_start(span.start.line),
            related=tuple(related),
            fix=fix,
            url=self.rule.url(),
        )
        self.file.findings.append(finding)
        return finding

    # fixes -----------------------------------------------------------------------------------
    def replacement(self, old: "cst.CSTNode", new: "cst.CSTNode", file: Optional["ParsedFile"] = None) -> Tuple[Edit, ...]:
        """The smallest edit turning ``old``'s code into ``new``'s (only the changed middle is
        carried, so unrelated text, such as a URL with a password, stays out of the fix).
        ``file``: the parse ``old`` belongs to, when it is not this context's (a Python-syntax
        config file checked as text)."""
        parsed = file or self.parsed
        return minimal_edits(parsed.code(old), parsed.code(new), parsed.span(old).start)


    def rewrite(self, changes, file: Optional["ParsedFile"] = None) -> Tuple[Edit, ...]:
        """The edits of a libcst rewrite of several nodes at once (see
        ``poolcheck.edits.replace_nodes``): one edit per run of changed lines, each carrying
        only those lines. ``file``: the parse the nodes belong to, if not this context's."""
        from .edits import replace_nodes

        parsed = file or self.parsed
        new = replace_nodes(parsed.module, changes)
        return line_edits(parsed.module.code, new.code)


def line_edits(old: str, new: str) -> Tuple[Edit, ...]:
    """Edits turning ``old`` into ``new``, one per run of changed lines."""
    import difflib

    from .source import split_lines_keepends

    # Lines as Python and the fixer count them (str.splitlines also breaks at form feeds).
    old_lines = split_lines_keepends(old)
    new_lines = split_lines_keepends(new)
    edits = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        start = Position(i1 + 1, 0)
        if i2 - i1 == 1 and j2 - j1 == 1:  # one line changed: only its changed middle
            edits.extend(minimal_edits(old_lines[i1], new_lines[j1], start))
        else:  # (a position past the last line is the end of the text)
            edits.append(Edit(start, Position(i2 + 1, 0), "".join(new_lines[j1:j2])))
    return tuple(edits)


def minimal_edits(old: str, new: str, start: Position) -> Tuple[Edit, ...]:
    if old == new:
        return ()
    prefix = 0
    limit = min(len(old), len(new))
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[len(old) - 1 - suffix] == new[len(new) - 1 - suffix]:
        suffix += 1
    begin = _advance(start, old[:prefix])
    end = _advance(start, old[: len(old) - suffix])
    return (Edit(begin, end, new[prefix : len(new) - suffix]),)


def _advance(start: Position, text: str) -> Position:
    import re

    breaks = [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]
    if not breaks:
        return Position(start.line, start.column + len(text))
    return Position(start.line + len(breaks), len(text) - breaks[-1])
