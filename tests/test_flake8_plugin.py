"""The flake8 plugin, run by the real flake8: as a command (with the installed rules) and
in-process (with the test rules added, which flake8 selects like any other codes)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("flake8")

from flake8.main.cli import main as flake8_main  # noqa: E402

from poolcheck import flake8_plugin, registry  # noqa: E402

from editor_rules import rules_with_test_rules  # noqa: E402

UNKNOWN_PC999 = "PC002 `# noqa` names PC999, which is not a poolcheck rule"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "app").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.poolcheck]\n")
    (root / "settings.cfg").write_text("strict = on\n")
    (root / "app" / "models.py").write_text("x = 1  # noqa: PC999\n")
    return root


def flake8(project: Path, *args: str, stdin: bytes = b""):
    result = subprocess.run([sys.executable, "-m", "flake8", *args], cwd=project, input=stdin, capture_output=True)
    return result.returncode, result.stdout.decode(), result.stderr.decode()


# --- the command, with the installed rules ---------------------------------------------------


def test_the_plugin_is_registered_for_the_pc_prefix(project):
    code, out, _ = flake8(project, "--version")
    assert code == 0 and "poolcheck" in out


def test_opt_in_rules_need_their_full_code_or_the_configuration(project):
    # PC002 is opt-in: neither flake8's defaults nor a prefix turn it on...
    assert flake8(project, "app")[:2] == (0, "")
    assert flake8(project, "--select", "PC", "app")[:2] == (0, "")
    # ...its code does (with flake8's 1-based columns),
    assert flake8(project, "--extend-select", "PC002", "app")[:2] == (1, f"app/models.py:1:8: {UNKNOWN_PC999}\n")
    # and so does poolcheck's own configuration, which flake8's --select PC then shows.
    (project / "pyproject.toml").write_text('[tool.poolcheck]\nextend-select = ["PC002"]\n')
    assert flake8(project, "--select", "PC", "app")[:2] == (1, f"app/models.py:1:8: {UNKNOWN_PC999}\n")


def test_poolcheck_configuration_and_flake8_options_both_apply(project):
    (project / "pyproject.toml").write_text('[tool.poolcheck]\nignore = ["PC002"]\n')
    assert flake8(project, "--extend-select", "PC002", "app")[:2] == (0, "")  # poolcheck's ignore
    (project / "pyproject.toml").write_text('[tool.poolcheck]\nextend-select = ["PC002"]\n')
    (project / "setup.cfg").write_text("[flake8]\nper-file-ignores =\n    app/models.py: PC002\n")
    assert flake8(project, "--select", "PC", "app")[:2] == (0, "")  # flake8's per-file-ignores
    assert flake8(project, "--select", "PC", "--extend-ignore", "PC002", "app")[:2] == (0, "")


def test_standard_input_is_checked_as_the_display_name(project):
    (project / "pyproject.toml").write_text('[tool.poolcheck]\nextend-select = ["PC002"]\nper-file-ignores = { "legacy/*" = ["PC002"] }\n')
    buffer = b"y = 2\nx = 1  # noqa: PC999\n"
    code, out, _ = flake8(project, "--select", "PC", "--stdin-display-name", "new/module.py", "-", stdin=buffer)
    assert (code, out) == (1, f"new/module.py:2:8: {UNKNOWN_PC999}\n")
    # The display name decides which of the project's settings apply.
    assert flake8(project, "--select", "PC", "--stdin-display-name", "legacy/module.py", "-", stdin=buffer)[:2] == (0, "")


def test_a_broken_poolcheck_configuration_stops_flake8_with_one_line(project):
    (project / "pyproject.toml").write_text('[tool.poolcheck]\nextend-select = ["PC0002"]\n')
    code, out, err = flake8(project, "--select", "PC", "app")
    assert code == 1
    pyproject = project / "pyproject.toml"
    assert out == (
        "There was a critical error during execution of Flake8:\n"
        f"poolcheck: {pyproject}: extend-select: unknown rule selector 'PC0002'; did you mean PC002? (run `poolcheck rules` for the list)\n"
    )
    assert "Traceback" not in err


def test_several_processes(project):
    (project / "pyproject.toml").write_text('[tool.poolcheck]\nextend-select = ["PC002"]\n')
    for index in range(4):
        (project / "app" / f"m{index}.py").write_text("x = 1  # noqa: PC999\n")
    code, out, _ = flake8(project, "--select", "PC", "-j", "2", "app")
    assert code == 1 and len(out.splitlines()) == 5


# --- in-process, with the test rules -------------------------------------------------------


@pytest.fixture
def run_flake8(monkeypatch, capsys):
    """flake8 in this process (one job), with the test rules among poolcheck's."""
    rules = rules_with_test_rules()
    monkeypatch.setattr(registry, "load_rules", lambda *args, **kwargs: rules)
    monkeypatch.setattr(flake8_plugin, "_SESSIONS", {})

    def invoke(project: Path, *args: str):
        monkeypatch.chdir(project)
        code = flake8_main(["-j", "1", *args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return invoke


def test_findings_that_depend_on_another_file(project, run_flake8):
    (project / "app" / "pools.py").write_text("pool = open_pool()\n")
    (project / "app" / "more.py").write_text("other = open_pool()  # noqa: TST902\nlast = open_pool()\n")
    code, out, _ = run_flake8(project, "--select", "TST", "app")
    assert code == 1
    assert out.splitlines() == [
        "app/more.py:2:8: TST902 `open_pool()` is refused in strict mode; use `open_strict_pool()`",
        "app/pools.py:1:8: TST902 `open_pool()` is refused in strict mode; use `open_strict_pool()`",
    ]
    (project / "settings.cfg").write_text("strict = off\n")
    flake8_plugin._SESSIONS.clear()  # the next flake8 run is a new process
    assert run_flake8(project, "--select", "TST", "app")[:2] == (0, "")


def test_columns_count_characters(project, run_flake8):
    (project / "app" / "emoji.py").write_text('s = "😀"; conn = legacy_connect()\n', encoding="utf-8")
    code, out, _ = run_flake8(project, "--select", "TST901", "app/emoji.py")
    assert out == "app/emoji.py:1:17: TST901 `legacy_connect()` holds a connection forever; call `modern_connect()`\n"


def test_a_file_in_a_declared_encoding(project, run_flake8):
    (project / "app" / "latin.py").write_bytes("# -*- coding: latin-1 -*-\ns = 'é'; legacy_connect()\n".encode("latin-1"))
    code, out, _ = run_flake8(project, "--select", "TST901", "app/latin.py")
    assert out == "app/latin.py:2:10: TST901 `legacy_connect()` holds a connection forever; call `modern_connect()`\n"


def test_a_broken_rule_is_reported_and_the_others_still_run(project, run_flake8):
    (project / "app" / "broken.py").write_text("crash_the_rule()\nlegacy_connect()\n")
    code, out, err = run_flake8(project, "--select", "TST", "app/broken.py")
    # (The broken rule also prints; under flake8, as under `poolcheck check`, that goes to standard output.)
    assert out.splitlines()[-1] == "app/broken.py:2:1: TST901 `legacy_connect()` holds a connection forever; call `modern_connect()`"
    assert "poolcheck: app/broken.py: internal error in rule TST904 (raises): RuntimeError: this rule is broken on purpose" in err


def test_pc101_is_reported_by_default_with_the_password_masked(project):
    (project / "app" / "db.py").write_text(
        'from sqlalchemy import create_engine\n\nengine = create_engine("mysql+pymysql://app:s3cret@db/app")\n'
    )
    code, out, _ = flake8(project, "app/db.py")
    assert code == 1
    assert out.startswith("app/db.py:3:10: PC101 MySQL engine `mysql+pymysql://app:***@db/app` has neither")
    assert "s3cret" not in out
    # A wait_timeout the project's own my.cnf sets is part of the message, as in `poolcheck check`.
    (project / "my.cnf").write_text("[mysqld]\nwait_timeout = 600\n")
    code, out, _ = flake8(project, "app/db.py")
    assert "wait_timeout = 600 (my.cnf:2)" in out
