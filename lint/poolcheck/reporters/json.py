"""``--format json``: an array shaped like ruff's JSON output, plus ``name``, ``severity`` and
``related``. Columns are 1-based, as in ruff. Findings come in a stable order (path, line,
column, code)."""

from __future__ import annotations

import json
from typing import Any, Dict, List

from ..findings import Finding
from ..fixes import describe_edits
from ..masking import mask_secrets
from ..runner import RunResult
from . import ReportContext


def finding_to_dict(finding: Finding, context: ReportContext) -> Dict[str, Any]:
    fix = None
    if finding.fix is not None:
        fix = {
            "applicability": finding.fix.applicability.value,
            "message": mask_secrets(finding.fix.message),
            "edits": [
                {**edit, "content": mask_secrets(edit["content"])} for edit in describe_edits(finding.fix.edits)
            ],
        }
    absolute = (context.cwd / finding.path) if not finding.path.is_absolute() else finding.path
    return {
        "cell": None,
        "code": finding.code,
        "end_location": {"row": finding.span.end.line, "column": finding.span.end.column + 1},
        "filename": str(absolute),
        "fix": fix,
        "location": {"row": finding.span.start.line, "column": finding.span.start.column + 1},
        "message": mask_secrets(finding.message),
        "noqa_row": finding.noqa_line or finding.line,
        "url": finding.url,
        "name": finding.name,
        "severity": finding.severity.value,
        "help": mask_secrets(finding.help) if finding.help else None,
        "related": [
            {
                "filename": str(r.location.path),
                "row": r.location.line,
                "column": r.location.column + 1,
                "message": mask_secrets(r.message),
            }
            for r in finding.related
        ],
    }


def render_json(result: RunResult, context: ReportContext) -> str:
    items: List[Dict[str, Any]] = [finding_to_dict(f, context) for f in result.findings]
    return json.dumps(items, indent=2, ensure_ascii=False) + "\n"
