"""``--format github``: GitHub Actions workflow commands, which GitHub turns into annotations
on the pull request's diff::

    ::warning file=app/db.py,line=3,col=10,endLine=3,endColumn=41,title=PC101 (mysql-idle-disconnect)::message

Files are relative to the repository root (the workspace GitHub resolves them against).
Escaping follows the runner's rules: in the message ``%``, CR and LF are percent-encoded; in
property values ``:`` and ``,`` as well, since they delimit the properties.
"""

from __future__ import annotations

from typing import List

from ..findings import Finding, Severity
from ..masking import mask_secrets
from ..runner import RunResult
from . import ReportContext

LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(finding: Finding, result: RunResult) -> str:
    span = finding.span
    properties = [("file", result.repository_path(finding.path)), ("line", str(span.start.line)), ("col", str(span.start.column + 1))]
    if span.end != span.start:
        properties += [("endLine", str(span.end.line)), ("endColumn", str(span.end.column + 1))]
    properties.append(("title", f"{finding.code} ({finding.name})"))
    lines = [mask_secrets(finding.message)]
    if finding.help:
        lines.append(f"help: {mask_secrets(finding.help)}")
    for related in finding.related:
        where = f"{result.related_repository_path(finding, related.location)}:{related.location.line}"
        lines.append(f"note: {where}: {mask_secrets(related.message)}")
    if finding.url:
        lines.append(f"docs: {finding.url}")
    rendered = ",".join(f"{name}={escape_property(value)}" for name, value in properties)
    return f"::{LEVELS[finding.severity]} {rendered}::{escape_data(chr(10).join(lines))}"


def render_github(result: RunResult, context: ReportContext) -> str:
    out: List[str] = [command(finding, result) for finding in result.findings]
    return "".join(line + "\n" for line in out)
