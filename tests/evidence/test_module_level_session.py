"""PC403 evidence: a module-level session's connection dies after the server's wait_timeout.

A session created at import time is shared by every request. A request that only reads
(no ``commit()``) leaves the session's autobegun transaction open, so the session keeps its
connection checked out between requests. That connection then sits idle on the server, and
MariaDB closes it after ``wait_timeout``; ``pool_pre_ping`` cannot help, because it pings
only at checkout and the session never checks the connection in. The next request fails:

- ``sqlalchemy.exc.OperationalError: (pymysql.err.OperationalError) (2013, 'Lost connection
  to MySQL server during query')`` or ``(2006, "MySQL server has gone away ...")``;
- and every request after it fails too, with ``PendingRollbackError: Can't reconnect until
  invalid transaction is rolled back``, until something rolls the shared session back.

Run against this machine's MariaDB with ``SET SESSION wait_timeout=2`` on every pooled
connection (PyMySQL's ``init_command``: the session-level stand-in for a server configured
with a short ``wait_timeout``; the global setting is never touched). Both applications use
``pool_pre_ping=True``, the PC101 fix, so only the session's scope differs: the per-request
session checks a connection out per request, the ping replaces the dead one, and the request
after the idle period succeeds. poolcheck must flag the module-level session only.
"""

from __future__ import annotations

import time

import pytest

from _apps import flask_module, record_exceptions
from _lint import findings

pytestmark = pytest.mark.database

WAIT_TIMEOUT = 2
DISCONNECTS = ("(2013, 'Lost connection to MySQL server during query')", "(2006, ")

PREAMBLE = '''import os

from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

engine = create_engine(
    os.environ["DATABASE_URL"],
    pool_pre_ping=True,
    connect_args={"init_command": "SET SESSION wait_timeout=2"},
)
app = Flask(__name__)
'''

MODULE_LEVEL = PREAMBLE + '''
session = Session(engine)


@app.route("/stock/<int:item_id>")
def stock(item_id):
    in_stock = session.execute(text("SELECT :id > 0"), {"id": item_id}).scalar()
    return {"item": item_id, "in_stock": bool(in_stock)}
'''

PER_REQUEST = PREAMBLE + '''

@app.route("/stock/<int:item_id>")
def stock(item_id):
    with Session(engine) as session:
        in_stock = session.execute(text("SELECT :id > 0"), {"id": item_id}).scalar()
    return {"item": item_id, "in_stock": bool(in_stock)}
'''


def request_idle_request(module):
    """A request, an idle period past wait_timeout, three more requests: (statuses, errors)."""
    errors = record_exceptions(module.app)
    client = module.app.test_client()
    statuses = [client.get("/stock/1").status_code]
    time.sleep(WAIT_TIMEOUT + 1.5)
    statuses += [client.get("/stock/1").status_code for _ in range(3)]
    return statuses, errors


def test_module_level_session_dies_after_wait_timeout(tmp_path, mariadb_url, monkeypatch):
    with flask_module(MODULE_LEVEL, tmp_path, mariadb_url, monkeypatch) as module:
        statuses, errors = request_idle_request(module)
    assert statuses == [200, 500, 500, 500]
    assert errors[0].startswith("OperationalError: (pymysql.err.OperationalError) "), errors
    assert any(code in errors[0] for code in DISCONNECTS), errors
    assert all(error.startswith("PendingRollbackError: Can't reconnect until invalid transaction is rolled back") for error in errors[1:]), errors

    reported = findings("PC403", MODULE_LEVEL)
    assert len(reported) == 1
    assert reported[0].line == MODULE_LEVEL.splitlines().index("session = Session(engine)") + 1
    assert "`session` is a Session created at module level" in reported[0].message


def test_per_request_session_survives_wait_timeout(tmp_path, mariadb_url, monkeypatch):
    with flask_module(PER_REQUEST, tmp_path, mariadb_url, monkeypatch) as module:
        statuses, errors = request_idle_request(module)
    assert statuses == [200, 200, 200, 200] and errors == []
    assert findings("PC403", PER_REQUEST) == []
