"""Syntactic questions the flow analysis asks about one statement: does it use the resource's
names, hand the resource out, release it, test it against ``None``, yield?"""

from __future__ import annotations

from typing import List, Optional, Set, Tuple

import libcst as cst

from ..walk import walk

# Calls on the resource that release it, and cleanup calls assumed not to raise.
RELEASE_METHODS = frozenset({"close", "remove", "aclose"})
CLEANUP_METHODS = frozenset({"rollback", "expunge_all", "expunge", "invalidate", "detach"})
# Methods of another object that take ownership of an argument.
STORE_METHODS = frozenset({
    "append", "appendleft", "add", "insert", "extend", "setdefault", "put", "put_nowait", "push",
    "register", "enter_context", "enter_async_context", "callback", "push_async_callback",
    "push_async_exit", "addfinalizer", "add_done_callback", "call_on_close",
})


def mentions(node: cst.CSTNode, names: Set[str], include_nested: bool = False) -> Tuple[bool, bool]:
    """(the node uses one of ``names``, a nested function or lambda in it captures one)."""
    found = {"use": False, "capture": False}

    class Finder(cst.CSTVisitor):
        def __init__(self) -> None:
            self.nested = 0

        def visit_Name(self, n: cst.Name) -> None:
            if n.value in names:
                found["capture" if self.nested else "use"] = True

        def visit_Attribute(self, n: cst.Attribute) -> bool:
            walk(n.value, self)  # not .attr: `x.session` does not use `session`
            return False

        def visit_Arg(self, n: cst.Arg) -> bool:
            walk(n.value, self)  # not the keyword: `f(session=x)`
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
        walk(node.body, Finder())
        for decorator in node.decorators:
            walk(decorator, Finder())
        return found["use"] or found["capture"], False
    walk(node, Finder())
    return found["use"], found["capture"]


def calls_in(node: cst.CSTNode) -> List[cst.Call]:
    found: List[cst.Call] = []

    class Finder(cst.CSTVisitor):
        def visit_Call(self, n: cst.Call) -> None:
            found.append(n)

        def visit_Lambda(self, n: cst.Lambda) -> bool:
            return False

    walk(node, Finder())
    return found


def has_yield(node: cst.CSTNode) -> bool:
    found = []

    class Finder(cst.CSTVisitor):
        def visit_Yield(self, n: cst.Yield) -> None:
            found.append(n)

        def visit_Lambda(self, n: cst.Lambda) -> bool:
            return False

        def visit_FunctionDef(self, n: cst.FunctionDef) -> bool:
            return False

    walk(node, Finder())
    return bool(found)


def is_name_in(node: cst.CSTNode, names: Set[str]) -> bool:
    return isinstance(node, cst.Name) and node.value in names


def hands_out(expression: cst.CSTNode, names: Set[str]) -> bool:
    """The resource itself is in ``expression`` as a value (``s``, ``(s, x)``, ``Wrap(s)``,
    ``{"db": s}``), not only as the base of an attribute (``s.query(...)``)."""
    if isinstance(expression, cst.Name):
        return expression.value in names
    if isinstance(expression, cst.Await):
        return hands_out(expression.expression, names)
    if isinstance(expression, (cst.Tuple, cst.List, cst.Set)):
        return any(hands_out(e.value, names) for e in expression.elements)
    if isinstance(expression, cst.Dict):
        return any(isinstance(e, cst.DictElement) and hands_out(e.value, names) for e in expression.elements)
    if isinstance(expression, cst.Call):
        return any(hands_out(arg.value, names) for arg in expression.args)
    return False


def is_bound_release(expression: cst.CSTNode, names: Set[str]) -> bool:
    """``s.close`` / ``s.remove`` not called: handed to something that will call it."""
    return (
        isinstance(expression, cst.Attribute)
        and is_name_in(expression.value, names)
        and expression.attr.value in RELEASE_METHODS
    )


def is_cleanup(node: cst.CSTNode, names: Set[str]) -> bool:
    """``s.rollback()`` / ``await s.rollback()`` alone: assumed not to raise."""
    expression = node.value if isinstance(node, cst.Expr) else None
    if isinstance(expression, cst.Await):
        expression = expression.expression
    return (
        isinstance(expression, cst.Call)
        and isinstance(expression.func, cst.Attribute)
        and is_name_in(expression.func.value, names)
        and expression.func.attr.value in CLEANUP_METHODS | RELEASE_METHODS
    )


def none_test(test: cst.BaseExpression, names: Set[str]) -> Optional[str]:
    """Which branch of ``if test:`` sees the name as ``None`` / falsy: "body" or "orelse"."""
    if is_name_in(test, names):
        return "orelse"
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not) and is_name_in(test.expression, names):
        return "body"
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and is_name_in(test.left, names):
        target = test.comparisons[0]
        if isinstance(target.comparator, cst.Name) and target.comparator.value == "None":
            if isinstance(target.operator, (cst.IsNot, cst.NotEqual)):
                return "orelse"
            if isinstance(target.operator, (cst.Is, cst.Equal)):
                return "body"
    return None


def always_true(test: cst.BaseExpression) -> bool:
    if isinstance(test, cst.Name):
        return test.value == "True"
    if isinstance(test, cst.Integer):
        return test.value not in ("0",)
    return False


def catches_everything(expression: cst.BaseExpression) -> bool:
    if isinstance(expression, cst.Name):
        return expression.value in ("Exception", "BaseException")
    if isinstance(expression, cst.Tuple):
        return any(catches_everything(e.value) for e in expression.elements)
    return False


def has_wildcard(node) -> bool:
    return any(isinstance(case.pattern, cst.MatchAs) and case.pattern.pattern is None and case.guard is None for case in node.cases)


def decorator_last(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Call):
        node = node.func
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return ""


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

    walk(function, Finder())
    return bool(found)
