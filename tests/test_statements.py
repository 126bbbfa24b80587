"""The statement index: which statement a line belongs to, for fingerprints."""

from __future__ import annotations

import sys

import pytest

from poolcheck.source import split_lines
from poolcheck.statements import StatementIndex

SOURCE = '''\
import os

@decorate(
    option=1,
)
def make(
    url="sqlite://",
):
    # leading comment of the body

    a = 1; b = 2
    try:
        pass
    except (
        ValueError
    ) as exc:
        raise
    if a: b = 3
    return a
'''


def lines_of(index: StatementIndex, line: int):
    unit = index.unit_at(line)
    return None if unit is None else (unit.start.line, unit.end.line)


@pytest.mark.parametrize(
    "line, expected",
    [
        (1, (1, 1)),
        (2, None),  # blank
        (4, (3, 5)),  # decorator
        (7, (6, 8)),  # a multi-line def header, without the body's leading comment
        (9, None),  # the comment leading the body
        (11, (11, 11)),  # statements joined by `;` share their line
        (12, (12, 12)),
        (15, (14, 16)),  # a multi-line except clause
        (18, (18, 18)),  # `if a: b = 3` on one line
        (19, (19, 19)),
    ],
)
def test_units(line, expected):
    assert lines_of(StatementIndex.of(SOURCE), line) == expected


def test_a_unit_spans_whole_lines():
    unit = StatementIndex.of("x = [\n    1,\n]  # tail\n").unit_at(2)
    assert (unit.start.column, unit.end.line, unit.end.column) == (0, 3, len("]  # tail"))


def test_form_feeds_do_not_shift_lines():
    text = "import os\n\x0c\ndef f():\n    x = 1  # \x0c\n    return x\n"
    assert split_lines(text)[3] == "    x = 1  # \x0c"
    assert lines_of(StatementIndex.of(text), 4) == (4, 4)


def test_an_unparsable_text_has_no_statements():
    index = StatementIndex.of("def f(:\n")
    assert index.unit_at(1) is None


@pytest.mark.skipif(sys.version_info < (3, 10), reason="match needs Python 3.10")
def test_match_headers():
    text = "match x:\n    case 1:\n        y = 1\n    case Point(\n        x=2,\n    ):\n        y = 2\n"
    index = StatementIndex.of(text)
    assert lines_of(index, 1) == (1, 1)
    assert lines_of(index, 5) == (4, 6)
    assert lines_of(index, 7) == (7, 7)
