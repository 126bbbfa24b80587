"""Fingerprints survive what does not change a finding (lines inserted above, other statements
edited, the statement reformatted, a password rotated, the working folder) and change with
what does (the statement's code, a move to another statement)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import pytest

from ci_support import demo_rules, make_repository
from poolcheck.config import load_settings
from poolcheck.findings import Finding, Span
from poolcheck.fingerprints import normalise
from poolcheck.runner import RunOptions, Runner
from poolcheck.selection import Selection

BASE = '''\
from sqlalchemy import create_engine

engine = create_engine("mysql://app:pw1@db/app")


def make(url="sqlite://"):
    return create_engine(url)
'''


@pytest.fixture
def repo(tmp_path):
    return make_repository(tmp_path)


def findings(repo, text: str, cwd: Optional[Path] = None, path: str = "app/f.py") -> List[Finding]:
    repo.write("app/f.py", text)
    rules = demo_rules()
    settings = load_settings(repo.project / "pyproject.toml")
    enabled = Selection(("TST101",)).enabled_codes(rules)
    result = Runner(settings, rules, enabled, cwd=cwd or repo.project).run(RunOptions(paths=[Path(path)], fingerprints=True))
    assert not result.errors
    return result.findings


def prints(repo, text: str, **kwargs) -> List[str]:
    found = findings(repo, text, **kwargs)
    assert all(f.fingerprint for f in found)
    return [f.fingerprint for f in found]


# --- normalisation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "a, b",
    [
        ("x = f(a, b)", "x=f(a,b)"),
        ("x = f(a, b)  # why", "x = f(a, b)"),
        ("x = f(\n    a,\n    b,\n)", "x = f(a, b)"),  # black's exploded form, magic trailing comma
        ("x = f('a')", 'x = f("a")'),  # black's quotes
        ("x = 1 + \\\n    2", "x = 1 + 2"),
        ("x = [\n  1,  # one\n]", "x = [1]"),
    ],
)
def test_formatting_does_not_count(a, b):
    assert normalise(a) == normalise(b)


@pytest.mark.parametrize(
    "a, b",
    [
        ('x = f("a  b")', 'x = f("a b")'),  # whitespace inside a string is content
        ('x = f("# not a comment")', "x = f()"),
        ("x = not y", "x = noty"),  # spaces between words are kept
        ("x = f(r'\\d')", 'x = f(r"\\d")'),  # quotes around escapes are left alone
        ("x = f'{a}  b'", "x = f'{a} b'"),
    ],
)
def test_code_counts(a, b):
    assert normalise(a) != normalise(b)


def test_unterminated_strings_and_comments_do_not_break_the_scanner():
    assert normalise("x = 'abc\ny = 1  # c") == "x='abc y=1"
    assert normalise("# only a comment") == ""
    assert normalise("# only a comment", strip_comments=False) == "# only a comment"


# --- stability on real runs ----------------------------------------------------------------------


def test_lines_inserted_above_and_other_statements_edited(repo):
    before = prints(repo, BASE)
    assert len(before) == 2 and len(set(before)) == 2
    shifted = '"""Docstring."""\nimport os\n\n\nTIMEOUT = 30\n' + BASE.replace('url="sqlite://"', 'url="sqlite:///x.db"')
    assert prints(repo, shifted) == before


def test_reformatting_the_flagged_statement(repo):
    before = prints(repo, BASE)
    reformatted = BASE.replace(
        'engine = create_engine("mysql://app:pw1@db/app")',
        "engine = create_engine(\n    'mysql://app:pw1@db/app',  # the primary\n)",
    )
    assert prints(repo, reformatted) == before


def test_rotating_a_password(repo):
    assert prints(repo, BASE.replace("pw1", "pw2")) == prints(repo, BASE)


def test_changing_the_flagged_statement(repo):
    before = prints(repo, BASE)
    after = prints(repo, BASE.replace("@db/app", "@db2/app"))
    assert after[0] != before[0] and after[1] == before[1]


def test_moving_to_another_statement(repo):
    before = prints(repo, BASE)
    moved = BASE.replace('engine = create_engine("mysql://app:pw1@db/app")', 'ENGINES = {"main": create_engine("mysql://app:pw1@db/app")}')
    assert prints(repo, moved)[0] != before[0]


def test_identical_statements_are_told_apart_by_occurrence(repo):
    twice = BASE + '\n\ndef other():\n    return create_engine(url)\n'
    first, second, third = prints(repo, twice)
    assert len({first, second, third}) == 3
    # Removing the first of the two identical statements: the remaining one takes the first's
    # fingerprint (the count of findings on that text is what a baseline tracks).
    without_first = twice.replace("def make(url=\"sqlite://\"):\n    return create_engine(url)", "def make(url=\"sqlite://\"):\n    return None")
    assert without_first.count("create_engine(url)") == 1
    assert prints(repo, without_first) == [first, second]


def test_a_compound_header_is_its_own_statement(repo):
    source = 'from sqlalchemy import create_engine\n\n\ndef make(engine=create_engine("sqlite://")):\n    x = 1\n    return x\n'
    (finding,) = findings(repo, source)
    assert (finding.statement.start.line, finding.statement.end.line) == (4, 4)
    assert prints(repo, source.replace("x = 1", "x = 2\n    y = 3")) == [finding.fingerprint]


def test_a_multi_line_header_and_a_decorator(repo):
    source = (
        "from sqlalchemy import create_engine\n\n\n"
        "@register(\n    create_engine('sqlite://'),\n)\n"
        "def make(\n    a,\n    b=create_engine('sqlite:///b.db'),\n):\n"
        "    # a comment leading the body\n\n    return a\n"
    )
    decorator, default = findings(repo, source)
    assert (decorator.statement.start.line, decorator.statement.end.line) == (4, 6)
    assert (default.statement.start.line, default.statement.end.line) == (7, 10)
    edited = source.replace("    return a\n", "    print(a)\n    return a\n")
    assert prints(repo, edited) == [decorator.fingerprint, default.fingerprint]


def test_the_working_folder_does_not_matter(repo):
    from_project = prints(repo, BASE)
    from_root = prints(repo, BASE, cwd=repo.root, path="services/api/app/f.py")
    assert from_root == from_project


def test_the_path_counts(repo):
    here = prints(repo, BASE)
    repo.write("app/g.py", BASE)
    rules = demo_rules()
    result = Runner(load_settings(repo.project / "pyproject.toml"), rules, frozenset({"TST101"}), cwd=repo.project).run(
        RunOptions(paths=[Path("app/g.py")], fingerprints=True)
    )
    assert not set(here) & {f.fingerprint for f in result.findings}


def test_the_rule_selection_does_not_matter(repo):
    """A file is parsed only when an enabled rule looks for something in it; the statement an
    unused `noqa` sits on must be the same either way."""
    line = 'engine = create_engine("sqlite://", pool_pre_ping=True)  # noqa: PC999'
    repo.write("app/n.py", f"from sqlalchemy import create_engine\n{line}\n")
    rules = demo_rules()
    settings = load_settings(repo.project / "pyproject.toml")

    def unused_noqa(codes):
        result = Runner(settings, rules, frozenset(codes), cwd=repo.project).run(RunOptions(paths=[Path("app/n.py")], fingerprints=True))
        (finding,) = [f for f in result.findings if f.code == "PC002"]
        return finding

    alone, with_a_parsing_rule = unused_noqa({"PC002"}), unused_noqa({"PC002", "TST101"})
    assert alone.statement == with_a_parsing_rule.statement == Span.at(2, 0, 2, len(line))
    assert alone.fingerprint == with_a_parsing_rule.fingerprint


def test_only_computed_when_asked(repo):
    """The text formats need no fingerprint, and computing one costs a parse of the file."""
    repo.write("app/f.py", BASE)
    rules = demo_rules()
    runner = Runner(load_settings(repo.project / "pyproject.toml"), rules, frozenset({"TST101"}), cwd=repo.project)
    found = runner.run(RunOptions(paths=[Path("app/f.py")])).findings
    assert len(found) == 2 and all(f.fingerprint is None and f.statement is None for f in found)
