"""Is a resource released on every path out of its function, exceptions included?

A small abstract interpreter over one function's statements (structured, so ``try`` /
``finally`` / ``with`` / loops need no control-flow graph). The tracked resource is the
object a creation binds to local names; its state on each path is one of:

- ``none``: not created yet (or known to be ``None``: ``if s is not None: s.close()``);
- ``open``: created, not yet released;
- ``closed``: released (``close()``, ``remove()``, ``with s:``, a project helper closing it);
- ``handed``: ownership handed on (returned, stored on an object or in a container, given
  to a constructor, to ``ExitStack``/``contextlib.closing``, captured by a nested function);
- ``lost``: the names were rebound while it was open: nothing can release it any more.

Exceptions are precision-first: a statement can raise for this resource only if it *uses*
it (mentions one of its names), plus ``raise`` and, in generators, ``yield`` (the consumer
may throw ``GeneratorExit`` in). Cleanup calls (``rollback()``, ``close()``) are assumed not
to raise. A ``finally`` runs for every way out of its ``try``.

:func:`release_problem` says what is wrong, if anything (:class:`Problem`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, FrozenSet, Iterable, List, Optional, Sequence, Set, Tuple

import libcst as cst

from ..values import ClassRef, Known, Where
from .code import FunctionRef, function_named

NONE, OPEN, CLOSED, HANDED, LOST = "none", "open", "closed", "handed", "lost"
LEAKING = frozenset({OPEN, LOST})

# Problem kinds.
NEVER_CLOSED = "never-closed"  # no path releases it
SOME_PATHS = "some-paths"  # some normal path (return, end of function) leaves it open
HAPPY_PATH = "happy-path"  # released on normal paths only: an exception leaves it open
YIELD_OUTSIDE_FINALLY = "yield"  # a generator yields while it is open, outside try/finally
REBOUND = "rebound"  # its names were rebound while it was open

# Calls on the resource that release it, and cleanup calls assumed not to raise.
RELEASE_METHODS = frozenset({"close", "remove", "aclose"})
CLEANUP_METHODS = frozenset({"rollback", "expunge_all", "expunge", "invalidate", "detach"})
# Methods of another object that take ownership of an argument.
STORE_METHODS = frozenset({
    "append", "appendleft", "add", "insert", "extend", "setdefault", "put", "put_nowait", "push",
    "register", "enter_context", "enter_async_context", "callback", "push_async_callback",
    "push_async_exit", "addfinalizer", "add_done_callback", "call_on_close",
})
HANDING_FUNCTIONS = frozenset({"contextlib.closing", "contextlib.aclosing", "weakref.finalize", "atexit.register", "setattr"})


@dataclass(frozen=True)
class Problem:
    kind: str  # NEVER_CLOSED, SOME_PATHS, HAPPY_PATH, YIELD_OUTSIDE_FINALLY, REBOUND
    release_line: Optional[int] = None  # a line where it is released on some path
    generator: bool = False  # the function is a generator


@dataclass
class _Out:
    """The states in which control leaves a piece of code, by way out."""

    normal: FrozenSet[str] = frozenset()
    returns: FrozenSet[str] = frozenset()
    raises: FrozenSet[str] = frozenset()
    breaks: FrozenSet[str] = frozenset()
    continues: FrozenSet[str] = frozenset()

    def merge(self, other: "_Out", normal: bool = True) -> "_Out":
        return _Out(
            self.normal | other.normal if normal else self.normal,
            self.returns | other.returns,
            self.raises | other.raises,
            self.breaks | other.breaks,
            self.continues | other.continues,
        )


def _map(states: FrozenSet[str], old: Iterable[str], new: str) -> FrozenSet[str]:
    old = set(old)
    return frozenset(new if s in old else s for s in states)


class _Interpreter:
    def __init__(self, names: Set[str], creation: Optional[cst.CSTNode], context: "_Context", exceptions: bool, yields: bool) -> None:
        self.names = names
        self.creation = creation  # the small statement creating it (None: tracked from entry)
        self.context = context
        self.exceptions = exceptions
        self.yields = yields
        self.release_lines: List[cst.CSTNode] = []

    # --- blocks ---------------------------------------------------------------------------
    def block(self, body: Sequence[cst.CSTNode], states: FrozenSet[str]) -> _Out:
        out = _Out(normal=states)
        for statement in body:
            if not out.normal:
                break  # unreachable from here
            step = self.statement(statement, out.normal)
            out = _Out(step.normal, out.returns | step.returns, out.raises | step.raises,
                       out.breaks | step.breaks, out.continues | step.continues)
        return out

    def suite(self, suite: Optional[cst.BaseSuite], states: FrozenSet[str]) -> _Out:
        if suite is None:
            return _Out(normal=states)
        if isinstance(suite, cst.IndentedBlock):
            return self.block(suite.body, states)
        if isinstance(suite, cst.SimpleStatementSuite):
            return self.smalls(suite.body, states)
        return _Out(normal=states)

    def statement(self, node: cst.CSTNode, states: FrozenSet[str]) -> _Out:
        if isinstance(node, cst.SimpleStatementLine):
            return self.smalls(node.body, states)
        if isinstance(node, cst.If):
            return self.if_(node, states)
        if isinstance(node, (cst.For, cst.While)):
            return self.loop(node, states)
        if isinstance(node, (cst.Try, getattr(cst, "TryStar", cst.Try))):
            return self.try_(node, states)
        if isinstance(node, cst.With):
            return self.with_(node, states)
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            if _mentions(node, self.names, include_nested=True)[0]:
                return _Out(normal=_map(states, (OPEN,), HANDED))  # captured: released elsewhere
            return _Out(normal=states)
        if hasattr(cst, "Match") and isinstance(node, cst.Match):
            out = _Out(normal=states if not _has_wildcard(node) else frozenset())
            out = out.merge(self.use(node.subject, states))
            for case in node.cases:
                out = out.merge(self.suite(case.body, states))
            return out
        return _Out(normal=states)

    def smalls(self, body: Sequence[cst.BaseSmallStatement], states: FrozenSet[str]) -> _Out:
        out = _Out(normal=states)
        for small in body:
            if not out.normal:
                break
            step = self.small(small, out.normal)
            out = _Out(step.normal, out.returns | step.returns, out.raises | step.raises,
                       out.breaks | step.breaks, out.continues | step.continues)
        return out

    # --- simple statements ----------------------------------------------------------------
    def small(self, node: cst.BaseSmallStatement, states: FrozenSet[str]) -> _Out:
        if node is self.creation:
            created = frozenset({OPEN}) | (frozenset({LOST}) if states & LEAKING else frozenset())
            return _Out(normal=created, raises=states if self.exceptions else frozenset())
        if isinstance(node, cst.Break):
            return _Out(breaks=states)
        if isinstance(node, cst.Continue):
            return _Out(continues=states)
        mentioned, captured = _mentions(node, self.names)
        yields = self.yields and _has_yield(node)
        if not mentioned and not captured:
            if isinstance(node, cst.Return):
                return _Out(returns=states)
            if isinstance(node, cst.Raise):
                return _Out(raises=states)
            return _Out(normal=states, raises=states if yields else frozenset())
        if captured or isinstance(node, (cst.Global, cst.Nonlocal, cst.Del)):
            return self._exit(node, _map(states, (OPEN,), HANDED))
        if self._releases(node):
            self.release_lines.append(node)
            return self._exit(node, _map(states, (OPEN,), CLOSED))
        if self._hands_on(node):
            return self._exit(node, _map(states, (OPEN,), HANDED))
        rebound = self._rebinds(node)
        if _has_yield(node):  # `yield s`: raises only as a yield (GeneratorExit, a thrown error)
            raises = states if yields else frozenset()
        else:
            raises = states if self.exceptions and not _is_cleanup(node, self.names) else frozenset()
        if rebound:
            return _Out(normal=_map(states, (OPEN,), LOST), raises=raises)
        if isinstance(node, cst.Return):
            return _Out(returns=states, raises=raises)
        if isinstance(node, cst.Raise):
            return _Out(raises=states)
        return _Out(normal=states, raises=raises)

    def _exit(self, node: cst.CSTNode, states: FrozenSet[str]) -> _Out:
        if isinstance(node, cst.Return):
            return _Out(returns=states)
        if isinstance(node, cst.Raise):
            return _Out(raises=states)
        return _Out(normal=states)

    def use(self, expression: Optional[cst.CSTNode], states: FrozenSet[str]) -> _Out:
        """An expression evaluated for control (a test, an iterable): may raise if it uses it."""
        if expression is None:
            return _Out()
        mentioned, _ = _mentions(expression, self.names)
        raises = states if (mentioned and self.exceptions) or (self.yields and _has_yield(expression)) else frozenset()
        return _Out(raises=raises)

    def _releases(self, node: cst.CSTNode) -> bool:
        """``s.close()`` / ``await s.close()`` / ``s.remove()`` anywhere in the statement, or a
        project function that releases the argument it is given (``close_session(s)``)."""
        for call in _calls(node):
            func = call.func
            if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value in self.names:
                if func.attr.value in RELEASE_METHODS:
                    return True
            elif self.context.releases_argument(call, self.names):
                return True
        return False

    def _hands_on(self, node: cst.CSTNode) -> bool:
        if isinstance(node, cst.Return) and node.value is not None:
            return _hands_out(node.value, self.names)
        if isinstance(node, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
            value = node.value
            targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
            if value is not None and _hands_out(value, self.names) and any(not isinstance(t, cst.Name) for t in targets):
                return True  # self.session = s, g.db = s, cache[key] = s
        for call in _calls(node):
            func = call.func
            args_hand_out = any(_hands_out(arg.value, self.names) for arg in call.args)
            if any(_is_bound_release(arg.value, self.names) for arg in call.args):
                return True  # stack.callback(s.close), atexit.register(s.close)
            if not args_hand_out:
                continue
            if isinstance(func, cst.Attribute) and func.attr.value in STORE_METHODS and not _is_name_in(func.value, self.names):
                return True
            if self.context.takes_ownership(call):
                return True
        return False

    def _rebinds(self, node: cst.CSTNode) -> bool:
        """The names are bound to something not derived from the resource
        (``conn = conn.execution_options(...)`` is the same connection)."""
        if isinstance(node, (cst.Assign, cst.AnnAssign)):
            targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
            if any(isinstance(t, cst.Name) and t.value in self.names for t in targets):
                return node.value is None or not _mentions(node.value, self.names)[0]
        return False

    # --- compound statements --------------------------------------------------------------
    def if_(self, node: cst.If, states: FrozenSet[str]) -> _Out:
        is_none_branch = _none_test(node.test, self.names)
        out = self.use(node.test, states) if is_none_branch is None else _Out()  # `s is None` cannot raise
        body_states, else_states = states, states
        if is_none_branch == "body":
            body_states = _drop_open(states)
        elif is_none_branch == "orelse":
            else_states = _drop_open(states)
        out = out.merge(self.suite(node.body, body_states))
        orelse = node.orelse
        if orelse is None:
            out = out.merge(_Out(normal=else_states))
        elif isinstance(orelse, cst.If):
            out = out.merge(self.if_(orelse, else_states))
        else:
            out = out.merge(self.suite(orelse.body, else_states))
        return out

    def loop(self, node, states: FrozenSet[str]) -> _Out:
        header = node.iter if isinstance(node, cst.For) else node.test
        out = self.use(header, states)
        endless = isinstance(node, cst.While) and _always_true(node.test)
        entry = states
        body = _Out()
        for _ in range(8):  # the states are few: a fixpoint comes fast
            body = self.suite(node.body, entry)
            following = entry | body.normal | body.continues
            if following == entry:
                break
            entry = following
        out = out.merge(_Out(returns=body.returns, raises=body.raises), normal=False)
        exits = frozenset() if endless else entry
        if node.orelse is not None and exits:
            after_else = self.suite(node.orelse.body, exits)
            out = out.merge(after_else)
        else:
            out = out.merge(_Out(normal=exits))
        return out.merge(_Out(normal=body.breaks))

    def try_(self, node, states: FrozenSet[str]) -> _Out:
        body = self.suite(node.body, states)
        pending = _Out(returns=body.returns, breaks=body.breaks, continues=body.continues)
        caught_all = False
        for handler in node.handlers:
            if body.raises:
                pending = pending.merge(self.suite(handler.body, body.raises))
            if handler.type is None or _names_base_exception(handler.type):
                caught_all = True
        if not caught_all:
            pending = pending.merge(_Out(raises=body.raises))
        if node.orelse is not None and body.normal:
            pending = pending.merge(self.suite(node.orelse.body, body.normal))
        elif body.normal:
            pending = pending.merge(_Out(normal=body.normal))
        if node.finalbody is None:
            return pending
        result = _Out()
        for way in ("normal", "returns", "raises", "breaks", "continues"):
            entering = getattr(pending, way)
            if not entering:
                continue
            final = self.suite(node.finalbody.body, entering)
            # The finally's own ways out (a return in finally) win; otherwise leave as entered.
            kept = _Out(returns=final.returns, raises=final.raises, breaks=final.breaks, continues=final.continues)
            result = result.merge(kept)
            result = result.merge(_Out(**{way: final.normal}))
        return result

    def with_(self, node: cst.With, states: FrozenSet[str]) -> _Out:
        closes = False
        out = _Out()
        for item in node.items:
            if _closes_in_with(item.item, self.names, self.context):
                closes = True
            else:
                out = out.merge(self.use(item.item, states))
        body = self.suite(node.body, states)
        if closes:
            body = _Out(*(_map(getattr(body, way), (OPEN,), CLOSED) for way in ("normal", "returns", "raises", "breaks", "continues")))
            self.release_lines.append(node)
        return out.merge(body)


# --- syntax helpers ------------------------------------------------------------------------------


def _mentions(node: cst.CSTNode, names: Set[str], include_nested: bool = False) -> Tuple[bool, bool]:
    """(the node uses one of ``names``, a nested function or lambda in it captures one)."""
    found = {"use": False, "capture": False}

    class Finder(cst.CSTVisitor):
        def __init__(self) -> None:
            self.nested = 0

        def visit_Name(self, n: cst.Name) -> None:
            if n.value in names:
                found["capture" if self.nested else "use"] = True

        def visit_Attribute(self, n: cst.Attribute) -> bool:
            n.value.visit(self)  # not .attr: `x.session` does not use `session`
            return False

        def visit_Arg(self, n: cst.Arg) -> bool:
            n.value.visit(self)  # not the keyword: `f(session=x)`
            return False

        def visit_Lambda(self, n: cst.Lambda) -> None:
            self.nested += 1

        def leave_Lambda(self, n: cst.Lambda) -> None:
            self.nested -= 1

        def visit_FunctionDef(self, n: cst.FunctionDef) -> None:
            self.nested += 1

        def leave_FunctionDef(self, n: cst.FunctionDef) -> None:
            self.nested -= 1

        def visit_ClassDef(self, n: cst.ClassDef) -> None:
            self.nested += 1

        def leave_ClassDef(self, n: cst.ClassDef) -> None:
            self.nested -= 1

    if include_nested and isinstance(node, (cst.FunctionDef, cst.ClassDef)):
        node.body.visit(Finder())
        for decorator in node.decorators:
            decorator.visit(Finder())
        return found["use"] or found["capture"], False
    node.visit(Finder())
    return found["use"], found["capture"]


def _calls(node: cst.CSTNode) -> List[cst.Call]:
    found: List[cst.Call] = []

    class Finder(cst.CSTVisitor):
        def visit_Call(self, n: cst.Call) -> None:
            found.append(n)

        def visit_Lambda(self, n: cst.Lambda) -> bool:
            return False

    node.visit(Finder())
    return found


def _has_yield(node: cst.CSTNode) -> bool:
    found = []

    class Finder(cst.CSTVisitor):
        def visit_Yield(self, n: cst.Yield) -> None:
            found.append(n)

        def visit_Lambda(self, n: cst.Lambda) -> bool:
            return False

        def visit_FunctionDef(self, n: cst.FunctionDef) -> bool:
            return False

    node.visit(Finder())
    return bool(found)


def _is_name_in(node: cst.CSTNode, names: Set[str]) -> bool:
    return isinstance(node, cst.Name) and node.value in names


def _hands_out(expression: cst.CSTNode, names: Set[str]) -> bool:
    """The resource itself is in ``expression`` as a value (``s``, ``(s, x)``, ``Wrap(s)``,
    ``{"db": s}``), not only as the base of an attribute (``s.query(...)``)."""
    if isinstance(expression, cst.Name):
        return expression.value in names
    if isinstance(expression, cst.Await):
        return _hands_out(expression.expression, names)
    if isinstance(expression, (cst.Tuple, cst.List, cst.Set)):
        return any(_hands_out(e.value, names) for e in expression.elements)
    if isinstance(expression, cst.Dict):
        return any(isinstance(e, cst.DictElement) and _hands_out(e.value, names) for e in expression.elements)
    if isinstance(expression, cst.Call):
        return any(_hands_out(arg.value, names) for arg in expression.args)
    return False


def _is_bound_release(expression: cst.CSTNode, names: Set[str]) -> bool:
    """``s.close`` / ``s.remove`` not called: handed to something that will call it."""
    return (
        isinstance(expression, cst.Attribute)
        and _is_name_in(expression.value, names)
        and expression.attr.value in RELEASE_METHODS
    )


def _is_cleanup(node: cst.CSTNode, names: Set[str]) -> bool:
    """``s.rollback()`` / ``await s.rollback()`` alone: assumed not to raise."""
    expression = node.value if isinstance(node, cst.Expr) else None
    if isinstance(expression, cst.Await):
        expression = expression.expression
    return (
        isinstance(expression, cst.Call)
        and isinstance(expression.func, cst.Attribute)
        and _is_name_in(expression.func.value, names)
        and expression.func.attr.value in CLEANUP_METHODS | RELEASE_METHODS
    )


def _closes_in_with(item: cst.BaseExpression, names: Set[str], context: "_Context") -> bool:
    """``with s:`` / ``async with s:`` / ``with closing(s):``."""
    if _is_name_in(item, names):
        return True
    if isinstance(item, cst.Call) and len(item.args) == 1 and _is_name_in(item.args[0].value, names):
        return context.qualified(item.func) in ("contextlib.closing", "contextlib.aclosing")
    return False


def _none_test(test: cst.BaseExpression, names: Set[str]) -> Optional[str]:
    """Which branch of ``if test:`` sees the name as ``None`` / falsy: "body" or "orelse"."""
    if _is_name_in(test, names):
        return "orelse"
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not) and _is_name_in(test.expression, names):
        return "body"
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and _is_name_in(test.left, names):
        target = test.comparisons[0]
        if isinstance(target.comparator, cst.Name) and target.comparator.value == "None":
            if isinstance(target.operator, (cst.IsNot, cst.NotEqual)):
                return "orelse"
            if isinstance(target.operator, (cst.Is, cst.Equal)):
                return "body"
    return None


def _drop_open(states: FrozenSet[str]) -> FrozenSet[str]:
    return frozenset(NONE if s == OPEN else s for s in states)


def _always_true(test: cst.BaseExpression) -> bool:
    if isinstance(test, cst.Name):
        return test.value == "True"
    if isinstance(test, cst.Integer):
        return test.value not in ("0",)
    return False


def _names_base_exception(expression: cst.BaseExpression) -> bool:
    if isinstance(expression, cst.Name):
        return expression.value in ("Exception", "BaseException")
    if isinstance(expression, cst.Tuple):
        return any(_names_base_exception(e.value) for e in expression.elements)
    return False


def _has_wildcard(node) -> bool:
    return any(isinstance(case.pattern, cst.MatchAs) and case.pattern.pattern is None and case.guard is None for case in node.cases)


def is_generator(function: cst.FunctionDef) -> bool:
    found = []

    class Finder(cst.CSTVisitor):
        def visit_Yield(self, n: cst.Yield) -> None:
            found.append(n)

        def visit_FunctionDef(self, n: cst.FunctionDef) -> bool:
            return n is function

        def visit_Lambda(self, n: cst.Lambda) -> bool:
            return False

        def visit_ClassDef(self, n: cst.ClassDef) -> bool:
            return False

    function.visit(Finder())
    return bool(found)


# --- what calls do with the resource -------------------------------------------------------------


@dataclass
class _Context:
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
        if not any(_is_name_in(arg.value, names) for arg in call.args):
            return False
        return self._consumed(call, want_release=True, names=names)

    def _consumed(self, call: cst.Call, want_release: bool, names: Optional[Set[str]] = None) -> bool:
        function = function_named(self.resolver.evaluator, call.func, self.where) if isinstance(call.func, (cst.Name, cst.Attribute)) else None
        if function is None:
            return False
        for arg in call.args:
            if names is not None and not _is_name_in(arg.value, names):
                continue
            param = _parameter_for(function, call, arg)
            if param is None:
                continue
            verdict = consumes(function, param, self.resolver, self._consumers)
            if verdict == CLOSED or (verdict == HANDED and not want_release):
                return True
        return False


def _parameter_for(function: FunctionRef, call: cst.Call, arg: cst.Arg) -> Optional[str]:
    params = list(function.node.params.posonly_params) + list(function.node.params.params)
    if arg.keyword is not None:
        names = {p.name.value for p in params} | {p.name.value for p in function.node.params.kwonly_params}
        return arg.keyword.value if arg.keyword.value in names else None
    if arg.star:
        return None
    index = [a for a in call.args if a.keyword is None and not a.star].index(arg)
    if function.owner is not None and isinstance(call.func, cst.Attribute) and params and not _is_static(function.node):
        index += 1  # self.method(s): the first parameter is self
    return params[index].name.value if index < len(params) else None


def _is_static(function: cst.FunctionDef) -> bool:
    return any(isinstance(d.decorator, cst.Name) and d.decorator.value == "staticmethod" for d in function.decorators)


def consumes(function: FunctionRef, param: str, resolver, cache: Dict) -> Optional[str]:
    """What a project function does with its parameter ``param`` on every normal way out:
    CLOSED (a commit-and-close helper), HANDED (stores or returns it), or None."""
    key = (function.node, param)
    if key in cache:
        return cache[key]
    cache[key] = None  # recursion: nothing
    interpreter = _Interpreter({param}, None, _Context(resolver, function.where, cache), exceptions=False, yields=False)
    out = interpreter.suite(function.node.body, frozenset({OPEN}))
    exits = out.normal | out.returns
    verdict = None
    if exits and not exits & LEAKING:
        verdict = CLOSED if exits == {CLOSED} else HANDED if CLOSED not in exits else None
    cache[key] = verdict
    return verdict


# --- the verdict ----------------------------------------------------------------------------------


def release_problem(site, resolver, consumers: Optional[Dict] = None) -> Optional[Problem]:
    """What is wrong with how the resource created at ``site`` (a ``CreationSite`` bound to
    names inside a function) is released; None when it is released (or handed on) on every
    path, or when the analysis cannot tell."""
    function = site.function
    if function is None or not site.names or site.statement is None:
        return None
    names = set(site.names)
    context = _Context(resolver, site.where, consumers if consumers is not None else {})
    generator = is_generator(function)

    def run(exceptions: bool, yields: bool) -> Tuple[_Out, _Interpreter]:
        interpreter = _Interpreter(names, site.statement, context, exceptions, yields and generator)
        return interpreter.suite(function.body, frozenset({NONE})), interpreter

    full, interpreter = run(True, True)
    normal = full.normal | full.returns
    if not (normal | full.raises) & LEAKING:
        return None
    release_line = interpreter.release_lines[0] if interpreter.release_lines else None
    line = site.where.file.span(release_line).start.line if release_line is not None else None
    if OPEN in normal:
        return Problem(SOME_PATHS if line is not None else NEVER_CLOSED, line, generator)
    if LOST in normal | full.raises:
        return Problem(REBOUND, line, generator)
    if generator:
        # The yield alone leaves it open (a consumer throwing in or closing the generator).
        yields_only, _ = run(False, True)
        if (yields_only.normal | yields_only.returns | yields_only.raises) & LEAKING:
            return Problem(YIELD_OUTSIDE_FINALLY, line, generator)
    if HANDED in normal or line is None:
        return None  # handed on where it works out; exceptions before that: not judged
    return Problem(HAPPY_PATH, line, generator)
