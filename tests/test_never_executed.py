"""poolcheck never imports or runs the code it checks: a project every file of which would
write a marker file when imported or executed is checked by every entry point, with every
rule, fixes, CI formats and a (failing) live-server probe, and the marker never appears.

The traps: modules the rules read (settings modules, config classes named by string, a
gunicorn config, a Flask ``.cfg`` that ``from_pyfile`` would execute), modules named like
poolcheck's own dependencies (which ``python -m`` would import from the working folder),
``sitecustomize``, a compose file that an unsafe YAML loader would turn into a call, and a
``setup.py``.
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

TRAP = "import pathlib as _p; _p.Path({marker!r}).write_text(__name__ + ' ran')\n"

SHADOWS = ("sqlalchemy", "libcst", "yaml", "pathspec", "packaging", "tomli", "flask_sqlalchemy", "apscheduler", "argparse", "difflib", "typing_extensions", "sitecustomize", "usercustomize")


@pytest.fixture
def trapped(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    marker = tmp_path / "MARKER"
    trap = TRAP.format(marker=str(marker))

    def write(name, text):
        path = project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    write("pyproject.toml", '[project]\nname = "trapped"\n\n[tool.poolcheck]\nextend-select = ["ALL"]\n')
    write(
        "app.py",
        trap
        + "from flask import Flask\nfrom flask_sqlalchemy import SQLAlchemy\nfrom sqlalchemy import create_engine, event\n"
        + "from sqlalchemy.orm import sessionmaker\nfrom apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore\n"
        + "from settings import DATABASE_URL, POOL\n"
        + "app = Flask(__name__)\napp.config.from_object('config.ProductionConfig')\napp.config.from_pyfile('instance.cfg')\n"
        + "app.config.from_prefixed_env()\ndb = SQLAlchemy(app)\n"
        + "engine = create_engine(DATABASE_URL, pool_size=POOL, pool_recycle='3600')\n"
        + "store = SQLAlchemyJobStore(url=DATABASE_URL)\nSession = sessionmaker(bind=engine)\n"
        + "@app.before_request\ndef load():\n    session = Session()\n    session.execute('SELECT 1')\n",
    )
    write("settings.py", trap + "DATABASE_URL = 'mysql+pymysql://app@db/app'\nPOOL = 5\n")
    write("config.py", trap + "class ProductionConfig:\n    SQLALCHEMY_POOL_RECYCLE = 10\n    SQLALCHEMY_DATABASE_URI = 'mysql://app@db/app'\n")
    write("instance.cfg", trap + "SQLALCHEMY_POOL_SIZE = 5\n")
    write("gunicorn.conf.py", trap + "workers = 9\n")
    write("setup.py", trap + "from setuptools import setup\nsetup(install_requires=['Flask-SQLAlchemy==2.5.1'])\n")
    write("conftest.py", trap)
    write("pkg/__init__.py", trap + "from sqlalchemy import create_engine\nengine = create_engine('mysql://app@db/app')\n")
    for name in SHADOWS:
        write(f"{name}.py", trap)
    write("docker-compose.yml", f"services:\n  db:\n    image: mysql:8\n    command: !!python/object/apply:os.system ['touch {marker}']\n")
    write(".env", f"FLASK_SQLALCHEMY_POOL_SIZE=$(touch {marker})\n")
    return project, marker


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _console_script() -> str:
    return str(Path(sys.executable).with_name("poolcheck"))


def test_nothing_is_executed(trapped):
    project, marker = trapped
    env = dict(os.environ, NO_COLOR="1")
    env.pop("PYTHONSAFEPATH", None)
    module = [sys.executable, "-m", "poolcheck"]
    runs = [
        module + ["check"],
        module + ["check", "--format", "sarif"],
        module + ["check", "--fix", "--unsafe-fixes"],
        module + ["check", "--database-url", f"mysql+pymysql://app@127.0.0.1:{_closed_port()}/app"],
        module + ["check", "app.py", "settings.py"],
        module + ["rules"],
        [_console_script(), "check", "--diff", "--unsafe-fixes"],
        # flake8's console script: `python -m flake8` would import the shadowing modules itself.
        [str(Path(sys.executable).with_name("flake8")), "--select", "PC", "app.py"],
    ]
    outcomes = []
    for command in runs:
        result = subprocess.run(command, capture_output=True, text=True, cwd=project, env=env, timeout=300)
        outcomes.append((command[-1], result.returncode, result.stdout[-300:], result.stderr[-300:]))
        assert not marker.exists(), (command, marker.read_text(), result.stderr[-2000:])
        assert "Traceback" not in result.stderr, (command, result.stderr[-2000:])
    # The runs did check the project (the rules read the trapped modules).
    check = subprocess.run(module + ["check", "--format", "concise"], capture_output=True, text=True, cwd=project, env=env, timeout=300)
    assert check.returncode == 1 and "app.py" in check.stdout and "PC105" in check.stdout, outcomes
    stdin = subprocess.run(
        module + ["check", "--stdin-filename", "app.py", "-"], input=(project / "app.py").read_text(), capture_output=True, text=True, cwd=project, env=env
    )
    assert stdin.returncode == 1 and not marker.exists()
