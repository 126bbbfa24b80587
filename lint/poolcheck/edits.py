"""Small libcst transforms that fixes share. They keep the call's own layout: a keyword added
to a one-line call goes at the end of the line, one added to a call laid out one argument per
line gets a line of its own with the same indentation and trailing comma."""

from __future__ import annotations

import libcst as cst


def add_keyword_argument(call: cst.Call, name: str, value: cst.BaseExpression) -> cst.Call:
    new_arg = cst.Arg(
        keyword=cst.Name(name),
        value=value,
        equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")),
    )
    args = list(call.args)
    if not args:
        return call.with_changes(args=[new_arg])
    last = args[-1]
    # The separator between arguments as the call already writes it: the one after the
    # next-to-last argument, else the whitespace opening the argument list when the call is
    # laid out one argument per line, else a space.
    if len(args) > 1 and isinstance(args[-2].comma, cst.Comma):
        separator = args[-2].comma
    elif isinstance(call.whitespace_before_args, cst.ParenthesizedWhitespace):
        separator = cst.Comma(whitespace_after=call.whitespace_before_args)
    else:
        separator = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    if isinstance(last.comma, cst.Comma):
        # A trailing comma: the new argument takes the last one's place in the layout
        # (and its trailing comma), the last argument gets the separator.
        args[-1] = last.with_changes(comma=separator)
        args.append(new_arg.with_changes(comma=last.comma))
    else:
        # No trailing comma: whatever followed the last argument (the newline before a
        # closing parenthesis on its own line) now follows the new one.
        args[-1] = last.with_changes(comma=separator, whitespace_after_arg=cst.SimpleWhitespace(""))
        args.append(new_arg.with_changes(whitespace_after_arg=last.whitespace_after_arg))
    return call.with_changes(args=args)


# --- rewriting several nodes of a module at once --------------------------------------------

REMOVE = cst.RemovalSentinel.REMOVE


class _Replacer(cst.CSTTransformer):
    def __init__(self, changes) -> None:
        super().__init__()
        self.changes = changes

    def on_leave(self, original_node, updated_node):
        change = self.changes.get(id(original_node))
        return updated_node if change is None else change


def replace_nodes(module: cst.Module, changes) -> cst.Module:
    """``module`` with each node whose ``id`` is a key of ``changes`` replaced by its value (a
    node, or ``REMOVE``). One pass, by identity: the nodes must not contain one another."""
    return module.visit(_Replacer(dict(changes)))


# --- comments carried along when a statement moves ---------------------------------------------


def comment_lines(statement: cst.CSTNode) -> list:
    """The comments on their own lines just above a statement (``# why``), as text."""
    lines = getattr(statement, "leading_lines", ())
    return [line.comment.value for line in lines if line.comment is not None]


def trailing_comment(statement: cst.CSTNode) -> str:
    whitespace = getattr(statement, "trailing_whitespace", None)
    return whitespace.comment.value if whitespace is not None and whitespace.comment is not None else ""


def without_comments(lines) -> list:
    return [line for line in lines if line.comment is None]


def comment_line(text: str, indent: str = "") -> cst.EmptyLine:
    return cst.EmptyLine(indent=True, whitespace=cst.SimpleWhitespace(indent), comment=cst.Comment(text))


def _trailing(comment: str) -> cst.TrailingWhitespace:
    if not comment:
        return cst.TrailingWhitespace()
    return cst.TrailingWhitespace(whitespace=cst.SimpleWhitespace("  "), comment=cst.Comment(comment))


# --- dict displays -----------------------------------------------------------------------------


class NewItem:
    """An element to add to a dict display, with the comments that travel with it. A key of
    None makes a ``**value`` element."""

    def __init__(self, key: cst.BaseExpression, value: cst.BaseExpression, leading=(), trailing: str = "") -> None:
        self.key = key
        self.value = value
        self.leading = list(leading)
        self.trailing = trailing


def is_multiline(node: cst.Dict) -> bool:
    return isinstance(node.lbrace.whitespace_after, cst.ParenthesizedWhitespace) or isinstance(
        node.rbrace.whitespace_before, cst.ParenthesizedWhitespace
    )


def new_multiline_dict(items, indent: str) -> cst.Dict:
    """``{`` and one element per line (with its comments), ``}`` on a line of its own."""
    elements = []
    for index, item in enumerate(items):
        last = index == len(items) - 1
        following = [] if last else [comment_line(c, indent) for c in items[index + 1].leading]
        after = cst.ParenthesizedWhitespace(
            first_line=_trailing(item.trailing), empty_lines=following, indent=True, last_line=cst.SimpleWhitespace("" if last else indent)
        )
        elements.append(_element(item, cst.Comma(whitespace_after=after)))
    opening = cst.ParenthesizedWhitespace(
        first_line=cst.TrailingWhitespace(),
        empty_lines=[comment_line(c, indent) for c in items[0].leading] if items else [],
        indent=True,
        last_line=cst.SimpleWhitespace(indent),
    )
    return cst.Dict(elements, lbrace=cst.LeftCurlyBrace(whitespace_after=opening))


def new_inline_dict(items) -> cst.Dict:
    elements = [
        _element(item, cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")) if index < len(items) - 1 else cst.MaybeSentinel.DEFAULT)
        for index, item in enumerate(items)
    ]
    return cst.Dict(elements)


def _element(item: NewItem, comma) -> cst.BaseDictElement:
    if item.key is None:
        return cst.StarredDictElement(item.value, comma=comma)
    return cst.DictElement(item.key, item.value, comma=comma)


def append_dict_items(node: cst.Dict, items, indent: str):
    """``node`` with ``items`` appended in its own layout: one per line (comments beside and
    above them) in a dict laid out one element per line, else inline. Returns the new dict
    and the comments it could not hold (an inline dict has nowhere to put them)."""
    elements = list(node.elements)
    if not elements:
        return new_inline_dict(items), [c for item in items for c in item.leading + ([item.trailing] if item.trailing else [])]
    last = elements[-1]
    if not is_multiline(node):
        if isinstance(last.comma, cst.Comma):
            tail_comma = last.comma
        else:
            tail_comma = cst.MaybeSentinel.DEFAULT
        elements[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        for index, item in enumerate(items):
            final = index == len(items) - 1
            comma = tail_comma if final else cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
            elements.append(_element(item, comma))
        leftover = [c for item in items for c in item.leading + ([item.trailing] if item.trailing else [])]
        return node.with_changes(elements=elements), leftover
    opening = node.lbrace.whitespace_after
    element_indent = opening.last_line if isinstance(opening, cst.ParenthesizedWhitespace) else cst.SimpleWhitespace(indent)
    has_trailing_comma = isinstance(last.comma, cst.Comma)
    # The line break before "}" is the trailing comma's whitespace or the brace's own.
    tail_in_comma = has_trailing_comma and isinstance(last.comma.whitespace_after, cst.ParenthesizedWhitespace)
    tail = last.comma.whitespace_after if tail_in_comma else node.rbrace.whitespace_before
    if not isinstance(tail, cst.ParenthesizedWhitespace):
        tail = cst.ParenthesizedWhitespace(first_line=cst.TrailingWhitespace(), indent=True, last_line=cst.SimpleWhitespace(""))
    elements[-1] = last.with_changes(
        comma=cst.Comma(
            whitespace_after=cst.ParenthesizedWhitespace(
                first_line=tail.first_line,
                empty_lines=[comment_line(c, element_indent.value) for c in items[0].leading],
                indent=True,
                last_line=element_indent,
            )
        )
    )
    rbrace = node.rbrace
    for index, item in enumerate(items):
        final = index == len(items) - 1
        if not final:
            comma = cst.Comma(
                whitespace_after=cst.ParenthesizedWhitespace(
                    first_line=_trailing(item.trailing),
                    empty_lines=[comment_line(c, element_indent.value) for c in items[index + 1].leading],
                    indent=True,
                    last_line=element_indent,
                )
            )
        else:
            closing = tail.with_changes(first_line=_trailing(item.trailing))
            if tail_in_comma:
                comma = cst.Comma(whitespace_after=closing)
            else:
                comma = cst.Comma() if has_trailing_comma else cst.MaybeSentinel.DEFAULT
                rbrace = rbrace.with_changes(whitespace_before=closing)
        elements.append(_element(item, comma))
    return node.with_changes(elements=elements, rbrace=rbrace), []


def without_items(items, remove_ids) -> list:
    """A call's arguments or a dict's elements without some of them; the last one left takes
    the comma (and the layout after it) of the last one removed."""
    kept = [item for item in items if id(item) not in remove_ids]
    if kept and items and id(items[-1]) in remove_ids:
        kept[-1] = kept[-1].with_changes(comma=items[-1].comma)
    return kept


def string_like(example, text: str) -> cst.SimpleString:
    """A string literal holding ``text`` written with ``example``'s quotes and prefix."""
    quote = '"'
    if isinstance(example, cst.SimpleString):
        body = example.value.lstrip("rRbBuUfF")
        quote = body[:3] if body[:3] in ('"""', "'''") else body[:1]
    return cst.SimpleString(f"{quote}{text}{quote}")
