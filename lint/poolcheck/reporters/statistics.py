"""``--statistics``: how many findings each rule produced, most frequent first."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import List

from ..findings import applicable
from ..runner import RunResult


@dataclass(frozen=True)
class RuleCount:
    """How many findings a rule has in a run, and how many of them are fixable."""
    code: str
    name: str
    count: int
    fixable: int  # how many have a safe fix (`--fix` applies them)


def rule_counts(result: RunResult) -> List[RuleCount]:
    counts: Counter = Counter()
    fixable: Counter = Counter()
    names = {}
    for finding in result.findings:
        counts[finding.code] += 1
        names[finding.code] = finding.name
        if applicable(finding.fix, unsafe=False):
            fixable[finding.code] += 1
    ordered = sorted(counts, key=lambda code: (-counts[code], code))
    return [RuleCount(code, names[code], counts[code], fixable[code]) for code in ordered]


def render_statistics_text(result: RunResult) -> List[str]:
    rows = rule_counts(result)
    if not rows:
        return []
    count_width = max(len(str(r.count)) for r in rows)
    code_width = max(len(r.code) for r in rows)
    any_fixable = any(r.fixable for r in rows)
    lines = []
    for row in rows:
        marker = ("[*] " if row.fixable else "    ") if any_fixable else ""
        lines.append(f"{row.count:>{count_width}}  {row.code:<{code_width}}  {marker}{row.name}")
    return lines


def render_statistics_json(result: RunResult) -> str:
    items = [{"code": r.code, "name": r.name, "count": r.count, "fixable": r.fixable} for r in rule_counts(result)]
    return json.dumps(items, indent=2) + "\n"
