"""A pre-commit run names only the staged files. Flask config is spread over many files, so
each file's findings must not depend on which other files are named: the same, one file at a
time, in any subset, as in a full run."""

from __future__ import annotations

import textwrap
from pathlib import Path

from poolcheck.config import Settings
from poolcheck.registry import load_rules
from poolcheck.runner import RunOptions, Runner
from poolcheck.selection import Selection

RULES = load_rules()

FILES = {
    "requirements.txt": "Flask-SQLAlchemy>=3.0,<3.2\n",
    "deploy/my.cnf": "[mysqld]\nwait_timeout = 600\n",
    "app/__init__.py": """
        import json

        from flask import Flask
        from flask_sqlalchemy import SQLAlchemy

        from app.config import config

        db = SQLAlchemy()


        def create_app(name="default"):
            app = Flask(__name__)
            app.config.from_object(config[name])
            app.config.from_file("settings.json", load=json.load)
            app.config.from_prefixed_env()
            app.config["SQLALCHEMY_POOL_TIMEOUT"] = 5
            db.init_app(app)
            return app
        """,
    "app/config.py": """
        import os


        class Config:
            SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", "mariadb+mariadbconnector://app@db/app")
            SQLALCHEMY_POOL_RECYCLE = 280
            SQLALCHEMY_TRACK_MODIFICATION = False


        class ProductionConfig(Config):
            SQLALCHEMY_BINDS = {"reports": "mariadb+pymysql://ro@db/reports"}
            POOL_SIZE = 20


        config = {"default": Config, "production": ProductionConfig}
        """,
    "app/settings.json": '{\n  "SQLALCHEMY_MAX_OVERFLOW": 5\n}\n',
    ".env": "FLASK_SQLALCHEMY_POOL_SIZE=20\nFLASK_SQLALCHEMY_DATABASE_URL=sqlite://\n",
    "app/models.py": "from app import db\n\n\nclass User(db.Model):\n    pass\n",
}


def write(root: Path) -> Path:
    (root / "pyproject.toml").write_text("", encoding="utf-8")
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def findings(root: Path, *paths: str):
    enabled = Selection(None).enabled_codes(RULES)
    result = Runner(Settings(), RULES, enabled, cwd=root).run(
        RunOptions(paths=[root / p for p in paths] if paths else [root])
    )
    assert not result.errors
    return sorted((f.path.as_posix(), f.line, f.code, f.message) for f in result.findings)


def test_each_file_alone_gives_what_the_full_run_gives_for_it(tmp_path):
    root = write(tmp_path)
    full = findings(root)
    files_with_findings = sorted({path for path, *_ in full})
    assert files_with_findings == [".env", "app/__init__.py", "app/config.py", "app/settings.json"]
    assert {code for *_, code, _ in full} == {"PC101", "PC201", "PC202", "PC203"}
    for name in [p for p in FILES if not p.endswith((".txt", ".cnf"))]:
        assert findings(root, name) == [f for f in full if f[0] == name], name


def test_any_subset_of_files_gives_the_same(tmp_path):
    root = write(tmp_path)
    full = findings(root)
    subset = ["app/settings.json", "app/models.py", ".env"]
    assert findings(root, *subset) == [f for f in full if f[0] in subset]


def test_the_project_wide_facts_shape_the_verdicts(tmp_path):
    root = write(tmp_path)
    by_code = {}
    for path, line, code, message in findings(root, "app/config.py"):
        by_code.setdefault(code, []).append((line, message))
    # The mariadb URI (an environment default) and the mariadb bind have no engine options.
    assert [line for line, _ in by_code["PC101"]] == [5, 11]
    (pc201,) = by_code["PC201"]
    assert pc201[0] == 6 and "Flask-SQLAlchemy 3.1.1, the newest that" in pc201[1]
    assert [line for line, _ in by_code["PC203"]] == [12] and [line for line, _ in by_code["PC202"]] == [7]
    # engine_options= in another file reaches both engines.
    init = root / "app" / "__init__.py"
    init.write_text(
        init.read_text(encoding="utf-8").replace("SQLAlchemy()", 'SQLAlchemy(engine_options={"pool_pre_ping": True})'),
        encoding="utf-8",
    )
    assert not [f for f in findings(root, "app/config.py") if f[2] == "PC101"]
