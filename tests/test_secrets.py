"""Planted passwords never reach an output: not a message, help line, note, fix title,
related location, report format, statistics, warning, error, baseline, LSP diagnostic or
flake8 line.

The project plants one password per place a URL or a setting can be written (a literal, an
f-string, ``URL.create``, ``connect_args``, ``engine_from_config``, Flask configuration in
code, ``.env``, JSON and ``.cfg`` files, compose files, ``my.cnf``, an APScheduler job store)
next to code the real rules report on, so that findings, related locations and fixes all
pass near them.

Not covered, on purpose: ``--diff`` and ``--fix`` on standard input print the user's own file
(a patch with masked lines would not apply).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from poolcheck.cli import main

SECRETS = {name: f"{name}-Pw{index}x7Q" for index, name in enumerate(
    ["literal", "fstring", "urlcreate", "connectargs", "fromconfig", "flaskuri", "binds", "dotenv", "composeroot",
     "composeurl", "mycnf", "jobstore", "jsonfile", "cfgfile", "quoted", "atsign", "percent", "query", "envdefault"]
)}
S = SECRETS

APP_PY = f'''\
import os

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import URL, create_engine, engine_from_config, event

HOST = "db"
app = Flask(__name__)
engine = create_engine("mysql+pymysql://app:{S["literal"]}@db/app")
formatted = create_engine(f"mysql+pymysql://app:{S["fstring"]}@{{HOST}}/app", pool_recycle="3600")
built = create_engine(URL.create("mysql+pymysql", username="app", password="{S["urlcreate"]}", host="db"), pool_size=-1)
arguments = create_engine("mysql+pymysql://app@db/app", connect_args={{"password": "{S["connectargs"]}"}}, pool_pre_pnig=True)
configured = engine_from_config({{"sqlalchemy.url": "mysql://app:{S["fromconfig"]}@db/app", "sqlalchemy.pool_recycle": "x"}})
quoted = create_engine('mysql://app:{S["quoted"]}@db/app', pool_recycle=86400)
at_sign = create_engine("mysql://app:p@ss{S["atsign"]}@db/app", poolclass=None, pool_timeout="30")
percent = create_engine("mysql://app:%40{S["percent"]}@db/app?charset=utf8", max_overflow="x")
query = create_engine("mysql://db/app?password={S["query"]}&user=app")
from_env = create_engine(os.getenv("DATABASE_URL", "mysql://app:{S["envdefault"]}@db/app"))


@event.listens_for(engine, "checkout")
def ping(dbapi_connection, record, proxy):
    dbapi_connection.cursor().execute("SELECT 1")


@app.route("/report")
def handler():
    per_call = create_engine("mysql://app:{S["literal"]}@db/app")
    return per_call.connect()


app.config["SQLALCHEMY_DATABASE_URI"] = "mysql+pymysql://app:{S["flaskuri"]}@db/app"
app.config["SQLALCHEMY_POOL_RECYCLE"] = 10
app.config["SQLALCHEMY_DATABASE_URL"] = "mysql+pymysql://app:{S["flaskuri"]}@db/app"
app.config["pool_pre_ping"] = True
app.config["SQLALCHEMY_BINDS"] = {{"reports": "mysql://app:{S["binds"]}@db/reports"}}
app.config.from_prefixed_env()
app.config.from_file("config.json", load=__import__("json").load)
app.config.from_pyfile("settings.cfg")
db = SQLAlchemy(app)

scheduler = BackgroundScheduler(jobstores={{"default": SQLAlchemyJobStore(url="mysql+pymysql://app:{S["jobstore"]}@db/jobs")}})
'''

FILES = {
    "pyproject.toml": '[project]\nname = "secrets"\n\n[tool.poolcheck]\nextend-select = ["PC002", "PC405"]\n',
    "app.py": APP_PY,
    "broken.py": f'from sqlalchemy import create_engine\nengine = create_engine("mysql://app:{S["literal"]}@db/app"\n',
    "noqa.py": f'from sqlalchemy import create_engine\nengine = create_engine("mysql://app:{S["literal"]}@db/app", pool_pre_ping=True)  # noqa: PC101, PC999\n',
    ".env": f"FLASK_SQLALCHEMY_DATABASE_URI=mysql+pymysql://app:{S['dotenv']}@db/app\nFLASK_SQLALCHEMY_POOL_SIZE=5\nFLASK_SECRET_KEY={S['dotenv']}\n",
    "docker-compose.yml": (
        "services:\n  db:\n    image: mysql:8\n    command: --wait-timeout=600 --max-connections=20\n"
        f"    environment:\n      MYSQL_ROOT_PASSWORD: {S['composeroot']}\n"
        f"  web:\n    command: gunicorn -w 9 app:app\n    environment:\n      - DATABASE_URL=mysql://root:{S['composeurl']}@db/app\n"
    ),
    "my.cnf": f"[client]\npassword = {S['mycnf']}\n[mysqld]\nwait_timeout = 300\nmax_connections = 20\n",
    "config.json": json.dumps({"SQLALCHEMY_DATABASE_URI": f"mysql://app:{S['jsonfile']}@db/x", "SQLALCHEMY_POOL_SIZE": 5}),
    "settings.cfg": f"SQLALCHEMY_DATABASE_URI = 'mysql://app:{S['cfgfile']}@db/x'\nSQLALCHEMY_MAX_OVERFLOW = 3\n",
}


@pytest.fixture
def project(tmp_path, monkeypatch):
    for name, text in FILES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    return tmp_path


def leaked(text: str):
    return sorted(name for name, secret in SECRETS.items() if secret in text)


def run(*arguments: str):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["check", *arguments])
    return code, out.getvalue(), err.getvalue()


RUNS = [
    ["--format", "full"],
    ["--format", "text"],
    ["--format", "concise"],
    ["--format", "json"],
    ["--format", "sarif"],
    ["--format", "github"],
    ["--format", "gitlab"],
    ["--format", "junit"],
    ["--statistics"],
    ["--statistics", "--format", "concise"],
    ["--statistics", "--format", "json"],
    ["--show-fixes", "--unsafe-fixes"],
    ["--unsafe-fixes", "--format", "json"],
]


def test_the_project_reports_near_every_secret(project):
    """The test means something only if findings, notes and fixes pass by every secret."""
    code, out, _ = run("--format", "json")
    assert code == 1
    findings = json.loads(out)
    codes = {f["code"] for f in findings}
    assert {"PC001", "PC002", "PC101", "PC102", "PC104", "PC105", "PC107", "PC108", "PC201", "PC202", "PC203", "PC301"} <= codes, codes
    assert any(f["related"] for f in findings) and any(f["fix"] for f in findings)
    files = {Path(f["filename"]).name for f in findings}
    assert {"app.py", ".env", "broken.py", "noqa.py"} <= files, files


@pytest.mark.parametrize("arguments", RUNS, ids=" ".join)
def test_no_secret_in_any_format(project, arguments):
    code, out, err = run(*arguments, ".")
    assert code == 1, err
    assert leaked(out) == [] and leaked(err) == []


def test_no_secret_in_fix_runs_and_their_messages(project):
    code, out, err = run("--fix", "--unsafe-fixes", "--show-fixes", ".")
    assert "Fixed" in out, out
    assert leaked(out) == [] and leaked(err) == []
    # The fixed files still hold their passwords: a fix edits only what it must.
    for name, secret in SECRETS.items():
        assert any(secret in (project / f).read_text(encoding="utf-8") for f in FILES), name


def test_no_secret_in_output_files_and_baselines(project):
    code, out, err = run("--format", "sarif", "--output-file", "report.sarif", ".")
    assert leaked((project / "report.sarif").read_text(encoding="utf-8")) == []
    code, out, err = run("--write-baseline", "baseline.json", ".")
    assert code == 0 and leaked((project / "baseline.json").read_text(encoding="utf-8")) == [] and leaked(out + err) == []
    code, out, err = run("--baseline", "baseline.json", "--format", "json", ".")
    assert leaked(out + err) == []


def test_no_secret_in_standard_input_runs(project, monkeypatch):
    for arguments in (["--format", "json"], ["--format", "full"]):
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(APP_PY.encode())))
        code, out, err = run("--stdin-filename", "app.py", *arguments, "-")
        assert code == 1 and leaked(out) == [] and leaked(err) == []


def test_no_secret_in_errors_and_warnings(project, monkeypatch):
    """Configuration errors, unreadable files and rule crashes echo what they choke on."""
    (project / "pyproject.toml").write_text(f'[tool.poolcheck]\nselect = ["mysql://app:{S["literal"]}@db"]\n', encoding="utf-8")
    code, out, err = run(".")
    assert code == 2 and "unknown rule selector" in err and leaked(out + err) == []
    (project / "pyproject.toml").write_text(f'[tool.poolcheck.database]\ndialect = "mysql://app:{S["literal"]}@db"\n', encoding="utf-8")
    code, out, err = run(".")
    assert code == 2 and leaked(out + err) == []
    (project / "pyproject.toml").write_text(f'[tool.poolcheck]\nper-file-ignores = {{ "mysql://app:{S["literal"]}@db/*.py" = ["PC101"] }}\n', encoding="utf-8")
    code, out, err = run(".")
    assert "matches no file" in err and leaked(out + err) == []
    code, out, err = run("--select", f"mysql://app:{S['literal']}@db", ".")
    assert code == 2 and leaked(out + err) == []
    code, out, err = run(f"mysql://app:{S['literal']}@db/app.py")
    assert code == 2 and "no such file" in err and leaked(out + err) == []


def test_no_secret_in_lsp_diagnostics_and_code_actions(project):
    pytest.importorskip("lsprotocol")
    from lsprotocol import types

    from poolcheck.config import discover_settings
    from poolcheck.lsp.convert import TextLines, diagnostic
    from poolcheck.registry import load_rules
    from poolcheck.runner import Runner
    from poolcheck.selection import configured_selection

    rules = load_rules()
    settings = discover_settings(project)
    runner = Runner(settings, rules, configured_selection(settings, rules).enabled_codes(rules), cwd=project)
    result = runner.check_buffer(project / "app.py", APP_PY.encode())
    lines = TextLines(APP_PY)
    where = types.Location(uri="file:///x", range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)))
    diagnostics = [diagnostic(f, lines, lambda location: where) for f in result.findings]
    assert diagnostics and any(d.related_information for d in diagnostics)
    rendered = json.dumps([{"message": d.message, "related": [r.message for r in d.related_information or ()]} for d in diagnostics])
    assert leaked(rendered) == []


def test_no_secret_through_flake8(project):
    pytest.importorskip("flake8")
    result = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "PC", "app.py", "broken.py", "noqa.py"], capture_output=True, text=True, cwd=project
    )
    assert "PC101" in result.stdout, result.stdout + result.stderr
    assert leaked(result.stdout) == [] and leaked(result.stderr) == []


def test_no_secret_in_the_rule_pages_and_help(project):
    for arguments in (["rules"], ["rules", "--format", "json"], ["rule", "PC101"], ["--help"], ["check", "--help"]):
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            try:
                main(arguments)
            except SystemExit:
                pass
        assert leaked(out.getvalue() + err.getvalue()) == []
