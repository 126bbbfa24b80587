"""Parse and check the files the prefilter kept in several processes.

The worker processes are forked from the runner as soon as enough files are pending, so they
start with everything it knows by then (the rules, the settings, the projects' facts) and
import nothing more than a file's check needs; the runner goes on reading and prefiltering
the other files meanwhile and hands each kept file to them as it finds it. Each worker takes
one file at a time (files differ a hundredfold in cost) and sends back the file's findings,
warnings and errors and the values of the dependencies its findings have (computed where
the bytes were read). The runner puts the results in the files' order: a parallel run
reports exactly what a serial run does, in the same order.

Where processes cannot be forked (Windows; macOS, where forking a process that may have
started threads is unsafe), everything runs in this process.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Tuple

from . import timing

if TYPE_CHECKING:  # pragma: no cover
    from .runner import Runner, _Pending

# What the forked workers inherit (set just before the pool starts).
_RUNNER: "Runner" = None  # type: ignore[assignment]


def can_fork() -> bool:
    # multiprocessing's "fork" start method is os.fork; asked without importing
    # multiprocessing, which a run of a few files never needs.
    return sys.platform.startswith("linux") and hasattr(os, "fork")


def _check_one(item: "_Pending"):
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
    return findings, warnings, errors, values, spent, answers


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


Outcome = Tuple[List, List[str], List[str], Dict[Any, str]]


class PendingFiles:
    """The files the prefilter kept, checked while the runner goes on prefiltering the rest.

    Below ``minimum`` files nothing is forked (a pool costs more than it saves): they are
    checked in this process by ``results``. Once ``minimum`` files are pending, ``workers``
    processes are forked, with everything the runner knows by then (the rules, the settings,
    the projects' facts), and every file kept from then on goes to them at once: the
    workers parse and check while this process still reads and prefilters the others.
    ``results`` gives (item, (findings, warnings, errors, dependencies)) in the files'
    order, whatever order the workers finish in: a parallel run reports exactly what a
    serial run does. The dependencies come with their values (a dict) from the workers
    (``started``), as a set of this process's project otherwise."""

    def __init__(self, runner: "Runner", workers: int, minimum: int) -> None:
        self.runner = runner
        self.workers = workers if can_fork() else 1
        self.minimum = minimum
        self.items: List["_Pending"] = []
        self._pool = None
        self._futures: List[Any] = []
        self.started = False

    def add(self, item: "_Pending") -> None:
        self.items.append(item)
        if self._pool is not None:
            self._submit(item)
        elif self.workers > 1 and len(self.items) >= self.minimum:
            self._start()

    def _start(self) -> None:
        global _RUNNER
        _RUNNER = self.runner
        import multiprocessing  # here: a run of a few files never starts a worker

        # Every worker parses: the parser (libcst, a tenth of a second to import) is imported
        # once here and shared by the forked workers, rather than once in each (measured on
        # the bench corpus: 0.24 s less CPU, the same or a shorter wall time).
        from . import syntax  # noqa: F401

        # What every worker would compute for itself otherwise (the pruning tokens, the
        # facts the rules share), while the processes that search the tree for tokens
        # (poolcheck.bulkscan) can still answer the questions it asks of every file.
        self.runner.prepare_shared_facts()
        # Those processes are stopped: their pool's threads must not be running when this
        # process forks. A question asked later is answered by this process's own search.
        self.runner._close_bulk_scanners()
        context = multiprocessing.get_context("fork")
        try:
            self._pool = context.Pool(self.workers, initializer=timing.reset)
        except OSError:  # no processes to be had (a limit on them): check here, serially
            self.workers = 1
            _RUNNER = None  # type: ignore[assignment]
            return
        self.started = True
        for item in self.items:
            self._submit(item)

    def _submit(self, item: "_Pending") -> None:
        self._futures.append(self._pool.apply_async(_check_one, (item,)))

    def results(self) -> Iterator[Tuple["_Pending", Outcome]]:
        if self._pool is None:
            for item in self.items:
                findings, warnings, errors, dependencies = self.runner.check_pending(item)
                yield item, (findings, warnings, errors, dependencies)
            return
        global _RUNNER
        try:
            with timing.phase("parallel"):
                done = []
                for future in self._futures:
                    findings, warnings, errors, values, spent, answers = future.get()
                    done.append((findings, warnings, errors, values))
                    timing.add({f"worker {name}": seconds for name, seconds in spent.items()})
                    if answers:
                        from . import sqla

                        sqla.add_answers(answers)
        finally:
            self._pool.close()
            self._pool.join()
            self._pool = None
            _RUNNER = None  # type: ignore[assignment]
        yield from zip(self.items, done)

    def close(self) -> None:
        """Stop the workers (a run that ends early, by an error)."""
        global _RUNNER
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None
            _RUNNER = None  # type: ignore[assignment]
