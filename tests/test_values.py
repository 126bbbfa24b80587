"""The static evaluator: what it resolves, and where it must answer Unknown."""

from __future__ import annotations

import textwrap
from pathlib import PurePosixPath

import libcst as cst
import pytest

from poolcheck.values import DictValue, Evaluator, ImportedName, Known, Template, Unknown, UrlParts, Where


def value_of(project, path: str, name: str = "RESULT"):
    """Evaluate the expression assigned to ``name`` at module level of ``path``."""
    parsed = project.parsed(PurePosixPath(path))
    assert parsed is not None
    for statement in parsed.module.body:
        if isinstance(statement, cst.SimpleStatementLine) and isinstance(statement.body[0], cst.Assign):
            assign = statement.body[0]
            if isinstance(assign.targets[0].target, cst.Name) and assign.targets[0].target.value == name:
                return Evaluator(project).evaluate(assign.value, Where.module_level(parsed))
    raise AssertionError(f"{name} not assigned in {path}")


def evaluate(make_project, code: str, **files):
    project = make_project({"app.py": textwrap.dedent(code), **{k.replace("__", "/") + ".py": textwrap.dedent(v) for k, v in files.items()}})
    return value_of(project, "app.py")


@pytest.mark.parametrize(
    "code, expected",
    [
        ("RESULT = 8 * 60 * 60", 28800),
        ("RESULT = -1", -1),
        ("RESULT = 0x10 + 1_000", 1016),
        ("RESULT = 'mysql' '+pymysql://h/db'", "mysql+pymysql://h/db"),
        ("RESULT = 3600 // 2 + 0.5", 1800.5),
        ("HOURS = 2\nRESULT = HOURS * 3600", 7200),
        ("import os\nRESULT = os.environ.get('X', 'sqlite://')", "sqlite://"),
        ("from os import getenv\nRESULT = int(getenv('RECYCLE', '3600'))", 3600),
        ("RESULT = True", True),
        ("HOST = 'db'\nRESULT = f'mysql://app@{HOST}/app'", "mysql://app@db/app"),
        ("RESULT = 'mysql://%s@h/db' % 'app'", "mysql://app@h/db"),
        ("RESULT = 'mysql://{}@h/{db}'.format('app', db='x')", "mysql://app@h/x"),
        ("class Config:\n    URL = 'sqlite://'\nRESULT = Config.URL", "sqlite://"),
        ("class Base:\n    URL = 'sqlite://'\nclass Prod(Base):\n    pass\nRESULT = Prod.URL", "sqlite://"),
        ("OPTIONS = {'a': 1}\nRESULT = OPTIONS['a']", 1),
    ],
)
def test_resolves(make_project, code, expected):
    result = evaluate(make_project, code)
    assert isinstance(result, Known) and result.value == expected


@pytest.mark.parametrize(
    "code",
    [
        "import os\nRESULT = os.environ['DATABASE_URL']",
        "import os\nRESULT = os.getenv('DATABASE_URL')",
        "X = 1\nX = 2\nRESULT = X",
        "X = 1\nX += 1\nRESULT = X",
        "RESULT = unknown_name",
        "import random\nRESULT = random.choice([1, 2])",
        "import os\nRESULT = 1 if os.getenv('A') else 2",
        "from third_party import Base\nclass C(Base):\n    pass\nRESULT = C.URL",
        "def f():\n    return 1\nRESULT = f()",
        "RESULT = 2 ** 100000",
    ],
)
def test_unknown(make_project, code):
    assert isinstance(evaluate(make_project, code), Unknown)


def test_environment_default_is_marked(make_project):
    result = evaluate(make_project, "import os\nRESULT = os.getenv('DATABASE_URL', 'mysql://h/db')")
    assert isinstance(result, Known) and result.from_env_default


def test_fstring_with_unknown_parts_keeps_the_literal_scheme(make_project):
    result = evaluate(make_project, "import os\nRESULT = f\"mysql+pymysql://{os.environ['U']}:{os.environ['P']}@db/app\"")
    assert isinstance(result, Known) and result.value == Template("mysql+pymysql://")


def test_concatenation_with_unknown_tail_keeps_the_prefix(make_project):
    result = evaluate(make_project, "import os\nRESULT = 'postgresql://' + os.environ['HOST']")
    assert result.value == Template("postgresql://")


def test_url_create(make_project):
    result = evaluate(make_project, "from sqlalchemy import URL\nRESULT = URL.create('mysql+pymysql', username='u', password='p', database='app')")
    assert isinstance(result.value, UrlParts)
    assert result.value.drivername == "mysql+pymysql" and result.value.database.value == "app"


def test_imported_names_from_outside_the_project(make_project):
    result = evaluate(make_project, "from sqlalchemy.pool import NullPool as NP\nRESULT = NP")
    assert result.value == ImportedName("sqlalchemy.pool.NullPool")
    result = evaluate(make_project, "import sqlalchemy as sa\nRESULT = sa.pool.NullPool")
    assert result.value == ImportedName("sqlalchemy.pool.NullPool")


def test_constant_imported_from_another_project_module(make_project):
    result = evaluate(
        make_project,
        "from app_pkg.settings import DB_URL\nRESULT = DB_URL",
        app_pkg____init__="",
        app_pkg__settings="DB_URL = 'mysql://h/db'\n",
    )
    assert result.value == "mysql://h/db"
    assert result.file is not None and result.file.relative == PurePosixPath("app_pkg/settings.py")


def test_module_attribute_and_relative_import(make_project):
    project = make_project(
        {
            "pkg/__init__.py": "",
            "pkg/settings.py": "RECYCLE = 60 * 5\n",
            "pkg/db.py": "from . import settings\nfrom .settings import RECYCLE\nRESULT = settings.RECYCLE\nOTHER = RECYCLE\n",
        }
    )
    assert value_of(project, "pkg/db.py").value == 300
    assert value_of(project, "pkg/db.py", "OTHER").value == 300


def test_dict_splats_and_dict_calls(make_project):
    result = evaluate(make_project, "BASE = {'pool_size': 5}\nRESULT = dict(BASE, max_overflow=2, **{'pool_recycle': 60})")
    assert isinstance(result.value, DictValue)
    assert result.value.keys() == ["pool_size", "max_overflow", "pool_recycle"]
    assert result.value.complete


def test_dict_with_unknown_splat_is_incomplete(make_project):
    result = evaluate(make_project, "import os\nRESULT = {'pool_size': 5, **os.environ}")
    assert isinstance(result.value, DictValue) and not result.value.complete


def test_circular_constants_do_not_loop(make_project):
    project = make_project({"a.py": "from b import X\nRESULT = X\n", "b.py": "from a import RESULT as X\n"})
    assert isinstance(value_of(project, "a.py"), Unknown)


def test_function_local_single_assignment(make_project):
    project = make_project({"app.py": "def make():\n    url = 'sqlite://'\n    return url\n"})
    parsed = project.parsed(PurePosixPath("app.py"))
    function = parsed.module.body[0]
    return_value = function.body.body[1].body[0].value
    result = Evaluator(project).evaluate(return_value, Where(parsed, (parsed.module, function)))
    assert result.value == "sqlite://"


def test_parameters_are_unknown(make_project):
    project = make_project({"app.py": "URL = 'sqlite://'\ndef make(URL):\n    return URL\n"})
    parsed = project.parsed(PurePosixPath("app.py"))
    function = parsed.module.body[1]
    return_value = function.body.body[0].body[0].value
    assert isinstance(Evaluator(project).evaluate(return_value, Where(parsed, (parsed.module, function))), Unknown)


@pytest.mark.parametrize(
    "mutation, complete",
    [
        ("", True),
        ("if DEBUG:\n    OPTIONS['pool_pre_ping'] = True\n", False),
        ("def configure():\n    OPTIONS.update(pool_recycle=3600)\n", False),
        ("OPTIONS.setdefault('pool_size', 5)\n", False),
        ("OTHER = {}\nOTHER['x'] = 1\n", True),  # another dict
    ],
)
def test_a_dict_changed_in_place_is_not_complete(make_project, mutation, complete):
    code = "DEBUG = False\nOPTIONS = {'pool_size': 10}\n" + mutation + "RESULT = OPTIONS\n"
    value = evaluate(make_project, code)
    assert isinstance(value, Known) and isinstance(value.value, DictValue)
    assert value.value.complete is complete
    assert value.value.get("pool_size").value.value == 10


@pytest.mark.parametrize("mutation", ["OPTIONS.pop('pool_size')\n", "del OPTIONS['pool_size']\n", "OPTIONS.clear()\n"])
def test_a_dict_that_loses_keys_is_unknown(make_project, mutation):
    value = evaluate(make_project, "OPTIONS = {'pool_size': 10}\n" + mutation + "RESULT = OPTIONS\n")
    assert isinstance(value, Unknown)
