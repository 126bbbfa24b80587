"""The shared lifecycle model: what creates a session, a registry or a connection, traced to
SQLAlchemy across modules; and what never counts."""

from __future__ import annotations

import textwrap
from pathlib import PurePosixPath

from poolcheck.context import FileContext
from poolcheck.lifecycle import CONNECTION, REGISTRY, SESSION, creation_sites, project_names

DB = '''
from functools import lru_cache, partial

from sqlalchemy import create_engine
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, scoped_session, sessionmaker

engine = create_engine("sqlite://")
aengine = create_async_engine("sqlite+aiosqlite://")
SessionLocal = sessionmaker(bind=engine)
make_db = partial(Session, engine)
AsyncSessionLocal = async_sessionmaker(aengine)
db_session = scoped_session(SessionLocal)


class Database:
    factory = sessionmaker(bind=engine)

    def __init__(self):
        self.engine = create_engine("sqlite://")
        self.Session = sessionmaker(bind=self.engine)


database = Database()


@lru_cache
def get_engine():
    return create_engine("sqlite://")


def get_session():
    return SessionLocal()
'''


def sites(make_project, code, extra=None):
    files = {"app/__init__.py": "", "app/db.py": DB, "app/models.py": "class Base:\n    pass\n\n\nclass Session(Base):\n    pass\n"}
    files["app/views.py"] = textwrap.dedent(code)
    files.update(extra or {})
    project = make_project(files)
    parsed = project.parsed(PurePosixPath("app/views.py"))
    ctx = FileContext(target=None, project=project, source=parsed.source, parsed=parsed)
    return {parsed.span(s.call).start.line: s for s in creation_sites(ctx)}


def test_factories_from_other_modules_under_any_name(make_project):
    found = sites(
        make_project,
        """\
        from .db import SessionLocal as SL, make_db, AsyncSessionLocal, database, Database, get_session
        from . import db
        from sqlalchemy.orm import sessionmaker

        def view():
            a = SL()
            b = make_db()
            c = AsyncSessionLocal()
            d = database.Session()
            e = Database.factory()
            f = get_session()
            g = sessionmaker(bind=db.engine)()
            h = db.SessionLocal()
        """,
    )
    assert sorted(found) == [6, 7, 8, 9, 10, 11, 12, 13]
    assert all(site.kind == SESSION and site.names for site in found.values())
    assert found[6].creation.origin.name == "SessionLocal"
    assert found[6].creation.origin.location == "app/db.py:10"
    assert found[8].creation.is_async
    assert found[11].creation.via == "get_session"


def test_connections_of_project_engines(make_project):
    found = sites(
        make_project,
        """\
        from .db import engine, aengine, get_engine

        async def view():
            a = engine.connect()
            b = get_engine().raw_connection()
            c = await aengine.connect()
            d = aengine.connect()
            with engine.begin() as conn:
                pass
        """,
    )
    assert [found[line].kind for line in (4, 5, 6, 8)] == [CONNECTION] * 4
    assert found[6].awaited and found[6].holds_something
    assert not found[7].holds_something if 7 in found else True
    assert found[8].holding == "with" and not found[8].holds_something


def test_self_attributes_and_registries(make_project):
    found = sites(
        make_project,
        """\
        from sqlalchemy import create_engine
        from sqlalchemy.orm import scoped_session, sessionmaker

        class Repo:
            def __init__(self, url):
                self.engine = create_engine(url)
                self.maker = sessionmaker(bind=self.engine)
                self.registry = scoped_session(self.maker)

            def run(self):
                s = self.maker()
                return self.engine.connect()
        """,
    )
    assert found[8].kind == REGISTRY
    assert found[11].kind == SESSION and found[11].creation.origin.name == "self.maker"
    assert found[12].kind == CONNECTION and found[12].holding == "returned"


def test_what_never_counts(make_project):
    found = sites(
        make_project,
        """\
        import requests
        from flask import Flask
        from flask_session import Session as FlaskSession
        from flask_sqlalchemy import SQLAlchemy
        from .models import Session

        app = Flask(__name__)
        db = SQLAlchemy(app)

        def view(engine, factory):
            a = requests.Session()
            b = FlaskSession(app)
            c = Session(name="model")
            d = db.session()
            e = engine.connect()
            f = factory()
            g = db.session.connection()
        """,
    )
    assert found == {}


def test_project_names_are_a_superset_for_the_prefilter(make_project):
    project = make_project({"app/__init__.py": "", "app/db.py": DB})
    names = project_names(project)
    assert {"SessionLocal", "make_db", "AsyncSessionLocal", "get_session", "factory", "Session"} <= names.factories
    assert names.registries == {"db_session"}
    assert {"engine", "aengine", "get_engine"} <= names.engines


def test_a_module_importing_itself_ends(make_project):
    """``from app.loop import helper`` inside app/loop.py (and an import cycle between two
    modules) once recursed until RecursionError; the name simply stays unresolved."""
    import libcst as cst

    from poolcheck.lifecycle import function_named
    from poolcheck.values import Evaluator, Where

    project = make_project(
        {
            "app/__init__.py": "",
            "app/loop.py": "from app.loop import helper\n",
            "app/ping.py": "from app.pong import helper\n",
            "app/pong.py": "from app.ping import helper\n",
            "app/views.py": "from app.loop import helper\nfrom app.ping import helper as other\n",
        }
    )
    evaluator = Evaluator(project)
    for name in ("app/loop.py", "app/ping.py", "app/views.py"):
        where = Where.module_level(project.parsed(PurePosixPath(name)))
        assert function_named(evaluator, cst.Name("helper"), where) is None
    views = Where.module_level(project.parsed(PurePosixPath("app/views.py")))
    assert function_named(evaluator, cst.Name("other"), views) is None


def test_function_locals_stay_candidates_but_are_no_pruning_tokens(make_project):
    """`session = sessionmaker(bind=engine)` inside a function: `session()` there is still a
    candidate call, but the common word `session` no longer keeps every definition that
    mentions it in every pruned parse (the local's own function names `sessionmaker`)."""
    cli = (
        "from sqlalchemy.orm import sessionmaker\n"
        "\n"
        "\n"
        "def run(engine):\n"
        "    session = sessionmaker(bind=engine)\n"
        "    db = session()\n"
        "    db.execute('SELECT 1')\n"
        "\n"
        "\n"
        "def init(engine):\n"
        "    global shared_maker\n"
        "    shared_maker = sessionmaker(bind=engine)\n"
    )
    project = make_project({"app/__init__.py": "", "app/db.py": DB, "app/cli.py": cli})
    names = project_names(project)
    assert {"session", "shared_maker", "SessionLocal"} <= names.factories
    tokens = names.tokens("factories", locals_too=False)
    assert b"session" not in tokens
    assert b"shared_maker" in tokens and b"SessionLocal" in tokens  # a declared global is read elsewhere
    assert b"session" in names.tokens("factories")


def test_makers_imported_under_another_name(make_project):
    """`from sqlalchemy.orm import sessionmaker as make_maker`: the factory it builds is a
    factory (this once depended on another file spelling the same name unaliased)."""
    module = (
        "from sqlalchemy import create_engine as build_engine\n"
        "from sqlalchemy.orm import Session as BaseSession, scoped_session as registry_of, sessionmaker as make_maker\n"
        "\n"
        "engine = build_engine('postgresql://db/app')\n"
        "AppSession = make_maker(bind=engine)\n"
        "Registry = registry_of(AppSession)\n"
        "\n"
        "\n"
        "class TenantSession(BaseSession):\n"
        "    pass\n"
    )
    names = project_names(make_project({"app/__init__.py": "", "app/db.py": module}))
    assert {"AppSession", "TenantSession"} <= names.factories
    assert "Registry" in names.registries
    assert "engine" in names.engines
    assert not {"make_maker", "registry_of", "build_engine", "BaseSession"} & (names.factories | names.registries | names.engines)


def test_origin_keys_agree_between_pruned_and_whole_parses(make_project):
    """PC402 matches a registry's removals with its creation by Origin.key, computed in
    whichever parse of the file a rule holds (pruned, or whole when a removal sits in a
    left-out definition): both must name the same call, and messages still give its line."""
    from poolcheck.lifecycle import resolver
    from poolcheck.values import Where

    text = (
        "import os\n"
        "\n"
        "\n"
        "def unrelated():\n"
        "    return [os.sep for _ in range(3)]\n"
        "\n"
        "\n"
        "# a comment between statements\n"
        "from sqlalchemy.orm import scoped_session, sessionmaker\n"
        "\n"
        "registry, other = scoped_session(sessionmaker()), scoped_session(sessionmaker())\n"
    )
    project = make_project({"app/__init__.py": "", "app/db.py": text}, keep_tokens=("scoped_session",))
    path = PurePosixPath("app/db.py")
    keys = []
    for parsed in (project.parsed(path), project.unpruned(path)):
        values = parsed.module.body[-1].body[0].value.elements
        where = Where.module_level(parsed)
        origins = [resolver(project).origin_of(element.value, where) for element in values]
        keys.append([o.key for o in origins])
        assert [o.location for o in origins] == ["app/db.py:11", "app/db.py:11"]
    assert project.parsed(path).line_map is not None  # the first parse was pruned
    assert keys[0] == keys[1] and keys[0][0] != keys[0][1]


def test_the_quick_engine_evidence_answers_as_its_pattern(make_project):
    """``may_connect`` asks for engine evidence without running the pattern of whole words
    where none of them is in the bytes: the answers are the pattern's, for the word
    `engine` anywhere, a project engine name as a word, as part of a word, and absent."""
    from poolcheck.lifecycle.tokens import _engine_evidence, _holds_engine_evidence

    project = make_project({"app/__init__.py": "", "app/db.py": DB + "\nmake = get_engine\ne = make()\n"})
    pattern, _, words = _engine_evidence(project)
    assert b"make" in words  # a getter's alias, however generic its name
    samples = [b"sock.connect(addr)\n", b"self._engines.connect()\n", b"make().connect()\n", b"maker.connect()\n", b"x = make\n", b""]
    answers = [_holds_engine_evidence(project, raw) for raw in samples]
    assert answers == [pattern.search(raw) is not None for raw in samples]
    assert answers == [False, True, True, False, True, False]


def test_call_candidates_are_those_of_one_pattern_behind_word_boundaries(make_project):
    """``candidate_lines`` and ``may_create`` search a word's call and a call's call with two
    patterns, the first without ``\\b`` (checked on each match): the same lines and answers
    as the one pattern ``\\b(?:words)\\s*\\(|\\)\\s*\\(``, on texts made of fragments that
    put words next to word characters, spaces, calls of calls and non-ASCII letters."""
    import random
    import re

    from poolcheck.lifecycle.tokens import _lines_at, _patterns, candidate_lines, may_create

    # The second project's factory names put a word after a non-ASCII letter inside another
    # (`Séssion`, `ssion`): in bytes a boundary lies between them.
    other = "from sqlalchemy.orm import sessionmaker\n\nSéssion = sessionmaker()\nssion = sessionmaker()\n"
    for files, expected in (({"app/__init__.py": "", "app/db.py": DB}, {"SessionLocal", "Session"}), ({"other.py": other}, {"Séssion", "ssion"})):
        project = make_project(files)
        words = _patterns(project).words
        assert expected <= words
        one = "\\b(?:" + "|".join(re.escape(w) for w in sorted(words)) + r")\s*\(|\)\s*\("
        text_pattern, raw_pattern = re.compile(one), re.compile(one.encode("utf-8"))
        fragments = ["Session", "SessionLocal", "AsyncSession", "xSession", "é", "_", "(", ")", " ", "  (", "\n", ".", "connect", "begin"]
        fragments += ["db_session", "make_db", "1", "ession", ")(", ") (", "#", "Séssion", "ssion", "xS"]
        rng = random.Random(7)
        texts = ["".join(rng.choice(fragments) for _ in range(rng.randint(1, 40))) for _ in range(3000)]
        texts += ["xSession(Session(", "éSession(", "f)(", "AsyncSession (", "Session\n(", "_connect(", "a.connect  (", "xSéssion("]
        for text in texts:
            positions = [m.start() for m in text_pattern.finditer(text)]
            assert candidate_lines(project, text) == (_lines_at(text, positions) if positions else []), repr(text)
            raw = text.encode("utf-8")
            assert may_create(project, raw) == bool(raw_pattern.search(raw)), repr(text)
