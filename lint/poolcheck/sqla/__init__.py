"""What SQLAlchemy accepts, asked of the installed SQLAlchemy itself.

The rules never keep their own lists of create_engine keywords or pool classes: they ask a
:class:`Knowledge`, which reads the answers out of the installed library (dialect and pool
constructors, ``create_engine``'s own code) and hands them out as plain data: class names,
frozensets of keyword names, small frozen dataclasses. Importing this package does not
import SQLAlchemy; the first question that needs it does.

    from poolcheck.sqla import installed_knowledge
    sqla = installed_knowledge()
    sqla.accepted_kwargs("mysql+pymysql", poolclass="NullPool")  # frozenset({...})
    sqla.default_pool_class("sqlite", database="app.db")        # "QueuePool" on 2.x
"""

from __future__ import annotations

import functools

from .knowledge import Knowledge
from .table import FORMAT_VERSION
from .model import MYSQL_FAMILY, UNKNOWN, DialectInfo, Unknown, UrlInfo
from .suggest import suggest_kwarg

__all__ = [
    "FORMAT_VERSION",
    "MYSQL_FAMILY",
    "UNKNOWN",
    "DialectInfo",
    "Knowledge",
    "Unknown",
    "UrlInfo",
    "installed_knowledge",
    "suggest_kwarg",
]


@functools.lru_cache(maxsize=1)
def installed_knowledge() -> Knowledge:
    """The process-wide Knowledge of the installed SQLAlchemy (built lazily, shared)."""
    return Knowledge()
