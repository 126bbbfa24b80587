"""``--format gitlab``: a GitLab Code Quality report (a subset of the Code Climate format),
shown in merge-request widgets and diffs when a job declares it as
``artifacts: reports: codequality``.

Each issue has ``description``, ``check_name``, ``fingerprint`` (the same as the baseline's and
SARIF's: GitLab compares reports of the source and target branches by it, so a finding that
merely moved is not "new"), ``severity`` and ``location.path`` (relative to the repository
root) with ``lines.begin``/``end``.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List

from ..findings import Finding, Severity
from ..masking import mask_secrets
from ..runner import RunResult
from . import ReportContext, fingerprinted

# GitLab's scale: info, minor, major, critical, blocker.
SEVERITIES = {Severity.ERROR: "critical", Severity.WARNING: "major", Severity.INFO: "info"}


def issue(finding: Finding, result: RunResult) -> Dict[str, Any]:
    body = []
    if finding.help:
        body.append(mask_secrets(finding.help))
    for related in finding.related:
        where = f"{result.related_repository_path(finding, related.location)}:{related.location.line}"
        body.append(f"{where}: {mask_secrets(related.message)}")
    if finding.url:
        body.append(f"See {finding.url}")
    item: Dict[str, Any] = {
        "type": "issue",
        "description": f"{finding.code} {mask_secrets(finding.message)}",
        "check_name": finding.code,
        "fingerprint": finding.fingerprint,
        "severity": SEVERITIES[finding.severity],
        "categories": ["Bug Risk"],
        "location": {
            "path": result.repository_path(finding.path),
            "lines": {"begin": finding.span.start.line, "end": finding.span.end.line},
        },
    }
    if body:
        item["content"] = {"body": "\n\n".join(body)}
    return item


def render_gitlab(result: RunResult, context: ReportContext) -> str:
    items: List[Dict[str, Any]] = [issue(f, result) for f in fingerprinted(result)]
    return json.dumps(items, indent=2, ensure_ascii=False) + "\n"
