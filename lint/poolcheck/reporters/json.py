"""``--format json``: an array shaped like ruff's JSON output, plus ``name``, ``severity``,
``help``, ``related`` (with absolute file names, like ``filename``), ``statement`` (the extent
of the flagged statement) and ``fingerprint`` (see ``fingerprints.py``). Columns are 1-based,
as in ruff. Findings come in a stable order (path, line, column, code). With
``--statistics``: an array of counts per rule instead."""

from __future__ import annotations

import json
from typing import Any, Dict, List

from ..findings import Finding, Position
from ..fixes import describe_edits
from ..masking import mask_secrets
from ..runner import RunResult
from . import ReportContext, fingerprinted


def _position(position: Position) -> Dict[str, int]:
    return {"row": position.line, "column": position.column + 1}


def finding_to_dict(finding: Finding, context: ReportContext, result: RunResult) -> Dict[str, Any]:
    fix = None
    if finding.fix is not None:
        fix = {
            "applicability": finding.fix.applicability.value,
            "message": mask_secrets(finding.fix.message),
            "edits": [
                {**edit, "content": mask_secrets(edit["content"])} for edit in describe_edits(finding.fix.edits)
            ],
        }
    absolute = _absolute(finding.path, context)
    return {
        "cell": None,
        "code": finding.code,
        "end_location": _position(finding.span.end),
        "filename": str(absolute),
        "fix": fix,
        "location": _position(finding.span.start),
        "message": mask_secrets(finding.message),
        "noqa_row": finding.noqa_line or finding.line,
        "url": finding.url,
        "name": finding.name,
        "severity": finding.severity.value,
        "help": mask_secrets(finding.help) if finding.help else None,
        "related": [
            {
                "filename": str(_absolute(result.related_absolute(finding, r.location), context)),
                "row": r.location.line,
                "column": r.location.column + 1,
                "message": mask_secrets(r.message),
            }
            for r in finding.related
        ],
        "statement": (
            {"location": _position(finding.statement.start), "end_location": _position(finding.statement.end)}
            if finding.statement is not None
            else None
        ),
        "fingerprint": finding.fingerprint,
    }


def _absolute(path, context: ReportContext):
    return path if path.is_absolute() else context.cwd / path


def render_json(result: RunResult, context: ReportContext) -> str:
    if context.statistics:
        from .statistics import render_statistics_json

        return render_statistics_json(result)
    items: List[Dict[str, Any]] = [finding_to_dict(f, context, result) for f in fingerprinted(result)]
    return json.dumps(items, indent=2, ensure_ascii=False) + "\n"
