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

import importlib
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional

if TYPE_CHECKING:  # pragma: no cover
    from .knowledge import Knowledge
    from .model import MYSQL_FAMILY, UNKNOWN, DialectInfo, Unknown, UrlInfo
    from .suggest import suggest_kwarg
    from .table import FORMAT_VERSION

# Imported on first use (PEP 562): a run that asks nothing of SQLAlchemy, or whose answers
# are all in the saved table, never imports the modules that know how to ask it.
_LAZY = {
    "Knowledge": ".knowledge",
    "FORMAT_VERSION": ".table",
    "MYSQL_FAMILY": ".model",
    "UNKNOWN": ".model",
    "DialectInfo": ".model",
    "Unknown": ".model",
    "UrlInfo": ".model",
    "suggest_kwarg": ".suggest",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value

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


_KNOWLEDGE: Optional[Knowledge] = None
_SAVED_SIZE = 0
_TABLE_LOADER: Optional[Callable[[], Optional[Dict[str, Any]]]] = None


def installed_knowledge() -> Knowledge:
    """The process-wide Knowledge of the installed SQLAlchemy (built lazily, shared; from
    the table on disk when a ``table_loader`` has one)."""
    global _KNOWLEDGE, _TABLE_LOADER
    if _KNOWLEDGE is None:
        loader, _TABLE_LOADER = _TABLE_LOADER, None
        if loader is None or not use_table(loader()):
            from .knowledge import Knowledge

            _KNOWLEDGE = Knowledge()
    return _KNOWLEDGE


def table_loader(load: Optional[Callable[[], Optional[Dict[str, Any]]]]) -> None:
    """``load()`` gives the saved table (or None) the first time an answer is needed."""
    global _TABLE_LOADER
    _TABLE_LOADER = load


def use_table(data: Optional[Dict[str, Any]]) -> bool:
    """Answer from a table written by ``table_to_save`` for this very installation (the
    caller keys it so): questions it holds need no SQLAlchemy import; others are worked out
    from the installed library and added. False (and nothing changed) for a damaged table."""
    global _KNOWLEDGE, _SAVED_SIZE
    if data is None:
        return False
    from .knowledge import Knowledge

    try:
        knowledge = Knowledge.from_dict(data)
    except ValueError:
        return False
    _KNOWLEDGE = knowledge
    _SAVED_SIZE = knowledge.size()
    return True


def table_to_save() -> Optional[Dict[str, Any]]:
    """The table to write, when this process learnt answers the saved one lacks."""
    global _SAVED_SIZE
    if _KNOWLEDGE is None or _KNOWLEDGE.size() <= _SAVED_SIZE:
        return None
    _SAVED_SIZE = _KNOWLEDGE.size()
    return _KNOWLEDGE.to_dict()


def new_answers(since: Optional[Dict[str, set]] = None):
    """(question, key, answer) learnt since ``since`` (``answer_keys()`` of earlier), for a
    worker process to hand its answers to the process that saves the table."""
    if _KNOWLEDGE is None:
        return []
    return _KNOWLEDGE.answers_since(since or {})


def answer_keys() -> Dict[str, set]:
    return _KNOWLEDGE.answer_keys() if _KNOWLEDGE is not None else {}


def add_answers(answers) -> None:
    installed_knowledge().add_answers(answers)
