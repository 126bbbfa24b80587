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
