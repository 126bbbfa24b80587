"""Whether a file is worth parsing for a rule.

``Rule.tokens`` is usually a tuple of bytes: the file is parsed if it contains one. It may
also be a *refined* prefilter: a sequence of bytes (the same cheap first test) with a
``matches(raw, project, relative)`` method that may also ask the project's facts, so that a
rule whose findings come from a project fact (Flask config entries, engine sites from
config files) does not make the runner parse every file that merely mentions a token.

It may also be a :class:`ProjectTokens`: fixed bytes plus bytes the *project* defines. A
file that calls ``SessionLocal()`` imported from ``db.py`` mentions nothing of SQLAlchemy
itself; the name ``SessionLocal`` is what makes it worth parsing, and only the project knows
it. The runner also keeps the top-level definitions mentioning those names in pruned parses
(``Project.pruning_tokens``), whichever rules a run selects.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any, Sequence, Tuple


def holds(raw: bytes, tokens: Sequence[bytes], project: Any, relative: PurePosixPath) -> bool:
    """Whether ``raw``, the content of the project file ``relative``, holds one of ``tokens``:
    through the project's token index when it has one (a file is searched once for every
    rule's tokens), else by searching ``raw``."""
    holds_any = getattr(project, "holds_any", None)
    if holds_any is not None and project.content_is(relative, raw):
        return holds_any(relative, tuple(tokens))  # one pass over the file for every rule's tokens
    return any(token in raw for token in tokens)


def wants(tokens: Sequence[bytes], raw: bytes, project: Any, relative: PurePosixPath) -> bool:
    matches = getattr(tokens, "matches", None)
    mentions = not tokens or holds(raw, tokens, project, relative)
    if not mentions and project is not None and hasattr(tokens, "for_project"):
        try:
            mentions = holds(raw, tokens.for_project(project), project, relative)
        except Exception:  # a broken token source must not hide the file
            return True
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
        return holds(raw, self._tokens, project, relative) and bool(self._refine(project, relative))

    def __getitem__(self, index):
        return self._tokens[index]

    def __len__(self) -> int:
        return len(self._tokens)

    def __repr__(self) -> str:
        return f"RefinedTokens{self._tokens!r}"


class ProjectTokens(Sequence):
    """Fixed bytes, plus bytes computed from the project: ``ProjectTokens((b"Session",),
    names_of_factories)`` where ``names_of_factories(project)`` returns, say,
    ``(b"SessionLocal", b"make_db")``. A file is worth parsing if it holds either.

    ``project_tokens(project)`` is called once per project (cache it as a project fact) and
    must read bytes only (``project.read_bytes``, ``project.python_files_containing``, a
    cheap ``ast`` scan), never ``project.parsed``: parses are pruned with its answer. It
    may over-approximate (a name that turns out not to be a factory costs a parse, nothing
    more) but must not miss a name the rule would resolve. ``refine``, when given, is asked
    about a file that holds a token, as a refined prefilter's ``matches`` is."""

    def __init__(self, tokens: Sequence[bytes], project_tokens=None, refine=None) -> None:
        self._tokens = tuple(tokens)
        self._project_tokens = project_tokens
        self._refine = refine

    def for_project(self, project: Any) -> Tuple[bytes, ...]:
        return tuple(self._project_tokens(project)) if self._project_tokens is not None else ()

    def matches(self, raw: bytes, project: Any, relative: PurePosixPath) -> bool:
        """Asked once a file holds a token: ``refine(raw, project, relative)`` (a cheap
        look at the code, such as "is any of these names *called*?"), True without one."""
        return True if self._refine is None else bool(self._refine(raw, project, relative))

    def __getitem__(self, index):
        return self._tokens[index]

    def __len__(self) -> int:
        return len(self._tokens)

    def __repr__(self) -> str:
        return f"ProjectTokens{self._tokens!r}"
