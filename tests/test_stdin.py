"""``poolcheck check --stdin-filename NAME -``: the buffer comes from standard input and is
checked as NAME, with the project around NAME (its configuration, its other files)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from poolcheck import cli
from poolcheck.registry import RuleSet

from editor_rules import rules_with_test_rules

PYPROJECT = '[tool.poolcheck]\nextend-select = ["PC002"]\n'


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "app").mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "settings.cfg").write_text("# shared settings\nstrict = on\n")
    (root / "app" / "views.py").write_text("def view():\n    return modern_connect()\n")
    return root


@pytest.fixture
def run(monkeypatch, capsys):
    """Run the real command line in-process with the test rules added; returns
    (exit code, stdout, stderr)."""
    rules: RuleSet = rules_with_test_rules()
    monkeypatch.setattr(cli, "_load_rules", lambda: rules)

    def invoke(args, stdin: bytes, cwd: Path):
        monkeypatch.chdir(cwd)
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
        code = cli.main(["check", "--no-color", *args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return invoke


def test_reports_the_buffer_under_the_given_name_not_the_file_on_disk(project, run):
    code, out, _ = run(["--stdin-filename", "app/views.py", "-"], b"def view():\n    return legacy_connect()\n", project)
    assert code == 1
    assert out.startswith("app/views.py:2:12: TST901 [*] `legacy_connect()` holds a connection forever")
    # The file on disk has the problem, the buffer does not: the buffer is what counts.
    (project / "app" / "views.py").write_text("legacy_connect()\n")
    code, out, _ = run(["--stdin-filename", "app/views.py", "-"], b"modern_connect()\n", project)
    assert code == 0, out
    assert "All checks passed! (1 file checked)" in out


def test_a_finding_that_depends_on_another_project_file(project, run):
    buffer = b"pool = open_pool()\n"
    code, out, _ = run(["--stdin-filename", "app/pools.py", "-"], buffer, project)
    assert code == 1
    assert "app/pools.py:1:8: TST902" in out
    assert "note: settings.cfg:2: strict = on is set here" in out
    # The same buffer, once the other file no longer says so: nothing to report.
    (project / "settings.cfg").write_text("strict = off\n")
    code, out, _ = run(["--stdin-filename", "app/pools.py", "-"], buffer, project)
    assert code == 0, out


def test_the_project_is_found_from_the_name_when_run_from_elsewhere(project, run, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    name = str(project / "app" / "pools.py")
    code, out, _ = run(["--stdin-filename", name, "--format", "json", "-"], b"pool = open_pool()\n", elsewhere)
    assert code == 1
    [finding] = json.loads(out)
    assert finding["filename"] == name
    assert finding["code"] == "TST902"
    assert finding["related"][0]["row"] == 2
    # A module in a package that does not exist yet still belongs to the project.
    name = str(project / "newpkg" / "pools.py")
    code, out, _ = run(["--stdin-filename", name, "--format", "json", "-"], b"pool = open_pool()\n", elsewhere)
    assert [f["code"] for f in json.loads(out)] == ["TST902"]


def test_noqa_in_the_buffer_is_honoured_and_judged(project, run):
    buffer = b"pool = open_pool()  # noqa: TST902\nlegacy = 1  # noqa: PC999\n"
    code, out, _ = run(["--stdin-filename", "app/pools.py", "-"], buffer, project)
    assert code == 1
    assert "TST902" not in out.replace("noqa: TST902", "")
    # PC002 (selected in the project's pyproject) sees the buffer's comments.
    assert "app/pools.py:2:13: PC002 `# noqa` names PC999, which is not a poolcheck rule" in out


def test_fix_echoes_the_fixed_buffer_and_writes_nothing(project, run):
    disk_before = (project / "app" / "views.py").read_bytes()
    buffer = "# café ☕\r\nconn = legacy_connect()\r\npool = open_pool()\r\n".encode("utf-8")
    code, out, err = run(["--stdin-filename", "app/views.py", "--fix", "-"], buffer, project)
    # Standard output is exactly the fixed buffer (CRLF kept, nothing else), as ruff does.
    assert out == "# café ☕\r\nconn = modern_connect()\r\npool = open_pool()\r\n"
    # What remains (not fixable) is reported on standard error, and it still counts.
    assert "app/views.py:3:8: TST902" in err
    assert "TST901" not in err
    assert code == 1
    assert (project / "app" / "views.py").read_bytes() == disk_before
    assert sorted(p.name for p in (project / "app").iterdir()) == ["views.py"]


def test_fix_with_nothing_to_fix_echoes_the_buffer_unchanged(project, run):
    buffer = b"x = 1\n"
    code, out, err = run(["--stdin-filename", "app/views.py", "--fix", "-"], buffer, project)
    assert (code, out) == (0, "x = 1\n")
    assert "All checks passed!" in err


def test_diff_shows_the_fix_for_the_buffer(project, run):
    code, out, _ = run(["--stdin-filename", "app/views.py", "--diff", "-"], b"legacy_connect()\n", project)
    assert code == 1
    assert out.splitlines()[:2] == ["--- a/app/views.py", "+++ b/app/views.py"]
    assert "-legacy_connect()" in out and "+modern_connect()" in out


def test_a_name_in_folders_that_do_not_exist_yet_belongs_to_the_project(project, run):
    # The configuration applies (per-file-ignores relative to it), and so do the facts.
    (project / "pyproject.toml").write_text(PYPROJECT + '[tool.poolcheck.per-file-ignores]\n"newpkg/legacy/**" = ["TST901"]\n')
    buffer = b"pool = open_pool()\nconn = legacy_connect()\n"
    code, out, _ = run(["--stdin-filename", "newpkg/sub/module.py", "-"], buffer, project)
    assert code == 1
    assert "newpkg/sub/module.py:1:8: TST902" in out
    assert "newpkg/sub/module.py:2:8: TST901" in out
    code, out, _ = run(["--stdin-filename", "newpkg/legacy/module.py", "-"], buffer, project)
    assert "TST901" not in out and "newpkg/legacy/module.py:1:8: TST902" in out
    assert not (project / "newpkg").exists()


def test_a_file_outside_any_project(tmp_path, run):
    # No pyproject.toml, poolcheck.toml or .git anywhere above: the folder is the project.
    loose = tmp_path / "loose"
    loose.mkdir()
    (loose / "settings.cfg").write_text("strict = on\n")
    code, out, _ = run(["--stdin-filename", "script.py", "-"], b"open_pool()\nlegacy_connect()\n", loose)
    assert code == 1
    assert "script.py:1:1: TST902" in out and "script.py:2:1: TST901" in out
    # In a folder that does not exist either: checked on its own, no error.
    code, out, err = run(["--stdin-filename", str(tmp_path / "nowhere" / "deeper" / "x.py"), "-"], b"legacy_connect()\n", loose)
    assert code == 1, err
    assert "TST901" in out and "TST902" not in out
    assert "error" not in err


def test_an_undecodable_buffer_is_a_syntax_error_finding(project, run):
    code, out, _ = run(["--stdin-filename", "app/views.py", "-"], b"x = '\xff\xfe'\nlegacy_connect()\n", project)
    assert code == 1
    assert "app/views.py:1:1: PC001 Invalid encoding declaration" in out


def test_a_bare_dash_is_reported_as_stdin_py(project, run):
    code, out, _ = run(["-"], b"legacy_connect()\n", project)
    assert code == 1 and out.startswith("stdin.py:1:1: TST901")


def test_paths_and_stdin_filename_together_are_a_usage_error(project, run):
    code, _, err = run(["--stdin-filename", "a.py", "app/views.py"], b"", project)
    assert code == 2
    assert err.strip() == "poolcheck: error: --stdin-filename reads standard input: do not also give paths (use - or nothing)"


def test_a_broken_configuration_is_one_line_and_exit_2(project, run):
    (project / "pyproject.toml").write_text('[tool.poolcheck]\nselct = ["PC1"]\n')
    code, out, err = run(["--stdin-filename", "app/views.py", "-"], b"x = 1\n", project)
    assert code == 2 and out == ""
    assert err.strip() == f"poolcheck: error: {project / 'pyproject.toml'}: [tool.poolcheck]: unknown key 'selct'; did you mean 'select'?"


def test_the_installed_command_reads_standard_input(project):
    """The real executable, with the built-in rules only."""
    result = subprocess.run(
        [sys.executable, "-m", "poolcheck", "check", "--no-color", "--stdin-filename", "new/module.py", "-"],
        input=b"x = 1  # noqa: PC101\n",
        cwd=project,
        capture_output=True,
    )
    assert result.returncode == 1, result.stderr
    assert result.stdout.decode().startswith("new/module.py:1:8: PC002")


def test_per_file_ignores_cover_unused_noqa_findings_and_the_buffers_name(project, run):
    (project / "pyproject.toml").write_text(PYPROJECT + '[tool.poolcheck.per-file-ignores]\n"legacy/*" = ["PC002"]\n')
    code, out, err = run(["--stdin-filename", "legacy/module.py", "-"], b"x = 1  # noqa: PC999\n", project)
    assert (code, err) == (0, "")  # no finding, and no "pattern matches no file" warning
    code, out, _ = run(["--stdin-filename", "current/module.py", "-"], b"x = 1  # noqa: PC999\n", project)
    assert code == 1 and "PC002" in out


LEAKY = 'from sqlalchemy import create_engine\n\nengine = create_engine("mysql+pymysql://app:s3cret@db/app")\n'


def test_unsafe_fixes_are_echoed_only_when_asked_for(project):
    """PC101's fix (add pool_pre_ping=True) is unsafe: `--fix` leaves the buffer as it was and
    still reports the finding; `--unsafe-fixes` applies it. The installed command and rules."""
    def check(*args):
        return subprocess.run(
            [sys.executable, "-m", "poolcheck", "check", "--no-color", "--stdin-filename", "app/db.py", *args, "-"],
            input=LEAKY, cwd=project, capture_output=True, text=True,
        )

    safe_only = check("--fix")
    assert safe_only.stdout == LEAKY
    assert "app/db.py:3:10: PC101" in safe_only.stderr and "--unsafe-fixes" in safe_only.stderr
    assert safe_only.returncode == 1
    unsafe = check("--fix", "--unsafe-fixes")
    assert unsafe.stdout == LEAKY.replace('app")', 'app", pool_pre_ping=True)')
    assert unsafe.returncode == 0, unsafe.stderr
    assert not (project / "app" / "db.py").exists()
