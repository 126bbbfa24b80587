"""CPython's ``ast`` of a project file, for facts that read many files: no libcst here, so
gathering them imports nothing heavy (``poolcheck.syntax`` re-exports these names)."""

from __future__ import annotations

from typing import Dict, Optional, Union

# Files larger than this are not parsed (see poolcheck.syntax: a 50 MB module takes tens of
# gigabytes of libcst tree).
MAX_PARSE_BYTES = 10_000_000

# The trees of the last files parsed, by content, up to this much source: the name scan,
# the release facts and the pruned parse of a checked file each needed CPython's tree of
# the same few files, and parsed them again. An ``ast`` tree takes some 40 times its
# source in memory, so only a few megabytes of source are kept.
SHARED_SOURCE_BYTES = 2_000_000
_shared: Dict[bytes, object] = {}
_shared_bytes = 0


def python_ast(data: Union[bytes, str, None]):
    """The ``ast`` module of a project file's content, or None when it cannot be parsed or is
    larger than poolcheck parses (MAX_PARSE_BYTES): for facts gathered from every file of a
    project, where one huge or broken file must not cost the whole run its memory. The tree
    may be shared with other readers of the same bytes: never change it."""
    import ast
    import warnings

    if data is None or len(data) > MAX_PARSE_BYTES:
        return None
    if isinstance(data, bytes):
        tree = _shared.get(data)
        if tree is not None:
            return tree
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(data)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    if isinstance(data, bytes):
        _share(data, tree)
    return tree


def shared_ast(data: bytes) -> Optional[object]:
    """The tree ``python_ast`` kept for exactly these bytes, if it still has it."""
    return _shared.get(data)


def _share(data: bytes, tree: object) -> None:
    global _shared_bytes
    if len(data) > SHARED_SOURCE_BYTES:
        return
    while _shared and _shared_bytes + len(data) > SHARED_SOURCE_BYTES:
        oldest = next(iter(_shared))
        del _shared[oldest]
        _shared_bytes -= len(oldest)
    _shared[data] = tree
    _shared_bytes += len(data)
