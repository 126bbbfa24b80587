"""The plain data the SQLAlchemy knowledge hands out.

Nothing here imports SQLAlchemy: these values must survive a round trip through JSON so that
a later run can answer from a table on disk without importing SQLAlchemy at all.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Dict, Optional, Tuple

# The backends whose servers drop idle connections after ``wait_timeout`` and share the
# MySQL client protocol: what the MySQL-specific rules care about.
MYSQL_FAMILY = frozenset({"mysql", "mariadb"})


class Unknown:
    """The type of :data:`UNKNOWN`: a value the linter could not work out statically.

    Distinct from ``None``, which is a real value for a URL part (``sqlite://`` has
    ``database=None``).
    """

    _instance: Optional["Unknown"] = None

    def __new__(cls) -> "Unknown":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __reduce__(self) -> tuple:
        return (Unknown, ())


UNKNOWN = Unknown()


@dataclass(frozen=True)
class UrlInfo:
    """A database URL as SQLAlchemy's ``make_url`` reads it.

    ``masked`` never contains the password: it is ``render_as_string(hide_password=True)``,
    with two more precautions (see ``Knowledge.parse_url``).
    """

    drivername: str  # "mysql+pymysql"
    backend: str  # "mysql": URL.get_backend_name()
    # The driver the URL names, else the dialect's default driver ("mysqldb" for "mysql://");
    # None when no driver is named and the dialect cannot be loaded.
    driver: Optional[str]
    dialect_loads: bool  # whether the installed SQLAlchemy can load this dialect
    username: Optional[str]
    host: Optional[str]
    port: Optional[int]
    database: Optional[str]
    query: Tuple[Tuple[str, str], ...]  # in URL order; a repeated key gives several pairs
    has_password: bool  # a non-empty password is written in the URL
    masked: str
    is_mysql_family: bool
    # The host part contains "@": almost always an unescaped "@" in the password, which
    # SQLAlchemy splits at the first "@" (so part of the password lands in the host).
    ambiguous_at_sign: bool

    def to_dict(self) -> Dict[str, Any]:
        data = asdict(self)
        data["query"] = [list(pair) for pair in self.query]
        return data

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "UrlInfo":
        values = dict(data)
        values["query"] = tuple((str(key), str(value)) for key, value in values["query"])
        return cls(**values)


@dataclass(frozen=True)
class DialectInfo:
    """What SQLAlchemy makes of a URL scheme (``mysql+pymysql``) alone.

    The ``*_class`` fields are SQLAlchemy's dialect class names, for messages only.
    """

    drivername: str
    backend: str
    driver: Optional[str]  # as in UrlInfo.driver
    loads: bool  # create_engine can load the dialect (no DBAPI needed to know)
    dialect_class: Optional[str]  # the dialect create_engine uses
    is_async: Optional[bool]  # that dialect is an asyncio one (create_engine is the wrong call)
    async_dialect_class: Optional[str]  # the dialect create_async_engine uses
    # create_async_engine gets an asyncio dialect (False: "requires an async driver" at runtime)
    async_supported: Optional[bool]
    is_mysql_family: bool

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "DialectInfo":
        return cls(**data)
