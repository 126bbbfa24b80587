"""The CPython trees shared between the facts that read a file and its pruned parse."""

from __future__ import annotations

from pathlib import Path

from poolcheck import pyast
from poolcheck.source import SourceFile
from poolcheck.syntax import parse_pruned


def test_a_tree_is_parsed_once_per_content_and_used_by_the_pruned_parse(monkeypatch):
    import ast

    data = b"from sqlalchemy import create_engine\nengine = create_engine('sqlite://')\n\n\ndef other():\n    return 1\n"
    parses = []
    real_parse = ast.parse
    monkeypatch.setattr(ast, "parse", lambda *a, **k: parses.append(a[0]) or real_parse(*a, **k))
    first = pyast.python_ast(data)
    assert pyast.python_ast(bytes(bytearray(data))) is first  # equal content, another object
    result = parse_pruned(SourceFile(Path("m.py"), data, data.decode()), ("create_engine",))
    assert "def other" not in result.module.code and "engine = create_engine" in result.module.code
    assert parses == [data]


def test_the_shared_trees_stay_within_their_budget(monkeypatch):
    monkeypatch.setattr(pyast, "_shared", {})
    monkeypatch.setattr(pyast, "_shared_bytes", 0)
    monkeypatch.setattr(pyast, "SHARED_SOURCE_BYTES", 100)
    files = [f"x{i} = {'1' * 30}\n".encode() for i in range(5)]
    for data in files:
        assert pyast.python_ast(data) is not None
    assert sum(len(d) for d in pyast._shared) <= 100 and pyast._shared_bytes <= 100
    assert files[-1] in pyast._shared and files[0] not in pyast._shared
    assert pyast.python_ast(b"x" * 101 + b" = 1\n") is not None and len(pyast._shared) == len([d for d in files if d in pyast._shared])
    assert pyast.python_ast(b"def (:\n") is None and b"def (:\n" not in pyast._shared
