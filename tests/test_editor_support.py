"""The engine pieces editors rely on: columns in the client's units, adding a code to a
``# noqa`` comment, buffers encoded as files would be, and a long-lived Session."""

from __future__ import annotations

from pathlib import Path

import pytest

from poolcheck.config import ConfigError
from poolcheck.findings import Position
from poolcheck.lsp.positions import UTF8, UTF16, UTF32, column_to_units, split_lines, units_to_column
from poolcheck.session import Session
from poolcheck.source import SourceFile, decode_source, encode_text
from poolcheck.suppression import noqa_codes, noqa_edit, parse_directives

from editor_rules import rules_with_test_rules

# --- columns ------------------------------------------------------------------------------

LINE = 's = "😀é"; legacy_connect()'  # U+1F600 is 1 character, 2 UTF-16 units, 4 UTF-8 bytes


@pytest.mark.parametrize("encoding, expected", [(UTF16, 11), (UTF8, 14), (UTF32, 10)])
def test_a_column_after_a_character_outside_the_basic_plane(encoding, expected):
    column = LINE.index("legacy")
    assert column == 10
    assert column_to_units(LINE, column, encoding) == expected
    assert units_to_column(LINE, expected, encoding) == column


def test_columns_past_the_end_and_inside_a_surrogate_pair():
    assert column_to_units("ab", 10) == 2
    assert units_to_column("ab", 10) == 2
    # UTF-16 unit 6 falls between the two halves of the emoji (units 5 and 6): its start.
    assert units_to_column(LINE, 6) == 5


def test_lines_break_only_where_lsp_breaks_them():
    assert split_lines("a\r\nb\rc\nd\x0ce\u2028f") == ["a", "b", "c", "d\x0ce\u2028f"]


# --- ignoring a finding with # noqa ------------------------------------------------------


def _apply(text: str, edit) -> str:
    lines = text.split("\n")
    line = lines[edit.start.line - 1]
    lines[edit.start.line - 1] = line[: edit.start.column] + edit.content + line[edit.end.column :]
    return "\n".join(lines)


@pytest.mark.parametrize(
    "text, lines, expected",
    [
        ("engine = make()\n", [1], "engine = make()  # noqa: PC101\n"),
        ("engine = make()   \n", [1], "engine = make()  # noqa: PC101\n"),
        ("engine = make()  # noqa: E501\n", [1], "engine = make()  # noqa: E501, PC101\n"),
        ("engine = make()  # noqa:PC104,PC105\n", [1], "engine = make()  # noqa:PC104,PC105, PC101\n"),
        ("engine = make()  # keep this\n", [1], "engine = make()  # keep this  # noqa: PC101\n"),
        # The first line offered ends inside a string: the next one takes the comment.
        ('engine = make(x, """\n  text""")\n', [2, 1], 'engine = make(x, """\n  text""")  # noqa: PC101\n'),
        ('engine = make(x, """a\n  text""")\n', [1, 2], 'engine = make(x, """a\n  text""")  # noqa: PC101\n'),
        ("engine = make(1) + \\\n    other()\n", [1, 2], "engine = make(1) + \\\n    other()  # noqa: PC101\n"),
        ("engine = make(\n    1,\n)\n", [2, 1], "engine = make(\n    1,  # noqa: PC101\n)\n"),
    ],
)
def test_noqa_edit(text, lines, expected):
    edit = noqa_edit(text, lines, "PC101")
    assert edit is not None
    fixed = _apply(text, edit)
    assert fixed == expected
    directives = parse_directives(fixed)
    assert "PC101" in directives.line_comments[edit.start.line].codes


@pytest.mark.parametrize(
    "text, lines",
    [
        ("x = make()  # noqa\n", [1]),  # a blanket noqa already covers it
        ("x = make()  # noqa: PC101\n", [1]),  # already there
        ("x = make()  # NOQA:pc101\n", [1]),
        ('x = """\n"""\n', [1]),  # inside a string, and no other line offered
        ("x = 1 + \\\n  2\n", [1]),
        ("def f(:\n    pass\n  x = (\n", [1]),  # cannot be tokenized: noqa would not be read
        ("# poolcheck: noqa: PC401\n", [1]),  # the file-level directive must stay intact
        ("x = 1\n", [5]),
    ],
)
def test_no_noqa_edit(text, lines):
    assert noqa_edit(text, lines, "PC101") is None


def test_noqa_edit_in_a_multi_line_f_string():
    text = 'x = f"""{\n1}\n"""\ny = 2\n'
    assert noqa_edit(text, [1, 2], "PC101") is None
    assert noqa_edit(text, [4], "PC101").start == Position(4, 5)


def test_noqa_codes_are_located_in_line_and_file_comments():
    text = "x = 1  # noqa: PC101,pc102\n# poolcheck: noqa: PC401\ns = '# noqa: PC103'\n"
    found = [(c.code, c.line, text.split("\n")[c.line - 1][c.start : c.end]) for c in noqa_codes(text)]
    assert found == [("PC101", 1, "PC101"), ("PC102", 1, "pc102"), ("PC401", 2, "PC401")]


# --- buffers as bytes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        'x = "😀é"\n',
        "# -*- coding: latin-1 -*-\nx = 'é'\n",
        "#!/usr/bin/env python\n# vim: set fileencoding=cp1252 :\nx = '€'\n",
        "x = 1\r\ny = 2\r\n",
    ],
)
def test_encoded_buffers_decode_to_the_same_text(text):
    source = decode_source(Path("a.py"), encode_text(text))
    assert isinstance(source, SourceFile) and source.text == text


def test_a_character_the_declared_encoding_lacks_keeps_its_column():
    text = "# coding: latin-1\nx = '😀'; y\n"
    source = decode_source(Path("a.py"), encode_text(text))
    assert source.text.split("\n")[1] == "x = '?'; y"


# --- the session --------------------------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text('[tool.poolcheck]\nignore = ["TST901"]\n')
    (tmp_path / "settings.cfg").write_text("strict = on\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "poolcheck.toml").write_text("select = [\"TST901\"]\n")
    return tmp_path


def codes(result):
    return sorted(f.code for f in result.findings)


def test_each_file_gets_its_own_configuration(project):
    session = Session(rules_with_test_rules(), cwd=project)
    text = b"legacy_connect()\nopen_pool()\n"
    assert codes(session.check(project / "app.py", text)) == ["TST902"]
    assert codes(session.check(project / "sub" / "app.py", text)) == ["TST901"]
    assert session.runner_for(project / "app.py") is session.runner_for(project / "other.py")


def test_buffers_never_leak_into_the_next_check(project):
    """The buffer is part of the project while it is checked (its noqa, its text), and the
    next buffer for the same name replaces it."""
    session = Session(rules_with_test_rules(), cwd=project)
    assert codes(session.check(project / "app.py", b"open_pool()\n")) == ["TST902"]
    assert codes(session.check(project / "app.py", b"x = 1\n")) == []
    assert codes(session.check(project / "app.py", b"open_pool()  # noqa: TST902\n")) == []


def test_files_on_disk_are_read_afresh_for_each_buffer_and_configuration_after_forget(project):
    session = Session(rules_with_test_rules(), cwd=project)
    assert codes(session.check(project / "app.py", b"open_pool()\nlegacy_connect()\n")) == ["TST902"]
    (project / "settings.cfg").write_text("strict = off\n")
    assert codes(session.check(project / "app.py", b"open_pool()\nlegacy_connect()\n")) == []
    (project / "pyproject.toml").write_text("[tool.poolcheck]\n")
    assert codes(session.check(project / "app.py", b"legacy_connect()\n")) == []  # configuration kept...
    session.forget()
    assert codes(session.check(project / "app.py", b"legacy_connect()\n")) == ["TST901"]  # ...until forgotten


def test_fix_gives_the_fixed_text_and_writes_nothing(project):
    session = Session(rules_with_test_rules(), cwd=project)
    result = session.check(project / "sub" / "new.py", b"a = legacy_connect()\nb = legacy_connect()\n", fix=True)
    assert result.fixed[0].text == "a = modern_connect()\nb = modern_connect()\n"
    assert result.findings == []
    assert not (project / "sub" / "new.py").exists()


def test_a_broken_configuration_raises_for_the_caller_to_report(project):
    (project / "pyproject.toml").write_text("[tool.poolcheck]\nselect = 3\n")
    with pytest.raises(ConfigError, match="'select' must be a list of strings"):
        Session(rules_with_test_rules(), cwd=project).check(project / "app.py", b"")


def test_a_session_uses_the_projects_cache_and_still_sees_every_edit(tmp_path):
    """Buffers are checked with what the project's cache keeps per file content (so a
    keystroke reads and parses no unchanged file), yet an edit on disk to the module that
    defines a factory changes the buffer's findings at once, and nothing is served stale."""
    (tmp_path / "pyproject.toml").write_text("[tool.poolcheck]\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "db.py").write_text("Maker = dict\n")
    buffer = b"from app.db import Maker\n\n\ndef run():\n    session = Maker()\n    return session.execute('SELECT 1')\n"
    session = Session(cwd=tmp_path)
    assert codes(session.check(tmp_path / "app" / "jobs.py", buffer)) == []
    assert (tmp_path / ".poolcheck_cache").is_dir()
    (tmp_path / "app" / "db.py").write_text(
        "from sqlalchemy import create_engine\nfrom sqlalchemy.orm import sessionmaker\nMaker = sessionmaker(bind=create_engine('sqlite://'))\n"
    )
    assert codes(session.check(tmp_path / "app" / "jobs.py", buffer)) == ["PC401"]
    assert codes(Session(cwd=tmp_path).check(tmp_path / "app" / "jobs.py", buffer)) == ["PC401"]
    assert codes(Session(cwd=tmp_path, cache=False).check(tmp_path / "app" / "jobs.py", buffer)) == ["PC401"]


def test_a_session_parses_its_pyproject_once(tmp_path, monkeypatch):
    """Finding the configuration parses a pyproject.toml (to see a [tool.poolcheck] table):
    the settings are read from that parse, not from a second one."""
    from poolcheck import config

    (tmp_path / "pyproject.toml").write_text("[tool.poolcheck]\nignore = ['PC105']\n")
    (tmp_path / "app.py").write_text("x = 1\n")
    parses = []
    load = config.load_toml
    monkeypatch.setattr(config, "load_toml", lambda *args: parses.append(args[0]) or load(*args))
    runner = Session(cwd=tmp_path, cache=False).runner_for(Path("app.py"))
    assert parses == [tmp_path.resolve() / "pyproject.toml"] and "PC105" in runner.settings.ignore
