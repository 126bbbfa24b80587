"""The value questions of poolcheck.sqla (probes run on the real pool classes with fake
connections) agree with what the real create_engine / engine_from_config does on a real
database connection (SQLite, so no server is needed)."""

from __future__ import annotations

import json

import pytest
import sqlalchemy
from sqlalchemy import create_engine, engine_from_config, exc, text

from poolcheck.sqla import Knowledge, installed_knowledge


def _real_failure(tmp_path, option, value):
    """What the real engine does: ("create"|"checkout"|"exhausted", "Type: message") or None."""
    url = f"sqlite:///{tmp_path / 'probe.db'}"
    try:
        engine = create_engine(url, poolclass=sqlalchemy.pool.QueuePool, **{option: value})
    except Exception as error:  # noqa: BLE001
        return "create", f"{type(error).__name__}: {error}".split(" (Background")[0]
    try:
        for _ in range(2):
            with engine.connect() as connection:
                connection.execute(text("select 1"))
    except Exception as error:  # noqa: BLE001
        return "checkout", f"{type(error).__name__}: {error}".split(" (Background")[0]
    finally:
        engine.dispose()
    return None


@pytest.mark.parametrize(
    "option,value",
    [
        ("pool_size", "20"),
        ("max_overflow", "10"),
        ("pool_recycle", "3600"),
        ("pool_recycle", None),
        ("pool_reset_on_return", "bogus"),
        ("pool_reset_on_return", "commit"),
        ("pool_pre_ping", "False"),
        ("pool_use_lifo", "false"),
        ("pool_size", 3),
        ("pool_recycle", 1),
    ],
)
def test_pool_value_failure_agrees_with_the_real_engine(tmp_path, option, value):
    assert installed_knowledge().pool_value_failure("QueuePool", option, value) == _real_failure(tmp_path, option, value)


def test_a_string_timeout_fails_only_when_the_pool_is_exhausted(tmp_path):
    probe = installed_knowledge().pool_value_failure("QueuePool", "pool_timeout", "1")
    engine = create_engine(
        f"sqlite:///{tmp_path / 'x.db'}", poolclass=sqlalchemy.pool.QueuePool, pool_size=1, max_overflow=0, pool_timeout="1"
    )
    held = engine.connect()
    with pytest.raises(TypeError) as raised:
        engine.connect()
    held.close()
    engine.dispose()
    assert probe == ("exhausted", f"TypeError: {raised.value}")
    assert installed_knowledge().pool_value_failure("QueuePool", "pool_timeout", 30) is None  # never waits


@pytest.mark.parametrize("value", [float("nan"), True, float("inf"), 10**9, None])
@pytest.mark.parametrize("context", [(), (("pool_size", 1), ("max_overflow", 0)), (("pool_size", 0), ("max_overflow", 0))])
def test_the_timeout_probe_never_waits(value, context):
    """A checkout from a full pool waits for its timeout: NaN for ever (the long fuzzing
    run hung on `pool_timeout=float('nan')`), True for one second. The probe tries only
    timeouts that cannot wait; a hang here fails the test instead of stalling the suite."""
    import threading

    from poolcheck.sqla.probes import pool_value_failure

    answers = []
    worker = threading.Thread(target=lambda: answers.append(pool_value_failure("QueuePool", "pool_timeout", value, context)), daemon=True)
    worker.start()
    worker.join(60)
    assert not worker.is_alive(), f"the probe waited on pool_timeout={value!r}"
    assert answers == [None]


def test_the_probe_uses_the_other_keywords_of_the_engine():
    sqla = installed_knowledge()
    alone = sqla.pool_value_failure("QueuePool", "max_overflow", -5)
    with_size = sqla.pool_value_failure("QueuePool", "max_overflow", -5, (("pool_size", 10),))
    assert alone == ("checkout", "RecursionError: maximum recursion depth exceeded")
    assert with_size is None  # with pool_size=10, five connections come out before it recurses


@pytest.mark.parametrize("pool_size,max_overflow", [(2, 3), (0, 2), (3, -1), (1, 0)])
def test_pool_checkout_limit_agrees_with_the_real_engine(tmp_path, pool_size, max_overflow):
    engine = create_engine(
        f"sqlite:///{tmp_path / 'limit.db'}", poolclass=sqlalchemy.pool.QueuePool,
        pool_size=pool_size, max_overflow=max_overflow, pool_timeout=0.01,
    )  # fmt: skip
    held = []
    try:
        for _ in range(pool_size + max(max_overflow, 0) + 1):
            held.append(engine.connect())
        real = -1
    except exc.TimeoutError:
        real = len(held)
    finally:
        for connection in held:
            connection.close()
        engine.dispose()
    assert installed_knowledge().pool_checkout_limit("QueuePool", pool_size, max_overflow) == real


def test_pool_checkout_limit_of_pools_without_a_limit_is_unknown():
    sqla = installed_knowledge()
    assert sqla.pool_checkout_limit("NullPool", 5, 10) is None
    assert sqla.pool_checkout_limit("QueuePool", 5000, 0) is None  # too many to count


@pytest.mark.parametrize(
    "key,text",
    [("pool_size", "20"), ("pool_size", "abc"), ("pool_recycle", "-1"), ("pool_pre_ping", "false"), ("echo", "maybe"), ("echo", "debug")],
)
def test_coerce_config_value_agrees_with_engine_from_config(tmp_path, key, text):
    answer = installed_knowledge().coerce_config_value("sqlite", key, text)
    config = {"sqlalchemy.url": f"sqlite:///{tmp_path / 'c.db'}", f"sqlalchemy.{key}": text}
    try:
        engine = engine_from_config(config, poolclass=sqlalchemy.pool.QueuePool)  # 1.4 gives a file NullPool
    except ValueError as error:
        assert answer == {"error": f"ValueError: {error}"}
        return
    attribute = {"pool_size": lambda e: e.pool.size(), "pool_recycle": lambda e: e.pool._recycle,
                 "pool_pre_ping": lambda e: e.pool._pre_ping, "echo": lambda e: e.echo}[key]
    assert answer == {"value": attribute(engine)}
    engine.dispose()


def test_coerce_config_value_without_a_dialect_is_what_every_dialect_agrees_on():
    sqla = installed_knowledge()
    assert sqla.coerce_config_value(None, "pool_size", "20") == {"value": 20}
    assert sqla.coerce_config_value(None, "pool_pre_ping", "false") == {"value": "false"}  # not coerced anywhere
    assert sqla.coerce_config_value(None, "legacy_schema_aliasing", "false") is None  # only mssql coerces it


def test_keyword_defaults_match_a_real_engine(tmp_path):
    defaults = installed_knowledge().keyword_defaults("sqlite", False, "QueuePool")
    engine = create_engine(f"sqlite:///{tmp_path / 'd.db'}", poolclass=sqlalchemy.pool.QueuePool)
    assert defaults["pool_pre_ping"] is engine.pool._pre_ping is False
    assert defaults["pool_recycle"] == engine.pool._recycle == -1
    assert defaults["hide_parameters"] is engine.hide_parameters is False
    assert defaults["query_cache_size"] == 500
    assert defaults["server_side_cursors"] is engine.dialect.server_side_cursors is False
    engine.dispose()


def test_value_answers_survive_a_saved_table():
    original = Knowledge()
    original.pool_value_failure("QueuePool", "pool_size", "20", (("max_overflow", 2),))
    original.pool_checkout_limit("QueuePool", 0, 10)
    original.coerce_config_value("mysql+pymysql", "pool_size", "abc")
    original.keyword_defaults("mysql+pymysql", False, "QueuePool")
    restored = Knowledge.from_dict(json.loads(json.dumps(original.to_dict())), compute_missing=False)
    assert restored.pool_value_failure("QueuePool", "pool_size", "20", (("max_overflow", 2),)) == (
        "create", "TypeError: unsupported operand type(s) for -: 'int' and 'str'",
    )  # fmt: skip
    assert restored.pool_checkout_limit("QueuePool", 0, 10) == original.pool_checkout_limit("QueuePool", 0, 10)
    assert restored.coerce_config_value("mysql+pymysql", "pool_size", "abc") == {
        "error": "ValueError: invalid literal for int() with base 10: 'abc'"
    }
    assert restored.keyword_defaults("mysql+pymysql", False, "QueuePool") == original.keyword_defaults("mysql+pymysql", False, "QueuePool")
