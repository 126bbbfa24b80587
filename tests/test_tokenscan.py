"""TokenScanner answers exactly what one search per token would, with gates or without,
exact tokens alone (no lowered copy of the bytes) or mixed with NoCase ones."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from poolcheck.tokenscan import NoCase, TokenScanner, contains

PIECES = [b"engine", b"Engine", b"create_", b"session", b"Session", b"maker", b".connect(", b"SQLALCHEMY_", b"wait_timeout", b"x"]
exact_tokens = st.lists(st.lists(st.sampled_from(PIECES), min_size=1, max_size=3).map(b"".join), min_size=1, max_size=8)
any_tokens = st.lists(
    st.one_of(st.lists(st.sampled_from(PIECES), min_size=1, max_size=3).map(b"".join), st.sampled_from(PIECES).map(NoCase)),
    min_size=1,
    max_size=8,
)
texts = st.lists(st.one_of(st.sampled_from(PIECES), st.binary(max_size=6)), max_size=12).map(b"".join)


@settings(max_examples=300, derandomize=True, database=None)
@given(st.one_of(exact_tokens, any_tokens), texts)
def test_the_scan_finds_exactly_the_tokens_the_bytes_hold(tokens, data):
    scanner = TokenScanner(tokens)
    assert scanner.scan(data) == frozenset(t for t in tokens if contains(data, t))


def test_exact_tokens_are_matched_as_written():
    scanner = TokenScanner([b"Session", b"sessionmaker"])
    assert scanner.exact
    assert scanner.scan(b"SSLSESSION and SESSIONmaker") == frozenset()
    assert scanner.scan(b"from x import Session") == {b"Session"}
    assert not TokenScanner([b"Session", NoCase(b"wait_timeout")]).exact
