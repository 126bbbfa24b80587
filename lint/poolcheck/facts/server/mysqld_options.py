"""mysqld's own option syntax: option names and numeric values, shared by option files and
command lines (compose ``command:``, Dockerfile ``CMD``, Bitnami's ``*_EXTRA_FLAGS``).

Everything here was checked against ``mariadbd --verbose --help`` (MariaDB 10.11), which
prints the values the server would run with; ``tests/facts`` repeats the checks where the
binary is installed.
"""

from __future__ import annotations

import os.path
import re
from typing import List, Optional, Sequence, Tuple

from poolcheck.facts.server.commands import SHELL_SEPARATORS, Arg
from poolcheck.facts.server.model import MAX_CONNECTIONS, WAIT_TIMEOUT

# Only wait_timeout decides when the server drops an idle SQLAlchemy connection, so
# interactive_timeout is not collected: the server starts a session's wait_timeout from
# interactive_timeout only for clients that ask for CLIENT_INTERACTIVE, which the drivers
# (PyMySQL, mysqlclient, mariadb) do not by default. The mysql command-line client does: that is
# why SHOW VARIABLES there can show another value than the application's connections get.
SERVER_VARIABLES = frozenset({WAIT_TIMEOUT, MAX_CONNECTIONS})

# Size suffixes, case-insensitive: "wait_timeout=2k" runs with 2048.
_SUFFIX_MULTIPLIERS = {
    "": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50, "e": 1 << 60,
}
# How mysqld reads a number: strtoll (leading blanks, an optional sign, digits), then the one
# character after the digits must be a suffix letter or the end. Whatever follows that letter
# is ignored ("1KB" runs with 1024), any other character is "Unknown suffix" and the server
# refuses to start ("600 ; comment", "1x", "0x10"), and a negative value is refused too.
_SERVER_NUMBER = re.compile(r"[ \t]*\+?([0-9]+)(.?)", re.DOTALL)


def parse_server_number(text: str) -> Optional[int]:
    """The value mysqld reads from ``text``, or None where the server would refuse it.

    Values are kept as written (after the suffix): the server clamps out-of-range ones
    (wait_timeout to 1..31536000, max_connections to 10..100000 on MariaDB, 1..100000 on MySQL),
    but "wait_timeout = 99999999 (my.cnf:3)" is what the user wrote and will recognise. An
    empty value, which mariadbd reads as 0 and clamps to 1, is ignored as a placeholder.
    """
    match = _SERVER_NUMBER.match(text)
    if match is None:
        return None
    multiplier = _SUFFIX_MULTIPLIERS.get(match.group(2).lower())
    if multiplier is None:
        return None
    return int(match.group(1)) * multiplier


def server_variable_name(option: str) -> Optional[str]:
    """``wait-timeout``, ``Wait_Timeout``, ``loose-wait-timeout`` → ``wait_timeout``; others → None.

    mysqld treats dashes and underscores alike and ignores case in option names; ``loose-``
    only turns an unknown option into a warning. ``maximum-wait-timeout`` is a different
    option (the ceiling for SET), so it does not match. Unique prefixes (``wait_time``) still
    work on MariaDB with a deprecation note but are not recognised here.
    """
    name = option.strip().lower().replace("-", "_")
    if name.startswith("loose_"):
        name = name[len("loose_"):]
    return name if name in SERVER_VARIABLES else None


# mysqld_safe and mariadbd-safe hand their options on to the server.
_SERVER_PROGRAMS = frozenset({"mysqld", "mariadbd", "mysqld_safe", "mariadbd-safe"})


def server_args(args: Sequence[Arg]) -> Optional[List[Arg]]:
    """The arguments that reach the server, for a container command or CMD; None if it runs something else.

    The official images' entrypoint prepends the server when the first argument starts with
    "-" (``if [ "${1:0:1}" = '-' ]; then set -- mysqld "$@"; fi``), so ``--wait-timeout=600``
    alone is a complete command. Otherwise the command must run mysqld or mariadbd itself
    (possibly by path, or after an entrypoint script); its options end at a shell separator.
    """
    if not args:
        return None
    if args[0].text.startswith("-"):
        return list(args)
    for index, arg in enumerate(args):
        if os.path.basename(arg.text) in _SERVER_PROGRAMS:
            rest = []
            for following in args[index + 1:]:
                if following.text in SHELL_SEPARATORS:
                    break
                rest.append(following)
            return rest
    return None


def server_variables_from_args(args: Sequence[Arg]) -> List[Tuple[str, Optional[int], int]]:
    """``(name, value, line)`` for each wait_timeout / max_connections the arguments set.

    mysqld takes ``--opt=value`` and ``--opt value`` alike (checked: ``--wait_timeout 700``
    runs with 700). Every occurrence is returned in order, a value the server refuses as None:
    see :func:`last_per_variable`.
    """
    found: List[Tuple[str, Optional[int], int]] = []
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if not arg.text.startswith("--"):
            continue
        option, equals, value_text = arg.text[2:].partition("=")
        name = server_variable_name(option)
        if name is None:
            continue
        if not equals:
            if index >= len(args):
                break
            value_text = args[index].text
            index += 1
        found.append((name, parse_server_number(value_text), arg.line))
    return found


def last_per_variable(found: Sequence[Tuple[str, Optional[int], int]]) -> List[Tuple[str, int, int]]:
    """The last setting of each variable, as on one command line the last one wins.

    When the last one is a value the server refuses, the server does not start with any:
    that variable then states nothing.
    """
    last = {}
    for name, value, line in found:
        last[name] = (name, value, line)
    return sorted((item for item in last.values() if item[1] is not None), key=lambda item: item[2])
