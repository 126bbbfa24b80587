"""What a call does with the resource it is given: takes ownership of it (a constructor,
``contextlib.closing``, a project function storing it) or releases it (a project
commit-and-close helper). Project functions are followed with the same flow analysis, their
parameter tracked from the function's entry."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Optional, Set

import libcst as cst

from ..values import ClassRef, Known, Where
from .code import FunctionRef, function_named
from .patterns import is_name_in
from .states import CLOSED, HANDED, LEAKING, OPEN

HANDING_FUNCTIONS = frozenset({"contextlib.closing", "contextlib.aclosing", "weakref.finalize", "atexit.register", "setattr"})


@dataclass
class Ownership:
    """What the analysis asks the project: does this call release or own its argument?"""

    resolver: object
    where: Where
    _consumers: Dict = field(default_factory=dict)

    def qualified(self, func: cst.BaseExpression) -> Optional[str]:
        if not isinstance(func, (cst.Name, cst.Attribute)):
            return None
        return self.resolver.evaluator.qualified_name(func, self.where)

    def takes_ownership(self, call: cst.Call) -> bool:
        """A constructor (``Repository(session)``: the object owns it now), ``closing(...)``,
        ``weakref.finalize``, ``atexit.register``, or a project function that stores it."""
        func = call.func
        qualified = self.qualified(func)
        if qualified in HANDING_FUNCTIONS:
            return True
        last = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
        if last[:1].isupper():
            return True
        if isinstance(func, (cst.Name, cst.Attribute)):
            value = self.resolver.evaluator.evaluate(func, self.where)
            if isinstance(value, Known) and isinstance(value.value, ClassRef):
                return True
        return self._consumed(call, want_release=False)

    def releases_argument(self, call: cst.Call, names: Set[str]) -> bool:
        if not any(is_name_in(arg.value, names) for arg in call.args):
            return False
        return self._consumed(call, want_release=True, names=names)

    def _consumed(self, call: cst.Call, want_release: bool, names: Optional[Set[str]] = None) -> bool:
        function = function_named(self.resolver.evaluator, call.func, self.where) if isinstance(call.func, (cst.Name, cst.Attribute)) else None
        if function is None:
            return False
        for arg in call.args:
            if names is not None and not is_name_in(arg.value, names):
                continue
            param = parameter_for(function, call, arg)
            if param is None:
                continue
            verdict = consumes(function, param, self.resolver, self._consumers)
            if verdict == CLOSED or (verdict == HANDED and not want_release):
                return True
        return False


def parameter_for(function: FunctionRef, call: cst.Call, arg: cst.Arg) -> Optional[str]:
    params = list(function.node.params.posonly_params) + list(function.node.params.params)
    if arg.keyword is not None:
        names = {p.name.value for p in params} | {p.name.value for p in function.node.params.kwonly_params}
        return arg.keyword.value if arg.keyword.value in names else None
    if arg.star:
        return None
    index = [a for a in call.args if a.keyword is None and not a.star].index(arg)
    if function.owner is not None and isinstance(call.func, cst.Attribute) and params and not is_static(function.node):
        index += 1  # self.method(s): the first parameter is self
    return params[index].name.value if index < len(params) else None


def is_static(function: cst.FunctionDef) -> bool:
    return any(isinstance(d.decorator, cst.Name) and d.decorator.value == "staticmethod" for d in function.decorators)


def consumes(function: FunctionRef, param: str, resolver, cache: Dict) -> Optional[str]:
    """What a project function does with its parameter ``param`` on every normal way out:
    CLOSED (a commit-and-close helper), HANDED (stores or returns it), or None."""
    key = (function.node, param)
    if key in cache:
        return cache[key]
    cache[key] = None  # recursion: nothing
    from .flow import Interpreter  # (flow asks this module's answers through Ownership)

    interpreter = Interpreter({param}, None, Ownership(resolver, function.where, cache), exceptions=False, yields=False)
    out = interpreter.suite(function.node.body, frozenset({OPEN}))
    exits = out.normal | out.returns
    verdict = None
    if exits and not exits & LEAKING:
        verdict = CLOSED if exits == {CLOSED} else HANDED if CLOSED not in exits else None
    cache[key] = verdict
    return verdict
