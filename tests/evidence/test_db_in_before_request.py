"""PC405 evidence: database work in ``before_request`` takes a connection on every request.

A ``before_request`` handler runs before every request the application serves: static
files, health checks, 404s. The Flask-SQLAlchemy application below loads the site settings
there, so each of those requests checks a connection out of the pool (counted with the
pool's ``checkout`` event), competes for it with the requests that need the database, and
fails with them when the database is slow or the pool is exhausted. Doing the same work in
the view that needs it (or lazily, on first use) leaves static files and health checks
alone. Run with the real Flask test client and Flask-SQLAlchemy; poolcheck (PC405, opt-in)
must flag the hook only.
"""

from __future__ import annotations

import pytest
from sqlalchemy import event

from _apps import flask_module
from _lint import findings

PREAMBLE = '''import os

from flask import Flask, g
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import text

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
db = SQLAlchemy(app)

SETTINGS = text("SELECT name, value FROM settings")
'''

IN_BEFORE_REQUEST = PREAMBLE + '''

@app.before_request
def load_settings():
    g.settings = dict(db.session.execute(SETTINGS).all())


@app.route("/health")
def health():
    return {"ok": True}


@app.route("/")
def home():
    return {"title": g.settings["title"]}
'''

IN_THE_VIEW = PREAMBLE + '''

def site_settings():
    if "settings" not in g:
        g.settings = dict(db.session.execute(SETTINGS).all())
    return g.settings


@app.route("/health")
def health():
    return {"ok": True}


@app.route("/")
def home():
    return {"title": site_settings()["title"]}
'''

PATHS = ("/static/site.css", "/health", "/missing", "/")


@pytest.fixture
def settings_url(tmp_path):
    from sqlalchemy import create_engine, text

    url = f"sqlite:///{tmp_path / 'site.db'}"
    setup = create_engine(url)
    with setup.begin() as connection:
        connection.execute(text("CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT)"))
        connection.execute(text("INSERT INTO settings VALUES ('title', 'Shop')"))
    setup.dispose()
    return url


def checkouts_per_path(module):
    """{path: (status, connections checked out while serving it)}."""
    app = module.app
    with app.app_context():
        engine = module.db.engine
    checkouts = []
    event.listen(engine, "checkout", lambda *args: checkouts.append(1))
    client = app.test_client()
    result = {}
    for path in PATHS:
        before = len(checkouts)
        status = client.get(path).status_code
        result[path] = (status, len(checkouts) - before)
    return result


def static_folder(tmp_path):
    static = tmp_path / "static"
    static.mkdir(exist_ok=True)
    (static / "site.css").write_text("body { margin: 0 }\n", encoding="utf-8")


def test_before_request_query_takes_a_connection_for_every_request(tmp_path, settings_url, monkeypatch):
    static_folder(tmp_path)
    with flask_module(IN_BEFORE_REQUEST, tmp_path, settings_url, monkeypatch) as module:
        served = checkouts_per_path(module)
    assert served == {"/static/site.css": (200, 1), "/health": (200, 1), "/missing": (404, 1), "/": (200, 1)}

    reported = findings("PC405", IN_BEFORE_REQUEST)
    assert len(reported) == 1
    assert reported[0].line == IN_BEFORE_REQUEST.splitlines().index("def load_settings():") + 2
    assert "`load_settings` runs before every request (`@app.before_request`)" in reported[0].message


def test_query_in_the_view_leaves_other_requests_alone(tmp_path, settings_url, monkeypatch):
    static_folder(tmp_path)
    with flask_module(IN_THE_VIEW, tmp_path, settings_url, monkeypatch) as module:
        served = checkouts_per_path(module)
    assert served == {"/static/site.css": (200, 0), "/health": (200, 0), "/missing": (404, 0), "/": (200, 1)}
    assert findings("PC405", IN_THE_VIEW) == []
