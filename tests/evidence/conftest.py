"""Fixtures for evidence tests: a MariaDB user with a per-user connection limit, and a small
SQLite shop database for the session/connection lifecycle evidence (``orders_url``).

Server-wide settings (``SET GLOBAL max_connections``) are never touched: other tests and
other people share the server. A per-user limit (``WITH MAX_USER_CONNECTIONS n``) makes the
server refuse connections exactly as a full server does, for that user only; the user is
dropped afterwards.
"""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url


@pytest.fixture
def limited_user(mariadb_url):
    """A factory: ``limited_user(n)`` creates a user allowed ``n`` simultaneous connections
    to the test database and returns its SQLAlchemy URL."""
    import pymysql
    from _lint import unique_name

    admin_url = make_url(mariadb_url)
    admin = pymysql.connect(
        host=admin_url.host, port=admin_url.port or 3306, user=admin_url.username,
        password=admin_url.password or "", database=admin_url.database, autocommit=True,
    )  # fmt: skip
    created = []

    def create(limit: int) -> str:
        name = unique_name("pc_evidence")
        password = unique_name("pw")
        with admin.cursor() as cursor:
            cursor.execute(f"CREATE USER '{name}'@'%' IDENTIFIED BY '{password}' WITH MAX_USER_CONNECTIONS {int(limit)}")
            created.append(name)
            cursor.execute(f"GRANT SELECT ON `{admin_url.database}`.* TO '{name}'@'%'")
        return admin_url.set(username=name, password=password).render_as_string(hide_password=False)

    yield create
    with admin.cursor() as cursor:
        for name in created:
            cursor.execute(f"DROP USER IF EXISTS '{name}'@'%'")
    admin.close()


@pytest.fixture
def orders_url(tmp_path):
    """A SQLite file with one order (id 1), for the lifecycle evidence (the pool is a real
    QueuePool all the same)."""
    from sqlalchemy import create_engine, text

    url = f"sqlite:///{tmp_path / 'shop.db'}"
    setup = create_engine(url)
    with setup.begin() as connection:
        connection.execute(text("CREATE TABLE orders (id INTEGER PRIMARY KEY, total INTEGER)"))
        connection.execute(text("INSERT INTO orders VALUES (1, 42)"))
    setup.dispose()
    return url
