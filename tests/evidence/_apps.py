"""Run a Flask application whose source an evidence test also hands to poolcheck.

The application is written to a real file and imported from it (as ``flask run`` imports
it), so Flask finds its ``static/`` folder next to it and tracebacks name real lines. Its
database URL comes from the environment (``DATABASE_URL``), as deployed code reads it.
"""

from __future__ import annotations

import gc
import importlib.util
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, List



@contextmanager
def flask_module(source: str, folder: Path, database_url: str, monkeypatch) -> Iterator[object]:
    """Import ``source`` as a fresh module in ``folder`` with ``DATABASE_URL`` set; on exit,
    dispose of every engine it built (closing what it still holds) and forget the module."""
    name = f"pc_evidence_app_{uuid.uuid4().hex[:8]}"
    path = folder / f"{name}.py"
    path.write_text(source, encoding="utf-8")
    monkeypatch.setenv("DATABASE_URL", database_url)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(name, None)
        for value in list(vars(module).values()):
            if type(value).__name__ == "Engine":  # (type(): never touch Flask's proxies)
                value.dispose()
        vars(module).clear()
        gc.collect()


def record_exceptions(app) -> List[str]:
    """``"TypeName: message"`` of every exception a request of ``app`` raises, in order
    (Flask's ``got_request_exception`` signal; only the text is kept, never the exception,
    whose traceback would keep the view's locals alive)."""
    from flask import got_request_exception

    seen: List[str] = []

    def record(sender, exception, **extra):
        seen.append(f"{type(exception).__name__}: {exception}")

    got_request_exception.connect(record, app, weak=False)
    return seen


def client_for(app, mode: str):
    """A test client for ``app`` served as ``flask run --debug`` does (werkzeug's debugger
    around the app, exceptions propagated to it) or as production does."""
    if mode == "debugger":
        from werkzeug.debug import DebuggedApplication
        from werkzeug.test import Client

        app.debug = True
        return Client(DebuggedApplication(app, evalex=True))
    return app.test_client()


def serve_orders(module, mode: str):
    """A good request, an unknown order, a good request: (statuses, exceptions raised,
    connections checked out after the failed request)."""
    app = module.app
    errors = record_exceptions(app)
    client = client_for(app, mode)
    was_enabled = gc.isenabled()
    if mode == "production":
        gc.disable()
    try:
        statuses = [client.get("/orders/1").status_code, client.get("/orders/404").status_code]
        held = module.engine.pool.checkedout()
        statuses.append(client.get("/orders/1").status_code)
    finally:
        if was_enabled:
            gc.enable()
    return statuses, errors, held
