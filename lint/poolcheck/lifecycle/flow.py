"""Is a resource released on every path out of its function, exceptions included?

A small abstract interpreter over one function's statements (structured, so ``try`` /
``finally`` / ``with`` / loops need no control-flow graph): :class:`Interpreter` carries the
set of states the tracked resource may be in (:mod:`.states`) through each statement and
returns them by way out (:class:`~.states.Out`).

Exceptions are precision-first: a statement can raise for this resource only if it *uses*
it (mentions one of its names), plus ``raise`` and, in generators, ``yield`` (the consumer
may throw ``GeneratorExit`` in). Cleanup calls (``rollback()``, ``close()``) are assumed not
to raise. A ``finally`` runs for every way out of its ``try``. :mod:`.verdict` turns the
result into a :class:`~.verdict.Problem`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, FrozenSet, List, Optional, Sequence, Set

import libcst as cst

from .patterns import (
    RELEASE_METHODS,
    STORE_METHODS,
    always_true,
    calls_in,
    catches_everything,
    has_wildcard,
    has_yield,
    hands_out,
    is_bound_release,
    is_cleanup,
    is_name_in,
    mentions,
    none_test,
)
from .states import CLOSED, HANDED, LEAKING, LOST, OPEN, Out, drop_open, map_states

if TYPE_CHECKING:  # pragma: no cover
    from .ownership import Ownership

class Interpreter:
    def __init__(self, names: Set[str], creation: Optional[cst.CSTNode], context: "Ownership", exceptions: bool, yields: bool) -> None:
        self.names = names
        self.creation = creation  # the small statement creating it (None: tracked from entry)
        self.context = context
        self.exceptions = exceptions
        self.yields = yields
        self.release_lines: List[cst.CSTNode] = []

    # --- blocks ---------------------------------------------------------------------------
    def block(self, body: Sequence[cst.CSTNode], states: FrozenSet[str]) -> Out:
        out = Out(normal=states)
        for statement in body:
            if not out.normal:
                break  # unreachable from here
            step = self.statement(statement, out.normal)
            out = Out(step.normal, out.returns | step.returns, out.raises | step.raises,
                       out.breaks | step.breaks, out.continues | step.continues)
        return out

    def suite(self, suite: Optional[cst.BaseSuite], states: FrozenSet[str]) -> Out:
        if suite is None:
            return Out(normal=states)
        if isinstance(suite, cst.IndentedBlock):
            return self.block(suite.body, states)
        if isinstance(suite, cst.SimpleStatementSuite):
            return self.smalls(suite.body, states)
        return Out(normal=states)

    def statement(self, node: cst.CSTNode, states: FrozenSet[str]) -> Out:
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
            if mentions(node, self.names, include_nested=True)[0]:
                return Out(normal=map_states(states, (OPEN,), HANDED))  # captured: released elsewhere
            return Out(normal=states)
        if hasattr(cst, "Match") and isinstance(node, cst.Match):
            out = Out(normal=states if not has_wildcard(node) else frozenset())
            out = out.merge(self.use(node.subject, states))
            for case in node.cases:
                out = out.merge(self.suite(case.body, states))
            return out
        return Out(normal=states)

    def smalls(self, body: Sequence[cst.BaseSmallStatement], states: FrozenSet[str]) -> Out:
        out = Out(normal=states)
        for small in body:
            if not out.normal:
                break
            step = self.small(small, out.normal)
            out = Out(step.normal, out.returns | step.returns, out.raises | step.raises,
                       out.breaks | step.breaks, out.continues | step.continues)
        return out

    # --- simple statements ----------------------------------------------------------------
    def small(self, node: cst.BaseSmallStatement, states: FrozenSet[str]) -> Out:
        if node is self.creation:
            created = frozenset({OPEN}) | (frozenset({LOST}) if states & LEAKING else frozenset())
            return Out(normal=created, raises=states if self.exceptions else frozenset())
        if isinstance(node, cst.Break):
            return Out(breaks=states)
        if isinstance(node, cst.Continue):
            return Out(continues=states)
        mentioned, captured = mentions(node, self.names)
        yields = self.yields and has_yield(node)
        if not mentioned and not captured:
            if isinstance(node, cst.Return):
                return Out(returns=states)
            if isinstance(node, cst.Raise):
                return Out(raises=states)
            return Out(normal=states, raises=states if yields else frozenset())
        if captured or isinstance(node, (cst.Global, cst.Nonlocal, cst.Del)):
            return self._exit(node, map_states(states, (OPEN,), HANDED))
        if self._releases(node):
            self.release_lines.append(node)
            return self._exit(node, map_states(states, (OPEN,), CLOSED))
        if self._hands_on(node):
            return self._exit(node, map_states(states, (OPEN,), HANDED))
        rebound = self._rebinds(node)
        if has_yield(node):  # `yield s`: raises only as a yield (GeneratorExit, a thrown error)
            raises = states if yields else frozenset()
        else:
            raises = states if self.exceptions and not is_cleanup(node, self.names) else frozenset()
        if rebound:
            return Out(normal=map_states(states, (OPEN,), LOST), raises=raises)
        if isinstance(node, cst.Return):
            return Out(returns=states, raises=raises)
        if isinstance(node, cst.Raise):
            return Out(raises=states)
        return Out(normal=states, raises=raises)

    def _exit(self, node: cst.CSTNode, states: FrozenSet[str]) -> Out:
        if isinstance(node, cst.Return):
            return Out(returns=states)
        if isinstance(node, cst.Raise):
            return Out(raises=states)
        return Out(normal=states)

    def use(self, expression: Optional[cst.CSTNode], states: FrozenSet[str]) -> Out:
        """An expression evaluated for control (a test, an iterable): may raise if it uses it."""
        if expression is None:
            return Out()
        mentioned, _ = mentions(expression, self.names)
        raises = states if (mentioned and self.exceptions) or (self.yields and has_yield(expression)) else frozenset()
        return Out(raises=raises)

    def _releases(self, node: cst.CSTNode) -> bool:
        """``s.close()`` / ``await s.close()`` / ``s.remove()`` anywhere in the statement, or a
        project function that releases the argument it is given (``close_session(s)``)."""
        for call in calls_in(node):
            func = call.func
            if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value in self.names:
                if func.attr.value in RELEASE_METHODS:
                    return True
            elif self.context.releases_argument(call, self.names):
                return True
        return False

    def _hands_on(self, node: cst.CSTNode) -> bool:
        if isinstance(node, cst.Return) and node.value is not None:
            return hands_out(node.value, self.names)
        if isinstance(node, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
            value = node.value
            targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
            if value is not None and hands_out(value, self.names) and any(not isinstance(t, cst.Name) for t in targets):
                return True  # self.session = s, g.db = s, cache[key] = s
        for call in calls_in(node):
            func = call.func
            args_hand_out = any(hands_out(arg.value, self.names) for arg in call.args)
            if any(is_bound_release(arg.value, self.names) for arg in call.args):
                return True  # stack.callback(s.close), atexit.register(s.close)
            if not args_hand_out:
                continue
            if isinstance(func, cst.Attribute) and func.attr.value in STORE_METHODS and not is_name_in(func.value, self.names):
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
                return node.value is None or not mentions(node.value, self.names)[0]
        return False

    # --- compound statements --------------------------------------------------------------
    def if_(self, node: cst.If, states: FrozenSet[str]) -> Out:
        is_none_branch = none_test(node.test, self.names)
        out = self.use(node.test, states) if is_none_branch is None else Out()  # `s is None` cannot raise
        body_states, else_states = states, states
        if is_none_branch == "body":
            body_states = drop_open(states)
        elif is_none_branch == "orelse":
            else_states = drop_open(states)
        out = out.merge(self.suite(node.body, body_states))
        orelse = node.orelse
        if orelse is None:
            out = out.merge(Out(normal=else_states))
        elif isinstance(orelse, cst.If):
            out = out.merge(self.if_(orelse, else_states))
        else:
            out = out.merge(self.suite(orelse.body, else_states))
        return out

    def loop(self, node, states: FrozenSet[str]) -> Out:
        header = node.iter if isinstance(node, cst.For) else node.test
        out = self.use(header, states)
        endless = isinstance(node, cst.While) and always_true(node.test)
        entry = states
        body = Out()
        for _ in range(8):  # the states are few: a fixpoint comes fast
            body = self.suite(node.body, entry)
            following = entry | body.normal | body.continues
            if following == entry:
                break
            entry = following
        out = out.merge(Out(returns=body.returns, raises=body.raises), normal=False)
        exits = frozenset() if endless else entry
        if node.orelse is not None and exits:
            after_else = self.suite(node.orelse.body, exits)
            out = out.merge(after_else)
        else:
            out = out.merge(Out(normal=exits))
        return out.merge(Out(normal=body.breaks))

    def try_(self, node, states: FrozenSet[str]) -> Out:
        body = self.suite(node.body, states)
        pending = Out(returns=body.returns, breaks=body.breaks, continues=body.continues)
        caught_all = False
        for handler in node.handlers:
            if body.raises:
                pending = pending.merge(self.suite(handler.body, body.raises))
            if handler.type is None or catches_everything(handler.type):
                caught_all = True
        if not caught_all:
            pending = pending.merge(Out(raises=body.raises))
        if node.orelse is not None and body.normal:
            pending = pending.merge(self.suite(node.orelse.body, body.normal))
        elif body.normal:
            pending = pending.merge(Out(normal=body.normal))
        if node.finalbody is None:
            return pending
        result = Out()
        for way in ("normal", "returns", "raises", "breaks", "continues"):
            entering = getattr(pending, way)
            if not entering:
                continue
            final = self.suite(node.finalbody.body, entering)
            # The finally's own ways out (a return in finally) win; otherwise leave as entered.
            kept = Out(returns=final.returns, raises=final.raises, breaks=final.breaks, continues=final.continues)
            result = result.merge(kept)
            result = result.merge(Out(**{way: final.normal}))
        return result

    def with_(self, node: cst.With, states: FrozenSet[str]) -> Out:
        closes = False
        out = Out()
        for item in node.items:
            if closes_in_with(item.item, self.names, self.context):
                closes = True
            else:
                out = out.merge(self.use(item.item, states))
        body = self.suite(node.body, states)
        if closes:
            body = Out(*(map_states(getattr(body, way), (OPEN,), CLOSED) for way in ("normal", "returns", "raises", "breaks", "continues")))
            self.release_lines.append(node)
        return out.merge(body)


def closes_in_with(item: cst.BaseExpression, names: Set[str], context: "Ownership") -> bool:
    """``with s:`` / ``async with s:`` / ``with closing(s):``."""
    if is_name_in(item, names):
        return True
    if isinstance(item, cst.Call) and len(item.args) == 1 and is_name_in(item.args[0].value, names):
        return context.qualified(item.func) in ("contextlib.closing", "contextlib.aclosing")
    return False
