"""Where a run's time goes: ``POOLCHECK_PROFILE=FILE poolcheck check ...`` writes, as JSON,
the seconds spent in each phase (discovery, prefilter, parse, rules, report, ...), each
phase's own time (a phase inside another is not counted twice), summed over the worker
processes for the phases they run. ``POOLCHECK_PROFILE=1`` prints them on standard error.

Off, ``phase()`` returns a shared do-nothing context manager: nothing is measured.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Dict, List, Optional

_ENABLED = bool(os.environ.get("POOLCHECK_PROFILE"))
_totals: Dict[str, float] = {}
_stack: List[str] = []
_since = 0.0
notes: Dict[str, object] = {}


class _Off:
    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc) -> None:
        return None


_OFF = _Off()


class _Phase:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __enter__(self) -> None:
        global _since
        now = time.perf_counter()
        if _stack:
            _totals[_stack[-1]] = _totals.get(_stack[-1], 0.0) + (now - _since)
        _stack.append(self.name)
        _since = now

    def __exit__(self, *exc) -> None:
        global _since
        now = time.perf_counter()
        name = _stack.pop()
        _totals[name] = _totals.get(name, 0.0) + (now - _since)
        _since = now


def enabled() -> bool:
    return _ENABLED


def phase(name: str):
    """``with phase("parse"): ...``: charge the block's own time to ``name``."""
    return _Phase(name) if _ENABLED else _OFF


def snapshot() -> Dict[str, float]:
    return dict(_totals)


def add(totals: Dict[str, float]) -> None:
    """Add a worker process's phase times."""
    for name, seconds in totals.items():
        _totals[name] = _totals.get(name, 0.0) + seconds


def reset() -> None:
    """Start afresh (a worker process: what it inherited is the parent's)."""
    _totals.clear()
    _stack.clear()


def write(target: Optional[str] = None) -> None:
    """Write the totals where ``POOLCHECK_PROFILE`` says (a file, or "1": standard error)."""
    target = target or os.environ.get("POOLCHECK_PROFILE")
    if not _ENABLED or not target:
        return
    order = ["startup", "discovery", "cache", "prefilter", "facts", "parse", "rules", "suppress", "report"]
    phases = {name: round(_totals[name], 4) for name in order if name in _totals}
    phases.update({name: round(seconds, 4) for name, seconds in sorted(_totals.items()) if name not in phases})
    data = {"phases": phases, "notes": notes}
    if target in ("1", "stderr", "-"):
        width = max((len(name) for name in phases), default=0)
        lines = [f"{name:<{width}}  {seconds:8.3f} s" for name, seconds in phases.items()]
        lines += [f"{key}: {value}" for key, value in notes.items()]
        sys.stderr.write("\n".join(lines) + "\n")
        return
    try:
        with open(target, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1)
    except OSError:
        pass
