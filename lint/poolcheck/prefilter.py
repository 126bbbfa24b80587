"""Whether a file is worth parsing for a rule.

``Rule.tokens`` is usually a tuple of bytes: the file is parsed if it contains one. It may
also be a *refined* prefilter: a sequence of bytes (the same cheap first test) with a
``matches(raw, project, relative)`` method that may also ask the project's facts, so that a
rule whose findings come from a project fact (Flask config entries, engine sites from
config files) does not make the runner parse every file that merely mentions a token.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any, Sequence


def wants(tokens: Sequence[bytes], raw: bytes, project: Any, relative: PurePosixPath) -> bool:
    matches = getattr(tokens, "matches", None)
    mentions = not tokens or any(token in raw for token in tokens)
    if matches is None or not mentions:
        return mentions
    try:
        if matches(raw, project, relative):
            return True
    except Exception:  # a broken prefilter must not hide the file: parse it, let the rule report
        return True
    # The facts could not read a file that mentions a token: parse it, so that its syntax
    # error is reported (PC001) rather than the file silently going unchecked.
    return bool(getattr(project, "failed_to_parse", lambda path: False)(relative))


class RefinedTokens(Sequence):
    """Bytes a file must contain, then a question to the project about that file:
    ``RefinedTokens((b"SQLALCHEMY_",), lambda project, relative: ...)``."""

    def __init__(self, tokens: Sequence[bytes], refine) -> None:
        self._tokens = tuple(tokens)
        self._refine = refine

    def matches(self, raw: bytes, project: Any, relative: PurePosixPath) -> bool:
        return any(token in raw for token in self._tokens) and bool(self._refine(project, relative))

    def __getitem__(self, index):
        return self._tokens[index]

    def __len__(self) -> int:
        return len(self._tokens)

    def __repr__(self) -> str:
        return f"RefinedTokens{self._tokens!r}"
