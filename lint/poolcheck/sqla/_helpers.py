"""Small helpers shared by the modules that read SQLAlchemy."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import Any, Dict, FrozenSet, Iterable, Mapping, Optional, Tuple

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


def constructor_defaults(cls: type, rename: Optional[Mapping[str, str]] = None) -> Dict[str, Any]:
    """Defaults of the keywords ``util.get_cls_kwargs`` finds for ``cls``: along the
    ``__init__`` chain, while each ``__init__`` passes ``**kw`` on to its bases. Only plain
    values (a sentinel object says nothing about the expected type), under ``rename``d names."""
    rename = rename or {}
    defaults: Dict[str, Any] = {}
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        try:
            parameters = list(inspect.signature(init).parameters.values())
        except (TypeError, ValueError):  # a C-level __init__ (object's)
            break
        for parameter in parameters:
            plain = isinstance(parameter.default, (bool, int, float, str, type(None)))
            if parameter.default is not parameter.empty and plain and not parameter.name.startswith("_"):
                defaults.setdefault(rename.get(parameter.name, parameter.name), parameter.default)
        if not any(p.kind is p.VAR_KEYWORD for p in parameters):
            break  # this __init__ does not pass keywords on to its bases
    return defaults
