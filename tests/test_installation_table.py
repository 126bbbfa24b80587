"""What poolcheck learns about the installed SQLAlchemy is kept per installation, in the
user's cache folder, and used by ``--no-cache`` runs too: a second run asking the same
questions does not import SQLAlchemy."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ENGINE = 'from sqlalchemy import create_engine\nengine = create_engine("mysql+pymysql://u@db/app?charset=utf8mb4", pool_size=5)\n'

# Run the CLI in a fresh interpreter and say whether it imported SQLAlchemy.
PROBE = (
    "import sys\n"
    "from poolcheck.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "sys.stderr.write('SQLALCHEMY-IMPORTED=%s\\n' % ('sqlalchemy' in sys.modules))\n"
    "sys.exit(code)\n"
)


def _check(project: Path, cache_home: Path, *extra: str, table: str = "1"):
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home), "POOLCHECK_SQLALCHEMY_TABLE": table}
    result = subprocess.run(
        [sys.executable, "-P", "-c", PROBE, "check", "--no-cache", "--jobs", "1", *extra, "app.py"],
        cwd=project, capture_output=True, text=True, env=env,
    )
    assert "PC101" in result.stdout, result.stdout + result.stderr
    return "SQLALCHEMY-IMPORTED=True" in result.stderr


def _project(tmp_path: Path):
    """(a project with one MySQL engine, an empty user cache folder)."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text("[tool.poolcheck]\n", encoding="utf-8")
    (project / "app.py").write_text(ENGINE, encoding="utf-8")
    return project, tmp_path / "cache-home"


def test_a_no_cache_run_answers_from_the_installation_table(tmp_path):
    project, home = _project(tmp_path)
    assert _check(project, home) is True  # first time: the answers come from SQLAlchemy
    tables = list((home / "poolcheck").rglob("sqlalchemy-*.json"))
    assert len(tables) == 1
    assert _check(project, home) is False  # then from the table, findings unchanged
    assert not (project / ".poolcheck_cache").exists()  # --no-cache wrote no result cache


def test_the_table_can_be_switched_off(tmp_path):
    project, home = _project(tmp_path)
    assert _check(project, home, table="0") is True
    assert _check(project, home, table="0") is True
    assert not list(home.glob("poolcheck/*/sqlalchemy-*"))  # (the rule index is kept there too)
