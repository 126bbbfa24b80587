"""The command line as users run it: exit codes, formats, configuration errors, stdin."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from poolcheck.cli import main

BROKEN = "from sqlalchemy import create_engine\nif True\n    create_engine('sqlite://')\n"
CLEAN = "from sqlalchemy import create_engine\nengine = create_engine('sqlite://')\n"


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    return tmp_path


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_clean_project_exits_zero(project, capsys):
    write(project, "app.py", CLEAN)
    assert main(["check"]) == 0
    assert "All checks passed!" in capsys.readouterr().out


def test_findings_exit_one_with_the_text_shape(project, capsys):
    write(project, "app.py", BROKEN)
    assert main(["check", "."]) == 1
    out = capsys.readouterr().out
    assert out.startswith("app.py:2:8: PC001 Syntax error: expected ':'\n")
    assert "2 | if True\n" in out and "  |        ^ PC001" in out
    assert "= help: " in out
    assert out.rstrip().endswith("Found 1 problem (1 error) in 1 file.")
    assert "\033[" not in out, "no colour when not on a terminal"


def test_exit_zero(project):
    write(project, "app.py", BROKEN)
    assert main(["check", "--exit-zero"]) == 0


def test_force_color_and_no_color(project, capsys, monkeypatch):
    write(project, "app.py", BROKEN)
    monkeypatch.setenv("FORCE_COLOR", "1")
    main(["check"])
    assert "\033[" in capsys.readouterr().out
    monkeypatch.setenv("NO_COLOR", "1")
    main(["check"])
    assert "\033[" not in capsys.readouterr().out


def test_json_output_is_ruff_shaped_and_stable(project, capsys):
    write(project, "b.py", BROKEN)
    write(project, "a.py", BROKEN)
    assert main(["check", "--format", "json"]) == 1
    items = json.loads(capsys.readouterr().out)
    assert [Path(i["filename"]).name for i in items] == ["a.py", "b.py"]
    item = items[0]
    assert set(item) >= {"code", "message", "filename", "location", "end_location", "fix", "url", "noqa_row", "name", "severity", "related"}
    assert item["code"] == "PC001" and item["name"] == "syntax-error" and item["severity"] == "error"
    assert item["location"] == {"row": 2, "column": 8}
    assert Path(item["filename"]).is_absolute()


def test_output_file(project, capsys):
    write(project, "app.py", BROKEN)
    assert main(["check", "--format", "json", "--output-file", "out/report.json"]) == 1
    assert capsys.readouterr().out == ""
    assert json.loads((project / "out" / "report.json").read_text())[0]["code"] == "PC001"


def test_select_and_ignore(project):
    write(project, "app.py", BROKEN)
    assert main(["check", "--ignore", "PC0"]) == 0
    assert main(["check", "--select", "PC1", "--extend-select", "PC001"]) == 1


def test_unknown_code_is_a_usage_error(project, capsys):
    assert main(["check", "--select", "PC1O1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("poolcheck: error: --select: unknown rule selector 'PC1O1'") and "Traceback" not in err


def test_broken_pyproject_is_a_configuration_error(project, capsys):
    write(project, "pyproject.toml", "[tool.poolcheck\n")
    write(project, "app.py", CLEAN)
    assert main(["check"]) == 2
    err = capsys.readouterr().err
    assert "pyproject.toml: is not valid TOML" in err and err.count("\n") == 1


def test_unknown_configuration_key(project, capsys):
    write(project, "pyproject.toml", "[tool.poolcheck]\nignroe = ['PC1']\n")
    assert main(["check"]) == 2
    assert "unknown key 'ignroe'; did you mean 'ignore'?" in capsys.readouterr().err


def test_explicit_config_file(project, capsys):
    write(project, "app.py", BROKEN)
    write(project, "ci/poolcheck.toml", "ignore = ['PC001']\n")
    assert main(["check", "--config", "ci/poolcheck.toml"]) == 0
    assert main(["check", "--config", "missing.toml"]) == 2


def test_missing_path(project, capsys):
    assert main(["check", "nope.py"]) == 2
    captured = capsys.readouterr()
    assert "nope.py: no such file or directory" in captured.err
    # Nothing found, yet not everything asked for was checked: not "All checks passed!".
    assert "All checks passed" not in captured.out
    assert "No problems found, but not everything could be checked (1 error above)." in captured.out


def test_unreadable_file_is_reported_and_others_still_checked(project, capsys):
    if os.geteuid() == 0:
        pytest.skip("root can read any file")
    secret = write(project, "secret.py", CLEAN)
    secret.chmod(0)
    write(project, "bad.py", BROKEN)
    try:
        assert main(["check"]) == 2
    finally:
        secret.chmod(0o644)
    captured = capsys.readouterr()
    assert "secret.py: cannot read: permission denied" in captured.err
    assert "bad.py:2:8: PC001" in captured.out


@pytest.mark.parametrize(
    "data, words",
    [
        (b"create_engine\n\xff\xfe\x00garbage", "NUL byte"),
        (b"create_engine = 1\nname = '\xe9'\n", "not valid utf-8"),
        (b"# -*- coding: klingon -*-\ncreate_engine\n", "encoding"),
    ],
)
def test_binary_and_undecodable_files(project, capsys, data, words):
    (project / "bad.py").write_bytes(data)
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert "bad.py:" in out and "PC001" in out and words in out


def test_noqa_suppresses(project):
    write(project, "app.py", "from sqlalchemy import create_engine\nif True  # noqa: PC001\n    pass\n")
    # A syntax error's tokens cannot be trusted; a file-level directive still works.
    write(project, "app.py", "# poolcheck: noqa: PC001\nfrom sqlalchemy import create_engine\nif True\n    pass\n")
    assert main(["check"]) == 0


def test_stdin(project, capsys, monkeypatch):
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(BROKEN.encode())))
    assert main(["check", "--stdin-filename", "pkg/editing.py", "-"]) == 1
    assert capsys.readouterr().out.startswith("pkg/editing.py:2:8: PC001")


def test_rule_and_rules_commands(capsys):
    assert main(["rule", "PC001"]) == 0
    page = capsys.readouterr().out
    for section in ("# syntax-error (PC001)", "## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Options"):
        assert section in page
    assert main(["rule", "syntax-error", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["code"] == "PC001"
    assert main(["rules", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {"code", "name", "severity", "default_enabled"} <= set(listed[0])
    assert main(["rule", "PC9999"]) == 2


def test_no_command_prints_help_and_exits_two(capsys):
    assert main([]) == 2


def test_console_script_and_module_entry_points(project):
    write(project, "app.py", BROKEN)
    # The console script installed beside this interpreter (a venv need not be activated).
    script = str(Path(sys.executable).with_name("poolcheck"))
    for command in ([script], [sys.executable, "-m", "poolcheck"]):
        result = subprocess.run(command + ["check", "--format", "json"], capture_output=True, text=True, cwd=project)
        assert result.returncode == 1, result.stderr
        assert json.loads(result.stdout)[0]["code"] == "PC001"


def test_the_console_script_flushes_everything_before_it_exits(project):
    """The console script ends with os._exit (freeing a large run's objects one by one took
    longer than some runs): a long report through a pipe still arrives whole."""
    engines = "".join(f'engine_{n} = create_engine("mysql+pymysql://u@db/app{n}")\n' for n in range(400))
    write(project, "app.py", "from sqlalchemy import create_engine\n" + engines)
    script = str(Path(sys.executable).with_name("poolcheck"))
    result = subprocess.run([script, "check", "--no-cache", "--format", "json"], capture_output=True, text=True, cwd=project)
    assert result.returncode == 1, result.stderr
    assert [f["code"] for f in json.loads(result.stdout)].count("PC101") == 400


def test_under_a_profiler_the_console_script_exits_normally(project, tmp_path):
    """A profiler (or coverage, a debugger) writes its results when the interpreter exits:
    the console script's fast exit steps aside for it."""
    write(project, "app.py", "x = 1\n")
    script = str(Path(sys.executable).with_name("poolcheck"))
    output = tmp_path / "run.prof"
    result = subprocess.run([sys.executable, "-m", "cProfile", "-o", str(output), script, "check", "--no-cache", "."], capture_output=True, text=True, cwd=project)
    assert result.returncode == 0, result.stderr
    assert output.is_file() and output.stat().st_size > 0


@pytest.fixture
def collector_off():
    """The collector as the console script leaves it for a run (``cli.run``): off."""
    import gc

    was_enabled = gc.isenabled()
    gc.disable()
    yield
    if was_enabled:
        gc.enable()


@pytest.mark.parametrize(
    "command, target",
    [(["server"], "poolcheck.lsp.server.serve"), (["probe", "mysql+pymysql://root@127.0.0.1/test"], "poolcheck.probe.probe")],
)
def test_long_lived_commands_collect_garbage(collector_off, monkeypatch, command, target):
    """The language server lives as long as the editor, and the probe's SQLAlchemy objects
    may be freed only by the collector: both turn it on again."""
    import gc

    seen = []

    def record(*args, **kwargs):
        seen.append(gc.isenabled())
        raise KeyboardInterrupt  # stop here: what matters is the collector's state

    monkeypatch.setattr(target, record)
    assert main(command) == 130
    assert seen == [True]


def test_the_console_script_checks_with_the_collector_off(project):
    """A check allocates large acyclic data that lives to its end: collections were a tenth
    of a cold run's main process (see ``cli.run``)."""
    write(project, "app.py", "import gc, sys\n")
    script = (
        "import gc, sys\n"
        "import poolcheck.runner as runner\n"
        "real = runner.Runner.run\n"
        "def run(self, options):\n"
        "    sys.stderr.write(f'collector on: {gc.isenabled()}\\n')\n"
        "    return real(self, options)\n"
        "runner.Runner.run = run\n"
        "sys.argv = ['poolcheck', 'check', '--no-cache', '.']\n"
        "from poolcheck.cli import run as console_script\n"
        "console_script()\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=project, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "collector on: False" in done.stderr
