"""Fix application: edits, overlaps, and writes that never lose data."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from poolcheck.context import minimal_edits
from poolcheck.findings import Applicability, Edit, Finding, Fix, Position, Severity, Span
from poolcheck.fixes import FileChanged, apply_fixes, write_atomically
from poolcheck.source import read_source


def finding_with(edits, applicability=Applicability.SAFE, line=1):
    return Finding("PC999", "x", "m", Severity.WARNING, Path("a.py"), Span.at(line), fix=Fix("fix", applicability, tuple(edits)))


def test_minimal_edits_carry_only_the_change():
    old = 'create_engine("mysql://u:secret@h/db")'
    new = 'create_engine("mysql://u:secret@h/db", pool_pre_ping=True)'
    (edit,) = minimal_edits(old, new, Position(3, 4))
    assert edit.content == ", pool_pre_ping=True" and "secret" not in edit.content
    assert edit.start == edit.end == Position(3, 4 + len(old) - 1)


def test_minimal_edits_across_lines():
    (edit,) = minimal_edits("f(\n    a,\n)", "f(\n    a,\n    b=1,\n)", Position(1, 0))
    assert edit.start == Position(3, 0) and edit.content == "    b=1,\n"


def test_apply_fixes_skips_unsafe_and_overlapping(tmp_path):
    path = tmp_path / "a.py"
    path.write_text("x = 1\ny = 2\n", encoding="utf-8")
    source = read_source(path)
    first = finding_with([Edit(Position(1, 4), Position(1, 5), "10")])
    overlapping = finding_with([Edit(Position(1, 4), Position(1, 5), "20")])
    unsafe = finding_with([Edit(Position(2, 4), Position(2, 5), "30")], Applicability.UNSAFE)
    text, applied = apply_fixes(source, [first, overlapping, unsafe], unsafe=False)
    assert text == "x = 10\ny = 2\n" and applied == [first]
    text, applied = apply_fixes(source, [first, unsafe], unsafe=True)
    assert text == "x = 10\ny = 30\n"


def test_crlf_and_bom_and_encoding_are_kept(tmp_path):
    path = tmp_path / "a.py"
    path.write_bytes(b"\xef\xbb\xbfx = 1\r\ny = '\xc3\xa9'\r\n")
    source = read_source(path)
    text, _ = apply_fixes(source, [finding_with([Edit(Position(1, 4), Position(1, 5), "2")])], unsafe=False)
    write_atomically(path, source, text)
    assert path.read_bytes() == b"\xef\xbb\xbfx = 2\r\ny = '\xc3\xa9'\r\n"


def test_latin1_file_keeps_its_encoding(tmp_path):
    path = tmp_path / "a.py"
    path.write_bytes(b"# -*- coding: latin-1 -*-\nname = '\xe9'\nx = 1\n")
    source = read_source(path)
    write_atomically(path, source, source.text.replace("x = 1", "x = 2"))
    assert path.read_bytes() == b"# -*- coding: latin-1 -*-\nname = '\xe9'\nx = 2\n"


def test_permissions_are_kept(tmp_path):
    path = tmp_path / "a.py"
    path.write_text("x = 1\n", encoding="utf-8")
    os.chmod(path, 0o640)
    source = read_source(path)
    write_atomically(path, source, "x = 2\n")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640


def test_a_file_changed_since_read_is_not_overwritten(tmp_path):
    path = tmp_path / "a.py"
    path.write_text("x = 1\n", encoding="utf-8")
    source = read_source(path)
    path.write_text("x = 'someone else'\n", encoding="utf-8")
    with pytest.raises(FileChanged):
        write_atomically(path, source, "x = 2\n")
    assert path.read_text(encoding="utf-8") == "x = 'someone else'\n"
    assert [p.name for p in tmp_path.iterdir()] == ["a.py"], "no temporary file left behind"


def test_findings_with_the_same_rewrite_are_fixed_together(tmp_path):
    # Two keys moved by one rewrite of their scope: both findings carry the same edits.
    path = tmp_path / "a.py"
    path.write_text("x = 1\ny = 2\n", encoding="utf-8")
    source = read_source(path)
    edits = [Edit(Position(1, 0), Position(2, 5), "z = 3")]
    first, second = finding_with(edits, line=1), finding_with(edits, line=2)
    text, applied = apply_fixes(source, [first, second], unsafe=False)
    assert text == "z = 3\n" and applied == [first, second]


def test_fixed_text_validation_by_format():
    from poolcheck.fixes import still_valid

    assert still_valid("x = 1\n", "a.py", True) and not still_valid("x = (\n", "a.py", True)
    assert still_valid('{"A": 1}', "c.json", False) and not still_valid('{"A": 1,}', "c.json", False)
    assert still_valid("A = 1\n", "c.toml", False) and not still_valid("A = \n", "c.toml", False)
    assert still_valid("A=(\n", ".env", False), "a .env has no syntax to break"


def test_a_symbolic_link_stays_a_link(tmp_path):
    """os.replace over a link would put a regular file in its place and leave the file it
    points to unfixed: the file behind the link is rewritten."""
    real = tmp_path / "real" / "a.py"
    real.parent.mkdir()
    real.write_text("x = 1\n", encoding="utf-8")
    link = tmp_path / "a.py"
    link.symlink_to(Path("real") / "a.py")
    source = read_source(link)
    write_atomically(link, source, "x = 2\n")
    assert link.is_symlink() and os.readlink(link) == str(Path("real") / "a.py")
    assert real.read_text(encoding="utf-8") == "x = 2\n"
    assert sorted(p.name for p in real.parent.iterdir()) == ["a.py"]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="only root can give a file away")
def test_owner_and_group_are_kept(tmp_path):
    """A fix run as root (a container, a CI image) must not take the developer's file over."""
    path = tmp_path / "a.py"
    path.write_text("x = 1\n", encoding="utf-8")
    os.chown(path, 65534, 65534)
    source = read_source(path)
    write_atomically(path, source, "x = 2\n")
    status = os.stat(path)
    assert (status.st_uid, status.st_gid) == (65534, 65534) and path.read_text(encoding="utf-8") == "x = 2\n"


def test_text_the_files_encoding_cannot_hold_is_not_written(tmp_path):
    path = tmp_path / "a.py"
    original = b"# -*- coding: latin-1 -*-\nname = '\xe9'\n"
    path.write_bytes(original)
    source = read_source(path)
    with pytest.raises(OSError, match="iso-8859-1 cannot encode"):
        write_atomically(path, source, source.text + "euro = '\u20ac'\n")
    assert path.read_bytes() == original
    assert [p.name for p in tmp_path.iterdir()] == ["a.py"]


def _fixed(folder: Path, example, code: str):
    from poolcheck.config import load_settings
    from poolcheck.registry import load_rules
    from poolcheck.runner import Runner
    from poolcheck.selection import Selection
    from poolcheck.testing import write_project

    folder.mkdir()
    target = write_project(folder, example)
    rules = load_rules()
    runner = Runner(load_settings(folder / "pyproject.toml"), rules, Selection(("ALL",)).enabled_codes(rules), cwd=folder)
    result = runner.check_buffer(target, code.encode("utf-8"), fix=True, unsafe_fixes=True)
    assert not result.errors
    return result.fixed[0].text if result.fixed else None


def test_fixes_land_on_the_lines_python_counts(tmp_path):
    """Python, editors and the fixer end lines only at \\n, \\r\\n and \\r; a form feed or a
    U+2028 in a comment is not a line break. Fixes built from line diffs counted them as
    one (str.splitlines) and edited the line below the right one."""
    from poolcheck.registry import load_rules

    separators = "# page\x0cbreak, line\u2028separator, group\x1dseparator\n"
    tried = 0
    for rule in load_rules():
        if not rule.fix:
            continue
        for number, example in enumerate(rule.all_invalid()):
            if not example.path.endswith(".py") or "coding" in "".join(example.code.splitlines(True)[:2]):
                continue
            plain = _fixed(tmp_path / f"{rule.code}-{number}-plain", example, example.code)
            if plain is None:
                continue
            tried += 1
            shifted = _fixed(tmp_path / f"{rule.code}-{number}-shifted", example, separators + example.code)
            assert shifted == separators + plain, f"{rule.code}: {example.note or example.code[:60]}"
    assert tried >= 5
