"""PC103 / PC104 / PC105 evidence: what the real create_engine does with these arguments.

Each case builds the engine with the installed SQLAlchemy (and the PyMySQL / psycopg
drivers the test extra installs; nothing connects to a server unless a checkout is part of
the failure, and then SQLite is used). The failing form must raise the very error poolcheck
quotes in its message, or misbehave as the message says; the fixed form must work, and
poolcheck must leave it alone.
"""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, engine_from_config, exc, text
from sqlalchemy.pool import NullPool, QueuePool, StaticPool

from _lint import engine_module, findings, quoted_errors

MYSQL = "mysql+pymysql://app:secret@db/app"


def error_text(error: BaseException) -> str:
    """How poolcheck quotes an exception: ``Type: message`` without SQLAlchemy's trailing
    "Please check..." sentence or background link."""
    text_ = str(error).split("  Please check")[0].split(" (Background on this error")[0]
    return f"{type(error).__name__}: {text_}"


def assert_quoted(finding, error: BaseException) -> None:
    assert error_text(error) in quoted_errors(finding.message), (finding.message, error_text(error))


# --- PC103 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url,options,fixed",
    [
        pytest.param(MYSQL, {"poolclass": NullPool, "pool_size": 10, "max_overflow": 20}, {"poolclass": NullPool}, id="NullPool"),
        pytest.param("sqlite://", {"pool_size": 5, "max_overflow": 10}, {"pool_size": 5}, id="sqlite-memory-SingletonThreadPool"),
        pytest.param("sqlite://", {"poolclass": StaticPool, "pool_timeout": 5}, {"poolclass": StaticPool}, id="StaticPool"),
    ],
)
def test_pool_arguments_the_pool_class_rejects(url, options, fixed):
    with pytest.raises(TypeError) as raised:
        create_engine(url, **options)
    reported = findings("PC103", engine_module(options, url=url))
    assert len(reported) == 1, reported
    assert_quoted(reported[0], raised.value)

    create_engine(url, **fixed).dispose()
    assert findings("PC103", engine_module(fixed, url=url)) == []


def test_a_sync_pool_class_with_an_asyncio_engine():
    from sqlalchemy.ext.asyncio import create_async_engine

    from poolcheck.sqla import installed_knowledge

    url = "postgresql+psycopg://app@db/app"  # psycopg 3 has an asyncio dialect; nothing connects
    source = f"from sqlalchemy.ext.asyncio import create_async_engine\nfrom sqlalchemy.pool import QueuePool\n\nengine = create_async_engine({url!r}, poolclass=QueuePool)\n"
    if not installed_knowledge().pool_mismatch_rejected():
        pytest.skip("this SQLAlchemy (1.4) accepts any pool class with an asyncio engine")
    with pytest.raises(exc.ArgumentError) as raised:
        create_async_engine(url, poolclass=QueuePool)
    reported = findings("PC103", source)
    assert len(reported) == 1
    assert error_text(raised.value) in quoted_errors(reported[0].message)

    create_async_engine(url, poolclass=NullPool)  # the fix
    assert findings("PC103", source.replace("QueuePool", "NullPool")) == []


# --- PC104 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options,fixed_url,fixed_options,suggestion",
    [
        pytest.param({"pool_recyle": 3600}, MYSQL, {"pool_recycle": 3600}, "pool_recycle", id="typo"),
        pytest.param({"pre_ping": True}, MYSQL, {"pool_pre_ping": True}, "pool_pre_ping", id="missing-prefix"),
        pytest.param({"charset": "utf8mb4"}, MYSQL + "?charset=utf8mb4", {}, None, id="driver-option"),
        pytest.param({"connect_timeout": 5}, MYSQL, {"connect_args": {"connect_timeout": 5}}, None, id="driver-option-connect-args"),
    ],
)
def test_keywords_create_engine_rejects(options, fixed_url, fixed_options, suggestion):
    with pytest.raises(TypeError) as raised:
        create_engine(MYSQL, **options)
    reported = findings("PC104", engine_module(options))
    assert len(reported) == 1
    assert_quoted(reported[0], raised.value)
    if suggestion is not None:
        assert f"did you mean `{suggestion}`" in reported[0].message
        assert reported[0].fix is not None  # the rename the fixed form applies
    else:
        assert "connect_args" in reported[0].message

    create_engine(fixed_url, **fixed_options).dispose()
    assert findings("PC104", engine_module(fixed_options, url=fixed_url)) == []


# --- PC105 ------------------------------------------------------------------------------------


def count_pings(engine, checkouts: int = 3) -> int:
    """How many times the pool pings over ``checkouts`` checkouts (pre-ping tests a pooled
    connection when it is checked out again, not a fresh one)."""
    pings = []
    original = engine.dialect.do_ping

    def counting_ping(dbapi_connection):
        pings.append(1)
        return original(dbapi_connection)

    engine.dialect.do_ping = counting_ping
    for _ in range(checkouts):
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    return len(pings)


def test_pre_ping_false_as_a_string_turns_pre_ping_on(tmp_path):
    url = f"sqlite:///{tmp_path / 'app.db'}"
    counts = {}
    for value in ("False", True, False):
        engine = create_engine(url, poolclass=QueuePool, pool_pre_ping=value)
        counts[value] = count_pings(engine)
        engine.dispose()
    assert counts == {"False": 2, True: 2, False: 0}  # "False" pings exactly as True does

    reported = findings("PC105", engine_module({"poolclass": QueuePool, "pool_pre_ping": "False"}, url=url))
    assert len(reported) == 1 and "turns `pool_pre_ping` on" in reported[0].message
    assert findings("PC105", engine_module({"poolclass": QueuePool, "pool_pre_ping": False}, url=url)) == []


def test_engine_from_config_does_not_coerce_pool_pre_ping(tmp_path):
    config = {"sqlalchemy.url": f"sqlite:///{tmp_path / 'app.db'}", "sqlalchemy.pool_size": "3", "sqlalchemy.pool_pre_ping": "false"}
    engine = engine_from_config(config, poolclass=QueuePool)  # named: 1.4 gives a SQLite file NullPool
    assert engine.pool.size() == 3  # coerced
    assert count_pings(engine) == 2  # not coerced: "false" is a true value
    engine.dispose()

    source = (
        "from sqlalchemy import engine_from_config\nfrom sqlalchemy.pool import QueuePool\n\n"
        f"engine = engine_from_config({config!r}, poolclass=QueuePool)\n"
    )
    reported = findings("PC105", source)
    assert [f.message.split(" is a")[0] for f in reported] == ["`pool_pre_ping='false'`"]
    assert findings("PC105", source.replace("'false'", "False")) == []


@pytest.mark.parametrize(
    "option,value,stage,fixed",
    [
        pytest.param("pool_size", "20", "create", 20, id="pool_size-string"),
        pytest.param("max_overflow", "10", "checkout", 10, id="max_overflow-string"),
        pytest.param("pool_recycle", "3600", "checkout", 3600, id="pool_recycle-string"),
        pytest.param("pool_reset_on_return", "bogus", "create", "commit", id="reset_on_return"),
        pytest.param("pool_recycle", None, "checkout", -1, id="pool_recycle-None"),
    ],
)
def test_values_the_pool_fails_on(tmp_path, option, value, stage, fixed):
    url = f"sqlite:///{tmp_path / 'app.db'}"

    def build_and_use(v):
        engine = create_engine(url, poolclass=QueuePool, **{option: v})
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        finally:
            engine.dispose()

    with pytest.raises((TypeError, exc.ArgumentError)) as raised:
        build_and_use(value)
    reported = findings("PC105", engine_module({"poolclass": QueuePool, option: value}, url=url))
    assert len(reported) == 1, reported
    assert_quoted(reported[0], raised.value)
    assert {"create": "create_engine() raises", "checkout": "the first checkout raises"}[stage] in reported[0].message

    build_and_use(fixed)
    assert findings("PC105", engine_module({"poolclass": QueuePool, option: fixed}, url=url)) == []


def test_a_string_timeout_fails_when_the_pool_is_exhausted(tmp_path):
    url = f"sqlite:///{tmp_path / 'app.db'}"
    engine = create_engine(url, poolclass=QueuePool, pool_size=1, max_overflow=0, pool_timeout="1")
    held = engine.connect()
    with pytest.raises(TypeError) as raised:
        engine.connect()
    held.close()
    engine.dispose()
    options = {"poolclass": QueuePool, "pool_size": 1, "max_overflow": 0}
    reported = findings("PC105", engine_module({**options, "pool_timeout": "1"}, url=url))
    assert len(reported) == 1
    assert_quoted(reported[0], raised.value)
    assert findings("PC105", engine_module({**options, "pool_timeout": 1}, url=url)) == []


def test_future_false_where_the_installed_sqlalchemy_refuses_it(tmp_path):
    from poolcheck.sqla import installed_knowledge

    url = f"sqlite:///{tmp_path / 'app.db'}"
    source = engine_module({"future": False}, url=url)
    if not installed_knowledge().future_false_rejected():  # SQLAlchemy 1.4 accepts it
        create_engine(url, future=False).dispose()
        assert findings("PC105", source) == []
        return
    with pytest.raises(exc.ArgumentError) as raised:
        create_engine(url, future=False)
    (finding,) = findings("PC105", source)
    assert error_text(raised.value) in quoted_errors(finding.message)
    create_engine(url, future=True).dispose()
    assert findings("PC105", engine_module({"future": True}, url=url)) == []
