"""Parse and check the files the prefilter kept in several processes.

The worker processes are forked from the runner once the prefilter has run, so they start
with everything it knows (the rules, the settings, every project with its file contents,
token index and facts) and import nothing more than a file's check needs. Each takes one
file at a time (files differ a hundredfold in cost) and sends back the file's findings,
warnings and errors and the values of the dependencies its findings have (computed where
the bytes were read). The runner puts the results in the files' order: a parallel run
reports exactly what a serial run does, in the same order.

Where processes cannot be forked (Windows; macOS, where forking a process that may have
started threads is unsafe), everything runs in this process.
"""

from __future__ import annotations

import multiprocessing
import sys
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Sequence, Tuple

from . import timing

if TYPE_CHECKING:  # pragma: no cover
    from .runner import Runner, _Pending

# What the forked workers inherit (set just before the pool starts).
_RUNNER: "Runner" = None  # type: ignore[assignment]
_PENDING: Sequence["_Pending"] = ()


def can_fork() -> bool:
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def _check_one(position: int):
    item = _PENDING[position]
    runner = _RUNNER
    before = timing.snapshot()
    known = _answer_keys()
    findings, warnings, errors, dependencies = runner.check_pending(item)
    answers = _new_answers(known)
    project = runner.project(item.target.root)
    values: Dict[Any, str] = {}
    if runner.cache is not None and not errors:
        with timing.phase("cache"):
            values = {d: project.dependency_value(d) for d in dependencies}
    spent = {k: v - before.get(k, 0.0) for k, v in timing.snapshot().items() if v != before.get(k, 0.0)}
    return position, findings, warnings, errors, values, spent, answers


def _answer_keys():
    if "poolcheck.sqla" not in sys.modules:
        return None
    from . import sqla

    return sqla.answer_keys()


def _new_answers(known):
    """What the worker learnt about SQLAlchemy checking one file: the runner saves it."""
    if "poolcheck.sqla" not in sys.modules:
        return []
    from . import sqla

    return sqla.new_answers(known or {})


def check_in_parallel(runner: "Runner", pending: Sequence["_Pending"], workers: int) -> Iterator[Tuple["_Pending", Tuple[List, List[str], List[str], Dict[Any, str]]]]:
    """(item, (findings, warnings, errors, dependency values)) for every pending file, in
    the files' order."""
    if not can_fork():
        for item in pending:
            findings, warnings, errors, dependencies = runner.check_pending(item)
            project = runner.project(item.target.root)
            values = {d: project.dependency_value(d) for d in dependencies} if runner.cache is not None and not errors else {}
            yield item, (findings, warnings, errors, values)
        return
    global _RUNNER, _PENDING
    _RUNNER, _PENDING = runner, pending
    results: Dict[int, tuple] = {}
    try:
        context = multiprocessing.get_context("fork")
        # The longest files first: a big file started last would keep one worker busy alone.
        order = sorted(range(len(pending)), key=lambda i: -len(pending[i].source.raw))
        with timing.phase("parallel"):
            with context.Pool(workers, initializer=timing.reset) as pool:
                for position, findings, warnings, errors, values, spent, answers in pool.imap_unordered(_check_one, order, chunksize=1):
                    results[position] = (findings, warnings, errors, values)
                    timing.add({f"worker {name}": seconds for name, seconds in spent.items()})
                    if answers:
                        from . import sqla

                        sqla.add_answers(answers)
    finally:
        _RUNNER, _PENDING = None, ()  # type: ignore[assignment]
    for position, item in enumerate(pending):
        yield item, results[position]
