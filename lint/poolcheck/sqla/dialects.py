"""Questions about URLs and dialects, read from the installed SQLAlchemy.

Every function imports SQLAlchemy inside its body, so importing this module costs nothing,
and may raise: :class:`poolcheck.sqla.Knowledge` turns any exception into None. Results
are plain data (names, not classes). Loading a dialect class needs no DBAPI.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any, Dict, FrozenSet, Iterable, List, Optional, Set, Tuple

from ._helpers import QueryPairs, constructor_defaults, import_submodules, public_names
from .model import MYSQL_FAMILY, DialectInfo, UrlInfo

# Query keys whose values ``masked`` hides too: some drivers take the password (or a token)
# in the query string, and SQLAlchemy's hide_password only hides the userinfo password.
_SECRET_QUERY_KEY_PARTS = ("password", "passwd", "pwd", "secret", "token")


def sqlalchemy_version() -> str:
    import sqlalchemy

    return str(sqlalchemy.__version__)


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
    rendered = rendered.replace("%2A%2A%2A", placeholder)
    # 2.1 also quotes ":" in the database ("sqlite:///%3Amemory%3A"): this text is for
    # reading, not parsing, so show the database as it is written.
    scheme, separator, rest = rendered.partition("://")
    authority, slash, path = rest.partition("/")
    return scheme + separator + authority + slash + path.replace("%3A", ":")


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
    return public_names(names)


def dialect_kwarg_defaults(drivername: str, is_async: bool) -> Dict[str, Any]:
    """Defaults of the dialect's constructor keywords (``server_side_cursors=False``...)."""
    dialect_cls = load_dialect(url_for(drivername), is_async)
    names = dialect_kwarg_names(drivername, is_async)
    return {k: v for k, v in constructor_defaults(dialect_cls).items() if k in names}


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
        modules = import_submodules(package)
        drivers = [n for n, m in modules.items() if isinstance(getattr(m, "dialect", None), type) and n != "base"]
        for backend in {package_name} | _dialect_names_defined_in(modules.values()):
            for candidate in [backend] + [f"{backend}+{driver}" for driver in drivers]:
                if _try_load(url_for(candidate), False) is not None:
                    found.add(candidate)
    return tuple(sorted(found))


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
