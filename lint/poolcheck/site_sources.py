"""The registry of engine-site sources, and the bytes that reveal a file may hold a site.

Kept apart from :mod:`poolcheck.engines` (which imports libcst) so that a rule module can
register a source, or declare ``tokens = ENGINE_SITE_TOKENS``, while staying cheap to import.

A file is parsed for the PC1xx rules only if its bytes contain one of their tokens. Those
rules declare :data:`ENGINE_SITE_TOKENS`, which is live: the factory names plus the tokens
of every source registered so far (a source registered by a rule module loaded after them
still counts), so a Flask config file holding nothing but ``SQLALCHEMY_DATABASE_URI`` is
checked by every engine rule.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from .prefilter import holds

FACTORY_TOKENS: Tuple[bytes, ...] = (b"create_engine", b"create_async_engine", b"engine_from_config")

SiteSource = Callable[["object"], list]  # (FileContext) -> List[EngineSite]
SITE_SOURCES: List[SiteSource] = []
_SOURCE_TOKENS: Dict[SiteSource, Tuple[bytes, ...]] = {}
_SOURCE_FILES: Dict[SiteSource, Callable] = {}
_SOURCE_FACT_TOKENS: Dict[SiteSource, Tuple[object, ...]] = {}
# Bumped by every registration: a live sequence's tuple is computed again only then (the
# prefilter asks each engine rule's tokens of every file, several times: recomputing the
# tuple each time was 4% of a cold run of prefect).
_REGISTRATIONS = [0]


def register_site_source(
    source: SiteSource, tokens: Iterable[bytes] = (), files: Optional[Callable] = None, fact_tokens: Iterable[object] = ()
) -> SiteSource:
    """Add a source of engine sites. ``tokens``: bytes every file holding one of its sites
    contains (``b"SQLALCHEMY_DATABASE_URI"``); files with none of them are not parsed for it.
    ``files(project)``: the project files its sites are in, when the source knows them from
    project facts (then a file that only mentions a token is not parsed for it either).
    ``fact_tokens``: what the project facts the source reads ask of every file (see
    ``Rule.fact_tokens``; the engine rules name them through ENGINE_SITE_FACT_TOKENS).
    Registering the same source again adds tokens."""
    if source not in SITE_SOURCES:
        SITE_SOURCES.append(source)
    for table, new in ((_SOURCE_TOKENS, tokens), (_SOURCE_FACT_TOKENS, fact_tokens)):
        known = table.get(source, ())
        table[source] = known + tuple(t for t in new if t not in known)
    if files is not None:
        _SOURCE_FILES[source] = files
    _REGISTRATIONS[0] += 1
    return source


def unregister_site_source(source: SiteSource) -> None:
    """Forget a registered source and its tokens (a test's, or a plugin unloading)."""
    if source in SITE_SOURCES:
        SITE_SOURCES.remove(source)
    for table in (_SOURCE_TOKENS, _SOURCE_FILES, _SOURCE_FACT_TOKENS):
        table.pop(source, None)
    _REGISTRATIONS[0] += 1


class _LiveTokens(Sequence):
    """A sequence of tokens as the registered sources make it when read (``_compute``): a rule
    class declares it before every source is registered."""

    _seen = (-1, ())

    def _compute(self) -> Tuple:
        raise NotImplementedError

    def _current(self) -> Tuple:
        registrations, value = self._seen
        if registrations != _REGISTRATIONS[0]:
            value = self._compute()
            self._seen = (_REGISTRATIONS[0], value)
        return value

    def __getitem__(self, index):
        return self._current()[index]

    def __len__(self) -> int:
        return len(self._current())

    def __iter__(self):
        return iter(self._current())


class _SiteTokens(_LiveTokens):
    """The factory tokens followed by each registered source's, as they are when read; as a
    refined prefilter (poolcheck.prefilter), a source's tokens count only in the files it
    says its sites are in."""

    def matches(self, raw: bytes, project, relative: PurePosixPath) -> bool:
        # Through the project's token index: the rules declaring these tokens each ask, and
        # searching the bytes again for each was a tenth of a cold run's prefilter.
        if holds(raw, FACTORY_TOKENS, project, relative):
            return True
        for source in SITE_SOURCES:
            if holds(raw, _SOURCE_TOKENS.get(source, ()), project, relative):
                files = _SOURCE_FILES.get(source)
                if files is None or PurePosixPath(relative) in files(project):
                    return True
        return False

    def _compute(self) -> Tuple[bytes, ...]:
        extra = tuple(t for source in SITE_SOURCES for t in _SOURCE_TOKENS.get(source, ()))
        return FACTORY_TOKENS + tuple(dict.fromkeys(t for t in extra if t not in FACTORY_TOKENS))

    def __repr__(self) -> str:
        return f"ENGINE_SITE_TOKENS{self._current()!r}"


ENGINE_SITE_TOKENS: Sequence[bytes] = _SiteTokens()


class _SiteFactTokens(_LiveTokens):
    """What the engine sites' project facts ask of every file (a ``Rule.fact_tokens``): the
    server settings' (every engine is compared with them) and each registered source's."""

    def _compute(self) -> Tuple[object, ...]:
        from .facts.tokens import SERVER_VARIABLE_TOKENS

        extra = tuple(t for source in SITE_SOURCES for t in _SOURCE_FACT_TOKENS.get(source, ()))
        return tuple(dict.fromkeys(SERVER_VARIABLE_TOKENS + extra))

    def __repr__(self) -> str:
        return f"ENGINE_SITE_FACT_TOKENS{self._current()!r}"


ENGINE_SITE_FACT_TOKENS: Sequence[object] = _SiteFactTokens()
