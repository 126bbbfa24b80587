"""Reporters turn a run's result into text for a person or a machine.

Each format is a function ``(result, context) -> str`` in its own module, registered in
:data:`REPORTERS` and imported only when used (most runs use one format). Reporters only
format: they never read or parse files (the result carries the text of every file with
findings, each finding its fingerprint, and the repository-relative path of every checked
file), and every piece of free text goes through ``mask_secrets``.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Callable, Dict, FrozenSet, List, Optional

from ..findings import Finding
from ..registry import RuleSet
from ..runner import RunResult


class ReportContext:
    """How to report (a plain class: a dataclass costs its module at every run's start)."""

    def __init__(
        self,
        rules: RuleSet,
        color: bool = False,
        show_fixes: bool = False,
        fix_mode: bool = False,
        cwd: Optional[Path] = None,
        statistics: bool = False,
        enabled: Optional[FrozenSet[str]] = None,
    ) -> None:
        self.rules = rules
        self.color = color
        self.show_fixes = show_fixes
        self.fix_mode = fix_mode
        self.cwd = cwd if cwd is not None else Path.cwd()
        # Counts per rule instead of one entry per finding (formats in STATISTICS_FORMATS).
        self.statistics = statistics
        # The codes enabled in this run: the rules that can fire (SARIF lists them). None:
        # all.
        self.enabled = enabled


Reporter = Callable[[RunResult, ReportContext], str]


def _lazy(module: str, function: str) -> Reporter:
    def render(result: RunResult, context: ReportContext) -> str:
        return getattr(importlib.import_module(f"{__name__}.{module}"), function)(result, context)

    render.__name__ = f"{module}.{function}"
    return render


REPORTERS: Dict[str, Reporter] = {
    "full": _lazy("text", "render_full"),
    "text": _lazy("text", "render_full"),  # the original name of `full`
    "concise": _lazy("concise", "render_concise"),
    "json": _lazy("json", "render_json"),
    "sarif": _lazy("sarif", "render_sarif"),
    "github": _lazy("github", "render_github"),
    "gitlab": _lazy("gitlab", "render_gitlab"),
    "junit": _lazy("junit", "render_junit"),
}

# Formats for people, which may be coloured.
TEXT_FORMATS = frozenset({"full", "text", "concise"})
# Formats that can show counts per rule instead of the findings (`--statistics`).
STATISTICS_FORMATS = frozenset({"full", "text", "concise", "json"})
# Formats that show fingerprints (the runner computes them only when asked).
FINGERPRINT_FORMATS = frozenset({"json", "sarif", "gitlab"})


def get_reporter(name: str) -> Optional[Reporter]:
    return REPORTERS.get(name)


def fingerprinted(result: RunResult) -> List[Finding]:
    """The findings, each with its fingerprint. The runner sets them when asked
    (``RunOptions.fingerprints``); this computes them with the same function otherwise (a
    result from a run that did not ask, findings assembled by hand)."""
    if all(f.fingerprint for f in result.findings):
        return list(result.findings)
    from ..fingerprints import with_fingerprints

    by_path: Dict[Path, List[Finding]] = {}
    for finding in result.findings:
        by_path.setdefault(finding.path, []).append(finding)
    done = {
        id(original): updated
        for path, findings in by_path.items()
        for original, updated in zip(findings, with_fingerprints(findings, result.sources.get(path, ""), result.repository_path(path)))
    }
    return [f if f.fingerprint else done[id(f)] for f in result.findings]
