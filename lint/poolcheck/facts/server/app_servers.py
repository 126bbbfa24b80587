"""How many worker processes the web server runs: each one holds its own SQLAlchemy pool.

Read from gunicorn / uvicorn / hypercorn command lines (compose, Dockerfile, Procfile), from
``WEB_CONCURRENCY`` (the default for gunicorn's and uvicorn's ``--workers``) and
``GUNICORN_CMD_ARGS``, and from gunicorn configuration files. A count that depends on the
machine (``multiprocessing.cpu_count() * 2 + 1``) or on the environment (``-w $WORKERS``)
is unknown and contributes nothing.
"""

from __future__ import annotations

import ast
import os.path
import re
from pathlib import Path, PurePosixPath
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from poolcheck.facts.server.commands import SHELL_SEPARATORS, Arg, split_shell_words
from poolcheck.facts.server.model import WORKERS, Setting
from poolcheck.findings import Location

WEB_CONCURRENCY = "WEB_CONCURRENCY"
GUNICORN_CMD_ARGS = "GUNICORN_CMD_ARGS"
# A file or an image name that mentions one of the app servers.
APP_SERVER_WORD = re.compile(r"gunicorn|uvicorn|hypercorn", re.IGNORECASE)


def _gunicorn_count(text: str) -> Optional[int]:
    # gunicorn validates workers with int(value, 0): "4" and "0x4" are both 4.
    try:
        return int(text, 0)
    except ValueError:
        return None


def _decimal_count(text: str) -> Optional[int]:
    # uvicorn (click) and hypercorn (argparse) use int(); so do both servers for WEB_CONCURRENCY.
    try:
        return int(text)
    except ValueError:
        return None


# The environment variables each server takes its worker count from, strongest first:
# gunicorn reads GUNICORN_CMD_ARGS as command-line options and WEB_CONCURRENCY as the default
# of --workers; uvicorn reads WEB_CONCURRENCY as its default; hypercorn reads neither.
_ENVIRONMENT_READ_BY = {
    "gunicorn": (GUNICORN_CMD_ARGS, WEB_CONCURRENCY),
    "uvicorn": (WEB_CONCURRENCY,),
    "hypercorn": (),
}

# program -> (its short workers option or None, how it reads the number)
_APP_SERVERS: Dict[str, Tuple[Optional[str], Callable[[str], Optional[int]]]] = {
    "gunicorn": ("-w", _gunicorn_count),
    "uvicorn": (None, _decimal_count),
    "hypercorn": ("-w", _decimal_count),
}


def _positive(count: Optional[int]) -> Optional[int]:
    return count if count is not None and count > 0 else None


def web_concurrency(value: str) -> Optional[int]:
    return _positive(_decimal_count(value.strip()))


def _option_value(args: Sequence[Arg], index: int, short: Optional[str]) -> Tuple[Optional[Tuple[str, int]], int]:
    """The (value text, line) of a workers option at ``index``, and the index after it."""
    arg = args[index]
    text = arg.text
    if text == "--workers" or (short is not None and text == short):
        if index + 1 < len(args):
            return (args[index + 1].text, arg.line), index + 2
        return None, index + 1
    if text.startswith("--workers="):
        return (text[len("--workers="):], arg.line), index + 1
    if short is not None and text.startswith(short) and len(text) > len(short):
        # argparse reads "-w4" and "-w=4" as 4.
        return (text[len(short):].lstrip("="), arg.line), index + 1
    return None, index + 1


def _workers_option(args: Sequence[Arg], start: int, program: str) -> Tuple[Optional[Tuple[int, int]], int]:
    """The last workers option of one invocation (the last one wins) and where the invocation ends."""
    short, read_count = _APP_SERVERS[program]
    found: Optional[Tuple[int, int]] = None
    index = start
    while index < len(args) and args[index].text not in SHELL_SEPARATORS:
        option, index = _option_value(args, index, short)
        if option is not None:
            count = _positive(read_count(option[0]))
            found = (count, option[1]) if count is not None else None
    return found, index


def _app_server(arg: Arg) -> Optional[str]:
    # By path (/usr/local/bin/gunicorn) or as a module (python -m uvicorn). "uvicorn.workers.
    # UvicornWorker", gunicorn's worker class, is a different word.
    name = os.path.basename(arg.text)
    return name if name in _APP_SERVERS else None


def _gunicorn_cmd_args(value: str) -> Optional[int]:
    words = split_shell_words(value)
    if not words:
        return None
    found, _ = _workers_option([Arg(word, 0) for word in words], 0, "gunicorn")
    return found[0] if found is not None else None


def runs_app_server(args: Sequence[Arg]) -> bool:
    return any(_app_server(arg) for arg in args)


def workers_from_args(args: Sequence[Arg]) -> List[Tuple[int, int]]:
    """``(count, line)`` for each app server the command runs with a stated worker count.

    Besides ``-w`` / ``--workers``, an environment prefix counts for the program it starts
    (``WEB_CONCURRENCY=4 gunicorn app:app``, ``env GUNICORN_CMD_ARGS="-w 4" gunicorn ...``);
    an explicit option wins over it, as it does in gunicorn and uvicorn.
    """
    found: List[Tuple[int, int]] = []
    environment: Dict[str, Tuple[int, int]] = {}
    index = 0
    while index < len(args):
        arg = args[index]
        program = _app_server(arg)
        if program is None:
            name, equals, value = arg.text.partition("=")
            count = environment_workers(name, value) if equals else None
            if count is not None:
                environment[name] = (count, arg.line)
            elif arg.text in SHELL_SEPARATORS:
                environment = {}
            index += 1
            continue
        option, index = _workers_option(args, index + 1, program)
        chosen = option or next(
            (environment[name] for name in _ENVIRONMENT_READ_BY[program] if name in environment), None)
        if chosen is not None:
            found.append(chosen)
        environment = {}
    return found


def environment_workers(name: str, value: str) -> Optional[int]:
    """The worker count an environment variable gives the app server, if it is one of ours."""
    if name == WEB_CONCURRENCY:
        return web_concurrency(value)
    if name == GUNICORN_CMD_ARGS:
        return _gunicorn_cmd_args(value)
    return None


def _literal_int(node: ast.AST) -> Optional[int]:
    """An integer from literals and + - * // % only (gunicorn rejects floats; ** could explode)."""
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool):
            return None
        if isinstance(node.value, int):
            return node.value
        if isinstance(node.value, str):
            return _gunicorn_count(node.value.strip())
        return None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
        operand = _literal_int(node.operand)
        if operand is None:
            return None
        return operand if isinstance(node.op, ast.UAdd) else -operand
    if isinstance(node, ast.BinOp):
        left, right = _literal_int(node.left), _literal_int(node.right)
        if left is None or right is None:
            return None
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        if isinstance(node.op, (ast.FloorDiv, ast.Mod)) and right != 0:
            return left // right if isinstance(node.op, ast.FloorDiv) else left % right
    return None


def _binds_workers(statement: ast.stmt) -> Tuple[bool, Optional[ast.AST]]:
    """Whether the statement binds ``workers``, and the expression when it is a plain assignment."""
    if isinstance(statement, ast.Assign):
        for target in statement.targets:
            if isinstance(target, ast.Name) and target.id == WORKERS:
                return True, statement.value
            if isinstance(target, (ast.Tuple, ast.List)) and any(
                isinstance(element, ast.Name) and element.id == WORKERS for element in target.elts
            ):
                return True, None
    elif isinstance(statement, ast.AnnAssign):
        if isinstance(statement.target, ast.Name) and statement.target.id == WORKERS:
            return True, statement.value
    elif isinstance(statement, ast.AugAssign):
        if isinstance(statement.target, ast.Name) and statement.target.id == WORKERS:
            return True, None
    return False, None


def _workers_bindings(body: Sequence[ast.stmt], top_level: bool) -> List[Tuple[ast.stmt, bool, Optional[int]]]:
    """Every binding of ``workers`` in the module's code, outside functions and classes."""
    bindings = []
    for statement in body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        binds, expression = _binds_workers(statement)
        if binds:
            value = _literal_int(expression) if expression is not None else None
            bindings.append((statement, top_level, value))
            continue
        for field in ("body", "orelse", "finalbody"):
            bindings.extend(_workers_bindings(getattr(statement, field, None) or (), False))
        for handler in getattr(statement, "handlers", None) or ():
            bindings.extend(_workers_bindings(handler.body, False))
    return bindings


def read_gunicorn_config(text: str, path: PurePosixPath) -> List[Setting]:
    """``workers = 4`` in a gunicorn configuration file (it is Python, executed top to bottom).

    A value assigned under a condition is a candidate of its own; a later unconditional
    assignment replaces everything before it, so ``workers = 4`` followed by
    ``workers = multiprocessing.cpu_count() * 2 + 1`` states nothing known.
    """
    try:
        module = ast.parse(text, filename=str(path))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    bindings = _workers_bindings(module.body, True)
    settings = []
    for position, (statement, _, value) in enumerate(bindings):
        replaced_later = any(top_level for _, top_level, _ in bindings[position + 1:])
        if value is not None and value > 0 and not replaced_later:
            settings.append(Setting(WORKERS, value, Location(Path(path.as_posix()), statement.lineno), path.name))
    return settings
