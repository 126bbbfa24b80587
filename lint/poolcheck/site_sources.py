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

from typing import Callable, Dict, Iterable, List, Sequence, Tuple

FACTORY_TOKENS: Tuple[bytes, ...] = (b"create_engine", b"create_async_engine", b"engine_from_config")

SiteSource = Callable[["object"], list]  # (FileContext) -> List[EngineSite]
SITE_SOURCES: List[SiteSource] = []
_SOURCE_TOKENS: Dict[SiteSource, Tuple[bytes, ...]] = {}


def register_site_source(source: SiteSource, tokens: Iterable[bytes] = ()) -> SiteSource:
    """Add a source of engine sites. ``tokens``: bytes every file holding one of its sites
    contains (``b"SQLALCHEMY_DATABASE_URI"``); files with none of them are not parsed for it.
    Registering the same source again only adds tokens."""
    if source not in SITE_SOURCES:
        SITE_SOURCES.append(source)
    known = _SOURCE_TOKENS.get(source, ())
    _SOURCE_TOKENS[source] = known + tuple(t for t in tokens if t not in known)
    return source


class _SiteTokens(Sequence):
    """The factory tokens followed by each registered source's, as they are when read."""

    def _current(self) -> Tuple[bytes, ...]:
        extra = tuple(t for source in SITE_SOURCES for t in _SOURCE_TOKENS.get(source, ()))
        return FACTORY_TOKENS + tuple(dict.fromkeys(t for t in extra if t not in FACTORY_TOKENS))

    def __getitem__(self, index):
        return self._current()[index]

    def __len__(self) -> int:
        return len(self._current())

    def __iter__(self):
        return iter(self._current())

    def __repr__(self) -> str:
        return f"ENGINE_SITE_TOKENS{self._current()!r}"


ENGINE_SITE_TOKENS: Sequence[bytes] = _SiteTokens()
