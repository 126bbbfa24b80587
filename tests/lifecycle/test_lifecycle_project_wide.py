"""Factories and engines are found across the whole project: checking one file (pre-commit)
reports exactly what a full run reports there, and a file that names nothing of SQLAlchemy
but calls a project factory is parsed, and its function kept by pruning."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from poolcheck.config import load_settings
from poolcheck.registry import load_rules
from poolcheck.runner import RunOptions, Runner
from poolcheck.selection import Selection

FILES = {
    "pyproject.toml": "[tool.poolcheck]\n",
    "app/__init__.py": "",
    "app/db.py": (
        "from functools import partial\n"
        "from sqlalchemy import create_engine\n"
        "from sqlalchemy.orm import Session\n"
        "engine = create_engine('sqlite://')\n"
        "make_db = partial(Session, engine)\n"
    ),
    # Nothing of SQLAlchemy is named here: only the project's own factory and engine.
    "app/services/orders.py": (
        "from app.db import make_db as open_db, engine\n"
        "\n"
        "\n"
        "def unrelated():\n"
        "    return 1\n"
        "\n"
        "\n"
        "def place(order):\n"
        "    db = open_db()\n"
        "    db.add(order)\n"
        "    db.commit()\n"
        "\n"
        "\n"
        "def totals():\n"
        "    conn = engine.connect()\n"
        "    return conn.exec_driver_sql('SELECT 1').all()\n"
    ),
    "app/services/__init__.py": "",
}


def write(root: Path, files=None) -> None:
    for name, text in (FILES if files is None else files).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def run(root: Path, *paths: Path):
    rules = load_rules()
    runner = Runner(load_settings(root / "pyproject.toml"), rules, Selection(("PC4",)).enabled_codes(rules), cwd=root)
    result = runner.run(RunOptions(paths=list(paths)))
    assert not result.errors
    return runner, sorted((f.path.as_posix(), f.line, f.code) for f in result.findings)


def test_one_file_gives_the_findings_of_a_full_run(tmp_path):
    write(tmp_path)
    _, alone = run(tmp_path, tmp_path / "app" / "services" / "orders.py")
    _, everything = run(tmp_path, tmp_path)
    expected = [("app/services/orders.py", 9, "PC401"), ("app/services/orders.py", 15, "PC404")]
    assert alone == expected
    assert everything == expected


def test_project_factory_names_reach_the_prefilter_and_pruning(tmp_path):
    write(tmp_path)
    runner, _ = run(tmp_path, tmp_path / "app" / "services" / "orders.py")
    project = runner.project(tmp_path.resolve())
    parsed = project.parsed(PurePosixPath("app/services/orders.py"))
    # `place` calls the project's factory under another name (`make_db as open_db`).
    assert "place" not in parsed.pruned_names and "unrelated" in parsed.pruned_names
    [matters] = project.definition_tests(parsed.source.text)
    assert matters("def place(order):\n    db = open_db()\n") and not matters("def unrelated():\n    return 1\n")


def test_a_common_word_no_longer_keeps_every_function(tmp_path):
    """A registry named `Session` is used in most functions of such a project
    (`Session.query(...)`): only the functions that may create or release something are
    parsed; a release in a function kept out still counts (PC402 reads it)."""
    files = {
        "pyproject.toml": "[tool.poolcheck]\n",
        "app/__init__.py": "",
        "app/model.py": (
            "from sqlalchemy import create_engine\n"
            "from sqlalchemy.orm import scoped_session, sessionmaker\n"
            "Session = scoped_session(sessionmaker(bind=create_engine('sqlite://')))\n"
        ),
        "app/actions.py": (
            "from sqlalchemy.orm import Session as PlainSession\n"
            "from app.model import Session\n"
            "\n"
            "\n"
            "def lookup(name):\n"
            "    return Session.query(name).first()\n"
            "\n"
            "\n"
            "def teardown(exception=None):\n"
            "    Session.remove()\n"
            "\n"
            "\n"
            "def report():\n"
            "    session = PlainSession(bind=Session.get_bind())\n"
            "    return session.execute('SELECT 1')\n"
        ),
    }
    write(tmp_path, files)
    runner, findings = run(tmp_path, tmp_path / "app")
    assert ("app/model.py", 3, "PC402") not in findings  # the teardown removes it
    parsed = runner.project(tmp_path.resolve()).parsed(PurePosixPath("app/actions.py"))
    assert set(parsed.pruned_names) == {"lookup"}


def test_a_file_without_any_token_is_not_parsed(tmp_path):
    write(tmp_path)
    (tmp_path / "app" / "plain.py").write_text("def f():\n    return open('x').read()\n", encoding="utf-8")
    runner, found = run(tmp_path, tmp_path / "app" / "plain.py")
    assert found == []
    assert PurePosixPath("app/plain.py") not in runner.project(tmp_path.resolve())._parsed


def test_a_local_factory_is_still_found_when_its_name_prunes_nothing(tmp_path):
    files = {
        "pyproject.toml": "[tool.poolcheck]\n",
        "app/__init__.py": "",
        "app/cli.py": (
            "from sqlalchemy import create_engine\n"
            "from sqlalchemy.orm import sessionmaker\n"
            "\n"
            "\n"
            "def run(url):\n"
            "    session = sessionmaker(bind=create_engine(url))\n"
            "    db = session()\n"
            "    db.execute('SELECT 1')\n"
            "\n"
            "\n"
            "def report(session):\n"
            "    return session.query(1)\n"
        ),
    }
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    runner, found = run(tmp_path, tmp_path)
    assert found == [("app/cli.py", 7, "PC401")]
    project = runner.project(tmp_path.resolve())
    assert "session" not in project.pruning_tokens()
    assert "report" in project.parsed(PurePosixPath("app/cli.py")).pruned_names


def test_a_factory_built_by_an_aliased_maker_is_followed(tmp_path):
    """The bench corpus's leak: `sessionmaker as _make`, the factory used in the same file.
    Without the alias understood by the prefilter's name scan, the file was never parsed for
    PC401 (and the leak was reported only when some other file spelled the name plainly)."""
    (tmp_path / "pyproject.toml").write_text("[tool.poolcheck]\n", encoding="utf-8")
    (tmp_path / "jobs.py").write_text(
        "from sqlalchemy import create_engine as _create, text as _text\n"
        "from sqlalchemy.orm import sessionmaker as _make\n"
        "\n"
        "_engine = _create('postgresql://db/app')\n"
        "_Factory = _make(bind=_engine)\n"
        "\n"
        "\n"
        "def leak():\n"
        "    session = _Factory()\n"
        "    return session.execute(_text('SELECT 1')).scalar()\n",
        encoding="utf-8",
    )
    _, findings = run(tmp_path, tmp_path / "jobs.py")
    assert findings == [("jobs.py", 9, "PC401")]


def test_connections_need_an_engine_in_sight_to_be_parsed(tmp_path):
    """`.connect(` alone (sockets, sqlite3) no longer makes PC404 parse a file; an engine
    reached by any name the project binds (a one-letter module constant, a getter with a
    generic name) still does, and its leak is reported."""
    files = {
        "pyproject.toml": "[tool.poolcheck]\n",
        "app/__init__.py": "",
        "app/db.py": (
            "from sqlalchemy import create_engine\n"
            "e = create_engine('postgresql://db/app')\n"
            "\n"
            "\n"
            "def make():\n"
            "    return create_engine('postgresql://db/other')\n"
        ),
        "app/net.py": (
            "import socket\n"
            "\n"
            "\n"
            "def ping(address):\n"
            "    sock = socket.socket()\n"
            "    sock.connect(address)\n"
            "    return sock.recv(1)\n"
        ),
        "app/short.py": (
            "from app.db import e\n"
            "\n"
            "\n"
            "def count():\n"
            "    conn = e.connect()\n"
            "    return conn.exec_driver_sql('SELECT 1').scalar()\n"
        ),
        "app/generic.py": (
            "from app.db import make\n"
            "\n"
            "\n"
            "def count():\n"
            "    conn = make().connect()\n"
            "    return conn.exec_driver_sql('SELECT 1').scalar()\n"
        ),
    }
    write(tmp_path, files)
    runner, findings = run(tmp_path, tmp_path / "app/net.py")
    assert findings == [] and runner.stats["parsed"] == 0
    _, findings = run(tmp_path, tmp_path / "app")
    assert findings == [("app/generic.py", 5, "PC404"), ("app/short.py", 5, "PC404")]
