"""Following values to where they come from (Evaluator.definition, poolcheck.origins) and the
project's own databases (poolcheck.databases)."""

from __future__ import annotations

import textwrap
from pathlib import PurePosixPath

import libcst as cst
import pytest

from poolcheck.config_keys import config_assignments
from poolcheck.databases import FLASK_URI_ORIGIN, matching_databases, origins_of, project_databases, same_database
from poolcheck.origins import trace
from poolcheck.values import Evaluator, Known, Unknown, Where


def assigned(project, path: str, name: str):
    """The expression assigned to ``name`` at module level of ``path``, and where."""
    parsed = project.parsed(PurePosixPath(path))
    for statement in parsed.module.body:
        if isinstance(statement, cst.SimpleStatementLine) and isinstance(statement.body[0], cst.Assign):
            assign = statement.body[0]
            if isinstance(assign.targets[0].target, cst.Name) and assign.targets[0].target.value == name:
                return assign.value, Where.module_level(parsed)
    raise AssertionError(f"{name} not assigned in {path}")


def project_of(make_project, **files):
    return make_project({name.replace("__", "/") + ".py": textwrap.dedent(text) for name, text in files.items()})


def key_of(project, path: str, name: str):
    expr, where = assigned(project, path, name)
    return trace(Evaluator(project), expr, where).key


# --- Evaluator.definition ---------------------------------------------------------------------


def test_definition_follows_names_imports_and_class_attributes(make_project):
    project = project_of(
        make_project,
        app__settings="import os\nDATABASE_URL = os.environ['DATABASE_URL']\n\n\nclass Base:\n    URI = os.environ['URI']\n\n\nclass Prod(Base):\n    pass\n",
        app__db="from app.settings import DATABASE_URL, Prod\nimport app.settings as settings\nA = DATABASE_URL\nB = settings.DATABASE_URL\nC = Prod.URI\n",
        app____init__="",
    )
    evaluator = Evaluator(project)
    for name, expected in (("A", "os.environ['DATABASE_URL']"), ("B", "os.environ['DATABASE_URL']"), ("C", "os.environ['URI']")):
        expr, where = assigned(project, "app/db.py", name)
        first = evaluator.definition(expr, where)
        assert first is not None
        found = evaluator.definition(*first) if isinstance(first[0], cst.Name) else first
        assert found[1].file.code(found[0]) == expected


@pytest.mark.parametrize(
    "code",
    [
        "def f(url):\n    RESULT = url\n",  # a parameter: no definition
        "URL = 'a'\nURL = 'b'\nRESULT = URL\n",  # bound twice
        "from os import environ\nRESULT = environ\n",  # outside the project
    ],
)
def test_definition_is_none_where_the_code_does_not_say(make_project, code):
    project = project_of(make_project, app=code)
    parsed = project.parsed(PurePosixPath("app.py"))
    names = [node for node in _names(parsed.module) if node.value in ("url", "URL", "environ")]
    evaluator = Evaluator(project)
    last = names[-1]
    scopes = (parsed.module,) + tuple(s for s in parsed.module.body if isinstance(s, cst.FunctionDef))
    assert evaluator.definition(last, Where(parsed, scopes)) is None


def _names(module):
    found = []

    class Names(cst.CSTVisitor):
        def visit_Name(self, node):
            found.append(node)

    module.visit(Names())
    return found


# --- traces ----------------------------------------------------------------------------------


def test_the_same_environment_variable_however_read(make_project):
    project = project_of(
        make_project,
        app="import os\nfrom os import environ, getenv\nA = os.environ['DATABASE_URL']\nB = os.getenv('DATABASE_URL')\n"
        "C = environ.get('DATABASE_URL', 'sqlite://')\nD = getenv('OTHER')\nE = A\n",
    )
    keys = {name: key_of(project, "app.py", name) for name in "ABCDE"}
    assert keys["A"] == keys["B"] == keys["C"] == keys["E"] == ("env", "DATABASE_URL")
    assert keys["D"] == ("env", "OTHER")


def test_the_same_constant_across_modules(make_project):
    project = project_of(
        make_project,
        settings="DB = 'postgresql://app@db/app'\n",
        app="import settings\nfrom settings import DB\nA = DB\nB = settings.DB\nC = 'postgresql://app@db/app'\n",
    )
    assert key_of(project, "app.py", "A") == key_of(project, "app.py", "B") == ("value", "settings.py", 1, 5)
    assert key_of(project, "app.py", "C") != key_of(project, "app.py", "A"), "an equal literal elsewhere is not the same constant"


def test_attribute_and_key_paths_from_an_object(make_project):
    project = project_of(
        make_project,
        app="from flask import Flask, current_app\nfrom sqlalchemy import create_engine\n\napp = Flask(__name__)\n"
        "engine = create_engine('sqlite:///x.db')\nA = app.config['SQLALCHEMY_DATABASE_URI']\nB = app.config.get('SQLALCHEMY_DATABASE_URI')\n"
        "C = current_app.config['SQLALCHEMY_DATABASE_URI']\nD = str(engine.url)\nE = engine.url.render_as_string(hide_password=False)\n",
    )
    evaluator = Evaluator(project)
    a, b, c, d, e = (trace(evaluator, *assigned(project, "app.py", n)) for n in "ABCDE")
    assert a.key == b.key == ("object", "app.py", 4, 6, ".config", "[SQLALCHEMY_DATABASE_URI]")
    assert c.key == ("imported", "flask.current_app.config", "[SQLALCHEMY_DATABASE_URI]")
    assert FLASK_URI_ORIGIN in origins_of(a) and FLASK_URI_ORIGIN in origins_of(c)
    assert d.key == e.key == ("object", "app.py", 5, 9, ".url")


def test_no_origin_for_parameters(make_project):
    project = project_of(make_project, app="def f(url):\n    return url\n")
    parsed = project.parsed(PurePosixPath("app.py"))
    function = parsed.module.body[0]
    name = function.body.body[0].body[0].value
    assert trace(Evaluator(project), name, Where(parsed, (parsed.module, function))).key is None


# --- the project's databases --------------------------------------------------------------------


@pytest.mark.parametrize(
    "a, b, same",
    [
        ("mysql+pymysql://app:x@db:3306/app", "mysql://other@DB:3306/app", True),  # driver and user do not matter
        ("mysql://app@db/app", "mysql://app@db/jobs", False),
        ("mysql://app@db/app", "postgresql://app@db/app", False),
        ("sqlite:///app.db", "sqlite:///./app.db", True),
        ("sqlite:///app.db", "sqlite:///jobs.db", False),
        ("sqlite://", "sqlite://", False),  # every in-memory database is its own
        ("sqlite:///:memory:", "sqlite:///:memory:", False),
    ],
)
def test_same_database(a, b, same):
    assert same_database(Known(a), Known(b)) is same


def test_same_database_needs_known_urls():
    assert not same_database(Unknown(), Known("sqlite:///app.db"))


def test_project_databases_from_engines_and_flask_sqlalchemy(make_project):
    project = project_of(
        make_project,
        db="import os\nfrom sqlalchemy import create_engine\n\nengine = create_engine(os.environ['DATABASE_URL'], pool_size=20)\n",
        config="import os\n\n\nclass Config:\n    SQLALCHEMY_DATABASE_URI = os.environ['DATABASE_URL']\n",
        extensions="from flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy()\n",
    )
    databases = project_databases(project)
    assert [(d.label, d.path.as_posix(), d.line, d.engine_name) for d in databases] == [
        ("Flask-SQLAlchemy's `SQLALCHEMY_DATABASE_URI`", "config.py", 5, "db.engine"),
        ("the engine `engine`", "db.py", 4, "engine"),
        ("Flask-SQLAlchemy's engine", "extensions.py", 3, "db.engine"),
    ]
    matches = matching_databases(project, Unknown(), frozenset({("env", "DATABASE_URL")}))
    assert [m.database.path.as_posix() for m in matches] == ["db.py", "config.py"], "the engine first"


def test_no_flask_sqlalchemy_database_without_the_extension(make_project):
    project = project_of(make_project, config="class Config:\n    SQLALCHEMY_DATABASE_URI = 'sqlite:///app.db'\n")
    assert project_databases(project) == []


# --- config keys ---------------------------------------------------------------------------------


def test_config_assignments_in_every_direct_form(make_project):
    project = project_of(
        make_project,
        app="KEY = 1\n\n\nclass Config:\n    KEY = 2\n\n\ndef create_app(app):\n    KEY = 'local'\n    app.config['KEY'] = 3\n"
        "    app.config.update(KEY=4)\n    app.config.from_mapping({'KEY': 5})\n    app.config.setdefault('KEY', 6)\n",
    )
    parsed = project.parsed(PurePosixPath("app.py"))
    found = config_assignments(parsed, "KEY")
    assert [parsed.code(a.value) for a in found] == ["1", "2", "3", "4", "5", "6"]


# --- values the code cannot pin down, from one place all the same --------------------------------


def test_environment_or_default_is_the_default_marked_as_one(make_project):
    project = project_of(
        make_project,
        app="import os\nA = os.environ.get('DEV_DATABASE_URL') or 'mysql+pymysql://root@db/app'\nB = os.environ['X'] or 'sqlite://'\nC = f() or 'x'\n",
    )
    evaluator = Evaluator(project)
    a = evaluator.evaluate(*assigned(project, "app.py", "A"))
    assert isinstance(a, Known) and a.value == "mysql+pymysql://root@db/app" and a.from_env_default
    for name in "BC":
        assert isinstance(evaluator.evaluate(*assigned(project, "app.py", name)), Unknown)
    assert key_of(project, "app.py", "A") == ("env", "DEV_DATABASE_URL")


def test_a_module_name_bound_in_both_branches_is_one_origin(make_project):
    project = project_of(
        make_project,
        app__conf="import os\n\nif os.getenv('DB_TYPE') == 'sqlite':\n    DATABASE_URL = 'sqlite:///app.db'\nelse:\n    DATABASE_URL = build()\n",
        app__store="from app.conf import DATABASE_URL\nimport app.conf as conf\nA = DATABASE_URL\nB = conf.DATABASE_URL\n",
        app____init__="",
    )
    key = key_of(project, "app/store.py", "A")
    assert key == key_of(project, "app/store.py", "B") == ("name", "app/conf.py", 1, 0, "DATABASE_URL")


def test_one_untraceable_assignment_is_its_own_origin(make_project):
    project = project_of(make_project, app="URL = os.environ.get('A') and other()\nA = URL\nB = URL\n")
    assert key_of(project, "app.py", "A") == key_of(project, "app.py", "B") == ("value", "app.py", 1, 6)


def test_function_locals_have_no_name_origin(make_project):
    project = project_of(make_project, app="def f(flag):\n    if flag:\n        url = a()\n    else:\n        url = b()\n    return url\n")
    parsed = project.parsed(PurePosixPath("app.py"))
    function = parsed.module.body[0]
    name = function.body.body[-1].body[0].value
    assert trace(Evaluator(project), name, Where(parsed, (parsed.module, function))).key is None
