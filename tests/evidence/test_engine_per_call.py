"""PC108 evidence: an engine built per request leaks a connection per request.

The handler below is the shape PC108 flags: a route that builds its own engine, uses it and
returns. It is run for real against a MariaDB user limited to 3 connections
(``MAX_USER_CONNECTIONS 3``, dropped afterwards).

An ``Engine`` lives in reference cycles, so CPython does not free it (nor close its pooled
connection) when the handler returns; only the cycle collector does, whenever its
allocation thresholds happen to trip. The test switches the collector off while the
handler runs, which makes that timing deterministic: it is what happens between two
collections under load. The fourth request is refused with ``(1226, ... max_user_connections
...)`` (``(1040, 'Too many connections')`` against the server-wide limit). The fixed forms,
one engine for the module and an engine disposed in the handler, serve many more requests
with the collector still off. poolcheck must flag the first handler and neither fix.
"""

from __future__ import annotations

import gc

import pytest
from sqlalchemy import exc

from _lint import findings

pytestmark = pytest.mark.database

LIMIT = 3
REFUSED = (1040, 1226)

PREAMBLE = '''
from sqlalchemy import create_engine, text


class MiniApp:
    """Flask's decorator shape, without Flask: registers the view and returns it."""

    def route(self, path):
        return lambda view: view


app = MiniApp()
'''

PER_REQUEST = PREAMBLE + '''

@app.route("/users/count")
def count_users(url):
    engine = create_engine(url)
    with engine.connect() as conn:
        return conn.execute(text("SELECT 1")).scalar()
'''

DISPOSED = PREAMBLE + '''

@app.route("/users/count")
def count_users(url):
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT 1")).scalar()
    finally:
        engine.dispose()
'''

SHARED = PREAMBLE + '''
_engines = {}


def get_engine(url):
    if url not in _engines:
        _engines[url] = create_engine(url)
    return _engines[url]


@app.route("/users/count")
def count_users(url):
    with get_engine(url).connect() as conn:
        return conn.execute(text("SELECT 1")).scalar()
'''


def serve(source: str, url: str, requests: int) -> int:
    """Run the module's handler ``requests`` times with the cycle collector off; return how
    many requests were served before the server refused one (re-raised)."""
    namespace: dict = {}
    exec(compile(source, "app.py", "exec"), namespace)
    handler = namespace["count_users"]
    was_enabled = gc.isenabled()
    gc.disable()
    served = 0
    try:
        for _ in range(requests):
            assert handler(url) == 1
            served += 1
    finally:
        namespace.clear()
        if was_enabled:
            gc.enable()
        gc.collect()  # close what the leaked engines still hold
    return served


def test_engine_per_request_runs_out_of_connections_and_is_flagged(limited_user):
    url = limited_user(LIMIT)
    with pytest.raises(exc.OperationalError) as raised:
        serve(PER_REQUEST, url, requests=LIMIT + 2)
    assert raised.value.orig.args[0] in REFUSED, raised.value

    reported = findings("PC108", PER_REQUEST)
    assert len(reported) == 1
    assert "count_users" in reported[0].message and "@app.route" in reported[0].message


@pytest.mark.parametrize("source", [pytest.param(DISPOSED, id="disposed"), pytest.param(SHARED, id="shared-engine")])
def test_fixed_forms_serve_every_request_and_are_clean(limited_user, source):
    url = limited_user(LIMIT)
    assert serve(source, url, requests=LIMIT * 3) == LIMIT * 3
    assert findings("PC108", source) == []
