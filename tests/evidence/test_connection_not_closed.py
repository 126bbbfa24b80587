"""PC404 evidence: a connection closed only on the happy path exhausts the pool after one error.

The Core twin of the PC401 evidence: the Flask view checks a connection out of the engine
(``engine.connect()``, or the DB-API connection from ``engine.raw_connection()``), reads an
order and closes it, but an unknown order id raises before ``close()``. The connection stays
checked out while anything references it: forever under ``flask run --debug`` (werkzeug's
debugger keeps the failed frames and their locals), until the next cycle collection in
production (a pooled connection sits in reference cycles; the test switches the collector
off while serving, as in the PC401 evidence).

With ``pool_size=1, max_overflow=0, pool_timeout=1`` the next request fails with
``TimeoutError: QueuePool limit of size 1 overflow 0 reached, connection timed out, timeout
1.00``. The ``try/finally`` and ``with`` forms serve it. poolcheck must flag the first two
views and none of the fixes.
"""

from __future__ import annotations

import pytest

from _apps import flask_module, serve_orders
from _lint import findings

PREAMBLE = '''import os

from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.pool import QueuePool

engine = create_engine(os.environ["DATABASE_URL"], poolclass=QueuePool, pool_size=1, max_overflow=0, pool_timeout=1)
app = Flask(__name__)

ORDER = text("SELECT total FROM orders WHERE id = :id")
'''

HAPPY_PATH_CLOSE = PREAMBLE + '''

@app.route("/orders/<int:order_id>")
def show_order(order_id):
    conn = engine.connect()
    total = conn.execute(ORDER, {"id": order_id}).scalar_one()
    conn.close()
    return {"id": order_id, "total": total}
'''

RAW_HAPPY_PATH_CLOSE = PREAMBLE + '''

@app.route("/orders/<int:order_id>")
def show_order(order_id):
    raw = engine.raw_connection()
    cursor = raw.cursor()
    cursor.execute("SELECT total FROM orders WHERE id = ?", (order_id,))
    total = cursor.fetchone()[0]
    raw.close()
    return {"id": order_id, "total": total}
'''

FINALLY_CLOSE = PREAMBLE + '''

@app.route("/orders/<int:order_id>")
def show_order(order_id):
    conn = engine.connect()
    try:
        total = conn.execute(ORDER, {"id": order_id}).scalar_one()
    finally:
        conn.close()
    return {"id": order_id, "total": total}
'''

RAW_FINALLY_CLOSE = PREAMBLE + '''

@app.route("/orders/<int:order_id>")
def show_order(order_id):
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("SELECT total FROM orders WHERE id = ?", (order_id,))
        total = cursor.fetchone()[0]
    finally:
        raw.close()
    return {"id": order_id, "total": total}
'''

WITH_BLOCK = PREAMBLE + '''

@app.route("/orders/<int:order_id>")
def show_order(order_id):
    with engine.connect() as conn:
        total = conn.execute(ORDER, {"id": order_id}).scalar_one()
    return {"id": order_id, "total": total}
'''

TIMEOUT = "QueuePool limit of size 1 overflow 0 reached, connection timed out, timeout 1.00"
MODES = ["debugger", "production"]
LEAKING = [
    pytest.param(HAPPY_PATH_CLOSE, "NoResultFound: ", id="connect"),
    pytest.param(RAW_HAPPY_PATH_CLOSE, "TypeError: ", id="raw_connection"),
]
CLOSED = [
    pytest.param(FINALLY_CLOSE, "NoResultFound: ", id="connect-try-finally"),
    pytest.param(RAW_FINALLY_CLOSE, "TypeError: ", id="raw_connection-try-finally"),
    pytest.param(WITH_BLOCK, "NoResultFound: ", id="with"),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("source,first_error", LEAKING)
def test_close_on_the_happy_path_only_exhausts_the_pool(tmp_path, orders_url, monkeypatch, mode, source, first_error):
    with flask_module(source, tmp_path, orders_url, monkeypatch) as module:
        statuses, errors, held = serve_orders(module, mode)
    assert statuses == [200, 500, 500]
    assert held == 1
    assert errors[0].startswith(first_error), errors
    assert errors[1].startswith("TimeoutError: " + TIMEOUT), errors

    reported = findings("PC404", source)
    assert len(reported) == 1
    opened = next(n for n, line in enumerate(source.splitlines(), 1) if "engine.connect()" in line or "engine.raw_connection()" in line)
    assert reported[0].line == opened
    assert "closed only on the happy path" in reported[0].message


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("source,first_error", CLOSED)
def test_closed_on_every_path_serves_the_next_request(tmp_path, orders_url, monkeypatch, mode, source, first_error):
    with flask_module(source, tmp_path, orders_url, monkeypatch) as module:
        statuses, errors, held = serve_orders(module, mode)
    assert statuses == [200, 500, 200]
    assert held == 0
    assert len(errors) == 1 and errors[0].startswith(first_error), errors
    assert findings("PC404", source) == []


PROBE = '''from sqlalchemy import create_engine
from sqlalchemy.pool import QueuePool


def database_answers(uri):
    engine = create_engine(uri, poolclass=QueuePool, pool_size=1, max_overflow=0, pool_timeout=1)
    engine.connect().close()
    engine.connect().close()  # the first one went back: the pool of one serves this one too
    return engine
'''


def test_a_connection_closed_where_it_is_taken_goes_back_to_the_pool(tmp_path):
    # indico's setup wizard probes a server with `engine.connect().close()`: the connection
    # is checked in at once (SQLAlchemy itself: the pool of one serves the next checkout),
    # so poolcheck must not call it "used on the spot and never closed".
    namespace: dict = {}
    exec(compile(PROBE, "probe.py", "exec"), namespace)  # (the fixture, not a checked project)
    engine = namespace["database_answers"](f"sqlite:///{tmp_path / 'probe.db'}")
    try:
        assert engine.pool.checkedout() == 0
    finally:
        engine.dispose()
    assert findings("PC404", PROBE) == []
