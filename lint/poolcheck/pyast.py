"""CPython's ``ast`` of a project file, for facts that read many files: no libcst here, so
gathering them imports nothing heavy (``poolcheck.syntax`` re-exports these names)."""

from __future__ import annotations

from typing import Union

# Files larger than this are not parsed (see poolcheck.syntax: a 50 MB module takes tens of
# gigabytes of libcst tree).
MAX_PARSE_BYTES = 10_000_000


def python_ast(data: Union[bytes, str, None]):
    """The ``ast`` module of a project file's content, or None when it cannot be parsed or is
    larger than poolcheck parses (MAX_PARSE_BYTES): for facts gathered from every file of a
    project, where one huge or broken file must not cost the whole run its memory."""
    import ast
    import warnings

    if data is None or len(data) > MAX_PARSE_BYTES:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(data)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
