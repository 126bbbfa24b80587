"""Tests of poolcheck.sqla against the real SQLAlchemy.

The differential test asks the knowledge which keywords a URL + pool class accepts, then
calls the REAL create_engine / create_async_engine with them (all must pass) and with every
other keyword any dialect accepts plus known typos (each must be named in the "Invalid
argument(s)" TypeError). The drivers are not installed, so each call gets ``module=`` a
permissive fake DBAPI (create_engine then skips the DBAPI import, and the keyword check runs
after the dialect and pool are built), and driver modules that dialects import in their
constructors are served by a fake import finder.
"""

from __future__ import annotations

import functools
import importlib.abc
import importlib.util
import json
import os
import re
import sqlite3
import subprocess
import sys
import types
import warnings
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
import sqlalchemy
from sqlalchemy import create_engine, exc

from poolcheck.sqla import UNKNOWN, Knowledge, installed_knowledge, suggest_kwarg

LINT_ROOT = Path(__file__).resolve().parents[1] / "lint"

# --- a fake DBAPI -----------------------------------------------------------------------


class _Anything:
    """Whatever a dialect constructor reads from a DBAPI: callable, comparable, a flag."""

    def __call__(self, *args: Any, **kwargs: Any) -> "_Anything":
        return _Anything()

    def __getattr__(self, name: str) -> "_Anything":
        if name.startswith("__"):
            raise AttributeError(name)
        return _Anything()

    def __iter__(self):
        return iter(())

    def __lt__(self, other: Any) -> bool:
        return False

    __le__ = __gt__ = __ge__ = __lt__

    def __int__(self) -> int:
        return 0

    __index__ = __int__

    def __or__(self, other: Any) -> int:  # CLIENT.FOUND_ROWS | ... in the MySQL dialects
        return 0

    __ror__ = __and__ = __rand__ = __add__ = __radd__ = __or__


class FakeDBAPI(types.ModuleType):
    """A PEP 249 module that has every attribute."""

    def __init__(self, name: str = "fake_dbapi") -> None:
        super().__init__(name)
        self.__path__: List[str] = []  # a package, so "from x.constants import y" works
        self.paramstyle = "named"
        self.apilevel = "2.0"
        self.threadsafety = 1
        self.__version__ = self.version = "99.0.0"
        self.version_info = (99, 0, 0)
        self.sqlite_version_info = sqlite3.sqlite_version_info
        self.sqlite_version = sqlite3.sqlite_version
        for error in ("Error", "Warning", "InterfaceError", "DatabaseError", "OperationalError"):
            setattr(self, error, type(error, (Exception,), {}))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return _Anything()


# Driver packages the matrix's dialects import inside their constructors (psycopg2.extras,
# pymysql.constants...). The fakes always win, even over installed drivers: a real driver
# module mixed with the fake DBAPI passed as `module=` would break the dialect constructor,
# and the answers must not depend on which drivers happen to be installed.
FAKE_DRIVER_PACKAGES = {
    "MySQLdb", "pymysql", "mariadb", "aiomysql", "asyncmy", "psycopg2", "psycopg",
    "psycopg_pool", "asyncpg", "aiosqlite", "pyodbc", "oracledb", "cx_Oracle",
}  # fmt: skip


class FakeDriverFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname.split(".")[0] in FAKE_DRIVER_PACKAGES:
            return importlib.util.spec_from_loader(fullname, self, is_package=True)
        return None

    def create_module(self, spec: Any) -> types.ModuleType:
        return FakeDBAPI(spec.name)

    def exec_module(self, module: types.ModuleType) -> None:
        pass


@pytest.fixture(scope="module")
def fake_drivers():
    finder = FakeDriverFinder()
    real = {name: module for name, module in sys.modules.items() if name.split(".")[0] in FAKE_DRIVER_PACKAGES}
    for name in real:
        del sys.modules[name]
    sys.meta_path.insert(0, finder)
    yield
    sys.meta_path.remove(finder)
    for name in [n for n, m in sys.modules.items() if isinstance(m, FakeDBAPI)]:
        del sys.modules[name]
    sys.modules.update(real)


# --- the differential test -------------------------------------------------------------

URLS = [
    ("mysql://", False),
    ("mysql+pymysql://", False),
    ("mysql+mysqldb://", False),
    ("mariadb+mariadbconnector://", False),
    ("mariadb+pymysql://", False),
    ("mysql+aiomysql://", True),
    ("mysql+asyncmy://", True),
    ("postgresql://", False),
    ("postgresql+psycopg2://", False),
    ("postgresql+psycopg://", False),
    ("postgresql+psycopg://", True),
    ("postgresql+asyncpg://", True),
    ("sqlite://", False),
    ("sqlite:///:memory:", False),
    ("sqlite:///file.db", False),
    ("sqlite+aiosqlite://", True),
    ("sqlite+aiosqlite:///file.db", True),
    ("mssql+pyodbc://", False),
    ("oracle+oracledb://", False),
    ("oracle+oracledb://", True),
]
POOL_CLASSES = [
    None, "NullPool", "StaticPool", "SingletonThreadPool", "QueuePool", "AssertionPool", "AsyncAdaptedQueuePool",
]  # fmt: skip

# Names no create_engine accepts anywhere: typos, driver options that belong in connect_args
# or the URL, removed 1.x options (accepted on 1.4, so not rejects there).
TYPOS_AND_MISPLACED = [
    "pool_recyle", "poolsize", "pre_ping", "recycle", "timeout", "size", "pool_class",
    "max_overflows", "echo_pools", "charset", "connect_timeout", "read_timeout", "ssl",
    "autocommit", "convert_unicode", "encoding", "case_sensitive", "cls", "async_creator",
]  # fmt: skip

# A harmless value for keywords where None is not one.
PROBE_VALUES: Dict[str, Any] = {
    "plugins": [],
    "connect_args": {},
    "execution_options": {},
    "future": True,
    "query_cache_size": 0,
    "server_side_cursors": False,
    "executemany_mode": "values_only",
    "encoding": "utf-8",  # 1.4 looks it up in codecs
    "use_native_unicode": True,  # 1.4 psycopg2 refuses anything else on Python 3
    "pool_size": 5,
    "max_overflow": 10,
    "pool_timeout": 30,
    "pool_recycle": -1,
}
SET_BY_THE_TEST = {"module", "poolclass", "strategy"}
INVALID_ARGUMENTS = re.compile(r"Invalid argument\(s\) (.*) sent to create_engine\(\)")


@functools.lru_cache(maxsize=1)
def _create_async_engine() -> Any:
    """The real create_async_engine, or the reason it cannot be imported (decided once: a
    failed import can leave half a package behind)."""
    try:
        from sqlalchemy.ext.asyncio import create_async_engine
    except ImportError as error:  # SQLAlchemy 2.1 without greenlet
        return str(error)
    return create_async_engine


def _factory(is_async: bool):
    if not is_async:
        return create_engine
    factory = _create_async_engine()
    if isinstance(factory, str):
        pytest.skip(f"create_async_engine unavailable: {factory}")
    return factory


def _sync_engine(engine: Any) -> Any:
    return getattr(engine, "sync_engine", engine)


def _create(url: str, is_async: bool, poolclass: Optional[str], **kwargs: Any) -> Any:
    if poolclass is not None:
        kwargs["poolclass"] = getattr(sqlalchemy.pool, poolclass)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _factory(is_async)(url, module=FakeDBAPI(), **kwargs)


def _rejected_names(error: TypeError) -> set:
    match = INVALID_ARGUMENTS.search(str(error))
    assert match, f"a TypeError other than Invalid argument(s): {error}"
    return set(re.findall(r"'([^']+)'", match.group(1)))


def discrepancies(knowledge: Knowledge, url: str, is_async: bool, poolclass: Optional[str]) -> List[str]:
    """Where the knowledge disagrees with the real create_engine, in words (empty: none)."""
    problems: List[str] = []
    info = knowledge.parse_url(url)
    assert info is not None
    if poolclass is not None and poolclass not in knowledge.pool_classes():
        return [] if not hasattr(sqlalchemy.pool, poolclass) else [f"pool class {poolclass} not known"]
    if not info.dialect_loads:
        with pytest.raises(exc.NoSuchModuleError):
            _create(url, is_async, poolclass)
        return []
    if poolclass is not None and not knowledge.pool_class_allowed(poolclass, info.drivername, is_async):
        try:
            _create(url, is_async, poolclass)
            problems.append(f"{poolclass} said not allowed, but create_engine accepted it")
        except exc.ArgumentError:
            pass
        return problems

    accepted = knowledge.accepted_kwargs(info.drivername, is_async, poolclass, info.database, info.query)
    if accepted is None:
        return ["no accepted_kwargs answer for a dialect that loads"]
    probe = {name: PROBE_VALUES.get(name) for name in accepted - SET_BY_THE_TEST}
    if is_async:
        # dialect= replaces the pool's dialect; None makes a NullPool look sync and be refused
        # by an async engine. Its acceptance is checked by the sync cases.
        probe.pop("dialect", None)
    try:
        engine = _sync_engine(_create(url, is_async, poolclass, **probe))
    except TypeError as error:
        wrongly_accepted = _rejected_names(error)
        problems.append(f"said accepted, but rejected: {sorted(wrongly_accepted)}")
        rest = {k: v for k, v in probe.items() if k not in wrongly_accepted}
        engine = _sync_engine(_create(url, is_async, poolclass, **rest))
    if poolclass is None:
        expected = knowledge.default_pool_class(info.drivername, info.database, is_async, info.query)
        if type(engine.pool).__name__ != expected:
            problems.append(f"default pool {expected}, real {type(engine.pool).__name__}")
    engine.dispose()

    rejects = (set(knowledge.kwargs_accepted_by_any_dialect()) | set(TYPOS_AND_MISPLACED)) - accepted - {"url"}
    try:
        _create(url, is_async, poolclass, **{name: PROBE_VALUES.get(name) for name in rejects})
        problems.append(f"said rejected, but all accepted: {sorted(rejects)}")
    except TypeError as error:
        really_rejected = _rejected_names(error)
        if really_rejected != rejects:
            problems.append(f"said rejected, but accepted: {sorted(rejects - really_rejected)}")
    return problems


@pytest.mark.parametrize("poolclass", POOL_CLASSES)
@pytest.mark.parametrize("url,is_async", URLS)
def test_accepted_kwargs_match_the_real_create_engine(fake_drivers, url, is_async, poolclass):
    assert discrepancies(installed_knowledge(), url, is_async, poolclass) == []


def test_strategy_is_consumed_by_create_engine():
    # "strategy" cannot go in the all-at-once call: it returns a mock engine early.
    assert "strategy" in installed_knowledge().accepted_kwargs("sqlite")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        create_engine("sqlite://", strategy="mock", executor=lambda *a, **k: None)


class _BrokenKnowledge(Knowledge):
    """Wrong on purpose: claims a typo is accepted, forgets pool_size, and gets the default
    pool class wrong. The differential test must notice each."""

    def accepted_kwargs(self, *args: Any, **kwargs: Any):
        real = super().accepted_kwargs(*args, **kwargs)
        return None if real is None else (real | {"pool_recyle"}) - {"pool_size"}

    def default_pool_class(self, *args: Any, **kwargs: Any):
        return "NullPool"


def test_the_differential_test_catches_a_broken_answer(fake_drivers):
    problems = discrepancies(_BrokenKnowledge(), "mysql+pymysql://", False, None)
    assert any("rejected: ['pool_recyle']" in p for p in problems), problems
    assert any(p.startswith("said rejected, but accepted") and "'pool_size'" in p for p in problems), problems
    assert any("default pool NullPool, real QueuePool" in p for p in problems), problems


# --- URLs ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "url,password",
    [
        ("mysql+pymysql://app:hunter2@db.example:3306/app", "hunter2"),
        ("mysql+pymysql://app:S3cr%23t%2Fw0rd%3Ax%25y@db/app", "S3cr#t/w0rd:x%y"),
        ("postgresql://app:Pa55%40w0rd@[::1]:5432/app", "Pa55@w0rd"),
        ("mysql://app:Pa55@w0rd@db/app", "Pa55@w0rd"),  # unescaped "@": SQLAlchemy splits there
        ("mysql://app:Pa55@w0rd@h1dden@db:3306/app?charset=utf8", "Pa55@w0rd@h1dden"),
        ("mysql://app:Pa55 w0rd+x!@db/app", "Pa55 w0rd+x!"),
        ("mssql+pyodbc://app@dsn?password=T0k3nValue&driver=x", "T0k3nValue"),
        ("mysql://app@db/app?Password=Sh0uty", "Sh0uty"),
        ("snowflake://app:Sn0wFl8ke@account/db", "Sn0wFl8ke"),
    ],
)
def test_masked_url_never_contains_the_password(url, password):
    info = installed_knowledge().parse_url(url)
    assert info is not None
    # Neither the password nor any piece of it between "@"s (all pieces are distinctive).
    for fragment in [password, *password.split("@")]:
        assert fragment not in info.masked, info.masked
    assert "***" in info.masked


def test_parse_url_reads_the_parts():
    info = installed_knowledge().parse_url("mysql://app:pw@db:3306/app?charset=utf8mb4&x=1&x=2")
    assert info.drivername == "mysql" and info.backend == "mysql"
    assert info.driver == "mysqldb"  # the mysql dialect's default driver
    assert info.dialect_loads and info.is_mysql_family and info.has_password
    assert (info.host, info.port, info.database, info.username) == ("db", 3306, "app", "app")
    assert info.query == (("charset", "utf8mb4"), ("x", "1"), ("x", "2"))
    assert info.masked == "mysql://app:***@db:3306/app?charset=utf8mb4&x=1&x=2"
    assert not info.ambiguous_at_sign


def test_parse_url_flags_an_unescaped_at_sign():
    info = installed_knowledge().parse_url("mysql://app:p@ss@db/app")
    assert info.ambiguous_at_sign and info.masked == "mysql://app:***@db/app"


@pytest.mark.parametrize(
    "url,has_password",
    [("mysql://app@db/x", False), ("mysql://app:@db/x", False), ("sqlite:///x.db", False), ("mysql://a:b@db/x", True)],
)
def test_has_password_means_a_non_empty_password(url, has_password):
    assert installed_knowledge().parse_url(url).has_password is has_password


def test_mariadb_is_mysql_family_and_postgres_is_not():
    sqla = installed_knowledge()
    assert sqla.parse_url("mariadb+mariadbconnector://u@h/db").is_mysql_family
    assert not sqla.parse_url("postgresql://u@h/db").is_mysql_family


@pytest.mark.parametrize("text", ["not a url", "", "://", "mysql://db:notaport/x"])
def test_unparseable_urls_give_none(text):
    assert installed_knowledge().parse_url(text) is None


def test_scheme_info_for_an_f_string_url():
    info = installed_knowledge().scheme_info("postgresql+asyncpg")
    assert (info.backend, info.driver, info.loads, info.is_async, info.async_supported) == (
        "postgresql", "asyncpg", True, True, True,
    )  # fmt: skip
    assert installed_knowledge().scheme_info("mysql+pymysql://{user}:{pw}@{host}/db").driver == "pymysql"
    assert installed_knowledge().scheme_info("mysql+pymysql").async_supported is False


# --- unknown and broken dialects --------------------------------------------------------


@pytest.mark.parametrize("url", ["snowflake://acct/db", "foo+bar://h/db", "brokendb://h/db"])
def test_unknown_dialects_give_none_without_raising(url, broken_dialect):
    sqla = Knowledge()
    info = sqla.parse_url(url)
    assert info is not None and info.dialect_loads is False
    assert sqla.scheme_info(info.drivername).loads is False
    assert sqla.default_pool_class(info.drivername, info.database) is None
    assert sqla.default_pool_class(info.drivername, UNKNOWN, is_async=True) is None
    assert sqla.accepted_kwargs(info.drivername) is None
    assert sqla.accepted_kwargs(info.drivername, poolclass="QueuePool") is None
    assert sqla.dialect_kwargs(info.drivername) is None
    assert sqla.engine_config_types(info.drivername) is None
    assert sqla.pool_class_allowed("QueuePool", info.drivername) is None


@pytest.fixture
def broken_dialect(tmp_path, monkeypatch):
    """A third-party dialect registered with SQLAlchemy whose module raises on import."""
    (tmp_path / "brokendb_dialect.py").write_text("raise RuntimeError('this dialect is broken')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    from sqlalchemy.dialects import registry

    registry.register("brokendb", "brokendb_dialect", "Dialect")
    yield
    registry.impls.pop("brokendb", None)


def test_unknown_pool_class_gives_none():
    sqla = installed_knowledge()
    assert sqla.pool_kwargs("MyPool") is None
    assert sqla.pool_defaults("MyPool") is None
    assert sqla.accepted_kwargs("mysql+pymysql", poolclass="MyPool") is None


# --- pools --------------------------------------------------------------------------------


def test_pool_classes_are_every_pool_in_sqlalchemy_pool():
    pool_module = sqlalchemy.pool
    values = {name: getattr(pool_module, name) for name in dir(pool_module)}
    shipped = {name for name, v in values.items() if isinstance(v, type) and issubclass(v, pool_module.Pool)}
    assert set(installed_knowledge().pool_classes()) == shipped - {"Pool"}
    assert set(POOL_CLASSES[1:]) <= shipped


@pytest.mark.parametrize(
    "name,expected",
    [
        ("sqlalchemy.pool.NullPool", "NullPool"),
        ("sqlalchemy.pool.impl.NullPool", "NullPool"),
        ("sqlalchemy.pool.StaticPool", "StaticPool"),
        ("sqlalchemy.pool.QueuePool", "QueuePool"),
        ("sqlalchemy.pool.base.Pool", "Pool"),
        ("sqlalchemy.NullPool", "NullPool" if hasattr(sqlalchemy, "NullPool") else None),  # not in 1.4
        ("sqlalchemy.create_engine", None),
        ("sqlalchemy.pool.NoSuchPool", None),
        ("sqlalchemy.nosuchmodule.NullPool", None),
        ("NullPool", None),
        ("poolcheck_test_project.pools.NullPool", None),
    ],
)
def test_resolve_pool_class(name, expected):
    assert Knowledge().resolve_pool_class(name) == expected
    assert "poolcheck_test_project" not in sys.modules  # project code is never imported


def test_pool_kwargs_are_translated_names():
    sqla = installed_knowledge()
    queue_pool_names = {"pool_size", "max_overflow", "pool_timeout", "pool_recycle", "pool_pre_ping", "pool_use_lifo"}
    assert queue_pool_names <= sqla.pool_kwargs("QueuePool")
    assert "pool_size" in sqla.pool_kwargs("SingletonThreadPool")
    assert not {"pool_size", "max_overflow", "pool_timeout"} & sqla.pool_kwargs("NullPool")
    assert not {"recycle", "timeout", "pre_ping"} & sqla.all_pool_kwarg_names()
    assert sqla.pool_kwargs("NullPool") < sqla.all_pool_kwarg_names()


def test_pool_defaults_match_a_real_queue_pool():
    defaults = installed_knowledge().pool_defaults("QueuePool")
    expected = {
        "pool_size": 5, "max_overflow": 10, "pool_timeout": 30.0, "pool_recycle": -1,
        "pool_pre_ping": False, "pool_use_lifo": False,
    }  # fmt: skip
    assert {name: defaults[name] for name in expected} == expected
    pool = create_engine("sqlite:///unused.db", poolclass=sqlalchemy.pool.QueuePool).pool
    assert (pool.size(), pool._max_overflow, pool._timeout, pool._recycle, pool._pre_ping) == (5, 10, 30.0, -1, False)


def test_default_pool_class_with_an_unknown_database():
    sqla = installed_knowledge()
    assert sqla.default_pool_class("mysql+pymysql", UNKNOWN) == "QueuePool"
    assert sqla.default_pool_class("sqlite", UNKNOWN) is None  # memory vs file differ
    assert sqla.default_pool_class("sqlite", None) == "SingletonThreadPool"
    assert sqla.default_pool_class("sqlite", "app.db", query=UNKNOWN) is None  # ?mode=memory
    # a keyword outside the union over the possible defaults is rejected whatever the database
    assert "max_overflow" not in sqla.accepted_kwargs("sqlite", poolclass="SingletonThreadPool")
    assert "pool_size" in sqla.accepted_kwargs("sqlite", database=UNKNOWN)


def test_kwargs_accepted_by_any_dialect():
    anywhere = installed_knowledge().kwargs_accepted_by_any_dialect()
    assert {"fast_executemany", "pool_size", "max_overflow", "echo", "connect_args", "is_mariadb"} <= anywhere
    assert not {"charset", "connect_timeout", "pool_recyle", "url", "_is_async"} & anywhere


def test_known_drivernames_cover_the_shipped_dialects():
    names = installed_knowledge().known_drivernames()
    assert {"mysql", "mysql+pymysql", "mariadb+pymysql", "postgresql+asyncpg", "sqlite", "mssql+pyodbc"} <= set(names)


# --- engine_from_config -------------------------------------------------------------------


def test_engine_config_types_name_the_coercions():
    sqla = installed_knowledge()
    types_ = sqla.engine_config_types("mysql+pymysql")
    assert {k: types_[k] for k in ("pool_size", "max_overflow", "pool_recycle", "pool_timeout")} == dict.fromkeys(
        ("pool_size", "max_overflow", "pool_recycle", "pool_timeout"), "int"
    )
    assert types_["echo"] == types_["echo_pool"] == "bool_or_str" and types_["future"] == "bool"
    assert "pool_pre_ping" not in types_ and "pool_use_lifo" not in types_  # not coerced: "false" is truthy
    assert sqla.engine_config_types("mssql+pyodbc")["legacy_schema_aliasing"] == "bool"


def test_engine_config_types_agree_with_the_real_coercion():
    from sqlalchemy.dialects.mysql.pymysql import dialect

    for key, kind in installed_knowledge().engine_config_types("mysql+pymysql").items():
        coerce = dialect.engine_config_types[key]
        if kind == "int":
            assert coerce("12") == 12
        elif kind == "bool":
            assert coerce("false") is False
        elif kind == "bool_or_str":  # the strings let through differ: "debug", 1.4's "force"
            assert coerce("false") is False and coerce("true") is True


# --- suggestions --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typo,expected",
    [
        ("pool_recyle", "pool_recycle"),
        ("pre_ping", "pool_pre_ping"),
        ("poolsize", "pool_size"),
        ("recycle", "pool_recycle"),
        ("timeout", "pool_timeout"),
        ("pool_class", "poolclass"),
        ("pool_echo", "echo_pool"),
        ("max_overflows", "max_overflow"),
        ("Pool_Size", "pool_size"),
        ("charset", None),
        ("connect_timeout", None),
        ("pool_size", None),  # not a typo
    ],
)
def test_suggest_kwarg(typo, expected):
    candidates = installed_knowledge().accepted_kwargs("mysql+pymysql")
    assert suggest_kwarg(typo, candidates) == expected


# --- laziness and persistence ---------------------------------------------------------------


def _run_python(code: str) -> str:
    environment = {**os.environ, "PYTHONPATH": str(LINT_ROOT)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=environment)
    return result.stdout.strip()


def test_importing_poolcheck_sqla_does_not_import_sqlalchemy():
    code = "import sys, poolcheck.sqla as s; s.Knowledge(); s.installed_knowledge(); print('sqlalchemy' in sys.modules)"
    assert _run_python(code) == "False"


def test_a_saved_table_answers_without_sqlalchemy(tmp_path):
    table = tmp_path / "sqla.json"
    table.write_text(json.dumps(Knowledge().warm().to_dict()))
    code = (
        "import json, sys; from poolcheck.sqla import Knowledge, UNKNOWN\n"
        f"k = Knowledge.from_dict(json.load(open({str(table)!r})), compute_missing=False)\n"
        "print(sorted(k.pool_kwargs('NullPool')), k.default_pool_class('mysql+pymysql', UNKNOWN),\n"
        "      'fast_executemany' in k.kwargs_accepted_by_any_dialect(), k.parse_url('mysql://x'),\n"
        # composed from saved pieces, although never asked before the table was saved:
        "      sorted({'pool_size', 'pool_recycle'} & k.accepted_kwargs('mysql+pymysql', poolclass='NullPool')),\n"
        "      'sqlalchemy' in sys.modules)"
    )
    output = _run_python(code)
    assert output.endswith("QueuePool True None ['pool_recycle'] False"), output
    assert "'pool_recycle'" in output


def test_to_dict_round_trips_through_json():
    original = Knowledge()
    original.warm()
    original.parse_url("mysql+pymysql://u:p@h/db?x=1")
    original.accepted_kwargs("sqlite", database=UNKNOWN)
    restored = Knowledge.from_dict(json.loads(json.dumps(original.to_dict())), compute_missing=False)
    assert restored.to_dict() == original.to_dict()
    assert restored.parse_url("mysql+pymysql://u:p@h/db?x=1") == original.parse_url("mysql+pymysql://u:p@h/db?x=1")
    assert restored.accepted_kwargs("sqlite", database=UNKNOWN) == original.accepted_kwargs("sqlite", database=UNKNOWN)
    assert restored.sqlalchemy_version() == sqlalchemy.__version__


def test_a_table_of_another_version_does_not_mix_in_answers_from_this_one():
    table = Knowledge().to_dict()
    table["sqlalchemy_version"] = "0.0.1"
    other = Knowledge.from_dict(table)
    assert other.sqlalchemy_version() == "0.0.1"
    assert other.pool_kwargs("QueuePool") is None  # not in the table, and not ours to compute


def test_from_dict_refuses_another_format():
    with pytest.raises(ValueError):
        Knowledge.from_dict({"format": -1, "sqlalchemy_version": "2.0.0", "answers": {}})


def test_without_sqlalchemy_every_answer_is_unknown_not_empty():
    # sys.modules[name] = None makes "import sqlalchemy" raise ImportError.
    code = (
        "import sys; sys.modules['sqlalchemy'] = None\n"
        "from poolcheck.sqla import Knowledge\n"
        "k = Knowledge()\n"
        "print([k.sqlalchemy_version(), k.pool_classes(), k.all_pool_kwarg_names(),\n"
        "       k.kwargs_accepted_by_any_dialect(), k.accepted_kwargs('mysql'), k.parse_url('mysql://h/db'),\n"
        "       k.resolve_pool_class('sqlalchemy.pool.NullPool'),\n"
        "       k.pool_class_allowed('QueuePool', 'mysql'), k.known_drivernames()])"
    )
    assert _run_python(code) == str([None] * 9)


def test_questions_with_arguments_that_are_not_plain_data_give_none():
    sqla = Knowledge()
    assert sqla.parse_url(b"mysql://h/db") is None
    assert sqla.default_pool_class("sqlite", database=object()) is None


@pytest.mark.parametrize(
    "table",
    [
        {"format": 1, "sqlalchemy_version": "2.0.0"},
        {"format": 1, "sqlalchemy_version": "2.0.0", "answers": {"pool_kwargs": [1, 2]}},
        {"format": 1, "sqlalchemy_version": "2.0.0", "answers": {"parse_url": {"[\"x\"]": {"drivername": "x"}}}},
        ["not", "a", "table"],
    ],
)
def test_from_dict_refuses_a_corrupt_table(table):
    with pytest.raises(ValueError):
        Knowledge.from_dict(table)


def test_masked_url_shows_the_database_as_written():
    sqla = Knowledge()
    assert sqla.parse_url("sqlite:///:memory:").masked == "sqlite:///:memory:"  # 2.1 renders %3Amemory%3A
    assert sqla.parse_url("mysql+pymysql://u:p%3Aw@h/db").masked == "mysql+pymysql://u:***@h/db"
