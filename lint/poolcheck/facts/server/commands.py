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


_IMAGE_TAG_OR_DIGEST = re.compile(r"(@.*|:[^/]*)$")
_INTERPOLATION_WITH_DEFAULT = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*:?-([^}]*)\}")
_INTERPOLATION = re.compile(r"\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*")
_SERVER_WORDS = frozenset({"mysql", "mariadb", "percona", "mysqld", "mariadbd"})
# Images of the same families that are not the server itself (exporters, routers, proxies,
# backup tools, Percona's MongoDB build): their commands never set the server's variables.
_NOT_SERVER_WORDS = frozenset({
    "exporter", "router", "maxscale", "mongodb", "client", "shell", "operator", "backup",
    "xtrabackup", "pmm", "toolkit", "proxy", "workbench", "admin",
})


def is_mysql_server_image(image: str) -> bool:
    """``mysql:8``, ``docker.io/library/mariadb:10.11``, ``bitnami/mysql``, ``percona/percona-server``.

    Compose interpolation keeps its default (``${DB_IMAGE:-mysql:8}`` is ``mysql:8``); the tag
    and digest are ignored, so ``myorg/app:mysql`` is not a server.
    """
    image = _INTERPOLATION_WITH_DEFAULT.sub(lambda match: match.group(1), image)
    image = _INTERPOLATION.sub("", image).strip().lower()
    repository = _IMAGE_TAG_OR_DIGEST.sub("", image)
    words = set(re.split(r"[/._-]+", repository))
    return bool(words & _SERVER_WORDS) and not (words & _NOT_SERVER_WORDS)
