"""PC402, PC403 and PC405 across a project: what decides a finding may sit in another module
(the teardown that removes a registry, the view that imports a module-level session, the
``app.before_request(fn)`` registration), and checking one file (pre-commit) must report
exactly what a full run reports there."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from poolcheck.config import load_settings
from poolcheck.registry import load_rules
from poolcheck.runner import RunOptions, Runner
from poolcheck.selection import Selection

DATABASE = """\
from sqlalchemy import create_engine
from sqlalchemy.orm import scoped_session, sessionmaker

engine = create_engine("mysql+pymysql://app@db/app", pool_pre_ping=True)
db_session = scoped_session(sessionmaker(bind=engine))
"""

# Removes the registry through an import alias, in a function that names no SQLAlchemy
# token (pruned parses leave such functions out: the removal must still be seen).
TEARDOWN = """\
from flask import Flask

from app.database import db_session as current_session

app = Flask(__name__)


def close_it(exception=None):
    current_session.remove()


app.teardown_appcontext(close_it)
"""

VIEWS = """\
from flask import Blueprint

from app.database import db_session

bp = Blueprint("users", __name__)


@bp.route("/users")
def users():
    return [row.name for row in db_session.execute("SELECT name FROM users")]
"""


def write(root: Path, files: Dict[str, str]) -> None:
    (root / "pyproject.toml").write_text("[tool.poolcheck]\n", encoding="utf-8")
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def run(root: Path, *paths: Path, select=("PC402", "PC403", "PC405")) -> List[Tuple[str, int, str]]:
    rules = load_rules()
    selection = Selection(tuple(select) if select is not None else None)  # None: the default set
    runner = Runner(load_settings(root / "pyproject.toml"), rules, selection.enabled_codes(rules), cwd=root)
    result = runner.run(RunOptions(paths=list(paths)))
    assert not result.errors
    return sorted((f.path.as_posix(), f.line, f.code) for f in result.findings)


def both_ways(root: Path, relative: str) -> Tuple[list, list]:
    """(findings checking ``relative`` alone, the full run's findings in that file)."""
    alone = run(root, root / relative)
    everything = [f for f in run(root, root) if f[0] == relative]
    return alone, everything


@pytest.mark.parametrize("removed", [True, False], ids=["removed-elsewhere", "never-removed"])
def test_pc402_answers_the_same_for_the_defining_file_alone(tmp_path, removed):
    files = {"app/__init__.py": "", "app/database.py": DATABASE, "app/views.py": VIEWS}
    if removed:
        files["app/teardown.py"] = TEARDOWN
    write(tmp_path, files)
    alone, everything = both_ways(tmp_path, "app/database.py")
    assert alone == everything == ([] if removed else [("app/database.py", 5, "PC402")])


def test_pc402_removal_through_a_getter_and_module_attribute(tmp_path):
    write(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/database.py": DATABASE + "\n\ndef get_session():\n    return db_session\n",
            "app/tasks.py": (
                "from celery.signals import task_postrun\n\nimport app.database\n\n\n"
                "@task_postrun.connect\ndef cleanup(**kwargs):\n    app.database.get_session().remove()\n"
            ),
        },
    )
    assert run(tmp_path, tmp_path / "app" / "database.py") == []


def test_pc402_two_registries_only_the_unremoved_one(tmp_path):
    write(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/database.py": DATABASE + "reporting_session = scoped_session(sessionmaker(bind=engine))\n",
            "app/teardown.py": TEARDOWN,
        },
    )
    assert run(tmp_path, tmp_path / "app" / "database.py") == [("app/database.py", 6, "PC402")]


MODULE_SESSION = """\
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

engine = create_engine("mysql+pymysql://app@db/app")
SessionLocal = sessionmaker(bind=engine)
session = SessionLocal()
"""


@pytest.mark.parametrize(
    "user,flagged",
    [
        pytest.param("from app.db import session\n\n\ndef count():\n    return session.execute('SELECT 1').scalar()\n", True, id="from-import"),
        pytest.param("from app import db\n\n\ndef count():\n    return db.session.execute('SELECT 1').scalar()\n", True, id="module-attribute"),
        pytest.param("from . import db as database\n\nTOTAL = database.session\n", True, id="relative-import"),
        pytest.param("from app.db import SessionLocal\n\n\ndef count():\n    with SessionLocal() as session:\n        return 1\n", False, id="factory-only"),
    ],
)
def test_pc403_a_session_imported_by_another_module_is_shared(tmp_path, user, flagged):
    write(tmp_path, {"app/__init__.py": "", "app/db.py": MODULE_SESSION, "app/users.py": user})
    alone, everything = both_ways(tmp_path, "app/db.py")
    assert alone == everything == ([("app/db.py", 6, "PC403")] if flagged else [])


HOOKS = """\
from flask import g

from app.extensions import db


def load_settings():
    g.settings = dict(db.session.execute(db.text("SELECT name, value FROM settings")).all())
"""


def test_pc405_registered_in_another_module_and_found_from_the_hook_file_alone(tmp_path):
    write(
        tmp_path,
        {
            "app/__init__.py": "from flask import Flask\n\nfrom app.hooks import load_settings\n\napp = Flask(__name__)\napp.before_request(load_settings)\n",
            "app/extensions.py": "from flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy()\n",
            "app/hooks.py": HOOKS,
        },
    )
    alone, everything = both_ways(tmp_path, "app/hooks.py")
    assert alone == everything == [("app/hooks.py", 7, "PC405")]


def test_pc405_is_off_by_default(tmp_path):
    write(
        tmp_path,
        {
            "app/__init__.py": "from flask import Flask\n\nfrom app.hooks import load_settings\n\napp = Flask(__name__)\napp.before_request(load_settings)\n",
            "app/extensions.py": "from flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy()\n",
            "app/hooks.py": HOOKS,
        },
    )
    assert [f for f in run(tmp_path, tmp_path, select=None) if f[2] == "PC405"] == []
    assert run(tmp_path, tmp_path, select=("PC405",)) == [("app/hooks.py", 7, "PC405")]


@pytest.mark.parametrize(
    "release,flagged",
    [
        pytest.param("def job():\n    s = db_session()\n    try:\n        s.execute('SELECT 1')\n    finally:\n        s.close()\n", False, id="local-then-close"),
        pytest.param("def job():\n    db_session().close()\n", False, id="call-then-close"),
        pytest.param("def job():\n    with db_session.begin():\n        db_session.execute('SELECT 1')\n", False, id="with-begin"),
        pytest.param("from sqlalchemy.orm import close_all_sessions\n\n\ndef shutdown():\n    close_all_sessions()\n", False, id="close_all_sessions"),
        pytest.param("def init(app):\n    app.extensions['db'] = make_extension(session=db_session)\n", False, id="handed-on-by-keyword"),
        pytest.param("def job():\n    db_session.commit()\n    items = []\n    items.remove(1)\n", True, id="commit-and-an-unrelated-remove"),
        pytest.param("from sqlalchemy.orm import sessionmaker\n\nOther = sessionmaker(class_=db_session)\n", True, id="handed-to-sqlalchemy-itself"),
    ],
)
def test_pc402_release_shapes(tmp_path, release, flagged):
    write(tmp_path, {"app/__init__.py": "", "app/database.py": DATABASE, "app/jobs.py": "from app.database import db_session\n\n\n" + release})
    assert run(tmp_path, tmp_path / "app" / "database.py") == ([("app/database.py", 5, "PC402")] if flagged else [])


RELEASE_SHAPES = {
    "app/__init__.py": "",
    "app/db.py": (
        "from sqlalchemy.orm import scoped_session, sessionmaker\n"
        "r1 = scoped_session(sessionmaker())\n"
        "r2 = scoped_session(sessionmaker())\n"
        "r3 = scoped_session(sessionmaker())\n"
        "r4 = scoped_session(sessionmaker())\n"
        "r5 = scoped_session(sessionmaker())\n"
        "r6 = scoped_session(sessionmaker())\n"
        "r7 = scoped_session(sessionmaker())\n"
        "never = scoped_session(sessionmaker())\n"
    ),
    # Only an alias names it, in a function no token keeps in a pruned parse.
    "app/alias.py": "from app.db import r1 as cleanup_target\n\n\ndef unrelated():\n    return 1\n\n\ndef teardown(exc):\n    cleanup_target.remove()\n",
    # A module-level local released in another top-level statement.
    "app/script.py": "from app.db import r2\ns = r2()\nif s is not None:\n    s.close()\n",
    # Statements sharing a line.
    "app/oneline.py": "from app.db import r3\nx = 1; r3.remove()\n",
    # A function's local.
    "app/local.py": "from app.db import r4\n\n\ndef job():\n    s = r4()\n    s.add(1)\n    s.close()\n",
    # Handed to other code, with registry(), with registry.begin().
    "app/handed.py": "from app.db import r5, r6, r7\n\n\ndef a():\n    register(r5)\n\n\ndef b():\n    with r6() as s:\n        pass\n\n\nclass C:\n    def c(self):\n        with r7.begin():\n            pass\n",
    # Mentions of `never` that release nothing.
    "app/noise.py": "from app.db import never\n\n\ndef f(x: never):\n    return never.query(x).all()\n",
}


def test_release_fact_walks_only_what_may_release_and_finds_every_shape(make_project):
    """The release fact parses and walks only the top-level statements an ``ast`` look says
    may release; it must find exactly what a walk of every whole file finds."""
    from pathlib import PurePosixPath

    import poolcheck_rules.scope_analysis as analysis
    from poolcheck.walk import walk

    for keep in (("",), ("scoped_session",)):  # nothing pruned; `teardown` pruned
        project = make_project(RELEASE_SHAPES, keep_tokens=keep)
        found = analysis._gather_releases(project)
        keys = set()
        candidates = frozenset(analysis.project_names(project).registries)
        for name in RELEASE_SHAPES:
            parsed = project.unpruned(PurePosixPath(name))
            finder = analysis.ReleaseFinder(project, parsed, candidates)
            walk(parsed.module, finder)
            keys |= finder.keys
        assert found.keys == frozenset(keys)
        lines = sorted(line for _, line, _ in found.keys)
        assert lines == [2, 3, 4, 5, 6, 7, 8], (keep, lines)
    assert "teardown" in project.parsed(PurePosixPath("app/alias.py")).pruned_names
