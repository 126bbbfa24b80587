"""The pre-commit hook, installed and run the way pre-commit itself does it.

``pre-commit try-repo`` builds the hook's environment from this repository (its working
tree, uncommitted changes included) and runs it on a temporary git repository: a staged
file with a finding fails the hook, a clean one passes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# pre-commit is a test dependency: found on PATH, or beside this interpreter (a virtual
# environment used without activating it).
PRE_COMMIT = shutil.which("pre-commit") or shutil.which("pre-commit", path=str(Path(sys.executable).parent))

pytestmark = pytest.mark.skipif(shutil.which("git") is None or PRE_COMMIT is None, reason="needs git and pre-commit")

LEAKY = 'from sqlalchemy import create_engine\n\nengine = create_engine("mysql+pymysql://app@db/app")\n'
CLEAN = 'from sqlalchemy import create_engine\n\nengine = create_engine("mysql+pymysql://app@db/app", pool_pre_ping=True)\n'


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """One pre-commit cache for the module: the hook environment is built once."""
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def repo(tmp_path):
    git(tmp_path, "init", "-q")
    git(tmp_path, "config", "user.email", "test@example.com")
    git(tmp_path, "config", "user.name", "test")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'app'\n", encoding="utf-8")
    return tmp_path


def try_repo(repo: Path, home: Path, *files: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PRE_COMMIT_HOME=str(home), NO_COLOR="1")
    return subprocess.run(
        [PRE_COMMIT, "try-repo", str(REPO), "poolcheck", "--files", *files],
        cwd=repo, capture_output=True, text=True, env=env, timeout=600,
    )


def test_a_staged_file_with_a_finding_fails_the_hook(repo, home):
    (repo / "db.py").write_text(LEAKY, encoding="utf-8")
    git(repo, "add", "db.py")
    result = try_repo(repo, home, "db.py")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "db.py:3:10: PC101" in result.stdout


def test_a_clean_staged_file_passes(repo, home):
    (repo / "db.py").write_text(CLEAN, encoding="utf-8")
    git(repo, "add", "db.py")
    result = try_repo(repo, home, "db.py")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed" in result.stdout


def test_the_hook_sees_facts_from_files_it_was_not_given(repo, home):
    """Only db.py is staged, but wait_timeout comes from deploy/my.cnf: a pool_recycle that
    is fine against the MySQL default (28800) is too long for this server (600)."""
    (repo / "deploy").mkdir()
    (repo / "deploy" / "my.cnf").write_text("[mysqld]\nwait_timeout = 600\n", encoding="utf-8")
    (repo / "db.py").write_text(CLEAN.replace("pool_pre_ping=True", "pool_recycle=3600"), encoding="utf-8")
    git(repo, "add", "db.py", "deploy/my.cnf")
    result = try_repo(repo, home, "db.py")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "PC102" in result.stdout and "deploy/my.cnf:2" in result.stdout


def test_a_staged_env_file_is_judged_against_the_code_that_reads_it(repo, home):
    """Only .env is staged; app.py, which reads it with from_prefixed_env, is not."""
    (repo / "app.py").write_text(
        "from flask import Flask\nfrom flask_sqlalchemy import SQLAlchemy\n\napp = Flask(__name__)\n"
        "app.config.from_prefixed_env()\ndb = SQLAlchemy(app)\n",
        encoding="utf-8",
    )
    (repo / ".env").write_text("FLASK_SQLALCHEMY_DATABASE_URI=sqlite://\nFLASK_SQLALCHEMY_POOL_RECYCLE=280\n", encoding="utf-8")
    (repo / "package.json").write_text('{"name": "front"}\n', encoding="utf-8")
    git(repo, "add", "app.py", ".env", "package.json")
    result = try_repo(repo, home, ".env", "package.json")
    assert result.returncode == 1, result.stdout + result.stderr
    assert ".env:2:1: PC201" in result.stdout and "package.json" not in result.stdout
