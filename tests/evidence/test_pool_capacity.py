"""PC106 evidence: a pool allowed more connections than the server accepts is refused.

The server's limit is a per-user one (``CREATE USER ... WITH MAX_USER_CONNECTIONS 3``): the
same refusal a full server gives, for one throw-away user, without touching the global
``max_connections`` of a shared server. poolcheck is told the same limit through
``[tool.poolcheck.database] max-connections`` (and the worker count through ``workers``), and
must flag exactly the pools the server refuses.

Worker processes each hold their own pool; two engines in this process stand in for two
workers (the server sees the same thing: two pools' worth of connections from one user).
"""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, exc

from _lint import engine_module, findings

pytestmark = pytest.mark.database

LIMIT = 3
REFUSED = (1040, 1226)  # Too many connections / max_user_connections exceeded


def hold_all(engines, per_engine: int):
    """Check out ``per_engine`` connections from every engine, as a peak load would; return
    them (the caller closes) or raise what the server or pool raises."""
    held = []
    try:
        for engine in engines:
            for _ in range(per_engine):
                held.append(engine.connect())
    except Exception:
        for connection in held:
            connection.close()
        raise
    return held


@pytest.mark.parametrize(
    "options,workers",
    [
        pytest.param({"pool_size": 2, "max_overflow": 3}, 1, id="one-process-5-over-3"),
        pytest.param({"pool_size": 1, "max_overflow": 1}, 2, id="two-workers-2x2-over-3"),
    ],
)
def test_pool_above_the_limit_is_refused_and_flagged(limited_user, options, workers):
    url = limited_user(LIMIT)
    engines = [create_engine(url, pool_timeout=1, **options) for _ in range(workers)]
    per_engine = options["pool_size"] + options["max_overflow"]
    try:
        with pytest.raises(exc.OperationalError) as raised:
            held = hold_all(engines, per_engine)
            for connection in held:  # pragma: no cover - only if the server did not refuse
                connection.close()
    finally:
        for engine in engines:
            engine.dispose()
    assert raised.value.orig.args[0] in REFUSED, raised.value

    settings = {"database": {"max-connections": LIMIT, "workers": workers}}
    reported = findings("PC106", engine_module(options), settings=settings)
    assert len(reported) == 1
    assert f"max_connections = {LIMIT}" in reported[0].message


@pytest.mark.parametrize(
    "options,workers",
    [
        pytest.param({"pool_size": 2, "max_overflow": 1}, 1, id="one-process-3"),
        pytest.param({"pool_size": 1, "max_overflow": 0}, 3, id="three-workers-1"),
    ],
)
def test_pool_within_the_limit_stops_at_its_own_limit(limited_user, options, workers):
    url = limited_user(LIMIT)
    engines = [create_engine(url, pool_timeout=0.2, **options) for _ in range(workers)]
    per_engine = options["pool_size"] + options["max_overflow"]
    try:
        held = hold_all(engines, per_engine)  # the whole pool at once: the server accepts it
        assert len(held) <= LIMIT
        with pytest.raises(exc.TimeoutError):  # one more waits on the pool, not on the server
            engines[0].connect()
        for connection in held:
            connection.close()
    finally:
        for engine in engines:
            engine.dispose()

    settings = {"database": {"max-connections": LIMIT, "workers": workers}}
    assert findings("PC106", engine_module(options), settings=settings) == []
