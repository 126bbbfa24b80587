"""The rewrites fixes make to Flask config: move keys into ``SQLALCHEMY_ENGINE_OPTIONS``, and
rename a key. Each returns a :class:`Plan` (the node changes in one file and whether the
result surely means what the author meant); the rule turns it into a fix with
``ctx.rewrite``. Comments travel with what they describe.

Moving keys rewrites the scope they are written in as a whole (every moved key of a class
body, of a function's ``app.config[...]`` writes, of one ``update(...)`` call or dict), so the
keys of one scope end up in one dict and the findings of that scope share one fix:

- an ``SQLALCHEMY_ENGINE_OPTIONS`` dict display in the same scope: the keys are added to it
  (in its layout: one per line, or inline);
- none: the last moved key's statement becomes ``SQLALCHEMY_ENGINE_OPTIONS = {...}``;
- unsafe where the meaning could change: an existing value that is not a dict display (it
  becomes ``{**value, ...}``), options inherited from a base class or written by another
  layer of the configuration (the new dict would replace them), a moved value that names
  something defined after the dict it joins.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import libcst as cst

from ..walk import children, walk
from ..edits import (
    REMOVE,
    NewItem,
    append_dict_items,
    comment_line,
    comment_lines,
    is_multiline,
    new_inline_dict,
    new_multiline_dict,
    string_like,
    trailing_comment,
    without_comments,
    without_items,
)
from ..syntax import ParsedFile
from ..values import Known
from .model import ATTRIBUTE, CLASS, DICT_KEY, KEYWORD, SUBSCRIPT, ConfigEntry, FlaskConfig

ENGINE_OPTIONS = "SQLALCHEMY_ENGINE_OPTIONS"
_LITERAL_NAMES = ("True", "False", "None")


@dataclass
class Move:
    """A removed Flask-SQLAlchemy key moved into ``SQLALCHEMY_ENGINE_OPTIONS`` as an engine option."""
    entry: ConfigEntry
    option: str  # the engine option it becomes: pool_size


@dataclass
class Plan:
    """The changes a fix makes to one file, and whether they are safe."""
    file: ParsedFile
    changes: Dict[int, object]
    safe: bool = True
    why_unsafe: List[str] = field(default_factory=list)

    def unsafe(self, why: str) -> None:
        self.safe = False
        if why not in self.why_unsafe:
            self.why_unsafe.append(why)


# --- where an entry lives ---------------------------------------------------------------------

_PARENTS: "weakref.WeakKeyDictionary[ParsedFile, Dict[int, cst.CSTNode]]" = weakref.WeakKeyDictionary()


def parent_of(file: ParsedFile, node: cst.CSTNode) -> Optional[cst.CSTNode]:
    if file not in _PARENTS:
        parents: Dict[int, cst.CSTNode] = {}

        class _Parents(cst.CSTVisitor):
            def on_visit(self, parent: cst.CSTNode) -> bool:
                for child in children(parent):
                    parents[id(child)] = parent
                return True

        walk(file.module, _Parents())
        _PARENTS[file] = parents
    return _PARENTS[file].get(id(node))


def container_of(entry: ConfigEntry, whole: bool = False):
    """The call (keywords) or dict display (keys) an update()/from_mapping() entry sits in,
    with the argument or element that writes it (in the whole-file parse if ``whole``)."""
    if entry.file is None or entry.key_node is None:
        return None, None
    file = entry.file.whole() if whole else entry.file
    key = entry.file.same_node_in_whole(entry.key_node) if whole else entry.key_node
    if key is None:
        return None, None
    item = parent_of(file, key)
    if entry.form == KEYWORD and isinstance(item, cst.Arg):
        return parent_of(file, item), item
    if entry.form == DICT_KEY and isinstance(item, cst.DictElement):
        return parent_of(file, item), item
    return None, None


class _Missing(Exception):
    """A node of a pruned parse has no counterpart in the whole file (cannot happen for
    verbatim statements; no fix rather than a wrong one)."""


def _in_whole(entry: ConfigEntry, node):
    """``node`` (of ``entry``'s parse) in the whole-file parse fixes rewrite."""
    if node is None:
        return None
    found = entry.file.same_node_in_whole(node)
    if found is None:
        raise _Missing()
    return found


def group_of(entry: ConfigEntry):
    """Entries moved by one rewrite share this key (None: no move fix for this form)."""
    if entry.form == ATTRIBUTE:
        return ("attribute", id(entry.unit))
    if entry.form == SUBSCRIPT:
        return ("subscript", id(entry.unit), entry.receiver)
    if entry.form in (KEYWORD, DICT_KEY):
        container, _ = container_of(entry)
        return ("container", id(container)) if container is not None else None
    return None


# --- moving keys into SQLALCHEMY_ENGINE_OPTIONS -----------------------------------------------


def plan_move(moves: Sequence[Move], config: FlaskConfig, customised: Optional[str] = None) -> Optional[Plan]:
    """Move every key of one scope (``moves``, all of one group) into the options dict.
    The plan rewrites the whole-file parse (``ParsedFile.whole``)."""
    if not moves:
        return None
    first = moves[0].entry
    if first.file is None or any(m.entry.file is not first.file for m in moves):
        return None
    try:
        if first.form == ATTRIBUTE:
            plan = _move_statements(moves, config, lambda: None)
        elif first.form == SUBSCRIPT:
            plan = _move_statements(moves, config, lambda: first.receiver)
        elif first.form in (KEYWORD, DICT_KEY):
            plan = _move_in_container(moves, config)
        else:
            return None
    except _Missing:
        return None
    if plan is not None:
        for move in moves:
            value = move.entry.value
            if not (isinstance(value, Known) and value.value is not None):
                # Flask-SQLAlchemy skipped an old key whose value was None (2.x); an engine
                # option of None reaches create_engine (pool_size=None breaks the pool).
                plan.unsafe(f"the value of `{move.entry.key}` is not statically known (it may be None)")
        if customised:
            plan.unsafe(f"{customised}, which may treat the options differently")
    return plan


def _body_of(node) -> Optional[Sequence[cst.CSTNode]]:
    if isinstance(node, cst.Module):
        return node.body
    if isinstance(node, (cst.ClassDef, cst.FunctionDef)) and isinstance(node.body, cst.IndentedBlock):
        return node.body.body
    return None


def _items(moves: Sequence[Move], key_example, carry_comments: bool) -> List[NewItem]:
    items = []
    for move in moves:
        statement = _in_whole(move.entry, move.entry.statement)
        items.append(
            NewItem(
                string_like(key_example, move.option),
                _in_whole(move.entry, move.entry.value_node),
                comment_lines(statement) if carry_comments else (),
                trailing_comment(statement) if carry_comments else "",
            )
        )
    return items


def _move_statements(moves: Sequence[Move], config: FlaskConfig, receiver_of) -> Optional[Plan]:
    """Keys written as statements (class body, settings module, app.config[...] writes)."""
    entry = moves[0].entry
    file = entry.file.whole()
    scope = entry.unit.node
    body = _body_of(file.module if isinstance(scope, cst.Module) else _in_whole(entry, scope))
    if body is None:
        return None
    position = {id(statement): index for index, statement in enumerate(body)}
    statement_of = {id(move): _in_whole(move.entry, move.entry.statement) for move in moves}
    if any(
        id(s) not in position or not isinstance(s, cst.SimpleStatementLine) or len(s.body) != 1
        for s in statement_of.values()
    ):
        return None  # inside an if/try block, or sharing a line with other statements
    moves = sorted(moves, key=lambda move: position[id(statement_of[id(move)])])
    receiver = receiver_of()
    plan = Plan(file, {})
    unit = entry.unit
    existing = None
    for e in unit.entries:
        if (
            e.key == ENGINE_OPTIONS
            and not e.nested
            and e.form == entry.form
            and e.receiver == entry.receiver
            and e.file is entry.file
        ):
            if id(_in_whole(e, e.statement)) in position:
                existing = e
    others = [
        w
        for w in config.writers_of(ENGINE_OPTIONS)
        if w.unit is not unit and not (unit.kind == CLASS and w.unit is not None and w.unit.kind == CLASS)
    ]
    indent = file.module.default_indent
    existing_statement = _in_whole(existing, existing.statement) if existing is not None else None
    if (
        existing is not None
        and isinstance(existing_statement, cst.SimpleStatementLine)
        and len(existing_statement.body) == 1
    ):
        statement = existing_statement
        assign = statement.body[0]
        value = _in_whole(existing, existing.value_node)
        if isinstance(value, cst.Dict):
            example = next((el.key for el in value.elements if isinstance(el, cst.DictElement)), None)
            later = [m for m in moves if position[id(statement_of[id(m)])] > position[id(statement)]]
            if any(_names_something(m.entry.value_node) for m in later):
                plan.unsafe("a moved value names something that may be defined after the options dict")
            new_value, leftover = append_dict_items(value, _items(moves, example, True), indent)
        else:
            plan.unsafe(f"the existing {ENGINE_OPTIONS} is not a dict display")
            new_value = new_inline_dict([NewItem(None, value)] + _items(moves, None, False))
            leftover = [
                c
                for m in moves
                for c in comment_lines(statement_of[id(m)]) + [trailing_comment(statement_of[id(m)])]
                if c
            ]
        new_statement = statement.with_changes(
            body=[assign.with_changes(value=new_value)],
            leading_lines=list(statement.leading_lines) + [comment_line(c) for c in leftover],
        )
        plan.changes[id(statement)] = new_statement
        for move in moves:
            plan.changes[id(statement_of[id(move)])] = REMOVE
        return plan
    if existing is not None:
        return None
    if unit.kind == CLASS:
        inherited, certain = unit.lookup(ENGINE_OPTIONS)
        if inherited is not None:
            plan.unsafe(f"{ENGINE_OPTIONS} is inherited; the new dict starts from the base class's")
            base = _single_base(_in_whole(entry, unit.node))
            if base is None:
                return None
            start = [NewItem(None, cst.Attribute(base, cst.Name(ENGINE_OPTIONS)))]
        elif not certain:
            plan.unsafe(f"a base class poolcheck cannot see may set {ENGINE_OPTIONS}")
            start = []
        else:
            start = []
    else:
        start = []
    if others and receiver is not None and not start:
        # Other places set the options too: merge into whatever is there when this runs.
        start = [NewItem(None, cst.parse_expression(f'{receiver}.get("{ENGINE_OPTIONS}", {{}})'))]
    elif others:
        plan.unsafe(f"{ENGINE_OPTIONS} is also set elsewhere; one may replace the other")
    last = statement_of[id(moves[-1])]
    single = len(moves) == 1 and not start
    if single:
        dict_node = new_inline_dict(_items(moves, None, False))
        leading, trailing = last.leading_lines, last.trailing_whitespace
    else:
        dict_node = new_multiline_dict(start + _items(moves, None, True), indent)
        leading, trailing = without_comments(last.leading_lines), cst.TrailingWhitespace()
    if receiver is None:
        target = cst.Name(ENGINE_OPTIONS)
    else:
        target = cst.parse_expression(
            f"{receiver}[{string_like(_in_whole(moves[-1].entry, moves[-1].entry.key_node), ENGINE_OPTIONS).value}]"
        )
    new_statement = cst.SimpleStatementLine(
        body=[cst.Assign(targets=[cst.AssignTarget(target)], value=dict_node)],
        leading_lines=leading,
        trailing_whitespace=trailing,
    )
    plan.changes[id(last)] = new_statement
    for move in moves[:-1]:
        plan.changes[id(statement_of[id(move)])] = REMOVE
    return plan


def _move_in_container(moves: Sequence[Move], config: FlaskConfig) -> Optional[Plan]:
    """Keys of one ``app.config.update(KEY=...)`` call or one dict display."""
    container, _ = container_of(moves[0].entry, whole=True)
    if container is None:
        return None
    file = moves[0].entry.file.whole()
    plan = Plan(file, {})
    is_call = isinstance(container, cst.Call)
    items = list(container.args if is_call else container.elements)
    moved = {}
    for move in moves:
        _, item = container_of(move.entry, whole=True)
        if item is None:
            return None
        moved[id(item)] = move
    existing = next((item for item in items if _item_key(item) == ENGINE_OPTIONS), None)
    others = [w for w in config.writers_of(ENGINE_OPTIONS) if w.unit is not moves[0].entry.unit]
    start: List[NewItem] = []
    if others and existing is None:
        receiver = _receiver_of_call(file, container)
        if receiver is not None:
            # Merge with whatever the options are when this call runs.
            start = [NewItem(None, cst.parse_expression(f'{receiver}.get("{ENGINE_OPTIONS}", {{}})'))]
        else:
            plan.unsafe(f"{ENGINE_OPTIONS} is also set elsewhere; this one would replace it")
    elif others:
        plan.unsafe(f"{ENGINE_OPTIONS} is also set elsewhere; one may replace the other")
    ordered = [moved[id(item)] for item in items if id(item) in moved]
    example = next((el.key for el in items if isinstance(el, cst.DictElement)), None)
    lost = [_item_comment(item) for item in items if id(item) in moved]
    if existing is not None:
        value = existing.value
        if isinstance(value, cst.Dict) and not is_multiline(value):
            new_value, _ = append_dict_items(
                value,
                _items(ordered, next((e.key for e in value.elements if isinstance(e, cst.DictElement)), None), False),
                "",
            )
        else:
            plan.unsafe(f"the existing {ENGINE_OPTIONS} is not a one-line dict display")
            new_value = new_inline_dict([NewItem(None, value)] + _items(ordered, None, False))
        replacement = existing.with_changes(value=new_value)
        replacement = _with_comment(replacement, [c for c in [_item_comment(existing)] + lost if c])
        new_items = without_items([replacement if item is existing else item for item in items], set(moved))
    else:
        last = max((item for item in items if id(item) in moved), key=lambda item: items.index(item))
        dict_node = new_inline_dict(start + _items(ordered, example, False))
        if is_call:
            replacement = last.with_changes(keyword=cst.Name(ENGINE_OPTIONS), value=dict_node)
        else:
            replacement = last.with_changes(key=string_like(last.key, ENGINE_OPTIONS), value=dict_node)
        replacement = _with_comment(replacement, [c for c in lost if c])
        new_items = without_items([replacement if item is last else item for item in items], set(moved) - {id(last)})
    new_container = container.with_changes(args=new_items) if is_call else container.with_changes(elements=new_items)
    plan.changes[id(container)] = new_container
    return plan


# --- renaming a key ---------------------------------------------------------------------------


def plan_rename(entry: ConfigEntry, new_key: str) -> Optional[Plan]:
    if entry.file is None or entry.key_node is None:
        return None
    node = entry.file.same_node_in_whole(entry.key_node)
    file = entry.file.whole()
    if isinstance(node, cst.Name):
        return Plan(file, {id(node): node.with_changes(value=new_key)}, safe=False)
    if isinstance(node, cst.SimpleString) and "f" not in node.prefix.lower():
        return Plan(
            file, {id(node): string_like(node, new_key).with_changes(lpar=node.lpar, rpar=node.rpar)}, safe=False
        )
    return None


# --- helpers ----------------------------------------------------------------------------------


def _names_something(node: Optional[cst.CSTNode]) -> bool:
    found = []

    class _Names(cst.CSTVisitor):
        def visit_Name(self, name: cst.Name) -> None:
            if name.value not in _LITERAL_NAMES:
                found.append(name)

    if node is not None:
        walk(node, _Names())
    return bool(found)


def _receiver_of_call(file: ParsedFile, container) -> Optional[str]:
    """``app.config`` for ``app.config.update(...)`` (the call itself, or the dict display
    written as its argument)."""
    call = container
    if isinstance(container, cst.Dict):
        arg = parent_of(file, container)
        call = parent_of(file, arg) if isinstance(arg, cst.Arg) else None
    if (
        isinstance(call, cst.Call)
        and isinstance(call.func, cst.Attribute)
        and isinstance(call.func.value, cst.Attribute)
    ):
        if call.func.value.attr.value == "config" and call.func.attr.value in ("update", "from_mapping"):
            return file.code(call.func.value)
    return None


def _single_base(node) -> Optional[cst.BaseExpression]:
    bases = [arg for arg in getattr(node, "bases", ()) if arg.keyword is None]
    return bases[0].value if len(bases) == 1 else None


def _item_key(item) -> Optional[str]:
    if isinstance(item, cst.Arg) and item.keyword is not None:
        return item.keyword.value
    if isinstance(item, cst.DictElement) and isinstance(item.key, cst.SimpleString):
        try:
            value = item.key.evaluated_value
        except Exception:
            return None
        return value if isinstance(value, str) else None
    return None


def _item_comment(item) -> str:
    comma = getattr(item, "comma", None)
    whitespace = getattr(comma, "whitespace_after", None)
    first = getattr(whitespace, "first_line", None)
    comment = getattr(first, "comment", None)
    return comment.value if comment is not None else ""


def _with_comment(item, comments: List[str]):
    """``item`` with ``comments`` on its line (where its comma's line ends)."""
    comments = list(dict.fromkeys(comments))
    if not comments:
        return item
    comma = item.comma
    whitespace = getattr(comma, "whitespace_after", None)
    if not isinstance(whitespace, cst.ParenthesizedWhitespace):
        return item  # a one-line call or dict: no line end of its own to hold them
    text = "  ".join(comments)
    first = whitespace.first_line.with_changes(whitespace=cst.SimpleWhitespace("  "), comment=cst.Comment(text))
    return item.with_changes(comma=comma.with_changes(whitespace_after=whitespace.with_changes(first_line=first)))
