"""Did-you-mean for keyword names (``pool_recyle`` -> ``pool_recycle``)."""

from __future__ import annotations

import difflib
from typing import Iterable, List, Optional

# difflib's similarity ratio a plain typo must reach. 0.75 keeps one- or two-letter slips
# (pool_recyle, max_overflows, isolation -> isolation_level) and drops look-alikes that
# mean something else (connect_timeout is a driver option, not pool_timeout: 0.67).
SIMILARITY_CUTOFF = 0.75


def _squashed(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "")


def _word_set(name: str) -> frozenset:
    return frozenset(name.lower().replace("-", "_").split("_"))


def _closest(name: str, choices: List[str]) -> Optional[str]:
    """The choice most similar to ``name`` (ties: alphabetical), if one is close enough."""
    matches = difflib.get_close_matches(name.lower(), choices, n=1, cutoff=SIMILARITY_CUTOFF)
    return matches[0] if matches else None


def suggest_kwarg(name: str, candidates: Iterable[str]) -> Optional[str]:
    """The candidate ``name`` was most likely meant to be, or None.

    In order: the same name spelled differently (``poolsize``, ``Pool_Size``); a candidate
    that is the name with a leading word (``recycle``, ``pre_ping`` -> ``pool_...``); the
    same words in another order (``pool_echo`` -> ``echo_pool``); difflib's closest match
    (``pool_recyle``). None when ``name`` is itself a candidate.
    """
    choices = sorted(set(candidates))
    if not name or name in choices:
        return None
    for choice in choices:
        if _squashed(choice) == _squashed(name):
            return choice
    lowered = name.lower().replace("-", "_")
    with_prefix = [c for c in choices if c.endswith("_" + lowered)]
    if with_prefix:
        return max(with_prefix, key=lambda c: (difflib.SequenceMatcher(None, lowered, c).ratio(), -len(c)))
    for choice in choices:
        if _word_set(choice) == _word_set(name):
            return choice
    return _closest(name, choices)
