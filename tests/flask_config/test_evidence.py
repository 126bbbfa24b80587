"""Evidence: the failures the PC2xx rules (and PC101 through Flask-SQLAlchemy's engines)
prevent, reproduced with the real Flask-SQLAlchemy 3.1, the real MariaDB where the failure is
the server's, and poolcheck's verdict on the very same configuration file, before and after
its fix.

Flask-SQLAlchemy 2.5.1 is not exercised here: it needs SQLAlchemy < 2 and Flask < 2.3, which
cannot share this environment, and a throwaway virtual environment would need the network at
test time. It was verified by hand (Flask 2.2.5, Flask-SQLAlchemy 2.5.1, SQLAlchemy 1.4.54):
``SQLALCHEMY_POOL_SIZE = 20`` gives a pool of 20 and ``DeprecationWarning: The
`SQLALCHEMY_POOL_SIZE` config option is deprecated and will be removed in v3.0.  Use
`SQLALCHEMY_ENGINE_OPTIONS['pool_size']` instead.``; a ``mariadb+pymysql`` URI gets
``pool_recycle=-1``; a string bind gets ``SQLALCHEMY_ENGINE_OPTIONS`` (size 7) and, for
``mysql+pymysql``, ``pool_recycle=7200``. The unit tests of the site model encode the same.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import pytest

flask = pytest.importorskip("flask", reason="pip install -e '.[test]' installs Flask")
flask_sqlalchemy = pytest.importorskip(
    "flask_sqlalchemy", reason="pip install -e '.[test]' installs Flask-SQLAlchemy 3.1"
)

from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402

from poolcheck.config import Settings  # noqa: E402
from poolcheck.registry import load_rules  # noqa: E402
from poolcheck.runner import RunOptions, Runner  # noqa: E402
from poolcheck.selection import Selection  # noqa: E402

RULES = load_rules()
APP = "from flask import Flask\nfrom flask_sqlalchemy import SQLAlchemy\n\napp = Flask(__name__)\napp.config.from_pyfile('settings.py')\ndb = SQLAlchemy(app)\n"


def test_the_installed_release_is_the_one_the_rules_judge():
    from importlib.metadata import version

    assert version("Flask-SQLAlchemy").startswith("3.1.")


# --- a project holding the configuration, checked by poolcheck and loaded by Flask ---------------


def project(tmp_path: Path, settings: str) -> Path:
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    (tmp_path / "requirements.txt").write_text("Flask-SQLAlchemy==3.1.1\n", encoding="utf-8")
    (tmp_path / "app.py").write_text(APP, encoding="utf-8")
    (tmp_path / "settings.py").write_text(settings, encoding="utf-8")
    return tmp_path


def poolcheck(root: Path, fix=False, unsafe=False):
    enabled = Selection(None).enabled_codes(RULES)
    result = Runner(Settings(), RULES, enabled, cwd=root).run(RunOptions(paths=[root], fix=fix, unsafe_fixes=unsafe))
    assert not result.errors, result.errors
    return [(f.path.as_posix(), f.line, f.code, f.severity.value, f.message) for f in result.findings]


def real_engine(root: Path, **environment):
    """The engine the real Flask-SQLAlchemy makes from the project's settings.py."""
    app = flask.Flask("evidence", root_path=str(root), instance_path=str(root / "instance"))
    app.config.from_pyfile(str(root / "settings.py"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        db = flask_sqlalchemy.SQLAlchemy(app)
        with app.app_context():
            engine = db.engine
    return engine, [str(w.message) for w in caught if "SQLALCHEMY" in str(w.message)]


def test_pc201_pool_size_is_ignored_and_the_fix_makes_it_take_effect(tmp_path):
    root = project(tmp_path, 'SQLALCHEMY_DATABASE_URI = "sqlite:///app.db"\nSQLALCHEMY_POOL_SIZE = 20\n')
    engine, warned = real_engine(root)
    assert engine.pool.size() == 5 and warned == [], "3.1 ignores the key silently: the pool keeps its default"
    (finding,) = poolcheck(root)
    assert finding[:4] == ("settings.py", 2, "PC201", "error")
    assert "ignored by Flask-SQLAlchemy 3.1.1 (requirements.txt:1)" in finding[4]

    poolcheck(root, fix=True)
    assert (root / "settings.py").read_text(
        encoding="utf-8"
    ) == 'SQLALCHEMY_DATABASE_URI = "sqlite:///app.db"\nSQLALCHEMY_ENGINE_OPTIONS = {"pool_size": 20}\n'
    engine, _ = real_engine(root)
    assert engine.pool.size() == 20, "the fixed config is the one Flask-SQLAlchemy reads"
    assert poolcheck(root) == []


def test_pc201_in_a_env_file_and_its_nested_fix(tmp_path, monkeypatch):
    root = project(tmp_path, 'SQLALCHEMY_DATABASE_URI = "sqlite:///app.db"\n')
    (root / "app.py").write_text(
        APP.replace("db = SQLAlchemy(app)", "app.config.from_prefixed_env()\ndb = SQLAlchemy(app)"), encoding="utf-8"
    )
    (root / ".env").write_text("FLASK_SQLALCHEMY_POOL_SIZE=20\n", encoding="utf-8")

    def engine_with_env():
        for line in (root / ".env").read_text(encoding="utf-8").splitlines():
            name, _, value = line.partition("=")
            monkeypatch.setenv(name, value)
        app = flask.Flask("evidence", root_path=str(root), instance_path=str(root / "instance"))
        app.config.from_pyfile(str(root / "settings.py"))
        app.config.from_prefixed_env()
        db = flask_sqlalchemy.SQLAlchemy(app)
        with app.app_context():
            return db.engine

    assert engine_with_env().pool.size() == 5
    assert [f[:3] for f in poolcheck(root)] == [(".env", 1, "PC201")]
    poolcheck(root, fix=True)
    monkeypatch.delenv("FLASK_SQLALCHEMY_POOL_SIZE")
    assert (root / ".env").read_text(encoding="utf-8") == "FLASK_SQLALCHEMY_ENGINE_OPTIONS__pool_size=20\n"
    assert engine_with_env().pool.size() == 20
    assert poolcheck(root) == []


def test_pc203_a_pre_ping_key_does_nothing_until_it_is_an_engine_option(tmp_path):
    root = project(tmp_path, 'SQLALCHEMY_DATABASE_URI = "sqlite:///app.db"\nSQLALCHEMY_POOL_PRE_PING = True\n')
    engine, _ = real_engine(root)
    assert engine.pool._pre_ping is False
    assert [f[:4] for f in poolcheck(root)] == [("settings.py", 2, "PC203", "error")]
    poolcheck(root, fix=True)
    assert poolcheck(root) != [], "the fix is unsafe: --fix alone leaves it"
    poolcheck(root, fix=True, unsafe=True)
    engine, _ = real_engine(root)
    assert engine.pool._pre_ping is True and poolcheck(root) == []


def test_pc202_a_misspelt_uri_stops_the_app_and_the_rename_starts_it(tmp_path):
    root = project(tmp_path, 'SQLALCHEMY_DATABASE_URL = "sqlite:///app.db"\n')
    with pytest.raises(RuntimeError, match="Either 'SQLALCHEMY_DATABASE_URI' or 'SQLALCHEMY_BINDS' must be set."):
        real_engine(root)
    assert [f[:4] for f in poolcheck(root)] == [("settings.py", 1, "PC202", "warning")]
    poolcheck(root, fix=True, unsafe=True)
    engine, _ = real_engine(root)
    assert engine.url.database.endswith("app.db") and poolcheck(root) == []


# --- the engine model against the real engines --------------------------------------------------


@pytest.mark.parametrize(
    "settings",
    [
        'SQLALCHEMY_DATABASE_URI = "mysql+pymysql://app@db/app"\n',
        'SQLALCHEMY_DATABASE_URI = "mariadb+pymysql://app@db/app"\n',
        'SQLALCHEMY_DATABASE_URI = "mysql+pymysql://app@db/app"\nSQLALCHEMY_ENGINE_OPTIONS = {"pool_recycle": 280, "pool_size": "20"}\n',
        'SQLALCHEMY_DATABASE_URI = "sqlite://"\n',
        'SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://app@db/app"\nSQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": "False", "max_overflow": "-1"}\n',
    ],
    ids=["mysql", "mariadb", "options-and-strings", "sqlite-memory", "postgresql-strings"],
)
def test_the_site_options_are_the_options_the_real_engine_gets(tmp_path, settings):
    """No connection is made: Flask-SQLAlchemy builds the engine, and its pool says what it got."""
    from poolcheck.flask_config import project_engine_sites
    from poolcheck.values import Known
    from poolcheck_rules.flask_sqlalchemy_data import behaviour

    root = project(tmp_path, settings)
    engine, _ = real_engine(root)
    # The project as a run sees it (its parses keep what the rules' tokens make relevant).
    runner = Runner(Settings(), RULES, Selection(None).enabled_codes(RULES), cwd=root)
    (site,) = project_engine_sites(runner.project(root.resolve()), behaviour("3.1.1"))
    assert site.coerces_strings

    def modelled(name, default):
        option = site.options.get(name)
        if option is None:
            return default
        value = option.value.value if isinstance(option.value, Known) else None
        if (
            site.coerces_strings
            and name in ("pool_recycle", "pool_size", "max_overflow", "pool_timeout")
            and isinstance(value, str)
        ):
            value = int(value)
        return value

    pool = engine.pool
    assert modelled("pool_recycle", -1) == pool._recycle
    assert modelled("pool_pre_ping", False) == pool._pre_ping
    poolclass = site.options.get("poolclass")
    expected_class = poolclass.value.value.qualified.rsplit(".", 1)[1] if poolclass else "QueuePool"
    assert type(pool).__name__ == expected_class
    if expected_class == "QueuePool":
        assert modelled("pool_size", 5) == pool.size() and modelled("max_overflow", 10) == pool._max_overflow


def test_binds_do_not_get_sqlalchemy_engine_options_in_3x(tmp_path):
    settings = (
        'SQLALCHEMY_DATABASE_URI = "sqlite:///app.db"\nSQLALCHEMY_ENGINE_OPTIONS = {"pool_size": 20}\n'
        'SQLALCHEMY_BINDS = {"reports": "sqlite:///reports.db"}\n'
    )
    root = project(tmp_path, settings)
    app = flask.Flask("evidence", root_path=str(root), instance_path=str(root / "instance"))
    app.config.from_pyfile(str(root / "settings.py"))
    db = flask_sqlalchemy.SQLAlchemy(app)
    with app.app_context():
        assert db.engines[None].pool.size() == 20 and db.engines["reports"].pool.size() == 5


# --- the server's side: idle connections and MariaDB URLs ----------------------------------------


def _lose_an_idle_connection(engine):
    with engine.connect() as connection:
        connection.exec_driver_sql("SET SESSION wait_timeout = 1")
    time.sleep(2.5)  # the server closes the pooled connection after a second of idleness
    with engine.connect() as connection:
        return connection.exec_driver_sql("SELECT 1").scalar()


@pytest.mark.database
def test_pc101_a_mariadb_uri_gets_no_recycle_and_loses_idle_connections(tmp_path, mariadb_url):
    url = make_url(mariadb_url).set(drivername="mariadb+pymysql").render_as_string(hide_password=False)
    root = project(tmp_path, f"SQLALCHEMY_DATABASE_URI = {url!r}\nSQLALCHEMY_TRACK_MODIFICATIONS = False\n")
    engine, _ = real_engine(root)
    assert engine.pool._recycle == -1 and engine.pool._pre_ping is False, "Flask-SQLAlchemy adds nothing for mariadb+"
    with pytest.raises(OperationalError) as failure:
        _lose_an_idle_connection(engine)
    assert failure.value.orig.args[0] in (2006, 2013)
    engine.dispose()
    (finding,) = poolcheck(root)
    assert finding[:3] == ("settings.py", 1, "PC101") and "MariaDB engine" in finding[4]

    with (root / "settings.py").open("a", encoding="utf-8") as handle:
        handle.write('SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}\n')
    engine, _ = real_engine(root)
    assert _lose_an_idle_connection(engine) == 1, "pre-ping replaces the dead connection"
    engine.dispose()
    assert poolcheck(root) == []


@pytest.mark.database
def test_a_mysql_uri_gets_the_implicit_recycle(tmp_path, mariadb_url):
    url = make_url(mariadb_url).render_as_string(hide_password=False)
    root = project(tmp_path, f"SQLALCHEMY_DATABASE_URI = {url!r}\n")
    engine, _ = real_engine(root)
    assert engine.pool._recycle == 7200 and engine.url.query.get("charset") == "utf8mb4"
    assert engine.connect().exec_driver_sql("SELECT 1").scalar() == 1
    engine.dispose()
    assert poolcheck(root) == [], "recycled every 2 hours: below the default wait_timeout, not PC101's"
