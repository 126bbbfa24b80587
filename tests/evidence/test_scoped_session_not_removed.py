"""PC402 evidence: a ``scoped_session`` never removed keeps a connection per thread.

A ``scoped_session`` registry gives each thread its own session and keeps it in a
thread-local until ``remove()`` is called. A read-only request (no ``commit()``) leaves the
session's autobegun transaction open, so the thread's session keeps its connection checked
out after the request, and across all the thread's later requests.

The application below is served by two worker threads that live as long as the server
(a threaded server such as gunicorn's ``gthread`` worker or ``flask run --with-threads``
keeps its threads): after one request on each, two connections are checked out with no
request running, and with ``pool_size=1, max_overflow=0, pool_timeout=1`` the second
thread's request fails with ``TimeoutError: QueuePool limit of size 1 overflow 0 reached,
connection timed out, timeout 1.00``. Calling ``remove()`` at the end of every request
(``teardown_appcontext``) returns the connection: nothing is checked out between requests
and both threads are served. poolcheck must flag the registry only where nothing removes it.
"""

from __future__ import annotations

import queue
import threading

from _apps import flask_module, record_exceptions
from _lint import findings

APP = '''import os

from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.orm import scoped_session, sessionmaker
from sqlalchemy.pool import QueuePool

engine = create_engine(os.environ["DATABASE_URL"], poolclass=QueuePool, pool_size=POOL_SIZE, max_overflow=0, pool_timeout=1)
db_session = scoped_session(sessionmaker(bind=engine))
app = Flask(__name__)

{teardown}
@app.route("/orders/<int:order_id>")
def show_order(order_id):
    total = db_session.execute(text("SELECT total FROM orders WHERE id = :id"), {{"id": order_id}}).scalar_one()
    return {{"id": order_id, "total": total}}
'''

TEARDOWN = '''
@app.teardown_appcontext
def shutdown_session(exception=None):
    db_session.remove()

'''


def app_source(pool_size: int, removed: bool) -> str:
    return APP.format(teardown=TEARDOWN if removed else "").replace("POOL_SIZE", str(pool_size))


NEVER_REMOVED = app_source(1, removed=False)
REMOVED = app_source(1, removed=True)
TIMEOUT = "QueuePool limit of size 1 overflow 0 reached, connection timed out, timeout 1.00"


class Worker(threading.Thread):
    """One thread of a threaded server: serves the requests it is handed until stopped."""

    def __init__(self, client) -> None:
        super().__init__(daemon=True)
        self.client = client
        self.requests: "queue.Queue" = queue.Queue()
        self.responses: "queue.Queue" = queue.Queue()

    def run(self) -> None:
        while True:
            path = self.requests.get()
            if path is None:
                return
            self.responses.put(self.client.get(path).status_code)

    def get(self, path: str) -> int:
        self.requests.put(path)
        return self.responses.get(timeout=30)

    def stop(self) -> None:
        self.requests.put(None)
        self.join(timeout=30)


def serve_on_two_threads(module):
    """One request on each of two long-lived worker threads: (statuses, connections checked
    out after each request, exceptions raised)."""
    errors = record_exceptions(module.app)
    client = module.app.test_client()
    workers = [Worker(client), Worker(client)]
    for worker in workers:
        worker.start()
    statuses, held = [], []
    try:
        for worker in workers:
            statuses.append(worker.get("/orders/1"))
            held.append(module.engine.pool.checkedout())
    finally:
        for worker in workers:
            worker.stop()
    return statuses, held, errors


def test_never_removed_holds_a_connection_per_thread(tmp_path, orders_url, monkeypatch):
    source = app_source(2, removed=False)
    with flask_module(source, tmp_path, orders_url, monkeypatch) as module:
        statuses, held, errors = serve_on_two_threads(module)
    assert statuses == [200, 200] and errors == []
    assert held == [1, 2]  # no request running, one connection per thread that served one


def test_never_removed_exhausts_a_pool_smaller_than_the_threads(tmp_path, orders_url, monkeypatch):
    with flask_module(NEVER_REMOVED, tmp_path, orders_url, monkeypatch) as module:
        statuses, held, errors = serve_on_two_threads(module)
    assert statuses == [200, 500]
    assert len(errors) == 1 and errors[0].startswith("TimeoutError: " + TIMEOUT), errors

    reported = findings("PC402", NEVER_REMOVED)
    assert len(reported) == 1
    assert reported[0].line == NEVER_REMOVED.splitlines().index("db_session = scoped_session(sessionmaker(bind=engine))") + 1
    assert "`db_session` (scoped_session) is never removed" in reported[0].message


def test_removed_at_teardown_returns_the_connection(tmp_path, orders_url, monkeypatch):
    with flask_module(REMOVED, tmp_path, orders_url, monkeypatch) as module:
        statuses, held, errors = serve_on_two_threads(module)
    assert statuses == [200, 200] and errors == []
    assert held == [0, 0]
    assert findings("PC402", REMOVED) == []
