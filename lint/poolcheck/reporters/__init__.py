"""Reporters turn a run's result into text for a person or a machine.

Each format is a function ``(result, context) -> str`` registered in :data:`REPORTERS`.
Reporters only format: they never read or parse files (the result carries the text of every
file with findings), and every piece of free text goes through ``mask_secrets``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Optional

from ..registry import RuleSet
from ..runner import RunResult


@dataclass
class ReportContext:
    rules: RuleSet
    color: bool = False
    show_fixes: bool = False
    fix_mode: bool = False
    cwd: Path = field(default_factory=Path.cwd)
    statistics: bool = False


Reporter = Callable[[RunResult, ReportContext], str]


def _text(result: RunResult, context: ReportContext) -> str:
    from .text import render_full

    return render_full(result, context)


def _json(result: RunResult, context: ReportContext) -> str:
    from .json import render_json

    return render_json(result, context)


# Formats are imported lazily: most runs use one.
REPORTERS: Dict[str, Reporter] = {
    "text": _text,
    "json": _json,
}


def get_reporter(name: str) -> Optional[Reporter]:
    return REPORTERS.get(name)
