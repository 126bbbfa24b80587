"""The job stores defined in one file, including those that schedulers in other files build.

A ``{"type": "sqlalchemy", ...}`` mapping in ``config.py`` becomes a store only because
``scheduler.py`` passes it to ``BackgroundScheduler(jobstores=...)``. Findings about the
store belong where it is written (that is where ``engine=`` goes, and where ``# noqa``
does), and checking ``config.py`` alone must report exactly what a whole-project run
reports there. So every file's stores are gathered from every consumer in the project: the
project's consumer files are found once (a byte prefilter, then a parse), and each check
evaluates their consumers against the current text of the file being checked.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Dict, List, Tuple, Union

from ..findings import Span
from . import find
from .find import STORE_TOKENS, Consumer, scan_file, stores_of
from .model import JobStoreSite

if TYPE_CHECKING:  # pragma: no cover
    from ..context import FileContext, RuleContext
    from ..project import Project
    from ..values import Evaluator


def jobstore_sites(ctx: Union["FileContext", "RuleContext"]) -> List[JobStoreSite]:
    """Every SQLAlchemy job store / data store defined in this file, once each (computed once
    per file, whichever rule or site source asks first)."""
    file_ctx = ctx.file if hasattr(ctx, "rule") else ctx
    return file_ctx.memo("jobstore-sites", _compute)


def site_span(site: JobStoreSite) -> Span:
    return site.file.span(site.node)


def _compute(ctx: "FileContext") -> List[JobStoreSite]:
    parsed = ctx.parsed
    if parsed is None or not any(token in parsed.source.raw for token in STORE_TOKENS):
        return []
    if not ctx.project.python_files_containing(find.store_words()):
        # Nothing in the project can be a store (an engine's project saying "sqlalchemy"
        # in every file, and .configure( in many, searched every such file's calls).
        return []
    evaluator = ctx.evaluator
    own = scan_file(parsed, evaluator)
    found = list(own.stores)
    consumers: List[Consumer] = list(own.consumers)
    for path in ctx.project.python_files_containing(tuple(find.CONSUMER_TOKENS)):
        if path != parsed.relative:
            consumers.extend(_consumers_in(ctx.project, path, evaluator))
    for consumer in consumers:
        # The evaluator reads this file through the project, which holds the very parse being
        # checked (the runner adopts it first): the stores' nodes are this parse's nodes, as
        # ctx.report needs. A store written in another file is that file's finding.
        found.extend(store for store in stores_of(consumer, evaluator) if store.file is parsed)
    return _unique(found)


def _consumers_in(project: "Project", path: PurePosixPath, evaluator: "Evaluator") -> List[Consumer]:
    """The consumers of another project file, scanned once per parse of it."""
    other = project.parsed(path)
    if other is None:
        return []
    # Keyed by the parse itself: a new parse of the file (after a fix) is scanned again.
    return project.memo("jobstore-consumers", (path, id(other)), lambda: scan_file(other, evaluator).consumers)


def _unique(sites: List[JobStoreSite]) -> List[JobStoreSite]:
    """One site per definition: a mapping two schedulers read, or that a config class and a
    scheduler both name, is one store to report. The first one found (with its alias) wins."""
    seen: Dict[Tuple[int, int, int, int], JobStoreSite] = {}
    for site in sites:
        span = site_span(site)
        key = (span.start.line, span.start.column, span.end.line, span.end.column)
        if key not in seen:
            seen[key] = site
        elif seen[key].alias is None and site.alias is not None:
            seen[key].alias = site.alias
    return sorted(seen.values(), key=lambda s: (site_span(s).start, s.form))
