"""Which of many byte tokens a file contains, in a few passes over its bytes.

The prefilter asks, for every file of a tree, which of the enabled rules' tokens (several
dozen: ``create_engine``, ``SQLALCHEMY_``, ``sessionmaker``, ``.connect(``...) it holds;
project facts ask the same of other tokens. ``token in data`` is a fast C search, but one
search per token and file adds up (a 30 MB tree times 60 tokens is two gigabytes of
scanning). A :class:`TokenScanner` searches a few *gates* instead: short lowercase pieces
shared by many tokens (``engine`` for ``create_engine``, ``engine_from_config``,
``engine_options``...), in the lowered bytes; only the tokens behind a gate the file
contains are searched for themselves. Most files contain no gate at all.

A token is bytes matched as written, or a :class:`NoCase` token matched in any case (SQL's
``SET GLOBAL wait_timeout``).
"""

from __future__ import annotations

from collections import Counter
from typing import Dict, FrozenSet, Iterable, List, Tuple, Union

_MIN_GATE = 5  # shorter pieces ("pool", "conn") are in too many files to be worth a pass


class NoCase:
    """A token matched whatever its case: ``NoCase(b"wait_timeout")``."""

    __slots__ = ("value",)

    def __init__(self, value: bytes) -> None:
        self.value = bytes(value).lower()

    def __repr__(self) -> str:
        return f"NoCase({self.value!r})"

    def __hash__(self) -> int:
        return hash((NoCase, self.value))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NoCase) and self.value == other.value

    def __lt__(self, other: "NoCase") -> bool:  # sortable among themselves
        return self.value < other.value


Token = Union[bytes, NoCase]


def token_key(token: Token) -> str:
    """A token as a string that says its kind too (for JSON, and sorting)."""
    if isinstance(token, NoCase):
        return "i:" + token.value.decode("latin-1")
    return "s:" + token.decode("latin-1")


def token_from_key(key: str) -> Token:
    data = key[2:].encode("latin-1")
    return NoCase(data) if key.startswith("i:") else data


def choose_gates(tokens: Iterable[Token], exact: bool = False) -> Dict[bytes, Tuple[Token, ...]]:
    """Lowercase gates, each with the tokens it stands for: every token contains (in
    lowercase) its gate. Greedy: the piece shared by most tokens not yet covered, longer
    first on ties; a token sharing nothing is its own gate. ``exact`` (no NoCase token):
    gates as written, searched in the bytes as they are."""
    spelled = (lambda token: token) if exact else _lowered
    remaining = {token: spelled(token) for token in dict.fromkeys(tokens) if spelled(token)}
    gates: Dict[bytes, List[Token]] = {}
    while remaining:
        counts: Counter = Counter()
        for lowered in set(remaining.values()):
            if len(lowered) < _MIN_GATE:
                continue
            pieces = {lowered[i : i + n] for n in range(_MIN_GATE, len(lowered) + 1) for i in range(len(lowered) - n + 1)}
            counts.update(pieces)
        best = None
        if counts:
            best = max(counts.items(), key=lambda item: (item[1] * 1000 + len(item[0]), item[0]))[0]
            if counts[best] < 2:
                best = None
        if best is None:
            # Nothing shared: each token is its own gate (its lowercase form).
            for token, lowered in remaining.items():
                gates.setdefault(lowered, []).append(token)
            break
        covered = [token for token, lowered in remaining.items() if best in lowered]
        gates[best] = covered
        for token in covered:
            del remaining[token]
    return {gate: tuple(members) for gate, members in gates.items()}


def _lowered(token: Token) -> bytes:
    return token.value if isinstance(token, NoCase) else token.lower()


def contains(data: bytes, token: Token, lowered: bytes = None) -> bool:
    """Whether ``data`` holds ``token`` (``lowered``: ``data.lower()``, if at hand)."""
    if isinstance(token, NoCase):
        return token.value in (lowered if lowered is not None else data.lower())
    return token in data


class TokenScanner:
    """``scan(data)``: the tokens among ``tokens`` that ``data`` contains."""

    def __init__(self, tokens: Iterable[Token]) -> None:
        self.tokens: Tuple[Token, ...] = tuple(dict.fromkeys(t for t in tokens if _lowered(t)))
        # Without a NoCase token nothing needs the lowered bytes: a copy of every file saved.
        self.exact = not any(isinstance(t, NoCase) for t in self.tokens)
        self.gates = tuple(choose_gates(self.tokens, self.exact).items())

    def scan(self, data: bytes) -> FrozenSet[Token]:
        if not self.tokens:
            return frozenset()
        lowered = data if self.exact else data.lower()
        found = []
        for gate, members in self.gates:
            if gate in lowered:
                for token in members:
                    if isinstance(token, NoCase):
                        if token.value in lowered:
                            found.append(token)
                    elif token in data:
                        found.append(token)
        return frozenset(found)
