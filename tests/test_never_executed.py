"""The checked code is never run: a project whose every importable file (package
``__init__``, modules, ``conftest.py``, ``setup.py``, ``sitecustomize``, a ``.pth``, a Flask
``from_pyfile`` settings file, and modules named like the libraries poolcheck itself imports)
writes a marker file when executed is checked with every rule, fixed, diffed, and checked
against a live-server URL, in process, as ``python -m poolcheck`` and as the console script
from inside the project; no marker ever appears."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from poolcheck.cli import main

PAYLOAD = "open({marker!r}, 'w').write('executed')\n"

# Modules named like the libraries poolcheck and the drivers it may load import: `python -m`
# puts the working folder first on sys.path, where these would shadow the real ones.
SHADOWS = ("libcst", "pathspec", "pymysql", "MySQLdb", "psycopg", "psycopg2", "typing_extensions", "tomli", "pygls", "lsprotocol")


def build(root: Path) -> Path:
    markers = root.parent / "markers"
    markers.mkdir()

    def payload(name: str) -> str:
        return PAYLOAD.format(marker=str(markers / name))

    files = {
        "pyproject.toml": '[project]\nname = "trap"\ndependencies = ["Flask-SQLAlchemy>=3.1", "APScheduler<4"]\n\n[tool.poolcheck]\nselect = ["ALL"]\n',
        "requirements.txt": "Flask==3.0.3\nFlask-SQLAlchemy==3.1.1\nAPScheduler==3.10.4\nSQLAlchemy==2.0.36\n",
        "setup.py": payload("setup.py") + "from setuptools import setup\nsetup(name='trap')\n",
        "conftest.py": payload("conftest.py"),
        "sitecustomize.py": payload("sitecustomize.py"),
        "usercustomize.py": payload("usercustomize.py"),
        "__main__.py": payload("__main__.py"),
        "trap.pth": "import os; " + payload("trap.pth"),
        "app/__init__.py": payload("app-init")
        + "from flask import Flask\n"
        + "app = Flask(__name__)\n"
        + "app.config.from_object('app.config.Production')\n"
        + "app.config.from_pyfile('settings.cfg')\n"
        + "from flask_sqlalchemy import SQLAlchemy\n"
        + "db = SQLAlchemy(app)\n",
        "app/config.py": payload("app-config") + "class Production:\n    SQLALCHEMY_DATABASE_URI = 'mysql+pymysql://app@db/app'\n    SQLALCHEMY_POOL_RECYCLE = 30\n",
        "app/settings.cfg": payload("settings.cfg") + "SQLALCHEMY_POOL_SIZE = 5\n",
        "app/models.py": payload("app-models")
        + "from sqlalchemy import create_engine\n"
        + "from sqlalchemy.orm import Session\n"
        + "engine = create_engine('mysql+pymysql://app@db/app', pool_recyle=3600)\n"
        + "session = Session(engine)\n",
        "app/jobs.py": payload("app-jobs")
        + "from apscheduler.schedulers.background import BackgroundScheduler\n"
        + "scheduler = BackgroundScheduler()\n"
        + "scheduler.add_jobstore('sqlalchemy', url='mysql+pymysql://app@db/app')\n",
        "tests/conftest.py": payload("tests-conftest"),
        "tests/test_app.py": payload("tests-test-app") + "import app.models\n",
    }
    for name in SHADOWS:
        files[f"{name}.py"] = payload(f"shadow-{name}")
    files["sqlalchemy_utils/__init__.py"] = payload("sqlalchemy-utils")
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return markers


@pytest.fixture
def trap(tmp_path):
    root = tmp_path / "trap"
    markers = build(root)
    yield root
    assert sorted(p.name for p in markers.iterdir()) == [], "the checked code was executed"


def test_checking_with_every_rule_in_process(trap, capsys, monkeypatch):
    monkeypatch.chdir(trap)
    assert main(["check", "--format", "concise", "--no-color"]) == 1
    out = capsys.readouterr().out
    for expected in ("app/models.py", "app/config.py", "app/jobs.py", "PC104", "PC201", "PC301"):
        assert expected in out, expected
    assert main(["check", "--diff", "--unsafe-fixes"]) == 1
    assert main(["check", "--fix", "--unsafe-fixes"]) == 1
    assert "pool_recycle=3600" in (trap / "app" / "models.py").read_text(encoding="utf-8")


CONSOLE_SCRIPT = Path(sys.executable).with_name("poolcheck")


@pytest.mark.parametrize(
    "command",
    [
        pytest.param([sys.executable, "-m", "poolcheck"], id="python -m poolcheck"),
        pytest.param([str(CONSOLE_SCRIPT)], id="console script", marks=pytest.mark.skipif(not CONSOLE_SCRIPT.exists(), reason="no console script next to the interpreter")),
    ],
)
def test_checking_from_inside_the_project_as_a_program(trap, command):
    """Run from the project folder, where `python -m` puts the folder first on sys.path and
    the project's libcst.py / pymysql.py would shadow the libraries."""
    environment = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONSAFEPATH")}
    runs = [
        ["check", "--format", "json"],
        ["check", "--diff", "--unsafe-fixes"],
        ["check", "--fix", "--unsafe-fixes"],
        # A live-server URL: the probe loads the driver (port 1 refuses at once).
        ["check", "--database-url", "mysql+pymysql://root@127.0.0.1:1/x"],
        ["probe", "--timeout", "1", "mysql+pymysql://root@127.0.0.1:1/x"],
        ["probe", "--timeout", "1", "postgresql+psycopg://root@127.0.0.1:1/x"],
    ]
    if command[0] == str(CONSOLE_SCRIPT):  # no working folder on sys.path: the main paths suffice
        runs = [runs[2], runs[4]]
    for arguments in runs:
        finished = subprocess.run(command + arguments, cwd=trap, env=environment, capture_output=True, text=True, timeout=120)
        assert "internal error" not in finished.stderr and "Traceback" not in finished.stderr, (arguments, finished.stderr)
        assert finished.returncode in (0, 1, 2), (arguments, finished.stderr)
    assert "pool_recycle=3600" in (trap / "app" / "models.py").read_text(encoding="utf-8")
