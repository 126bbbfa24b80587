"""PC301's reading of each configuration against what APScheduler 3 actually builds from it.

Every self-contained example of ``test_pc301_forms`` is executed with the real library (no
server needed: building a store and its engine does not connect). The library's answer is
read off the stores it constructed: one built from a URL whose pool neither pre-pings nor
recycles, on MySQL/MariaDB or on the database of an engine the example creates itself. That
answer must equal poolcheck's verdict.
"""

from __future__ import annotations

import posixpath
import re

import pytest

pytest.importorskip("apscheduler", reason="APScheduler is in the test extra (pip install -e '.[test]')")

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore  # noqa: E402
from apscheduler.schedulers.background import BackgroundScheduler  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402

from test_pc301_forms import CASES, RULES, _example  # noqa: E402
from poolcheck.testing import check_example  # noqa: E402

# Only drivers installed for the tests: the backend, which is what matters, stays the same.
INSTALLED_DRIVERS = (
    ("mysql+mysqldb://", "mysql+pymysql://"),
    ("mysql://", "mysql+pymysql://"),
    ("mariadb+mariadbconnector://", "mariadb+pymysql://"),
    ("postgresql+psycopg2://", "postgresql+psycopg://"),
    ("postgresql://", "postgresql+psycopg://"),
)
NEEDS_MORE_THAN_THE_LIBRARY = ("import os", "flask", "def ", "datastores", "configparser", "app.db:engine", "redis")


def self_contained(case) -> bool:
    return not case.files and not any(marker in case.code for marker in NEEDS_MORE_THAN_THE_LIBRARY)


CONTAINED = [case for case in CASES if self_contained(case)]


def library_says_flagged(code: str, monkeypatch) -> bool:
    built = []
    original = SQLAlchemyJobStore.__init__

    def recording(self, *args, **kwargs):
        original(self, *args, **kwargs)
        engine_given = kwargs.get("engine") if "engine" in kwargs else (args[1] if len(args) > 1 else None)
        built.append((self, bool(engine_given)))

    monkeypatch.setattr(SQLAlchemyJobStore, "__init__", recording)
    for written, installed in INSTALLED_DRIVERS:
        code = re.sub(r"(?<![\w+])" + re.escape(written), installed, code)
    namespace: dict = {}
    exec(compile(code, "app.py", "exec"), namespace)
    for config in _flask_configs(namespace):
        # What Flask-APScheduler's _load_config does with the key.
        BackgroundScheduler().configure(jobstores=config["SCHEDULER_JOBSTORES"])
    app_engines = [value for value in namespace.values() if isinstance(value, Engine)]
    for store, engine_given in built:
        if engine_given:
            continue
        pool = store.engine.pool
        if isinstance(pool, NullPool) or pool._pre_ping or pool._recycle != -1:
            continue
        url = store.engine.url
        if url.get_backend_name() in ("mysql", "mariadb"):
            return True
        if any(_same_database(url, engine.url) for engine in app_engines if engine is not store.engine):
            return True
    return False


def _flask_configs(namespace: dict):
    """SCHEDULER_JOBSTORES of a settings module or of config classes, as Flask would load them."""
    if "SCHEDULER_JOBSTORES" in namespace:
        yield namespace
    for value in list(namespace.values()):
        if isinstance(value, type) and "SCHEDULER_JOBSTORES" in vars(value):
            yield {"SCHEDULER_JOBSTORES": value.SCHEDULER_JOBSTORES}


def _same_database(a, b) -> bool:
    if a.get_backend_name() != b.get_backend_name():
        return False
    if a.get_backend_name() == "sqlite":
        return bool(a.database) and a.database != ":memory:" and posixpath.normpath(a.database) == posixpath.normpath(b.database or "")
    return (a.host, a.port, a.database) == (b.host, b.port, b.database)


def test_most_examples_are_checked_against_the_library():
    assert len(CONTAINED) >= 60


@pytest.mark.parametrize("case", CONTAINED, ids=lambda c: f"{c.form}-{'flagged' if c.flagged else 'clean'}-{c.note}")
def test_poolcheck_agrees_with_apscheduler(case, monkeypatch):
    linted = any(f.code == "PC301" for f in check_example(_example(case), ["ALL"], RULES))
    assert linted == library_says_flagged(case.code, monkeypatch)
