"""Shared test fixtures.

Tests that need a database server use the ``mariadb_url`` / ``postgresql_url`` fixtures. They
skip with the reason when no server is reachable, except where ``POOLCHECK_REQUIRE_DATABASES=1``
(CI sets it in ``.ci/run``): there a missing server fails the test, so evidence tests can never
pass by not running.
"""

from __future__ import annotations

import os

import pytest

REQUIRE_DATABASES = os.environ.get("POOLCHECK_REQUIRE_DATABASES") == "1"

MARIADB_URL = os.environ.get("POOLCHECK_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
POSTGRESQL_URL = os.environ.get("POOLCHECK_TEST_POSTGRESQL_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _unavailable(reason: str):
    if REQUIRE_DATABASES:
        pytest.fail(f"{reason} (POOLCHECK_REQUIRE_DATABASES=1 turns this skip into a failure)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def mariadb_url() -> str:
    """A reachable MariaDB/MySQL server's SQLAlchemy URL (PyMySQL driver)."""
    try:
        import pymysql
    except ImportError:
        _unavailable("PyMySQL is not installed (pip install -e '.[test]')")
    from sqlalchemy.engine import make_url

    url = make_url(MARIADB_URL)
    try:
        connection = pymysql.connect(
            host=url.host, port=url.port or 3306, user=url.username, password=url.password or "",
            database=url.database, connect_timeout=3,
        )
        connection.close()
    except Exception as exc:
        _unavailable(f"no MariaDB/MySQL server at {url.render_as_string(hide_password=True)}: {exc}")
    return MARIADB_URL


@pytest.fixture(scope="session")
def postgresql_url() -> str:
    """A reachable PostgreSQL server's SQLAlchemy URL (psycopg 3 driver)."""
    try:
        import psycopg
    except ImportError:
        _unavailable("psycopg is not installed (pip install -e '.[test]')")
    from sqlalchemy.engine import make_url

    url = make_url(POSTGRESQL_URL)
    try:
        psycopg.connect(host=url.host, port=url.port or 5432, user=url.username, dbname=url.database, connect_timeout=3).close()
    except Exception as exc:
        _unavailable(f"no PostgreSQL server at {url.render_as_string(hide_password=True)}: {exc}")
    return POSTGRESQL_URL


@pytest.fixture(scope="session", autouse=True)
def _user_cache_folder(tmp_path_factory):
    """Runs keep what they learn about the installed SQLAlchemy in the user's cache folder
    (poolcheck.installation): the tests' runs, and the programs they start, use one of their
    own, never the real ``~/.cache``."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("user-cache")))
        yield


@pytest.fixture
def make_project(tmp_path):
    """Write ``files`` (name -> text) under a temporary project root and return a Project."""
    from pathlib import Path

    from poolcheck.config import Settings
    from poolcheck.discovery import Walker
    from poolcheck.project import Project

    def make(files, settings: Settings = None, keep_tokens=("",)):
        """``keep_tokens``: the default ("") keeps every definition (no pruning)."""
        (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
        for name, text in files.items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        settings = settings or Settings()
        root = Path(tmp_path).resolve()
        return Project(root, Walker(settings).tree(root), settings, keep_tokens=tuple(keep_tokens))

    return make


def pytest_collection_modifyitems(config, items):
    """The long fuzzing profile (``@pytest.mark.fuzz``) runs only when asked for with a
    marker expression naming it (``pytest -m fuzz``); every other run leaves it out."""
    if "fuzz" in (config.getoption("markexpr", "") or ""):
        return
    kept = [item for item in items if item.get_closest_marker("fuzz") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item.get_closest_marker("fuzz") is not None])
        items[:] = kept
