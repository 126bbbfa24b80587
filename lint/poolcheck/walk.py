"""A read-only traversal of libcst trees, several times faster than ``node.visit(visitor)``.

libcst's ``visit`` rebuilds every node it passes (``_visit_and_replace_children`` calls the
node's constructor, which validates it) and asks the visitor for attribute hooks by name
before and after every field: the price of supporting transformers. Rules only read, so
``walk(node, visitor)`` calls the same ``visit_<Node>`` / ``leave_<Node>`` methods (and a
visitor's own ``on_visit`` / ``on_leave``), in the same order, skipping children when a
visit method returns False, as ``node.visit(visitor)`` does, and builds nothing.

The order of a node type's fields is libcst's own: read once per type by letting the node's
``_visit_and_replace_children`` announce its fields to a recorder (it names every field,
even an empty or absent one), so it follows the installed libcst. A visitor that needs what
``walk`` does not offer (a transformer, ``visit_<Node>_<field>`` attribute hooks, metadata)
is handed to libcst's ``visit`` unchanged.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Dict, Optional, Tuple

import libcst as cst

_FIELDS: Dict[type, Tuple[str, ...]] = {}
_OPTIONAL: Dict[type, Tuple[str, ...]] = {}
_VARIANTS: Dict[Tuple[type, Tuple[str, ...]], Tuple[str, ...]] = {}
_PLAIN: Dict[type, bool] = {}


class SubclassTest(dict):
    """``test[kind]``: whether ``kind`` is ``base`` or a subclass of it, worked out the first
    time a kind is looked up (a dict lookup after that). libcst's node classes are ABCs, so
    ``isinstance(x, cst.CSTNode)`` runs ABCMeta.__instancecheck__, a Python-level call: the
    walks made hundreds of thousands of them (a tenth of the workers' rule time on the bench
    corpus). The first look reads the class's MRO rather than asking ``issubclass``: a
    negative ABC check walks all of the base's subclasses (CSTNode has 200). libcst registers
    no virtual subclass, so the answers are the same."""

    def __init__(self, base: type) -> None:
        super().__init__()
        self.base = base

    def __missing__(self, kind: type) -> bool:
        answer = self[kind] = self.base in kind.__mro__
        return answer


NODE_KINDS = SubclassTest(cst.CSTNode)
EXPRESSION_KINDS = SubclassTest(cst.BaseExpression)
# The node classes' names (which visitor methods ``walk`` can stand in for).
_NODE_NAMES = frozenset(name for name, value in vars(cst).items() if isinstance(value, type) and NODE_KINDS[value])


def is_node(value: Any) -> bool:
    """``isinstance(value, cst.CSTNode)``, without the ABC machinery."""
    return NODE_KINDS[type(value)]


class _FieldRecorder(cst.CSTVisitor):
    def __init__(self, node: cst.CSTNode) -> None:
        self.node = node
        self.fields: list = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        return False

    def on_leave(self, original_node: cst.CSTNode) -> None:
        return None

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        if node is self.node and attribute not in self.fields:
            self.fields.append(attribute)

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        return None


def _record(node: cst.CSTNode) -> Tuple[str, ...]:
    recorder = _FieldRecorder(node)
    node._visit_and_replace_children(recorder)
    return tuple(recorder.fields)


def _holds_nodes(value: Any) -> bool:
    if is_node(value):
        return True
    return isinstance(value, (tuple, list)) and any(is_node(item) for item in value)


def child_fields(node: cst.CSTNode) -> Tuple[str, ...]:
    """The names of ``node``'s fields that hold child nodes, in libcst's visiting order.

    A few node types visit a field only when it is set (an f-string expression's
    ``format_spec``): the fields a node type did not announce while empty are checked on
    each node, and a node that has one set is recorded on its own (once per combination)."""
    kind = type(node)
    fields = _FIELDS.get(kind)
    if fields is None:
        fields = _FIELDS[kind] = _record(node)
        announced = set(fields)
        _OPTIONAL[kind] = tuple(
            f.name
            for f in dataclasses.fields(kind)
            if f.name not in announced and not _holds_nodes(getattr(node, f.name)) and not isinstance(getattr(node, f.name), (str, int, float))
        )
    optional = _OPTIONAL[kind]
    if optional:
        present = tuple(name for name in optional if _holds_nodes(getattr(node, name)))
        if present:
            key = (kind, present)
            variant = _VARIANTS.get(key)
            if variant is None:
                variant = _VARIANTS[key] = _record(node)
            return variant
    return fields


def children(node: cst.CSTNode):
    """``node``'s child nodes in libcst's order (``node.children`` without rebuilding ``node``)."""
    for name in child_fields(node):
        value = getattr(node, name)
        if is_node(value):
            yield value
        elif isinstance(value, (tuple, list)):
            for item in value:
                if is_node(item):
                    yield item


def _is_plain(visitor: Any) -> bool:
    """Whether ``walk`` can stand in for libcst's ``visit`` with this visitor."""
    kind = type(visitor)
    plain = _PLAIN.get(kind)
    if plain is None:
        plain = isinstance(visitor, cst.CSTVisitor) and not getattr(visitor, "METADATA_DEPENDENCIES", ())
        if plain:
            for klass in kind.__mro__:
                if klass is cst.CSTVisitor:
                    break
                if "on_visit_attribute" in vars(klass) or "on_leave_attribute" in vars(klass):
                    plain = False
                    break
                for name in vars(klass):
                    if name.startswith(("visit_", "leave_")) and name.split("_", 1)[1] not in _NODE_NAMES:
                        # visit_Call_func: an attribute hook (or a helper named like one).
                        plain = False
                        break
        _PLAIN[kind] = plain
    return plain


def walk(node: cst.CSTNode, visitor: cst.CSTVisitor) -> None:
    """``node.visit(visitor)`` for a read-only visitor, without rebuilding the tree."""
    if not _is_plain(visitor):
        node.visit(visitor)
        return
    kind = type(visitor)
    if kind.on_visit is cst.CSTVisitor.on_visit and kind.on_leave is cst.CSTVisitor.on_leave:
        _walk_dispatch(node, _Dispatch(visitor))
    else:
        _walk(node, visitor.on_visit, visitor.on_leave)


def _walk(node: cst.CSTNode, on_visit: Callable[[cst.CSTNode], bool], on_leave: Callable[[cst.CSTNode], None]) -> None:
    if on_visit(node):
        fields = child_fields(node) if _OPTIONAL.get(type(node), True) else _FIELDS[type(node)]
        for name in fields:
            value = getattr(node, name)
            if NODE_KINDS[type(value)]:
                _walk(value, on_visit, on_leave)
            elif isinstance(value, (tuple, list)):
                for item in value:
                    if NODE_KINDS[type(item)]:
                        _walk(item, on_visit, on_leave)
    on_leave(node)


class _Dispatch:
    """The visitor's ``visit_<Node>`` / ``leave_<Node>`` methods, looked up once per node type."""

    __slots__ = ("visitor", "visits", "leaves")

    def __init__(self, visitor: cst.CSTVisitor) -> None:
        self.visitor = visitor
        self.visits: Dict[type, Optional[Callable]] = {}
        self.leaves: Dict[type, Optional[Callable]] = {}

    def methods(self, kind: type) -> Tuple[Optional[Callable], Optional[Callable]]:
        name = kind.__name__
        visit = self.visits[kind] = getattr(self.visitor, f"visit_{name}", None)
        leave = self.leaves[kind] = getattr(self.visitor, f"leave_{name}", None)
        return visit, leave


def _walk_dispatch(node: cst.CSTNode, dispatch: _Dispatch) -> None:
    kind = type(node)
    try:
        visit = dispatch.visits[kind]
        leave = dispatch.leaves[kind]
    except KeyError:
        visit, leave = dispatch.methods(kind)
    if visit is None or visit(node) is not False:
        fields = child_fields(node) if _OPTIONAL.get(kind, True) else _FIELDS[kind]
        kinds = NODE_KINDS
        for name in fields:
            value = getattr(node, name)
            if kinds[type(value)]:
                _walk_dispatch(value, dispatch)
            elif isinstance(value, (tuple, list)):
                for item in value:
                    if kinds[type(item)]:
                        _walk_dispatch(item, dispatch)
    if leave is not None:
        leave(node)
