"""The PC1xx engine checks on the engines Flask-SQLAlchemy builds from configuration, through
the real runner (pruned parsing, prefilters, every rule enabled): each check fires where the
option is written, once, and in a file that holds nothing but configuration."""

from __future__ import annotations

import textwrap
from pathlib import Path

from poolcheck.config import Settings
from poolcheck.registry import load_rules
from poolcheck.runner import RunOptions, Runner
from poolcheck.selection import Selection

RULES = load_rules()

APP = """
    from flask import Flask
    from flask_sqlalchemy import SQLAlchemy

    from config import config

    db = SQLAlchemy()


    def create_app(name):
        app = Flask(__name__)
        app.config.from_object(config[name])
        db.init_app(app)
        return app
    """

CONFIG = """
    class Config:
        SQLALCHEMY_DATABASE_URI = "mysql+pymysql://app@db/app"
        SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": 10, "pool_pre_ping": "False", "pool_recyle": 280}


    class MemoryConfig(Config):
        SQLALCHEMY_DATABASE_URI = "sqlite://"


    class PlainConfig:
        SQLALCHEMY_DATABASE_URI = "mysql+pymysql://plain@db/app"


    config = {"default": Config, "memory": MemoryConfig, "plain": PlainConfig}
    """


def run(tmp_path: Path, files):
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    enabled = Selection(None).enabled_codes(RULES)
    result = Runner(Settings(), RULES, enabled, cwd=tmp_path).run(RunOptions(paths=[tmp_path]))
    assert not result.errors, result.errors
    return sorted((f.path.as_posix(), f.line, f.column, f.code, f.message) for f in result.findings)


def test_every_engine_check_sees_the_engines_of_a_config_file(tmp_path):
    files = {"app.py": APP, "config.py": CONFIG, "deploy/my.cnf": "[mysqld]\nwait_timeout = 3600\nmax_connections = 20\n", "gunicorn.conf.py": "workers = 4\n"}
    found = run(tmp_path, files)
    at = {(line, column, code) for path, line, column, code, _ in found if path == "config.py"}
    assert (3, 33, "PC103") in at, "StaticPool (in-memory SQLite) refuses the inherited pool_size"
    assert (3, 50, "PC105") in at, "a truthy string for pool_pre_ping, though 3.x coerces numbers"
    assert (3, 76, "PC104") in at, "a typo in SQLALCHEMY_ENGINE_OPTIONS"
    assert (3, 33, "PC106") in at, "(10 + 10) x 4 workers > 20"
    assert (11, 30, "PC102") in at, "Flask-SQLAlchemy's implicit 7200 against wait_timeout 3600, at the URI"
    messages = {code: message for path, line, column, code, message in found if path == "config.py"}
    assert "StaticPool (Flask-SQLAlchemy 3.1.1 uses StaticPool for in-memory SQLite)" in messages["PC103"]
    assert {path for path, *_ in found} == {"config.py"}, "nothing is reported in app.py"
    pc105 = [f for f in found if f[3] == "PC105"]
    assert len(pc105) == 1, "two engines share the options dict; the same finding is reported once"


def test_an_app_factory_that_only_loads_config_survives_pruning(tmp_path):
    """create_app mentions nothing but `.config.from_object(...)`: the pruned parse keeps it,
    so the loader is seen and only the class it loads is an engine."""
    files = {
        "app.py": APP.replace("config[name]", "config['plain']"),
        "config.py": CONFIG,
        "deploy/my.cnf": "[mysqld]\nwait_timeout = 3600\n",
    }
    found = run(tmp_path, files)
    assert [(line, code) for path, line, column, code, _ in found if code.startswith("PC1")] == [(11, "PC102")]
