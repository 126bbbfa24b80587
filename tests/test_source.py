"""Reading files as the interpreter would: the encoding without ``tokenize`` in the common
case, the same answer (or the same error) as ``tokenize.detect_encoding`` in every case."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from poolcheck.source import SourceError, _python_encoding, decode_source


def _detect(data: bytes):
    try:
        return tokenize.detect_encoding(io.BytesIO(data).readline)[0]
    except SyntaxError as error:
        return ("SyntaxError", str(error))


def _ours(data: bytes):
    try:
        return _python_encoding(data)
    except SyntaxError as error:
        return ("SyntaxError", str(error))


CASES = [
    b"",
    b"x = 1\n",
    b"x = 1",  # no line break at all
    b"\xef\xbb\xbfx = 1\n",  # BOM
    b"# -*- coding: latin-1 -*-\nx = '\xe9'\n",
    b"#!/usr/bin/env python\n# coding=cp1252\nx = 1\n",
    b"x = 1\n# coding: latin-1\n",  # a cookie after code on line 1 does not count
    b"\n\n# coding: latin-1\n",  # nor one on line 3
    b"# coding: no-such-codec\nx = 1\n",
    b"\xef\xbb\xbf# coding: latin-1\n",  # a cookie contradicting the BOM
    b"x = '\xe9'\n",  # line 1 not UTF-8, no cookie
    b"# a comment\nx = '\xe9'\n",  # line 2 not UTF-8 after a comment
    b"x = 1\ny = '\xe9'\n",  # line 2 not UTF-8 after code: not looked at
    b"x = 1\ry = 2\r# coding: latin-1\r",  # old Mac line ends: one "line" for readline
    b"s = 'encoding'\n",  # the word without a cookie
    "# café\n".encode("utf-8"),
]


@pytest.mark.parametrize("data", CASES)
def test_the_encoding_is_the_interpreters(data):
    assert _ours(data) == _detect(data)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.sampled_from([b"x = 1", b"# coding: latin-1", b"# -*- coding: utf-8 -*-", b"#!python", b"", b"  ", b"\xe9", b"\xef\xbb\xbf", b"coding", b"# vim: set fileencoding=cp1252 :"]),
        max_size=4,
    ),
    st.sampled_from([b"\n", b"\r\n", b"\r"]),
)
def test_the_encoding_is_the_interpreters_for_any_first_lines(pieces, newline):
    data = newline.join(pieces)
    assert _ours(data) == _detect(data)


def test_a_bad_cookie_is_reported_as_before():
    found = decode_source(Path("a.py"), b"# coding: no-such-codec\nx = 1\n")
    assert isinstance(found, SourceError) and found.kind == "decode" and "encoding" in found.message


def _line_starts_by_hand(text: str):
    starts, i = [0], 0
    while i < len(text):
        if text[i] == "\r" and text[i + 1 : i + 2] == "\n":
            i += 1
        if text[i] in "\r\n":
            starts.append(i + 1)
        i += 1
    return starts


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["a", "\n", "\r", "\r\n", " ", "\x0c", "é"]), max_size=14).map("".join))
def test_lines_and_offsets_are_numbered_as_python_numbers_lines(text):
    """A file's lines (\\n, \\r\\n and a lone \\r end one; a form feed does not), by number,
    and the offset of a line and column, as split_lines numbers them."""
    from poolcheck.source import SourceFile, split_lines

    source = SourceFile(Path("m.py"), text.encode("utf-8"), text)
    lines = split_lines(text)
    by_pattern = re.split(r"\r\n|\r|\n", text)
    assert lines == (by_pattern[:-1] if by_pattern and by_pattern[-1] == "" else by_pattern)
    starts = _line_starts_by_hand(text)
    for line in range(-1, len(starts) + 3):
        assert source.line_text(line) == (lines[line - 1] if 0 < line <= len(lines) else "")
        for column in (0, 2):
            expected = 0 if line < 1 else len(text) if line > len(starts) else min(starts[line - 1] + column, len(text))
            assert source.offset(line, column) == expected
