"""Questions about pool classes, read from the installed SQLAlchemy (lazily, may raise)."""

from __future__ import annotations

import functools
import importlib
import importlib.util
import inspect
from typing import Any, Dict, FrozenSet, Optional, Tuple

from . import source_scan
from ._helpers import constructor_defaults, import_submodules, public_names


@functools.lru_cache(maxsize=1)
def pool_classes_by_name() -> Dict[str, type]:
    """Every Pool subclass found in ``sqlalchemy.pool`` and its submodules, by name."""
    import sqlalchemy.pool as pool_pkg

    found: Dict[str, type] = {}
    for module in [pool_pkg, *import_submodules(pool_pkg).values()]:
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, pool_pkg.Pool) and not value.__name__.startswith("_"):
                found.setdefault(value.__name__, value)
    return found


def concrete_pool_class_names() -> Tuple[str, ...]:
    import sqlalchemy.pool as pool_pkg

    return tuple(sorted(n for n, c in pool_classes_by_name().items() if c is not pool_pkg.Pool))


def pool_class(name: str) -> type:
    return pool_classes_by_name()[name]


def pool_kwarg_translation() -> Dict[str, str]:
    """Pool constructor keyword -> create_engine keyword (``recycle`` -> ``pool_recycle``).

    2.x keeps it in ``sqlalchemy.engine.create._pool_translate_kwargs``; 1.4 in a dict
    literal inside create_engine, read from the installed source.
    """
    from sqlalchemy.engine import create

    mapping = getattr(create, "_pool_translate_kwargs", None)
    if mapping is not None:
        return dict(mapping)
    return source_scan.string_dict_assigned(source_scan.function_node_of(create.create_engine), "translate")


def pool_kwarg_names(name: str) -> FrozenSet[str]:
    from sqlalchemy import util

    translation = pool_kwarg_translation()
    return public_names(translation.get(k, k) for k in util.get_cls_kwargs(pool_class(name)))


def pool_defaults(name: str) -> Dict[str, Any]:
    """Constructor defaults along the ``__init__`` chain create_engine's kwargs walk follows,
    under create_engine names; only JSON-plain values."""
    return constructor_defaults(pool_class(name), pool_kwarg_translation())


def pool_async_mode(name: str) -> str:
    """The pool's asyncio-ness as create_engine checks it (``pool._is_asyncio``).

    "asyncio" or "sync" for a class that fixes ``_is_asyncio`` (AsyncAdaptedQueuePool;
    QueuePool, SingletonThreadPool); "either" when it inherits Pool's property, which follows
    the dialect the pool is given (NullPool, StaticPool, AssertionPool).
    """
    for klass in pool_class(name).__mro__:
        if "_is_asyncio" in klass.__dict__:
            value = klass.__dict__["_is_asyncio"]
            if isinstance(value, bool):
                return "asyncio" if value else "sync"
            return "either"
    return "either"


def resolve_pool_class(qualified_name: str) -> Optional[str]:
    """The pool class a dotted name denotes in the installed SQLAlchemy, if any.

    Only names under ``sqlalchemy`` are looked up: the linter never imports project code.
    """
    import sqlalchemy.pool as pool_pkg

    parts = qualified_name.split(".")
    if parts[0] != "sqlalchemy" or len(parts) < 2:
        return None
    value: Any = importlib.import_module("sqlalchemy")
    for index, part in enumerate(parts[1:], start=1):
        if not hasattr(value, part):
            module_name = ".".join(parts[: index + 1])
            if not inspect.ismodule(value) or importlib.util.find_spec(module_name) is None:
                return None
            importlib.import_module(module_name)  # a submodule not imported by its package
        value = getattr(value, part)
    if isinstance(value, type) and issubclass(value, pool_pkg.Pool):
        return value.__name__
    return None
