"""Questions answered by running SQLAlchemy's own code on a value, without a database.

What a pool does with ``pool_size="20"`` or ``pool_reset_on_return="bogus"``, how many
connections a ``QueuePool(pool_size=0)`` lets out, what ``engine_from_config`` makes of the
string ``"3600"``: rather than restating the library's rules (which change between
versions), build the real pool with a fake DBAPI connection, or call the dialect's real
coercion function, and report what happened, with the exception's own text.

Nothing here connects anywhere or waits: checkouts use a zero timeout where they could
block. Functions import SQLAlchemy lazily and may raise; :class:`~poolcheck.sqla.Knowledge`
turns any exception into "unknown".
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

from .dialects import load_dialect, url_for
from .pools import pool_async_mode, pool_class, pool_kwarg_translation

# Probing a pool limit checks out at most this many fake connections (about 30 µs each);
# larger pools are not counted (the answer is then unknown).
MAX_PROBED_CHECKOUTS = 2000


class _FakeDBAPIConnection:
    """Enough of a DBAPI connection for a pool to create, reset, ping and close it."""

    def rollback(self) -> None:
        pass

    def commit(self) -> None:
        pass

    def close(self) -> None:
        pass


def _probe_dialect() -> Any:
    """The pool's stand-in dialect, able to ping (the default one refuses to)."""
    from sqlalchemy.pool.base import _ConnDialect

    class _ProbeDialect(_ConnDialect):
        def do_ping(self, dbapi_connection: Any) -> bool:  # 1.4
            return True

        def _do_ping_w_event(self, dbapi_connection: Any) -> bool:  # 2.x
            return True

    return _ProbeDialect()


def _describe(error: BaseException) -> str:
    text = str(error).split(" (Background on this error at:", 1)[0].strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _runnable_class(name: str) -> type:
    """The class to check connections out of: an asyncio pool needs an event loop, so its
    nearest synchronous base stands in for it (the keyword handling is inherited)."""
    cls = pool_class(name)
    if pool_async_mode(name) != "asyncio":
        return cls
    for base in cls.__mro__[1:]:
        if base.__name__ != name and base.__name__ in _sync_pool_names():
            return base
    raise LookupError(f"no synchronous base for {name}")


def _sync_pool_names() -> Tuple[str, ...]:
    from .pools import concrete_pool_class_names

    return tuple(n for n in concrete_pool_class_names() if pool_async_mode(n) == "sync")


def _constructor_name(option: str) -> str:
    """create_engine's keyword -> the pool constructor's (``pool_recycle`` -> ``recycle``)."""
    reverse = {engine_name: pool_name for pool_name, engine_name in pool_kwarg_translation().items()}
    return reverse.get(option, option)


def pool_value_failure(
    name: str, option: str, value: Any, context: Tuple[Tuple[str, Any], ...] = ()
) -> Optional[Tuple[str, str]]:
    """How a pool of class ``name`` fails with the create_engine keyword ``option`` set to
    ``value`` (and the other keywords in ``context``, as the engine sets them):
    ``("create", "TypeError: ...")`` when building it raises, ``("checkout", ...)`` when
    checking a connection out (twice, so that recycling and pinging run) raises, and
    ``("exhausted", ...)`` when waiting on a full pool raises something other than the
    pool's TimeoutError (tried only for the timeout keyword itself, with a value that
    cannot make the probe wait). None when all of that works.

    The checkouts never wait: the pool's timeout is 0 for them (a pool that is full at
    once, such as 1.4's ``pool_size=0, max_overflow=0``, is not a failure)."""
    from sqlalchemy import exc, util

    cls = _runnable_class(name)
    accepted = set(util.get_cls_kwargs(cls))
    parameter = _constructor_name(option)
    if parameter not in accepted or parameter in ("creator", "dialect"):
        raise LookupError(f"{name} has no keyword {option}")
    options: Dict[str, Any] = {_constructor_name(k): v for k, v in context if _constructor_name(k) in accepted}
    options.pop("creator", None)
    options[parameter] = value
    options["dialect"] = _probe_dialect()
    probing_timeout = parameter == "timeout"
    if "timeout" in accepted and not probing_timeout:
        options["timeout"] = 0  # the checkouts below must never wait
    try:
        pool = cls(_FakeDBAPIConnection, **options)
    except Exception as error:  # noqa: BLE001 - the error is the answer
        return "create", _describe(error)
    try:
        if not probing_timeout or _cannot_wait(value):
            for _ in range(2):
                pool.connect().close()
    except exc.TimeoutError:
        pass
    except RecursionError:
        return "checkout", "RecursionError: maximum recursion depth exceeded"
    except Exception as error:  # noqa: BLE001
        return "checkout", _describe(error)
    finally:
        pool.dispose()
    if not probing_timeout or not _cannot_wait(value):
        return None
    limits = {k: v for k, v in (("pool_size", 1), ("max_overflow", 0)) if k in accepted}
    if len(limits) != 2:
        return None
    full = cls(_FakeDBAPIConnection, dialect=_probe_dialect(), timeout=value, **limits)
    held = full.connect()
    try:
        full.connect().close()
    except exc.TimeoutError:
        return None
    except Exception as error:  # noqa: BLE001
        return "exhausted", _describe(error)
    finally:
        held.close()
        full.dispose()
    return None


def _cannot_wait(value: Any) -> bool:
    """Whether a checkout from a full pool whose timeout is ``value`` returns at once, so
    that the probe may try it: a number not above 0 (SQLAlchemy's queue raises or gives up
    at once), or a value no time can be added to (it raises before waiting). Not NaN: it
    compares false with everything, and the queue waits on it for ever (the long fuzzing
    run hung there on ``pool_timeout=float('nan')``); not True, which waits one second."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value <= 0
    if value is None:
        return False
    try:
        0.0 + value
    except TypeError:
        return True
    return False


def pool_checkout_limit(name: str, pool_size: int, max_overflow: int) -> Optional[int]:
    """How many connections a pool of class ``name`` built with these two keywords lets out
    at once: counted by checking fake connections out until it refuses. -1 when it lets out
    more than ``pool_size + max_overflow``, i.e. has no limit (``max_overflow=-1``, and
    ``pool_size=0`` from SQLAlchemy 2.0 on). None for a pool without these keywords, and
    when counting would take more than MAX_PROBED_CHECKOUTS checkouts."""
    from sqlalchemy import exc, util

    cls = _runnable_class(name)
    if not {"pool_size", "max_overflow", "timeout"} <= set(util.get_cls_kwargs(cls)):
        raise LookupError(f"{name} has no size limit")
    attempts = max(pool_size, 0) + max(max_overflow, 0) + 1
    if attempts > MAX_PROBED_CHECKOUTS:
        return None
    pool = cls(_FakeDBAPIConnection, pool_size=pool_size, max_overflow=max_overflow, timeout=0)
    held = []
    try:
        for _ in range(attempts):
            held.append(pool.connect())
    except exc.TimeoutError:
        return len(held)
    finally:
        for connection in held:
            connection.close()
        pool.dispose()
    return -1


def coerce_config_value(scheme: str, is_async: bool, key: str, text: str) -> Optional[Dict[str, Any]]:
    """What engine_from_config makes of the string ``text`` under ``key``: ``{"value": v}``
    (v plain data; the string itself when the dialect does not coerce the key) or
    ``{"error": "ValueError: ..."}``."""
    dialect_cls = load_dialect(url_for(scheme), is_async)
    coerce = dialect_cls.engine_config_types.get(key)
    if coerce is None:
        return {"value": text}
    try:
        value = coerce(text)
    except Exception as error:  # noqa: BLE001
        return {"error": _describe(error)}
    if not isinstance(value, (bool, int, float, str, type(None))):
        raise TypeError(f"not plain data: {value!r}")
    return {"value": value}
