"""Non-Python files as targets: rules that declare ``file_patterns`` check them with
``check_text``; the runner finds them, suppresses with ``# noqa`` lines, fixes them and
validates the fixed text by format. The Python path is unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

from poolcheck.api import Applicability, Edit, Fix, Position, Rule, Severity, Span
from poolcheck.config import Settings
from poolcheck.registry import RuleSet
from poolcheck.runner import RunOptions, Runner


class EnvKey(Rule):
    """Flags ``BAD=`` lines in .env files and JSON ``"BAD"`` keys; the fix renames them."""

    code = "XT101"
    name = "bad-key"
    severity = Severity.WARNING
    summary = "BAD key"
    tokens = (b"BAD",)
    file_patterns = (".env", "*.env", "*.json")

    def check_text(self, ctx) -> None:
        for number, line in enumerate(ctx.text.splitlines(), start=1):
            column = line.find("BAD")
            if column != -1:
                edit = Edit(Position(number, column), Position(number, column + 3), self.replacement)
                ctx.report(
                    Span.at(number, column, number, column + 3),
                    "bad key",
                    fix=Fix("rename", Applicability.SAFE, (edit,)),
                )

    replacement = "GOOD"


class BreaksJson(EnvKey):
    code = "XT102"
    name = "breaks-json"
    replacement = 'GOOD"'


class PythonRule(Rule):
    code = "XT201"
    name = "python-only"
    severity = Severity.INFO
    summary = "BAD in Python"
    tokens = (b"BAD",)

    def check(self, ctx) -> None:
        if b"BAD" in ctx.file.source.raw:
            ctx.report(Span.at(1), "python BAD")


def run(root: Path, *paths: str, codes=("XT101", "XT201"), rules=(EnvKey, PythonRule), **options):
    ruleset = RuleSet(tuple(rules))
    runner = Runner(Settings(), ruleset, frozenset(codes), cwd=root)
    return runner.run(RunOptions(paths=[root / p for p in paths] or [root], **options))


@pytest.fixture
def root(tmp_path):
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    (tmp_path / ".env").write_text("OK=1\nBAD=2\n", encoding="utf-8")
    (tmp_path / "prod.env").write_text("BAD=3  # noqa: XT101\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("BAD\n", encoding="utf-8")
    (tmp_path / "app.py").write_text("x = 'BAD'\n", encoding="utf-8")
    return tmp_path


def by_file(result):
    return sorted((f.path.as_posix(), f.line, f.code) for f in result.findings)


def test_walking_finds_the_files_enabled_rules_declare(root):
    result = run(root)
    assert by_file(result) == [(".env", 2, "XT101"), ("app.py", 1, "XT201")]
    assert sorted(p.as_posix() for p in result.checked_files) == [".env", "app.py", "prod.env"]


def test_without_the_rule_enabled_text_files_are_not_targets(root):
    result = run(root, codes=("XT201",))
    assert sorted(p.as_posix() for p in result.checked_files) == ["app.py"]


def test_a_named_text_file_is_never_parsed_as_python(root):
    # Named explicitly, it is checked as text: no PC001-style parse, no Python rule.
    assert by_file(run(root, ".env")) == [(".env", 2, "XT101")]
    # Claimed by a loaded rule that is not enabled: not Python either, so nothing to check.
    assert run(root, ".env", codes=("XT201",)).checked_files == []
    # A named file no rule claims is Python, as before (a script without a suffix).
    (root / "manage").write_text("BAD = 1\n", encoding="utf-8")
    assert by_file(run(root, "manage")) == [("manage", 1, "XT201")]


def test_noqa_comments_in_text_files(root):
    (root / ".env").write_text(
        "BAD=1 # noqa\nBAD=2 # noqa: XT999\nX='# noqa' BAD\n# poolcheck: noqa: XT102\n", encoding="utf-8"
    )
    assert by_file(run(root, ".env")) == [(".env", 2, "XT101"), (".env", 3, "XT101")]


def test_fixing_a_text_file_and_the_second_run_changes_nothing(root):
    result = run(root, ".env", fix=True)
    assert (root / ".env").read_text(encoding="utf-8") == "OK=1\nGOOD=2\n"
    assert [len(f.fixed) for f in result.fixed] == [1] and result.findings == []
    assert run(root, ".env", fix=True).fixed == []


def test_a_fix_that_would_break_json_is_not_written(root):
    (root / "config.json").write_text('{"BAD": 1}\n', encoding="utf-8")
    result = run(root, "config.json", fix=True, codes=("XT102",), rules=(BreaksJson,))
    assert (root / "config.json").read_text(encoding="utf-8") == '{"BAD": 1}\n'
    assert any("would not parse" in w for w in result.warnings)
    # The same fix is fine where the format has no syntax to break.
    run(root, ".env", fix=True, codes=("XT102",), rules=(BreaksJson,))
    assert (root / ".env").read_text(encoding="utf-8") == 'OK=1\nGOOD"=2\n'


def test_undecodable_text_file_is_a_warning_not_a_finding(root):
    (root / ".env").write_bytes(b"BAD=\xff\n")
    result = run(root, ".env")
    assert result.findings == [] and any("could not be checked: the file is not valid UTF-8" in w for w in result.warnings)
    # A coding cookie means nothing outside Python.
    (root / ".env").write_bytes(b"# -*- coding: latin-1 -*-\nBAD=1\n")
    assert by_file(run(root, ".env")) == [(".env", 2, "XT101")]


def test_stdin_with_a_text_file_name(root):
    result = run(root, stdin_filename=Path(".env"), stdin_data=b"BAD=1\n")
    assert by_file(result) == [(".env", 1, "XT101")]


def test_file_pattern_metadata_is_validated():
    class Wrong(EnvKey):
        file_patterns = ("config/*.env", "x.py")

    problems = Wrong.metadata_problems()
    assert len(problems) == 2 and all("file pattern" in p for p in problems)
