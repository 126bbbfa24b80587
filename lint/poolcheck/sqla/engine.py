"""Questions about create_engine and create_async_engine themselves.

What ``create_engine`` does with its keywords (the same in 1.4, 2.0 and 2.1):
``strategy``/``empty_in_strategy``/``plugins`` are popped first; then the dialect class's
constructor keywords (``util.get_cls_kwargs``, walking the MRO while ``__init__`` takes
``**kw``) and the keywords of its ``import_dbapi()`` (``dbapi()`` in 1.4); then its own
``module``, ``enable_from_linting``, ``connect_args``, ``pool``, ``creator``, ``poolclass``;
then the pool class's constructor keywords renamed by ``_pool_translate_kwargs``
(``recycle`` -> ``pool_recycle``...); ``future``; the ``Engine`` constructor keywords.
Anything left raises ``TypeError: Invalid argument(s) ...``.

Functions import SQLAlchemy lazily and may raise.
"""

from __future__ import annotations

import importlib.util
import inspect
from pathlib import Path
from typing import Any, Dict, FrozenSet, Optional

from . import source_scan
from ._helpers import constructor_defaults, public_names
from .pools import concrete_pool_class_names, pool_async_mode, pool_class


def engine_kwarg_names() -> FrozenSet[str]:
    from sqlalchemy import util
    from sqlalchemy.engine import Engine

    return public_names(util.get_cls_kwargs(Engine))


def engine_kwarg_defaults() -> Dict[str, Any]:
    """Defaults of the ``Engine`` constructor keywords (``query_cache_size=500``...)."""
    from sqlalchemy.engine import Engine

    return {k: v for k, v in constructor_defaults(Engine).items() if k in engine_kwarg_names()}


def _create_async_engine_node() -> Any:
    """create_async_engine's ``ast``, read from its file without importing it: on 2.1
    ``sqlalchemy.ext.asyncio`` does not import without greenlet, yet what it accepts is still
    worth knowing. (Finding the spec of ``...asyncio.engine`` would import the package, so
    the file is looked for in the package's directory.)"""
    package = importlib.util.find_spec("sqlalchemy.ext.asyncio")  # imports sqlalchemy.ext only
    if package is None or not package.submodule_search_locations:
        raise LookupError("sqlalchemy.ext.asyncio not found")
    engine_file = Path(list(package.submodule_search_locations)[0]) / "engine.py"
    node = source_scan.function_node(engine_file.read_text(encoding="utf-8"), "create_async_engine")
    if node is None:
        raise LookupError("create_async_engine not found")
    return node


def special_kwarg_names(is_async: bool) -> FrozenSet[str]:
    """The keywords create_engine (and create_async_engine) pop themselves."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import URL

    names = source_scan.popped_keyword_names(source_scan.function_node_of(create_engine))
    plugin_hook = getattr(URL, "_instantiate_plugins", None)  # pops "plugins"
    if plugin_hook is not None:
        names |= source_scan.popped_keyword_names(source_scan.function_node_of(plugin_hook))
    if is_async:
        names |= source_scan.popped_keyword_names(_create_async_engine_node())
    return public_names(names)


def entry_parameter_names(is_async: bool) -> FrozenSet[str]:
    """Named parameters of create_engine (``url``): passing one again by keyword is a
    Python TypeError, so they are never accepted keywords although ``Engine`` lists them."""
    from sqlalchemy import create_engine

    names = {p.name for p in inspect.signature(create_engine).parameters.values() if p.kind is not p.VAR_KEYWORD}
    if is_async:  # create_async_engine forwards to create_engine: both lists apply
        names |= source_scan.named_parameters(_create_async_engine_node())
    return frozenset(names)


def pool_mismatch_rejected() -> Optional[bool]:
    """Does create_engine refuse a pool whose asyncio-ness differs from the dialect's?

    (2.0+: "Pool class X cannot be used with asyncio engine"; 1.4 accepts it.) Probed with
    the stdlib sqlite3 driver and an asyncio pool class; nothing connects.
    """
    from sqlalchemy import create_engine, exc

    asyncio_pools = [n for n in concrete_pool_class_names() if pool_async_mode(n) == "asyncio"]
    if not asyncio_pools:
        return None
    try:
        engine = create_engine("sqlite://", poolclass=pool_class(asyncio_pools[0]))
    except exc.ArgumentError:
        return True
    engine.dispose()
    return False


def future_false_rejected() -> bool:
    """Does ``create_engine(..., future=False)`` raise? (2.x: "may only be set to True".)"""
    from sqlalchemy import create_engine, exc

    try:
        engine = create_engine("sqlite://", future=False)
    except exc.ArgumentError:
        return True
    engine.dispose()
    return False
