"""Reading answers out of the installed SQLAlchemy.

Every function imports SQLAlchemy inside its body, so importing this module costs nothing,
and every function may raise: :class:`poolcheck.sqla.Knowledge` turns any exception into
"unknown" (None). Results are plain data (names, not classes).

What ``create_engine`` does with its keywords (the same in 1.4, 2.0 and 2.1):
``strategy``/``empty_in_strategy``/``plugins`` are popped first; then the dialect class's
constructor keywords (``util.get_cls_kwargs``, walking the MRO while ``__init__`` takes
``**kw``) and the keywords of its ``import_dbapi()`` (``dbapi()`` in 1.4); then its own
``module``, ``enable_from_linting``, ``connect_args``, ``pool``, ``creator``, ``poolclass``;
then the pool class's constructor keywords renamed by ``_pool_translate_kwargs``
(``recycle`` -> ``pool_recycle``...); ``future``; the ``Engine`` constructor keywords.
Anything left raises ``TypeError: Invalid argument(s) ...``.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import inspect
import pkgutil
from typing import Any, Dict, FrozenSet, Iterable, List, Optional, Set, Tuple

from . import source_scan
from .model import MYSQL_FAMILY, DialectInfo, UrlInfo

QueryPairs = Tuple[Tuple[str, str], ...]

# Query keys whose values ``masked`` hides too: some drivers take the password (or a token)
# in the query string, and SQLAlchemy's hide_password only hides the userinfo password.
_SECRET_QUERY_KEY_PARTS = ("password", "passwd", "pwd", "secret", "token")


def sqlalchemy_version() -> str:
    import sqlalchemy

    return str(sqlalchemy.__version__)


# --- URLs and dialects -----------------------------------------------------------------


def url_for(drivername: str, database: Optional[str] = None, query: QueryPairs = ()) -> Any:
    """A URL with only the parts the dialect's choices may depend on."""
    from sqlalchemy.engine import URL

    grouped: Dict[str, List[str]] = {}
    for key, value in query:
        grouped.setdefault(key, []).append(value)
    as_mapping = {k: v[0] if len(v) == 1 else tuple(v) for k, v in grouped.items()}
    return URL.create(drivername, database=database, query=as_mapping)


def load_dialect(url: Any, is_async: bool) -> type:
    """The dialect class create_engine (or create_async_engine) would use for ``url``.

    1.4's ``URL.get_dialect()`` has no ``_is_async``: there an async driver (asyncpg,
    aiomysql) resolves to its asyncio dialect through the plain lookup.
    """
    if is_async and "_is_async" in inspect.signature(url.get_dialect).parameters:
        return url.get_dialect(_is_async=True)
    return url.get_dialect()


def _try_load(url: Any, is_async: bool) -> Optional[type]:
    try:
        return load_dialect(url, is_async)
    except Exception:  # NoSuchModuleError, a third-party dialect's ImportError, anything
        return None


def _explicit_driver(drivername: str) -> Optional[str]:
    return drivername.split("+", 1)[1] if "+" in drivername else None


def _is_mysql_family(backend: str, dialect_cls: Optional[type]) -> bool:
    return backend in MYSQL_FAMILY or getattr(dialect_cls, "name", None) in MYSQL_FAMILY


def describe_scheme(drivername: str) -> DialectInfo:
    url = url_for(drivername)
    sync_cls = _try_load(url, False)
    async_cls = _try_load(url, True)
    return DialectInfo(
        drivername=url.drivername,
        backend=url.get_backend_name(),
        driver=_explicit_driver(url.drivername) or getattr(sync_cls, "driver", None),
        loads=sync_cls is not None,
        dialect_class=sync_cls.__name__ if sync_cls else None,
        is_async=bool(sync_cls.is_async) if sync_cls else None,
        async_dialect_class=async_cls.__name__ if async_cls else None,
        async_supported=bool(async_cls.is_async) if async_cls else None,
        is_mysql_family=_is_mysql_family(url.get_backend_name(), sync_cls),
    )


def describe_url(text: str) -> Optional[UrlInfo]:
    from sqlalchemy.engine import make_url

    try:
        url = make_url(text)
    except Exception:  # ArgumentError, or ValueError for a non-numeric port
        return None
    scheme = describe_scheme(url.drivername)
    password = url.password
    host = url.host
    return UrlInfo(
        drivername=url.drivername,
        backend=scheme.backend,
        driver=scheme.driver,
        dialect_loads=scheme.loads,
        username=url.username,
        host=host,
        port=url.port,
        database=url.database,
        query=_query_pairs(url.query),
        has_password=bool(password is not None and str(password) != ""),
        masked=_masked(url),
        is_mysql_family=scheme.is_mysql_family,
        ambiguous_at_sign=bool(host and "@" in host),
    )


def _query_pairs(query: Any) -> QueryPairs:
    pairs: List[Tuple[str, str]] = []
    for key, value in query.items():
        values = value if isinstance(value, (tuple, list)) else (value,)
        pairs.extend((str(key), str(v)) for v in values)
    return tuple(pairs)


def _masked(url: Any) -> str:
    """render_as_string(hide_password=True), also hiding what SQLAlchemy cannot know is
    secret: the rest of a password after an unescaped "@" (parsed into the host), and
    password-like query values."""
    placeholder = "***"
    if url.host and "@" in url.host:
        url = url.set(host=url.host.rsplit("@", 1)[1])
    secret_keys = [k for k in url.query if any(p in k.lower() for p in _SECRET_QUERY_KEY_PARTS)]
    if secret_keys:
        url = url.update_query_dict({k: placeholder for k in secret_keys})
    rendered = url.render_as_string(hide_password=True)
    # Query values are URL-quoted when rendered; show our placeholder as the password's.
    return rendered.replace("%2A%2A%2A", placeholder)


def default_pool_class(drivername: str, database: Optional[str], query: QueryPairs, is_async: bool) -> str:
    """``dialect_cls.get_pool_class(url)``: a classmethod, so no DBAPI is needed.

    create_engine calls ``dialect.get_dialect_pool_class(url)``, which no shipped dialect
    overrides and which returns ``get_pool_class(url)``.
    """
    url = url_for(drivername, database, query)
    return load_dialect(url, is_async).get_pool_class(url).__name__


def dialect_kwarg_names(drivername: str, is_async: bool) -> FrozenSet[str]:
    """The dialect's constructor keywords plus those of its DBAPI import method."""
    from sqlalchemy import util

    dialect_cls = load_dialect(url_for(drivername), is_async)
    names = set(util.get_cls_kwargs(dialect_cls))
    dbapi_method = _dbapi_method(dialect_cls)
    if dbapi_method is not None:
        names |= _keyword_parameters(dbapi_method)
    return _public(names)


def _dbapi_method(dialect_cls: type) -> Any:
    """The method create_engine calls to import the DBAPI, chosen as create_engine does."""
    if "import_dbapi" in dialect_cls.__dict__:
        return dialect_cls.import_dbapi  # type: ignore[attr-defined]
    legacy = getattr(dialect_cls, "dbapi", None)  # 1.4's classmethod, 2.x's deprecated name
    if inspect.ismethod(legacy):
        return legacy
    return getattr(dialect_cls, "import_dbapi", None)


def _keyword_parameters(func: Any) -> Set[str]:
    # create_engine collects these with getfullargspec, which also lists ``cls``; passing
    # ``cls=`` fails ("multiple values"), so the bound method's signature is the truth.
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return {p.name for p in inspect.signature(func).parameters.values() if p.kind in kinds}


def _public(names: Iterable[str]) -> FrozenSet[str]:
    # Underscored names (_is_async, _coerce_config, _initialize, _dispatch...) are
    # SQLAlchemy's internal flags, not configuration.
    return frozenset(n for n in names if not n.startswith("_"))


def engine_config_types(drivername: str, is_async: bool) -> Dict[str, str]:
    """What engine_from_config coerces each key with, named by identity of the function."""
    from sqlalchemy import util

    dialect_cls = load_dialect(url_for(drivername), is_async)
    bool_or_str_code = util.bool_or_str("probe").__code__
    kinds = {}
    for key, coerce in dialect_cls.engine_config_types.items():
        if coerce is util.asint:
            kinds[key] = "int"
        elif coerce is util.asbool:
            kinds[key] = "bool"
        elif getattr(coerce, "__code__", None) is bool_or_str_code:
            kinds[key] = "bool_or_str"
        else:
            kinds[key] = "other"
    return kinds


def shipped_drivernames() -> Tuple[str, ...]:
    """Every ``backend`` and ``backend+driver`` of the dialects SQLAlchemy ships that loads.

    Backends are ``sqlalchemy.dialects.__all__`` plus the ``name`` of every dialect class in
    those packages (this finds ``mariadb``, served by the mysql package); drivers are the
    package's modules that define a ``dialect``.
    """
    import sqlalchemy.dialects as dialects_pkg

    found: Set[str] = set()
    for package_name in dialects_pkg.__all__:
        package = importlib.import_module(f"sqlalchemy.dialects.{package_name}")
        modules = _submodules(package)
        drivers = [n for n, m in modules.items() if isinstance(getattr(m, "dialect", None), type) and n != "base"]
        for backend in {package_name} | _dialect_names_defined_in(modules.values()):
            for candidate in [backend] + [f"{backend}+{driver}" for driver in drivers]:
                if _try_load(url_for(candidate), False) is not None:
                    found.add(candidate)
    return tuple(sorted(found))


def _submodules(package: Any) -> Dict[str, Any]:
    modules = {}
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_"):
            continue
        try:
            modules[info.name] = importlib.import_module(f"{package.__name__}.{info.name}")
        except Exception:  # a module needing an optional dependency at import time
            continue
    return modules


def _dialect_names_defined_in(modules: Iterable[Any]) -> Set[str]:
    from sqlalchemy.engine.interfaces import Dialect

    names = set()
    for module in modules:
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Dialect) and value.__module__ == module.__name__:
                name = getattr(value, "name", None)
                if isinstance(name, str) and name and name != "default":
                    names.add(name)
    return names


# --- Pools ------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def pool_classes_by_name() -> Dict[str, type]:
    """Every Pool subclass found in ``sqlalchemy.pool`` and its submodules, by name."""
    import sqlalchemy.pool as pool_pkg

    found: Dict[str, type] = {}
    for module in [pool_pkg, *_submodules(pool_pkg).values()]:
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
    return _public(translation.get(k, k) for k in util.get_cls_kwargs(pool_class(name)))


def pool_defaults(name: str) -> Dict[str, Any]:
    """Constructor defaults along the ``__init__`` chain create_engine's kwargs walk follows,
    under create_engine names; only JSON-plain values."""
    translation = pool_kwarg_translation()
    defaults: Dict[str, Any] = {}
    for klass in pool_class(name).__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        parameters = inspect.signature(init).parameters.values()
        for parameter in parameters:
            plain = isinstance(parameter.default, (bool, int, float, str, type(None)))
            if parameter.default is not parameter.empty and plain and not parameter.name.startswith("_"):
                defaults.setdefault(translation.get(parameter.name, parameter.name), parameter.default)
        if not any(p.kind is p.VAR_KEYWORD for p in parameters):
            break  # this __init__ does not pass keywords on to its bases
    return defaults


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


# --- create_engine itself ---------------------------------------------------------------


def engine_kwarg_names() -> FrozenSet[str]:
    from sqlalchemy import util
    from sqlalchemy.engine import Engine

    return _public(util.get_cls_kwargs(Engine))


def _create_async_engine_node() -> Optional[Any]:
    # Read from the file, not imported: on 2.1 importing sqlalchemy.ext.asyncio fails
    # without greenlet, yet what create_async_engine accepts is still a fact worth knowing.
    spec = importlib.util.find_spec("sqlalchemy.ext.asyncio.engine")
    if spec is None or not spec.origin:
        return None
    with open(spec.origin, encoding="utf-8") as source:
        return source_scan.function_node(source.read(), "create_async_engine")


def special_kwarg_names(is_async: bool) -> FrozenSet[str]:
    """The keywords create_engine (and create_async_engine) pop themselves."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import URL

    names = source_scan.popped_keyword_names(source_scan.function_node_of(create_engine))
    plugin_hook = getattr(URL, "_instantiate_plugins", None)  # pops "plugins"
    if plugin_hook is not None:
        names |= source_scan.popped_keyword_names(source_scan.function_node_of(plugin_hook))
    if is_async:
        node = _create_async_engine_node()
        if node is None:
            raise LookupError("create_async_engine not found")
        names |= source_scan.popped_keyword_names(node)
    return _public(names)


def entry_parameter_names(is_async: bool) -> FrozenSet[str]:
    """Named parameters of create_engine (``url``): passing one again by keyword is a
    Python TypeError, so they are never accepted keywords although ``Engine`` lists them."""
    from sqlalchemy import create_engine

    names = {p.name for p in inspect.signature(create_engine).parameters.values() if p.kind is not p.VAR_KEYWORD}
    if is_async:  # create_async_engine forwards to create_engine: both lists apply
        node = _create_async_engine_node()
        if node is not None:
            names |= source_scan.named_parameters(node)
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
