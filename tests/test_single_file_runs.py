"""One-file runs (pre-commit passes the staged files, editors the open one) with the cache:
the project-wide name scan answers from per-file summaries kept by content digest, and
must answer exactly what a scan reading every file does.

A view that calls ``get_db()`` mentions nothing of SQLAlchemy: only the scan of ``db.py``
(``make_db = sessionmaker(...)``) and ``deps.py`` (``return make_db()``) makes it worth
checking. An edit of ``db.py`` between two cached runs must make the finding appear and
disappear, whether or not the view changed too.
"""

from __future__ import annotations

import os
import re
import textwrap
from pathlib import Path, PurePosixPath
from typing import Dict, List

import pytest

from poolcheck.cache import SummaryStore
from poolcheck.cli import main
from poolcheck.config import Settings
from poolcheck.discovery import Walker
from poolcheck.lifecycle import tokens
from poolcheck.project import Project

REPO = Path(__file__).resolve().parents[1]

FACTORY = "make_db = sessionmaker(bind=engine)\n"
NOT_A_FACTORY = "make_db = dict\n"

FILES = {
    "pyproject.toml": "[project]\nname = 'shop'\n",
    "shop/__init__.py": "",
    "shop/db.py": """
        from sqlalchemy import create_engine
        from sqlalchemy.orm import sessionmaker

        engine = create_engine("postgresql://app@db/shop", pool_pre_ping=True)
        """ + FACTORY,
    "shop/deps.py": """
        from shop.db import make_db


        def get_db():
            return make_db()
        """,
    # PC401: a session from a getter of a factory of another module, never closed.
    "shop/views.py": """
        from shop.deps import get_db


        def orders():
            db = get_db()
            return db.execute("SELECT 1").all()
        """,
    "shop/reports.py": """
        from sqlalchemy import create_engine

        reporting = create_engine("mysql+pymysql://report@replica/shop")


        def total():
            with reporting.connect() as connection:
                return connection.execute("SELECT 1").scalar()
        """,
    "shop/util.py": """
        def slugify(text):
            return text.lower().replace(" ", "-")
        """,
}


def write(root: Path, files: Dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def age(root: Path) -> None:
    """Make every file older than the racy-stamp window, so a later run trusts the stamps
    (as it would a minute later) and edits are noticed from size and times alone."""
    old = 1_600_000_000
    for folder, _, names in os.walk(root):
        for name in names:
            os.utime(os.path.join(folder, name), (old, old))


def check(root: Path, capsys, *args: str) -> List[str]:
    """The findings (`path:line:col: CODE`) of `poolcheck check ARGS` run in ``root``."""
    before = os.getcwd()
    os.chdir(root)
    try:
        capsys.readouterr()
        code = main(["check", "--format", "concise", *args])
        out = capsys.readouterr().out
    finally:
        os.chdir(before)
    assert code in (0, 1), out
    return sorted(line.split(" ", 2)[0] + " " + line.split(" ", 2)[1] for line in out.splitlines() if re.match(r"^\S+:\d+:\d+: PC\d+", line))


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("POOLCHECK_CACHE_DIR", raising=False)
    write(tmp_path, FILES)
    age(tmp_path)
    return tmp_path


def edit(root: Path, name: str, old: str, new: str) -> None:
    path = root / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


LEAK = "shop/views.py:5:10: PC401"


@pytest.mark.parametrize("view_changes_too", [False, True], ids=["view-unchanged", "view-changed"])
@pytest.mark.parametrize("first", [FACTORY, NOT_A_FACTORY], ids=["factory-first", "no-factory-first"])
def test_editing_the_factory_module_between_cached_one_file_runs(project, capsys, view_changes_too, first):
    """Both ways: a finding that appears only because db.py now makes sessions must appear
    (a stale "not a factory" would leave the view unparsed), and one that no longer holds
    must go."""
    then = NOT_A_FACTORY if first == FACTORY else FACTORY
    edit(project, "shop/db.py", FACTORY, first)
    age(project)
    full = check(project, capsys, ".")  # fills the cache, summaries included
    assert (LEAK in full) == (first == FACTORY)
    assert (project / ".poolcheck_cache" / "v1" / "summaries.json").is_file()
    assert check(project, capsys, "shop/views.py") == [f for f in full if f.startswith("shop/views.py")]

    for step, (old, new) in enumerate([(first, then), (then, first)]):
        edit(project, "shop/db.py", old, new)
        if view_changes_too:  # the view's cached result is no help: the scan runs from summaries
            edit(project, "shop/views.py", "def orders():", f"def orders():  # edit {step}")
        alone = check(project, capsys, "shop/views.py")
        assert (LEAK in alone) == (new == FACTORY)
        assert alone == check(project, capsys, "--no-cache", "shop/views.py")
        assert alone == check(project, capsys, "shop/views.py")  # served from the cache now


def test_a_getter_module_edited_away_drops_the_finding(project, capsys):
    check(project, capsys, ".")
    edit(project, "shop/deps.py", "return make_db()", "return None")
    edit(project, "shop/views.py", "def orders():", "def orders():  # edited")
    assert LEAK not in check(project, capsys, "shop/views.py")
    edit(project, "shop/deps.py", "return None", "return make_db()")
    assert LEAK in check(project, capsys, "shop/views.py")


@pytest.mark.parametrize("cache", ["cold", "warm", "none"])
def test_each_file_alone_gives_what_the_full_run_gives_it(project, capsys, cache):
    """pre-commit style: one staged file per run, against the full run's findings."""
    if cache == "none":
        full = check(project, capsys, "--no-cache", ".")
    else:
        full = check(project, capsys, ".")
    assert LEAK in full and any(f.startswith("shop/reports.py") for f in full)
    for name in sorted(n for n in FILES if n.endswith(".py")):
        if cache == "cold":
            import shutil

            shutil.rmtree(project / ".poolcheck_cache", ignore_errors=True)
        args = ("--no-cache",) if cache == "none" else ()
        alone = check(project, capsys, *args, name)
        assert alone == [f for f in full if f.startswith(name + ":")], name
        if cache == "warm":  # once more with the file changed: its result cannot be served
            (project / name).write_text((project / name).read_text(encoding="utf-8") + "\n", encoding="utf-8")
            assert check(project, capsys, name) == [f for f in full if f.startswith(name + ":")], name


# --- the scan from summaries is the scan from the files -----------------------------------------

SCAN_PROJECT = {
    "app/__init__.py": "",
    "app/db.py": """
        from functools import lru_cache, partial

        from sqlalchemy import create_engine, engine_from_config as from_config
        from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
        from sqlalchemy.orm import Session, scoped_session, sessionmaker as make_factory

        engine = create_engine("sqlite://")
        aengine = create_async_engine("sqlite+aiosqlite://")
        other_engine = from_config({})
        SessionLocal = make_factory(bind=engine)
        make_db = partial(Session, engine)
        AsyncSessionLocal = async_sessionmaker(aengine)
        db_session = scoped_session(SessionLocal)
        one_off = make_factory(bind=engine)()
        Alias = SessionLocal
        e = create_engine("sqlite://")


        class Database:
            factory = make_factory(bind=engine)

            def __init__(self):
                self.engine = create_engine("sqlite://")
                self.Session = make_factory(bind=self.engine)


        class MySession(Session):
            pass


        database = Database()


        @lru_cache
        def get_engine():
            return create_engine("sqlite://")


        def get_session():
            return SessionLocal()


        async def get_async_session():
            return await AsyncSessionLocal()


        def make_session_now():
            return make_factory(bind=engine)()


        def configure():
            global GLOBAL_FACTORY
            GLOBAL_FACTORY = make_factory()
            local_factory = make_factory()
            return local_factory()


        try:
            tried = make_factory()
        except ImportError:
            tried = None
        else:
            also = make_factory()
        finally:
            done = True

        match engine:
            case _:
                matched = make_factory()
        """,
    "app/deps.py": """
        from app.db import get_session, Database


        def get_db_session():
            return get_session()


        class Repo(Database):
            pass
        """,
    "app/uses.py": """
        from app.deps import get_db_session

        def handler():
            session = get_db_session()
            return session
        """,
    "app/broken.py": "def broken(:\n    sessionmaker(\n",
    "app/notes.py": "# Session is mentioned in a comment only\nx = 1\n",
}


def scan(root: Path, store=None):
    root = root.resolve()
    project = Project(root, Walker(Settings()).tree(root), Settings(), summary_store=store)
    with project.recording() as dependencies:
        names = tokens._scan(project)
    return names, dependencies


@pytest.mark.parametrize("where", ["fixture", "repository"])
def test_the_scan_from_summaries_equals_the_scan_from_files(tmp_path, where):
    if where == "fixture":
        root = tmp_path / "project"
        root.mkdir()
        write(root, {"pyproject.toml": "", **SCAN_PROJECT})
    else:
        root = REPO  # poolcheck's own code: every kind of statement there is
    expected, expected_dependencies = scan(root)
    assert where != "fixture" or {"SessionLocal", "get_db_session", "MySession", "Alias", "GLOBAL_FACTORY", "matched", "also"} <= expected.factories
    path = tmp_path / "summaries.json"
    cold_store = SummaryStore(path, "code")
    cold, cold_dependencies = scan(root, cold_store)
    cold_store.write()
    warm_store = SummaryStore(path, "code")
    warm, warm_dependencies = scan(root, warm_store)
    assert cold == expected and warm == expected
    # A finding that used the names depends on the same files, summaries or not.
    assert cold_dependencies == expected_dependencies == warm_dependencies
    assert not warm_store._dirty  # nothing was parsed again
    # Another code stamp: nothing of the old summaries is used.
    assert SummaryStore(path, "other code").lookup(tokens._BINDINGS_KIND, next(iter(cold_store._known[tokens._BINDINGS_KIND]))) is None


def test_a_summary_follows_the_content_not_the_path(tmp_path):
    root = tmp_path / "project"
    root.mkdir()
    write(root, {"pyproject.toml": "", "app/db.py": "from sqlalchemy.orm import sessionmaker\nmaker = sessionmaker()\n"})
    store = SummaryStore(tmp_path / "summaries.json", "code")
    assert "maker" in scan(root, store)[0].factories
    (root / "app/db.py").write_text("from sqlalchemy.orm import sessionmaker\nrenamed = sessionmaker()\n", encoding="utf-8")
    names = scan(root, store)[0]
    assert "renamed" in names.factories and "maker" not in names.factories
    project = Project(root.resolve(), Walker(Settings()).tree(root.resolve()), Settings(), summary_store=store)
    assert project.summary("test-kind", PurePosixPath("app/db.py"), len) == len((root / "app/db.py").read_bytes())


# --- editors: the buffer on standard input, the project around it from disk -----------------


def check_buffer(root: Path, capsys, monkeypatch, name: str, *args: str) -> List[str]:
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO((root / name).read_bytes())))
    return check(root, capsys, *args, "--stdin-filename", name, "-")


@pytest.mark.parametrize("first", [FACTORY, NOT_A_FACTORY], ids=["factory-first", "no-factory-first"])
def test_a_buffer_uses_the_summaries_and_sees_edits_of_the_factory_module(project, capsys, monkeypatch, first):
    then = NOT_A_FACTORY if first == FACTORY else FACTORY
    edit(project, "shop/db.py", FACTORY, first)
    age(project)
    check(project, capsys, ".")
    summaries = project / ".poolcheck_cache" / "v1" / "summaries.json"
    before = summaries.read_bytes()
    assert (LEAK in check_buffer(project, capsys, monkeypatch, "shop/views.py")) == (first == FACTORY)
    assert summaries.read_bytes() == before  # answered from them: nothing new to keep
    for old, new in ((first, then), (then, first)):
        edit(project, "shop/db.py", old, new)
        alone = check_buffer(project, capsys, monkeypatch, "shop/views.py")
        assert (LEAK in alone) == (new == FACTORY)
        assert alone == check_buffer(project, capsys, monkeypatch, "shop/views.py", "--no-cache")


def test_declared_globals_are_found_wherever_ast_walk_finds_them():
    """The statement-only walk gives ast.walk's answer for every function of poolcheck's own
    code and of the scan fixture (globals in nested blocks, functions and classes)."""
    import ast

    sources = [path.read_bytes() for path in sorted((REPO / "lint").rglob("*.py"))]
    sources.append(textwrap.dedent(SCAN_PROJECT["app/db.py"]).encode())
    sources.append(b"def f():\n    if x:\n        try:\n            pass\n        except E:\n            global a\n    match y:\n        case 1:\n            global b\n    class C:\n        def g(self):\n            global c\n    lambda: 0\n")
    functions = [n for s in sources for n in ast.walk(ast.parse(s)) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    expected = [frozenset(name for node in ast.walk(f) if isinstance(node, ast.Global) for name in node.names) for f in functions]
    assert [tokens._declared_global(f) for f in functions] == expected
    assert frozenset({"a", "b", "c"}) in expected
