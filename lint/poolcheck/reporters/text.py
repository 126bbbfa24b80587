"""``--format full`` (the default; ``text`` is its old name): one header line per finding in
the ``path:row:col: CODE message`` shape editors and CI log scrapers parse, the source line with
carets under the span, what to do (``help:``), the other places it depends on, and a summary.
With ``--statistics``, counts per rule replace the findings.

Colour only when asked for (the command line decides: a terminal, and no ``NO_COLOR``).
"""

from __future__ import annotations

from collections import Counter
from typing import Dict, List

from ..findings import Finding, Severity
from ..findings import applicable
from ..masking import mask_secrets, mask_source
from ..source import split_lines
from ..runner import RunResult
from . import ReportContext

_COLORS = {
    "bold": "\033[1m",
    "red": "\033[31m",
    "yellow": "\033[33m",
    "cyan": "\033[36m",
    "blue": "\033[34m",
    "dim": "\033[2m",
    "reset": "\033[0m",
}
_SEVERITY_COLOR = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


class Paint:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, *styles: str) -> str:
        if not self.enabled or not styles:
            return text
        return "".join(_COLORS[s] for s in styles) + text + _COLORS["reset"]


def header(finding: Finding, paint: Paint) -> str:
    location = f"{finding.path.as_posix()}:{finding.line}:{finding.column + 1}:"
    fixable = " [*]" if finding.fix is not None and applicable(finding.fix, unsafe=False) else ""
    code = paint(finding.code, "bold", _SEVERITY_COLOR[finding.severity])
    return f"{paint(location, 'bold')} {code}{fixable} {mask_secrets(finding.message)}"


def excerpt(finding: Finding, lines: List[str], paint: Paint) -> List[str]:
    """The reported line with carets under the span (to the end of the line when the span
    continues on later lines)."""
    number = finding.line
    if not 0 < number <= len(lines):
        return []
    text = lines[number - 1].replace("\t", " ")
    gutter = " " * len(str(number))
    start = min(finding.column, len(text))
    end = finding.span.end.column if finding.span.end.line == number else len(text.rstrip())
    width = max(1, min(end, len(text)) - start)
    bar = paint("|", "blue", "bold")
    carets = paint("^" * width + " " + finding.code, "bold", _SEVERITY_COLOR[finding.severity])
    return [
        f"{gutter} {bar}",
        f"{paint(str(number), 'blue', 'bold')} {bar} {mask_source(text)}",
        f"{gutter} {bar} {' ' * start}{carets}",
        f"{gutter} {bar}",
    ]


def render_finding(finding: Finding, lines: List[str], paint: Paint) -> List[str]:
    out = [header(finding, paint)]
    out.extend(excerpt(finding, lines, paint))
    gutter = " " * len(str(finding.line))
    if finding.help:
        out.append(f"{gutter} {paint('=', 'blue', 'bold')} {paint('help', 'bold')}: {mask_secrets(finding.help)}")
    for related in finding.related:
        out.append(f"{gutter} {paint('=', 'blue', 'bold')} {paint('note', 'bold')}: {related.location}: {mask_secrets(related.message)}")
    if finding.url:
        out.append(f"{gutter} {paint('=', 'blue', 'bold')} {paint('docs', 'bold')}: {finding.url}")
    return out


def _plural(count: int, word: str, plural: str = "") -> str:
    return f"{count} {word if count == 1 else (plural or word + 's')}"


def summary(result: RunResult, paint: Paint) -> List[str]:
    findings = result.findings
    if not findings and result.errors:
        # Not "All checks passed!": some of what was asked for was not checked (a path that
        # does not exist, a file that cannot be read, a rule's internal error).
        errors = _plural(len(result.errors), "error")
        return [paint("No problems found, but not everything could be checked", "bold") + f" ({errors} above)."] + baselined_note(result)
    if not findings:
        checked = _plural(len(result.checked_files), "file")
        return [paint("All checks passed!", "bold") + f" ({checked} checked)"] + baselined_note(result)
    counts = Counter(f.severity for f in findings)
    parts = []
    if counts[Severity.ERROR]:
        parts.append(_plural(counts[Severity.ERROR], "error"))
    if counts[Severity.WARNING]:
        parts.append(_plural(counts[Severity.WARNING], "warning"))
    if counts[Severity.INFO]:
        parts.append(f"{counts[Severity.INFO]} info")
    files = len({f.path for f in findings})
    lines = [paint(f"Found {_plural(len(findings), 'problem')} ({', '.join(parts)}) in {_plural(files, 'file')}.", "bold")]
    if result.fixable:
        lines.append(f"[*] {result.fixable} fixable with the `--fix` option.")
    if result.unsafe_fixable:
        hidden = _plural(result.unsafe_fixable, "hidden fix", "hidden fixes")
        lines.append(f"({hidden} can be enabled with the `--unsafe-fixes` option.)")
    return lines + baselined_note(result)


def baselined_note(result: RunResult) -> List[str]:
    if not result.baselined:
        return []
    return [f"({_plural(len(result.baselined), 'problem')} recorded in the baseline not shown.)"]


def render_fixed(result: RunResult, paint: Paint) -> List[str]:
    out = []
    for fixed in result.fixed:
        out.append(f"Fixed {_plural(len(fixed.fixed), 'problem')} in {fixed.path.as_posix()}:")
        counts = Counter((f.code, f.fix.message if f.fix else f.message) for f in fixed.fixed)
        for (code, message), count in sorted(counts.items()):
            out.append(f"    {count} x {paint(code, 'bold')} ({mask_secrets(message)})")
    return out


def render_full(result: RunResult, context: ReportContext) -> str:
    paint = Paint(context.color)
    if context.statistics:
        return render_with_statistics(result, context, paint)
    line_cache: Dict[object, List[str]] = {}
    out: List[str] = []
    for finding in result.findings:
        if finding.path not in line_cache:
            line_cache[finding.path] = split_lines(result.sources.get(finding.path, ""))
        out.extend(render_finding(finding, line_cache[finding.path], paint))
        out.append("")
    if context.show_fixes and result.fixed:
        out.extend(render_fixed(result, paint))
        out.append("")
    out.extend(summary(result, paint))
    return "\n".join(out) + "\n"


def render_with_statistics(result: RunResult, context: ReportContext, paint: Paint) -> str:
    from .statistics import render_statistics_text

    table = render_statistics_text(result)
    out = table + ([""] if table else [])
    if context.show_fixes and result.fixed:
        out.extend(render_fixed(result, paint))
        out.append("")
    out.extend(summary(result, paint))
    return "\n".join(out) + "\n"
