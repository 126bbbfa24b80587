"""Facts that live only in the code of SQLAlchemy's functions, read with ``ast``.

``create_engine`` consumes some keywords itself (``kwargs.pop("module", None)``,
``pop_kwarg("poolclass", None)``), and SQLAlchemy 1.4 keeps the pool keyword renaming in a
local dict. Neither is reachable as data, so they are read from the installed source rather
than copied by hand: a hand-kept copy would silently go stale when SQLAlchemy changes.

Everything here works on source text; nothing is imported or executed.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from typing import Callable, Dict, Optional, Set

# The callables through which create_engine removes its own keywords from ``kwargs``:
# ``kwargs.pop(...)``/``kw.pop(...)`` and 2.x's local helper ``pop_kwarg(...)``.
_POP_HELPER_NAMES = frozenset({"pop_kwarg"})


def function_node(source: str, name: str) -> Optional[ast.FunctionDef]:
    """The first function or method called ``name`` defined in ``source``."""
    for node in ast.walk(ast.parse(textwrap.dedent(source))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            return node  # type: ignore[return-value]
    return None


def function_node_of(func: Callable) -> ast.FunctionDef:
    """The ``ast`` node of a live function's own source."""
    node = function_node(inspect.getsource(func), func.__name__)
    if node is None:
        raise LookupError(f"no source for {func!r}")
    return node


def popped_keyword_names(node: ast.AST) -> Set[str]:
    """String literals that ``node`` pops from a keyword dict: ``x.pop("name", ...)`` where
    ``x`` is a plain name, or ``pop_kwarg("name", ...)``."""
    names: Set[str] = set()
    for call in ast.walk(node):
        if not isinstance(call, ast.Call) or not call.args:
            continue
        first = call.args[0]
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            continue
        func = call.func
        pops_from_a_name = (
            isinstance(func, ast.Attribute) and func.attr == "pop" and isinstance(func.value, ast.Name)
        )
        if pops_from_a_name or (isinstance(func, ast.Name) and func.id in _POP_HELPER_NAMES):
            names.add(first.value)
    return names


def named_parameters(node: ast.FunctionDef) -> Set[str]:
    """The parameters of a function that a caller can also pass by keyword."""
    arguments = node.args
    return {arg.arg for arg in arguments.args + arguments.kwonlyargs}


def string_dict_assigned(node: ast.AST, target_hint: str) -> Dict[str, str]:
    """The ``{"a": "b", ...}`` literal assigned to a name containing ``target_hint``."""
    for assign in ast.walk(node):
        if not isinstance(assign, ast.Assign) or not isinstance(assign.value, ast.Dict):
            continue
        if not any(isinstance(t, ast.Name) and target_hint in t.id for t in assign.targets):
            continue
        pairs = list(zip(assign.value.keys, assign.value.values))
        if pairs and all(_is_str(k) and _is_str(v) for k, v in pairs):
            return {k.value: v.value for k, v in pairs}  # type: ignore[union-attr]
    raise LookupError(f"no string dict assigned to a name like {target_hint!r}")


def _is_str(node: Optional[ast.AST]) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)
