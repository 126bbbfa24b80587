"""``--format sarif``: SARIF 2.1.0, as GitHub code scanning and other viewers read it.

One run. ``tool.driver`` lists every rule enabled in the run (the rules that can fire) with
its page; results carry the rule, level, message, a region with 1-based columns counted in
Unicode code points (``columnKind``), the other files the finding depends on as
``relatedLocations`` (linked from the message text, which is how GitHub shows them), the fix
as ``fixes``, and the fingerprint as ``partialFingerprints``. Files are named relative to the
repository root, declared as ``%SRCROOT%`` in ``originalUriBaseIds``.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from typing import Any, Dict, List, Type
from urllib.parse import quote

from .. import __version__
from ..findings import Finding, Position, Severity, Span
from ..fingerprints import SARIF_KEY
from ..masking import mask_secrets
from ..rule import Rule
from ..runner import RunResult
from . import ReportContext, fingerprinted

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/poolcheck/poolcheck"
SRCROOT = "%SRCROOT%"

LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _text(value: str) -> str:
    return mask_secrets(textwrap.dedent(value).strip())


# Text a viewer would take for an embedded link, `[text](target)`.
_LINK_LIKE = re.compile(r"\[[^\]]*\]\(")


def _escape(text: str) -> str:
    """Plain-text SARIF messages read ``[text](id)`` as a link. Literal brackets may stay as
    they are (``my.cnf [mysqld]``, which viewers show verbatim) unless they would read as a
    link (``callbacks[42](0)``): then they are backslash-escaped (SARIF 2.1.0 §3.11.6)."""
    if not _LINK_LIKE.search(text):
        return text
    return text.replace("[", "\\[").replace("]", "\\]")


def rule_descriptor(rule: Type[Rule]) -> Dict[str, Any]:
    from ..docs import render_rule_page

    descriptor: Dict[str, Any] = {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": _text(rule.summary)},
        "fullDescription": {"text": _text(rule.what or rule.summary)},
        "help": {"text": _text(rule.help or rule.summary), "markdown": mask_secrets(render_rule_page(rule))},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {"tags": ["poolcheck"]},
    }
    url = rule.url()
    if url:
        descriptor["helpUri"] = url
    return descriptor


def _artifact(path: str) -> Dict[str, Any]:
    if Path(path).is_absolute():  # outside the repository root
        return {"uri": Path(path).as_uri()}
    return {"uri": quote(path, safe="/"), "uriBaseId": SRCROOT}


def _region(span: Span) -> Dict[str, int]:
    region = {"startLine": span.start.line, "startColumn": span.start.column + 1}
    if span.end != span.start:
        region["endLine"] = span.end.line
        region["endColumn"] = span.end.column + 1
    # An empty span (a point) leaves the end out: the viewer highlights to the end of the line.
    return region


def _point(position: Position) -> Dict[str, int]:
    return {"startLine": position.line, "startColumn": position.column + 1}


def result_object(finding: Finding, result: RunResult, rule_index: Dict[str, int], rules: Dict[str, Type[Rule]]) -> Dict[str, Any]:
    path = result.repository_path(finding.path)
    text = _escape(mask_secrets(finding.message))
    rule = rules.get(finding.code)
    if finding.help and (rule is None or finding.help != rule.help):
        text += "\n" + _escape(mask_secrets(finding.help))
    related = []
    for number, item in enumerate(finding.related, start=1):
        related_path = result.related_repository_path(finding, item.location)
        label = f"{related_path}:{item.location.line}"
        text += f"\n{_escape(mask_secrets(item.message))}: [{_escape(label)}]({number})"
        related.append(
            {
                "id": number,
                "physicalLocation": {
                    "artifactLocation": _artifact(related_path),
                    "region": _point(Position(item.location.line, item.location.column)),
                },
                "message": {"text": mask_secrets(item.message)},
            }
        )
    sarif: Dict[str, Any] = {
        "ruleId": finding.code,
        "level": LEVELS[finding.severity],
        "message": {"text": text},
        "locations": [{"physicalLocation": {"artifactLocation": _artifact(path), "region": _region(finding.span)}}],
    }
    if finding.code in rule_index:
        sarif["ruleIndex"] = rule_index[finding.code]
    if related:
        sarif["relatedLocations"] = related
    if finding.fix is not None and finding.fix.edits:
        sarif["fixes"] = [
            {
                "description": {"text": mask_secrets(finding.fix.message)},
                "artifactChanges": [
                    {
                        "artifactLocation": _artifact(path),
                        "replacements": [
                            {
                                "deletedRegion": {
                                    "startLine": edit.start.line,
                                    "startColumn": edit.start.column + 1,
                                    "endLine": edit.end.line,
                                    "endColumn": edit.end.column + 1,
                                },
                                "insertedContent": {"text": mask_secrets(edit.content)},
                            }
                            for edit in finding.fix.edits
                        ],
                    }
                ],
                "properties": {"applicability": finding.fix.applicability.value},
            }
        ]
    if finding.fingerprint:
        sarif["partialFingerprints"] = {SARIF_KEY: finding.fingerprint}
    return sarif


def _listed_rules(result: RunResult, context: ReportContext) -> List[Type[Rule]]:
    """The enabled rules, plus any rule a finding names (so every ruleId resolves)."""
    codes = set(context.enabled) if context.enabled is not None else {r.code for r in context.rules}
    codes |= {f.code for f in result.findings}
    return [rule for rule in context.rules if rule.code in codes]


def sarif_log(result: RunResult, context: ReportContext) -> Dict[str, Any]:
    rules = _listed_rules(result, context)
    rule_index = {rule.code: index for index, rule in enumerate(rules)}
    by_code = {rule.code: rule for rule in rules}
    run: Dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "poolcheck",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": [rule_descriptor(rule) for rule in rules],
            }
        },
        "columnKind": "unicodeCodePoints",
        "results": [result_object(f, result, rule_index, by_code) for f in fingerprinted(result)],
        "invocations": [_invocation(result)],
    }
    if result.root is not None:
        run["originalUriBaseIds"] = {SRCROOT: {"uri": result.root.as_uri().rstrip("/") + "/"}}
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def _invocation(result: RunResult) -> Dict[str, Any]:
    notifications = [{"level": "error", "message": {"text": mask_secrets(e)}} for e in result.errors]
    notifications += [{"level": "warning", "message": {"text": mask_secrets(w)}} for w in result.warnings]
    invocation: Dict[str, Any] = {"executionSuccessful": not result.errors}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    return invocation


def render_sarif(result: RunResult, context: ReportContext) -> str:
    return json.dumps(sarif_log(result, context), indent=2, ensure_ascii=False) + "\n"
