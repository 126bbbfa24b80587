"""Small helpers shared by the modules that read SQLAlchemy."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any, Dict, FrozenSet, Iterable, Tuple

# A URL's query string as (key, value) pairs in order; a repeated key gives several pairs.
QueryPairs = Tuple[Tuple[str, str], ...]


def public_names(names: Iterable[str]) -> FrozenSet[str]:
    """Drop underscored names (_is_async, _coerce_config, _initialize, _dispatch...): they
    are SQLAlchemy's internal flags, not configuration."""
    return frozenset(n for n in names if not n.startswith("_"))


def import_submodules(package: Any) -> Dict[str, Any]:
    """The package's public submodules that import (some need optional dependencies)."""
    modules = {}
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_"):
            continue
        try:
            modules[info.name] = importlib.import_module(f"{package.__name__}.{info.name}")
        except Exception:
            continue
    return modules
