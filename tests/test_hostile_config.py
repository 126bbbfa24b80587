"""Hostile configuration, through the command line as users meet it: every wrong key, type and
value is one clear line on standard error and exit code 2 (a warning where the run can go on),
never a traceback. tests/test_config.py covers the loader's messages; this covers the rest."""

from __future__ import annotations

from pathlib import Path

import pytest

from poolcheck.cli import main

CLEAN = "from sqlalchemy import create_engine\nengine = create_engine('sqlite://')\n"
MYSQL = "from sqlalchemy import create_engine\nengine = create_engine('mysql://app@db/app')\n"


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app.py").write_text(CLEAN, encoding="utf-8")
    return tmp_path


def run(args, capsys):
    code = main(["check", "--no-color", *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "internal error" not in err, err
    return code, out, err


def one_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("poolcheck: error: "), err
    return lines[0]


@pytest.mark.parametrize(
    "name, text, words",
    [
        # Not TOML, or not UTF-8.
        ("pyproject.toml", "[tool.poolcheck]\nselect = ['PC1']\nselect = ['PC2']\n", ["is not valid TOML", "Cannot overwrite a value"]),
        ("pyproject.toml", "[tool.poolcheck]\nselect = ['PC1'\n", ["is not valid TOML"]),
        ("poolcheck.toml", "select = [\n", ["poolcheck.toml: is not valid TOML"]),
        (".poolcheck.toml", "ignore = PC1\n", [".poolcheck.toml: is not valid TOML"]),
        ("pyproject.toml", b"\xff\xfe[tool.poolcheck]\n", ["is not valid UTF-8"]),
        # The table itself.
        ("pyproject.toml", "[tool]\npoolcheck = 3\n", ["[tool.poolcheck] must be a table"]),
        ("pyproject.toml", "[tool]\npoolcheck = ['PC1']\n", ["[tool.poolcheck] must be a table"]),
        ("pyproject.toml", "[tool.poolcheck.lint]\nselect = []\n", ["unknown key 'lint'"]),
        ("pyproject.toml", "[tool.poolcheck.database.extra]\nx = 1\n", ["[tool.poolcheck.database]: unknown key 'extra'"]),
        # Keys: near misses are suggested.
        ("pyproject.toml", "[tool.poolcheck]\nextend_select = ['PC002']\n", ["unknown key 'extend_select'", "did you mean 'extend-select'"]),
        ("pyproject.toml", "[tool.poolcheck]\nper-file-ignore = {}\n", ["unknown key 'per-file-ignore'", "did you mean 'per-file-ignores'"]),
        ("pyproject.toml", "[tool.poolcheck]\nexclud = []\n", ["unknown key 'exclud'", "did you mean 'exclude'"]),
        ("pyproject.toml", "[tool.poolcheck]\ndatabse = {}\n", ["unknown key 'databse'", "did you mean 'database'"]),
        ("pyproject.toml", "[tool.poolcheck.database]\nurl = 'x'\n", ["unknown key 'url'", "did you mean 'url-env'"]),
        ("pyproject.toml", "[tool.poolcheck.database]\nmax_connections = 5\n", ["unknown key 'max_connections'", "did you mean 'max-connections'"]),
        ("pyproject.toml", "[tool.poolcheck.database]\nworker = 5\n", ["unknown key 'worker'", "did you mean 'workers'"]),
        ("pyproject.toml", "[tool.poolcheck.database]\nidle_session_timeout = 5\n", ["did you mean 'idle-session-timeout'"]),
        ("poolcheck.toml", "[database]\nwait_timeout = 600\n", ["poolcheck.toml [database]: unknown key 'wait_timeout'", "did you mean 'wait-timeout'"]),
        # Types.
        ("pyproject.toml", "[tool.poolcheck]\nselect = [1, 2]\n", ["'select' must be a list of strings, not [1, 2]"]),
        ("pyproject.toml", "[tool.poolcheck]\nignore = 'PC1'\n", ["'ignore' must be a list of strings"]),
        ("pyproject.toml", "[tool.poolcheck]\nextend-exclude = [1]\n", ["'extend-exclude' must be a list of strings"]),
        ("pyproject.toml", "[tool.poolcheck]\nexclude = 'vendor'\n", ["'exclude' must be a list of strings"]),
        ("pyproject.toml", "[tool.poolcheck]\nper-file-ignores = 3\n", ["'per-file-ignores' must be a table of glob"]),
        ("pyproject.toml", "[tool.poolcheck]\nper-file-ignores = { 'tests/*' = [4] }\n", ["'per-file-ignores' must be a table of glob"]),
        ("pyproject.toml", "[tool.poolcheck.database]\nwait-timeout = '600'\n", ["'wait-timeout' must be a positive integer", "not '600'"]),
        ("pyproject.toml", "[tool.poolcheck.database]\nwait-timeout = 600.5\n", ["'wait-timeout' must be a positive integer"]),
        ("pyproject.toml", "[tool.poolcheck.database]\nwait-timeout = inf\n", ["'wait-timeout' must be a positive integer", "not inf"]),
        ("pyproject.toml", "[tool.poolcheck.database]\nworkers = nan\n", ["'workers' must be a positive integer"]),
        ("pyproject.toml", "[tool.poolcheck.database]\nworkers = true\n", ["'workers' must be a positive integer"]),
        ("pyproject.toml", "[tool.poolcheck.database]\nmax-connections = 0\n", ["'max-connections' must be a positive integer"]),
        ("pyproject.toml", "[tool.poolcheck.database]\nmax-connections = -151\n", ["'max-connections' must be a positive integer"]),
        ("pyproject.toml", "[tool.poolcheck.database]\ndialect = 3\n", ["'dialect' must be a dialect name"]),
        ("pyproject.toml", "[tool.poolcheck.database]\nurl-env = 'DATABASE URL'\n", ["'url-env' must be the name of an environment variable"]),
        ("pyproject.toml", "[tool.poolcheck.database]\nurl-env = ['DATABASE_URL']\n", ["'url-env' must be the name of an environment variable"]),
        # Values no server has: a typo, or milliseconds written for seconds.
        ("pyproject.toml", "[tool.poolcheck.database]\nwait-timeout = 31536001\n", ["at most 31536000"]),
        ("pyproject.toml", "[tool.poolcheck.database]\nwait-timeout = 99999999999999999999999\n", ["at most 31536000"]),
        ("pyproject.toml", "[tool.poolcheck.database]\nidle-session-timeout = 600000000\n", ["at most 2147483"]),
        # Dialects SQLAlchemy does not have, close to one it has.
        ("pyproject.toml", "[tool.poolcheck.database]\ndialect = 'postgres'\n", ["no 'postgres'", "did you mean 'postgresql'"]),
        ("pyproject.toml", "[tool.poolcheck.database]\ndialect = 'myslq+pymysql'\n", ["no 'myslq'", "did you mean 'mysql'"]),
        ("pyproject.toml", "[tool.poolcheck.database]\ndialect = 'maria'\n", ["did you mean 'mariadb'"]),
        # Globs pathspec cannot compile (were internal errors).
        ("pyproject.toml", "[tool.poolcheck]\nexclude = ['!']\n", ["'exclude' must be gitignore-style globs, and '!' is not one"]),
        ("pyproject.toml", "[tool.poolcheck]\nextend-exclude = [\"\\\\\"]\n", ["'extend-exclude' must be gitignore-style globs"]),
        ("pyproject.toml", "[tool.poolcheck]\nextend-exclude = ['[z-a]']\n", ["'[z-a]' is not one (bad character range"]),
        ("pyproject.toml", "[tool.poolcheck]\nper-file-ignores = { '[z-a]' = ['PC1'] }\n", ["'per-file-ignores' must be gitignore-style globs"]),
        # Selectors: unknown and empty ones.
        ("pyproject.toml", "[tool.poolcheck]\nselect = ['PC999']\n", ["select: unknown rule selector 'PC999'"]),
        ("pyproject.toml", "[tool.poolcheck]\nignore = ['PC1', 'ZZZ']\n", ["ignore: unknown rule selector 'ZZZ'"]),
        ("pyproject.toml", "[tool.poolcheck]\nextend-select = ['PC1O1']\n", ["extend-select: unknown rule selector 'PC1O1'", "did you mean PC101"]),
        ("pyproject.toml", "[tool.poolcheck]\nper-file-ignores = { 'tests/*' = ['PC777'] }\n", ["per-file-ignores 'tests/*': unknown rule selector 'PC777'"]),
        # "" is a prefix of every code: it would silently select or ignore everything.
        ("pyproject.toml", "[tool.poolcheck]\nselect = ['']\n", ["select: empty rule selector"]),
        ("pyproject.toml", "[tool.poolcheck]\nignore = [' ']\n", ["ignore: empty rule selector"]),
        ("pyproject.toml", "[tool.poolcheck]\nper-file-ignores = { 'tests/*' = [''] }\n", ["per-file-ignores 'tests/*': empty rule selector"]),
    ],
)
def test_a_wrong_configuration_is_one_error_line_and_exit_two(project, capsys, name, text, words):
    path = project / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    code, out, err = run([], capsys)
    assert code == 2 and out == ""
    line = one_error(err)
    assert str(path) in line or name in line
    for word in words:
        assert word in line, line


@pytest.mark.parametrize(
    "text",
    [
        "[tool.poolcheck.database]\ndialect = 'snowflake'\n",  # a third-party dialect: its business
        "[tool.poolcheck.database]\ndialect = 'mysql+asyncmy'\n",
        "[tool.poolcheck.database]\nwait-timeout = 31536000\nidle-session-timeout = 2147483\n",
        "[tool]\npoolcheck = {}\n",
    ],
)
def test_edge_values_that_are_right_are_accepted(project, capsys, text):
    (project / "pyproject.toml").write_text(text, encoding="utf-8")
    assert run([], capsys)[0] == 0


def test_config_option_missing_directory_unreadable_and_broken(project, capsys, monkeypatch):
    code, _, err = run(["--config", "missing.toml"], capsys)
    assert code == 2 and "--config missing.toml: no such file" in one_error(err)
    (project / "ci").mkdir()
    code, _, err = run(["--config", "ci"], capsys)
    assert code == 2 and "--config ci: is a directory" in one_error(err)
    broken = project / "ci" / "poolcheck.toml"
    broken.write_text("select = [\n", encoding="utf-8")
    code, _, err = run(["--config", str(broken)], capsys)
    assert code == 2 and "poolcheck.toml: is not valid TOML" in one_error(err)
    # Unreadable (root reads anything, so the refusal is simulated where the file is read).
    broken.write_text("select = ['PC1']\n", encoding="utf-8")
    real_read_bytes = Path.read_bytes

    def refuse(self):
        if self.name == "poolcheck.toml":
            raise PermissionError(13, "Permission denied")
        return real_read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", refuse)
    code, _, err = run(["--config", str(broken)], capsys)
    assert code == 2 and "poolcheck.toml: cannot read: Permission denied" in one_error(err)


def test_a_per_file_ignores_glob_that_matches_nothing_is_a_warning(project, capsys):
    (project / "pyproject.toml").write_text(
        "[tool.poolcheck]\nper-file-ignores = { 'tset/*' = ['PC1'], '[unclosed' = ['PC1'], 'app.py' = ['PC4'] }\n", encoding="utf-8"
    )
    code, out, err = run([], capsys)
    assert code == 0 and "All checks passed" in out
    lines = err.strip().splitlines()
    assert len(lines) == 2 and all(line.startswith("poolcheck: warning: ") for line in lines)
    assert "per-file-ignores pattern 'tset/*' matches no file" in err
    assert "per-file-ignores pattern '[unclosed' matches no file" in err
    assert "'app.py'" not in err


@pytest.mark.parametrize(
    "args, words",
    [
        (["--ignore", "XYZ"], "--ignore: unknown rule selector 'XYZ'"),
        (["--extend-select", "PC99"], "--extend-select: unknown rule selector 'PC99'"),
        (["--select", "PC1,PC1O2"], "--select: unknown rule selector 'PC1O2'; did you mean PC102?"),
        (["--select", "PC101", "--ignore", "PC4,,PC9"], "--ignore: unknown rule selector 'PC9'"),
        # An empty --select (`--select "$CODES"` with the variable unset) would run no rule.
        (["--select", ""], "--select: no rule selector given"),
        (["--select", " , "], "--select: no rule selector given"),
    ],
)
def test_unknown_or_empty_selectors_on_the_command_line(project, capsys, args, words):
    code, _, err = run(args, capsys)
    assert code == 2 and words in one_error(err)


def test_empty_ignore_and_extend_select_change_nothing(project, capsys):
    (project / "app.py").write_text(MYSQL, encoding="utf-8")
    assert run(["--ignore", "", "--extend-select", ""], capsys)[0] == 1


def test_unknown_codes_in_noqa_comments(project, capsys):
    (project / "pyproject.toml").write_text("", encoding="utf-8")
    (project / "app.py").write_text(
        "# poolcheck: noqa: PC9999, PC401\n"
        "from sqlalchemy import create_engine\n"
        "a = create_engine('mysql://app@db/app')  # noqa: PC999\n"
        "b = create_engine('mysql://app@db/app')  # noqa: PC1O1\n"
        "c = 1  # noqa: E501, XYZ1\n",
        encoding="utf-8",
    )
    # Line comments: PC002 (opt-in, as ruff's RUF100) names the unknown codes as written.
    code, out, err = run(["--extend-select", "PC002", "--format", "concise"], capsys)
    assert code == 1
    assert "app.py:3:42: PC002 `# noqa` names PC999, which is not a poolcheck rule" in out
    assert "app.py:4:42: PC002 `# noqa` names PC1O1, which is not a poolcheck rule" in out
    assert "E501" not in out and "XYZ1" not in out  # other tools' codes are theirs
    # A file-level directive's unknown code suppresses nothing in the whole file: a warning
    # in every run (as ruff warns about `# ruff: noqa: XYZ`), the known code still works.
    assert err.strip() == "poolcheck: warning: app.py:1: `# poolcheck: noqa` names PC9999, which is not a poolcheck rule (run `poolcheck rules` for the list)"
    code, out, err = run(["--format", "concise"], capsys)
    assert code == 1 and out.count("PC101") == 2 and "PC9999" in err and len(err.strip().splitlines()) == 1


def test_a_gitignore_line_git_would_skip_is_skipped(project, capsys):
    """Invalid lines in a .gitignore are not poolcheck's configuration: skipped as git skips
    them, the valid lines still apply."""
    (project / ".git").mkdir()
    (project / ".gitignore").write_text("!\n\\\n[z-a]\nbuild/\n", encoding="utf-8")
    (project / "build").mkdir()
    (project / "build" / "generated.py").write_text(MYSQL, encoding="utf-8")
    (project / "app.py").write_text(MYSQL, encoding="utf-8")
    code, out, err = run(["--format", "concise"], capsys)
    assert code == 1 and err == ""
    assert "app.py:2:" in out and "generated.py" not in out
