"""Where a value comes from, when the evaluator cannot say what it is.

``os.environ["DATABASE_URL"]`` has no static value, but two expressions that both read it,
directly or through the same constant, certainly hold the same URL at run time. A
:class:`Trace` follows an expression through names, imports, module and class attributes to
its *root* (a written value, an environment variable, an object built by a call, a name
imported from outside the project) plus the attribute and key path taken from there:
``app.config["SQLALCHEMY_DATABASE_URI"]`` is the object built at ``Flask(__name__)`` with
the path ``.config["SQLALCHEMY_DATABASE_URI"]``. Equal keys mean the same value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

import libcst as cst

from .values import ClassRef, DictValue, Evaluator, ImportedName, Known, ModuleRef, Where

MAX_TRACE_DEPTH = 30

# Calls that read an environment variable; their first argument names it.
# (python-decouple's ``config`` reads the environment first, then its .env / settings.ini.)
ENV_CALLS = frozenset({"os.getenv", "os.environ.get", "os.environ.setdefault", "decouple.config"})
# Calls that hand their first argument back in another form (same database either way).
PASS_THROUGH = frozenset({"str"})
PASS_THROUGH_SUFFIXES = (".make_url",)
PASS_THROUGH_METHODS = frozenset({"render_as_string"})


@dataclass(frozen=True)
class Trace:
    """``root`` identifies where the value starts (None: nowhere the code states, such as a
    function parameter); ``path`` the attributes (``.url``) and keys (``[KEY]``) taken from it."""

    root: Optional[Tuple[object, ...]]
    path: Tuple[str, ...] = ()

    @property
    def key(self) -> Optional[Tuple[object, ...]]:
        return None if self.root is None else self.root + self.path

    def extend(self, step: str) -> "Trace":
        return Trace(self.root, self.path + (step,))

    @property
    def last_key(self) -> Optional[str]:
        """The last attribute or key on the path: ``SQLALCHEMY_DATABASE_URI`` for
        ``current_app.config["SQLALCHEMY_DATABASE_URI"]``, whatever the root."""
        if not self.path:
            return None
        step = self.path[-1]
        return step[1:] if step.startswith(".") else step[1:-1]

    @property
    def environment_variable(self) -> Optional[str]:
        return str(self.root[1]) if self.root is not None and self.root[0] == "env" and not self.path else None


NOWHERE = Trace(None)


def trace(evaluator: Evaluator, expr: Optional[cst.BaseExpression], where: Optional[Where], depth: int = 0) -> Trace:
    """Follow ``expr`` (written at ``where``) to its origin."""
    if expr is None or where is None or depth > MAX_TRACE_DEPTH:
        return NOWHERE
    value = evaluator.evaluate(expr, where)
    if isinstance(value, Known) and not value.from_env_default:
        found = _known_root(value)
        if found is not None:
            return found
    if isinstance(expr, (cst.Name, cst.Attribute)):
        defined = evaluator.definition(expr, where)
        if defined is not None:
            inner = trace(evaluator, defined[0], defined[1], depth + 1)
            if inner.root is not None:
                return inner
            # Untraceable (`os.environ.get("A") or os.environ.get("B")`), but one assignment:
            # every reader of the name reads what it assigned.
            return Trace(("value", defined[1].file.relative.as_posix()) + _position(defined[1].file, defined[0]))
        scope = evaluator.binding_scope(expr, where)
        if scope is not None:
            # Bound more than once at module or class level (if/else, try/except): one value
            # after import all the same.
            file, node, name = scope
            return Trace(("name", file.relative.as_posix()) + _position(file, node) + (name,))
        if isinstance(expr, cst.Attribute):
            return trace(evaluator, expr.value, where, depth + 1).extend("." + expr.attr.value)
        return NOWHERE
    if isinstance(expr, cst.Subscript):
        key = _constant_key(evaluator, expr, where)
        if key is None:
            return NOWHERE
        base = trace(evaluator, expr.value, where, depth + 1)
        if base.root == ("imported", "os.environ") and not base.path:
            return Trace(("env", key))
        return base.extend(f"[{key}]")
    if isinstance(expr, cst.Call):
        return _call(evaluator, expr, where, depth)
    if isinstance(expr, cst.BooleanOperation) and isinstance(expr.operator, cst.Or):
        # `os.environ.get("DATABASE_URL") or "sqlite://"`: the environment variable's value.
        left = trace(evaluator, expr.left, where, depth + 1)
        return left if left.environment_variable else NOWHERE
    return NOWHERE


def _known_root(value: Known) -> Optional[Trace]:
    target = value.value
    if isinstance(target, ImportedName):
        return Trace(("imported", target.qualified))
    if isinstance(target, ModuleRef):
        return Trace(("module", target.file.relative.as_posix()))
    if isinstance(target, ClassRef):
        return Trace(("class", target.file.relative.as_posix()) + _position(target.file, target.node))
    if isinstance(target, DictValue) or value.node is None or value.file is None:
        return None
    return Trace(("value", value.file.relative.as_posix()) + _position(value.file, value.node))


def _call(evaluator: Evaluator, call: cst.Call, where: Where, depth: int) -> Trace:
    func = evaluator.qualified_name(call.func, where)
    positional = [arg.value for arg in call.args if arg.keyword is None and not arg.star]
    if func in ENV_CALLS:
        first = evaluator.evaluate(positional[0], where) if positional else None
        if isinstance(first, Known) and isinstance(first.value, str):
            return Trace(("env", first.value))
        return NOWHERE
    if positional and (func in PASS_THROUGH or (func or "").endswith(PASS_THROUGH_SUFFIXES)):
        return trace(evaluator, positional[0], where, depth + 1)
    if isinstance(call.func, cst.Attribute):
        method = call.func.attr.value
        if method in PASS_THROUGH_METHODS:
            return trace(evaluator, call.func.value, where, depth + 1)
        if method == "get" and positional:
            key = evaluator.evaluate(positional[0], where)
            if isinstance(key, Known) and isinstance(key.value, str):
                base = trace(evaluator, call.func.value, where, depth + 1)
                if base.root == ("imported", "os.environ") and not base.path:
                    return Trace(("env", key.value))
                return base.extend(f"[{key.value}]")
    # Anything else builds an object here: a settings instance, an app, an engine.
    return Trace(("object", where.file.relative.as_posix()) + _position(where.file, call))


def _constant_key(evaluator: Evaluator, expr: cst.Subscript, where: Where) -> Optional[str]:
    if len(expr.slice) != 1 or not isinstance(expr.slice[0].slice, cst.Index):
        return None
    key = evaluator.evaluate(expr.slice[0].slice.value, where)
    if isinstance(key, Known) and isinstance(key.value, (str, int)) and not isinstance(key.value, bool):
        return str(key.value)
    return None


def _position(file, node) -> Tuple[int, int]:
    start = file.span(node).start
    return (start.line, start.column)
