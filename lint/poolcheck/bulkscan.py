"""Which tokens each file of a large tree holds, found by worker processes.

A cold run without a cache asks, for every Python file of the project, which of the rules'
tokens it holds (the prefilter's question, asked first by a project fact), then a few more
questions of the same kind (the names the project binds to a session factory, the words a
fact looks for). Answering them in this process was the longest serial part of such a run:
reading the tree and searching it, a pass over all of its bytes per group of tokens. A
:class:`BulkScanner` hands slices of the file list to processes forked for the purpose,
which read the files themselves and send back only each file's set of tokens: the bytes
stay where they were read (sending them back cost more than the search).

The lifecycle name scan's files (those that build an engine, a session factory or a
registry) are parsed with CPython and summarized by the same processes
(:meth:`BulkScanner.summarize`, through ``Project.prefetch_summaries``): this process was
idle while it parsed them alone, a third of a cold run on the bench corpus. The trees stay
there; each file's summary and outline for pruning (``poolcheck.outline``) come back.

The answers are the same as :class:`poolcheck.tokenscan.TokenScanner` gives in this
process, file by file (a file that cannot be read holds no token, as for the project's own
reads), with whether the file decodes as Python source (``source.decode_source``): a file
that does and holds no token of the enabled rules is settled without this process reading
it at all (``Runner._settled_unread``). Where processes cannot be forked, or the files are
few, the project searches them itself.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Callable, FrozenSet, List, Optional, Sequence, Tuple

from . import timing
from .tokenscan import Token, TokenScanner

if TYPE_CHECKING:  # pragma: no cover
    from multiprocessing.pool import Pool

    from .outline import Outline

# Below this many files to search, forking costs more than it saves: starting the pool
# takes 40-50 ms (multiprocessing's import, two forks of a process that has loaded the
# rules), and on trees of about 700 files (ckan, dispatch: 3-5 MB) the search took about
# as long in two processes as in one. On the standard library (1,790 files, 31.5 MB) two
# processes search it in 0.21 s instead of 0.38 s.
BULK_MINIMUM = 1000
# Slices per process: files differ a hundredfold in size, so several slices each keep the
# processes busy to the end.
_SLICES_PER_WORKER = 4


class BulkScanner:
    """``scan(names, tokens)``: for each of ``names`` (paths relative to ``root``), the
    tokens of ``tokens`` its bytes hold and whether they decode as Python source (None
    where it cannot be read), or None when the caller should search them itself (too few
    names, no fork)."""

    def __init__(self, root: str, workers: int, minimum: Optional[int] = None) -> None:
        self.root = os.path.join(root, "")
        self.workers = workers
        self.minimum = minimum if minimum is not None else BULK_MINIMUM
        self._pool: Optional["Pool"] = None
        self._closed = False
        # A process forked from this one (a worker checking files) inherits the scanner but
        # not its pool's threads: there the caller searches.
        self._owner = os.getpid()

    def scan(self, names: Sequence[str], tokens: FrozenSet[Token]) -> Optional[List[Optional[Tuple[FrozenSet[Token], bool]]]]:
        from .parallel import can_fork

        if self._closed or os.getpid() != self._owner or len(names) < self.minimum or self.workers < 2 or not can_fork():
            return None
        with timing.phase("prefilter"):
            if self._pool is None:
                import multiprocessing

                try:
                    self._pool = multiprocessing.get_context("fork").Pool(self.workers)
                except OSError:  # no processes to be had (a limit on them): search here
                    self._closed = True
                    return None
            count = self.workers * _SLICES_PER_WORKER
            # Interleaved slices: neighbouring files (one package's) are alike in size.
            slices = [(self.root, list(names[start::count]), tokens) for start in range(count)]
            answers = self._pool.map(_scan_slice, slices, chunksize=1)
            found: List[Optional[Tuple[FrozenSet[Token], bool]]] = [None] * len(names)
            for start, answer in enumerate(answers):
                found[start::count] = answer
            return found

    def summarize(
        self, datas: Sequence[bytes], compute: Callable[[Optional[bytes]], Any], meanwhile: Optional[Callable[[], None]] = None
    ) -> Optional[List[Tuple[Any, Optional["Outline"]]]]:
        """For each of ``datas`` (files' contents), ``compute(data)`` (a summary, as
        ``Project.summary`` asks for it) and, when the summary parsed the file with CPython
        (``pyast.python_ast``), its outline for pruning (``poolcheck.outline``): the trees
        stay where they were made, the small values come back. None when the search's
        processes are not running (a small tree never starts them for this) or the files
        are too few to share. ``meanwhile`` runs here while the others work."""
        if self._pool is None or self._closed or os.getpid() != self._owner or len(datas) < 2:
            return None
        with timing.phase("prefilter"):
            # One file per task, the largest first: a parse costs by the byte, the files are
            # few and differ tenfold, and slices of them kept one process busy to the end.
            order = sorted(range(len(datas)), key=lambda index: -len(datas[index]))
            pending = self._pool.map_async(_summarize_one, [(datas[index], compute) for index in order], chunksize=1)
            if meanwhile is not None:
                meanwhile()
            answers = pending.get()
            found: List[Tuple[Any, Optional["Outline"]]] = [(None, None)] * len(datas)
            for index, answer in zip(order, answers):
                found[index] = answer
            return found

    def close(self) -> None:
        """Stop the processes; later questions are answered by the caller."""
        self._closed = True
        if self._pool is not None and os.getpid() == self._owner:
            self._pool.terminate()
            self._pool.join()
            self._pool = None


def _scan_slice(task: Tuple[str, List[str], FrozenSet[Token]]) -> List[Optional[Tuple[FrozenSet[Token], bool]]]:
    from pathlib import Path

    from .source import SourceFile, decode_source

    root, names, tokens = task
    scanner = TokenScanner(tokens)
    found: List[Optional[Tuple[FrozenSet[Token], bool]]] = []
    for name in names:
        try:
            with open(root + name, "rb") as handle:
                data = handle.read()
        except OSError:
            found.append(None)
            continue
        found.append((scanner.scan(data), isinstance(decode_source(Path(name), data), SourceFile)))
    return found


def _summarize_one(task: Tuple[bytes, Callable[[Optional[bytes]], Any]]) -> Tuple[Any, Optional["Outline"]]:
    from .outline import outline_of
    from .pyast import shared_ast

    data, compute = task
    value = compute(data)
    tree = shared_ast(data)
    # (Pickled without the tree's nodes: see Outline.__reduce__.)
    return value, (outline_of(tree) if tree is not None else None)
