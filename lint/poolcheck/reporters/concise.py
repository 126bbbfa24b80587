"""``--format concise``: one ``path:row:col: CODE [*] message`` line per finding (the shape
editors' problem matchers and grep read), then the summary."""

from __future__ import annotations

from typing import List

from ..runner import RunResult
from . import ReportContext
from .text import Paint, header, render_fixed, render_with_statistics, summary


def render_concise(result: RunResult, context: ReportContext) -> str:
    paint = Paint(context.color)
    if context.statistics:
        return render_with_statistics(result, context, paint)
    out: List[str] = [header(finding, paint) for finding in result.findings]
    if out:
        out.append("")
    if context.show_fixes and result.fixed:
        out.extend(render_fixed(result, paint))
        out.append("")
    out.extend(summary(result, paint))
    return "\n".join(out) + "\n"
