"""Command lines as they appear in compose files, Dockerfiles and Procfiles.

A command is reduced to a list of :class:`Arg`: the argument text and the line it is written
on, so that a value read from ``--wait-timeout=600`` points at its own line even inside a
multi-line command.
"""

from __future__ import annotations

import re
import shlex
from typing import List, NamedTuple, Optional, Sequence


class Arg(NamedTuple):
    text: str
    line: int  # 1-based line of the file the argument is written on


# Tokens that end one shell command and start another (``a && b``, ``a; b``).
SHELL_SEPARATORS = frozenset({"&&", "||", ";", "|", "&"})


def split_shell_words(text: str) -> Optional[List[str]]:
    """Split like a POSIX shell (what compose, Procfile runners and ``sh -c`` do); None if unbalanced."""
    try:
        return shlex.split(text, comments=False, posix=True)
    except ValueError:
        return None


def locate_args(words: Sequence[str], raw: str, first_line: int) -> List[Arg]:
    """Attach to each word the line it starts on inside ``raw`` (the source text it came from).

    Words are searched for in order, so a repeated word gets the line of its own occurrence.
    A word that does not appear verbatim (quotes or escapes changed it) keeps the line where
    the search stands, which is at worst the line of the previous word.
    """
    args: List[Arg] = []
    cursor = 0
    for word in words:
        found = raw.find(word, cursor) if word else -1
        if found >= 0:
            args.append(Arg(word, first_line + raw.count("\n", 0, found)))
            cursor = found + len(word)
        else:
            args.append(Arg(word, first_line + raw.count("\n", 0, cursor)))
    return args


def shell_args(text: str, raw: str, first_line: int) -> List[Arg]:
    """Split ``text`` like a shell and locate the words in ``raw``; [] when it does not split."""
    words = split_shell_words(text)
    return locate_args(words, raw, first_line) if words else []


# The option of sh / bash that takes a script, alone or bundled (-c, -lc, -ec, -exc).
_SCRIPT_OPTION = re.compile(r"-[a-z]*c")


def expand_shell_strings(args: Sequence[Arg]) -> List[Arg]:
    """Also split the script of ``sh -c "gunicorn -w 4 app:app"`` into words.

    The argument after ``-c`` is split in place, keeping its line: the command it runs is then
    visible to the readers like any other. Other arguments stay whole
    (``GUNICORN_CMD_ARGS="--workers 5"`` is one word).
    """
    expanded: List[Arg] = []
    for index, arg in enumerate(args):
        if index > 0 and _SCRIPT_OPTION.fullmatch(args[index - 1].text):
            words = split_shell_words(arg.text)
            if words:
                expanded.extend(Arg(word, arg.line) for word in words)
                continue
        expanded.append(arg)
    return expanded
