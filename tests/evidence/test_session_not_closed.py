"""PC401 evidence: a session closed only on the happy path exhausts the pool after one error.

The Flask view below opens a session, reads an order and closes the session, but only if
the read succeeds: an unknown order id raises ``NoResultFound`` (a 500) before ``close()``.
The session then still holds the connection its autobegun transaction checked out, and it
stays checked out for as long as something references the session:

- ``flask run --debug`` (werkzeug's debugger): the debugger keeps every failed request's
  frames, locals included, so the interactive console can inspect them. The connection is
  never returned.
- production (no debugger): a ``Session`` sits in reference cycles (session <-> its
  transaction), so CPython does not free it when the request ends; only the cycle collector
  does, whenever its allocation thresholds trip. The test switches the collector off while
  serving, which makes that timing deterministic: what happens between two collections.
  (Measured here: a leaked ``Session`` or ``Connection`` is still checked out after the
  function returns, and returned silently by ``gc.collect()``; no warning for sync pools.)

With ``pool_size=1, max_overflow=0, pool_timeout=1`` the next request waits one second for a
connection and fails with ``TimeoutError: QueuePool limit of size 1 overflow 0 reached,
connection timed out, timeout 1.00``; production's ``pool_size=5, max_overflow=10,
pool_timeout=30`` fails the same way after fifteen errors. The ``try/finally`` and ``with``
forms serve the next request. poolcheck must flag the first view and neither fix.
"""

from __future__ import annotations

import pytest

from _apps import flask_module, serve_orders
from _lint import findings

PREAMBLE = '''import os

from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool

engine = create_engine(os.environ["DATABASE_URL"], poolclass=QueuePool, pool_size=1, max_overflow=0, pool_timeout=1)
SessionLocal = sessionmaker(bind=engine)
app = Flask(__name__)

ORDER = text("SELECT total FROM orders WHERE id = :id")
'''

HAPPY_PATH_CLOSE = PREAMBLE + '''

@app.route("/orders/<int:order_id>")
def show_order(order_id):
    session = SessionLocal()
    total = session.execute(ORDER, {"id": order_id}).scalar_one()
    session.close()
    return {"id": order_id, "total": total}
'''

FINALLY_CLOSE = PREAMBLE + '''

@app.route("/orders/<int:order_id>")
def show_order(order_id):
    session = SessionLocal()
    try:
        total = session.execute(ORDER, {"id": order_id}).scalar_one()
    finally:
        session.close()
    return {"id": order_id, "total": total}
'''

WITH_BLOCK = PREAMBLE + '''

@app.route("/orders/<int:order_id>")
def show_order(order_id):
    with SessionLocal() as session:
        total = session.execute(ORDER, {"id": order_id}).scalar_one()
    return {"id": order_id, "total": total}
'''

TIMEOUT = "QueuePool limit of size 1 overflow 0 reached, connection timed out, timeout 1.00"
MODES = ["debugger", "production"]


@pytest.mark.parametrize("mode", MODES)
def test_close_on_the_happy_path_only_exhausts_the_pool(tmp_path, orders_url, monkeypatch, mode):
    with flask_module(HAPPY_PATH_CLOSE, tmp_path, orders_url, monkeypatch) as module:
        statuses, errors, held = serve_orders(module, mode)
    assert statuses == [200, 500, 500]
    assert held == 1
    assert errors[0].startswith("NoResultFound: ")
    assert errors[1].startswith("TimeoutError: " + TIMEOUT), errors

    reported = findings("PC401", HAPPY_PATH_CLOSE)
    assert len(reported) == 1
    assert reported[0].line == HAPPY_PATH_CLOSE.splitlines().index("    session = SessionLocal()") + 1
    assert "closed only on the happy path" in reported[0].message


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("source", [pytest.param(FINALLY_CLOSE, id="try-finally"), pytest.param(WITH_BLOCK, id="with")])
def test_closed_on_every_path_serves_the_next_request(tmp_path, orders_url, monkeypatch, mode, source):
    with flask_module(source, tmp_path, orders_url, monkeypatch) as module:
        statuses, errors, held = serve_orders(module, mode)
    assert statuses == [200, 500, 200]
    assert held == 0
    assert len(errors) == 1 and errors[0].startswith("NoResultFound: ")
    assert findings("PC401", source) == []
