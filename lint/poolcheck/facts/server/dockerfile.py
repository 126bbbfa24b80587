"""Dockerfiles: the worker count of the app server an image runs, and the server options of an
image built ``FROM mysql`` / ``mariadb``.

Each build stage is read on its own: its last ``ENTRYPOINT`` and last ``CMD`` make its command
(exec form ``["gunicorn", "-w", "4"]`` or shell form), as ``docker run`` would combine them; a
shell-form ``ENTRYPOINT`` ignores ``CMD``. ``ENV WEB_CONCURRENCY=4`` / ``GUNICORN_CMD_ARGS``
count in a Dockerfile that runs gunicorn, uvicorn or hypercorn at all (an ``ENV`` is often
in the stage that installs the server, the command in compose), unless the stage's own
command states the count. Build arguments (``-w $N``) and stages inherited from other stages
are not followed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import List, Optional, Set, Tuple

from poolcheck.facts.server.app_servers import APP_SERVER_WORD, environment_workers, workers_from_args
from poolcheck.facts.server.commands import (
    Arg,
    expand_shell_strings,
    is_mysql_server_image,
    locate_args,
    shell_args,
    split_shell_words,
)
from poolcheck.facts.server.model import WORKERS, Setting
from poolcheck.facts.server.mysqld_options import last_per_variable, server_args, server_variables_from_args
from poolcheck.findings import Location

_ESCAPE_DIRECTIVE = re.compile(r"#\s*escape\s*=\s*([\\`])\s*$", re.IGNORECASE)
_INSTRUCTION = re.compile(r"\s*([A-Za-z]+)(\s.*)?\Z", re.DOTALL)
_EXTRA_FLAGS = ("MYSQL_EXTRA_FLAGS", "MARIADB_EXTRA_FLAGS")


@dataclass
class _Instruction:
    """One Dockerfile instruction, its argument and line."""
    keyword: str  # upper case
    argument: str  # continuation lines joined with "\n" (line count kept), escapes removed
    line: int  # the line the argument starts on


@dataclass
class _Stage:
    """One build stage of a Dockerfile: its image, entry point, command and environment."""
    image: str
    entrypoint: Optional[_Instruction] = None
    cmd: Optional[_Instruction] = None
    env: List[_Instruction] = field(default_factory=list)


def _instructions(text: str) -> List[_Instruction]:
    lines = text.split("\n")
    escape = "\\"
    for line in lines[:5]:  # parser directives come first
        directive = _ESCAPE_DIRECTIVE.match(line.strip())
        if directive:
            escape = directive.group(1)
            break
    instructions: List[_Instruction] = []
    parts: List[str] = []
    start = 0
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if parts and (not stripped or stripped.startswith("#")):
            parts.append("")  # dropped by Docker; kept empty so that line numbers still add up
            continue
        if not parts and (not stripped or stripped.startswith("#")):
            continue
        if not parts:
            start = number
        if stripped.endswith(escape):
            parts.append(line.rstrip()[:-1])
            continue
        parts.append(line)
        match = _INSTRUCTION.match("\n".join(parts))
        parts = []
        if match:
            rest = match.group(2) or ""
            argument = rest.lstrip()
            line = start + rest[:len(rest) - len(argument)].count("\n")
            instructions.append(_Instruction(match.group(1).upper(), argument.rstrip(), line))
    return instructions


def _stages(instructions: List[_Instruction]) -> List[_Stage]:
    stages: List[_Stage] = []
    for instruction in instructions:
        if instruction.keyword == "FROM":
            words = [word for word in instruction.argument.split() if not word.startswith("--")]
            stages.append(_Stage(image=words[0] if words else ""))
        elif not stages:
            continue
        elif instruction.keyword == "ENTRYPOINT":
            stages[-1].entrypoint = instruction
        elif instruction.keyword == "CMD":
            stages[-1].cmd = instruction
        elif instruction.keyword == "ENV":
            stages[-1].env.append(instruction)
    return stages


def _exec_form(instruction: _Instruction) -> Optional[List[str]]:
    if not instruction.argument.startswith("["):
        return None
    try:
        words = json.loads(instruction.argument)
    except ValueError:
        return None  # Docker runs an invalid JSON array as a shell command
    return words if isinstance(words, list) and all(isinstance(word, str) for word in words) else None


def _args(instruction: Optional[_Instruction]) -> Tuple[List[Arg], bool]:
    """The instruction's words with their lines, and whether it is in exec form."""
    if instruction is None:
        return [], True
    words = _exec_form(instruction)
    if words is not None:
        return locate_args(words, instruction.argument, instruction.line), True
    return shell_args(instruction.argument, instruction.argument, instruction.line), False


def _command(stage: _Stage) -> Tuple[List[Arg], Set[int]]:
    """The stage's command, and the lines its ENTRYPOINT part is written on."""
    entrypoint, entrypoint_exec = _args(stage.entrypoint)
    entrypoint_lines = {arg.line for arg in entrypoint}
    if stage.entrypoint is not None and not entrypoint_exec:
        return expand_shell_strings(entrypoint), entrypoint_lines
    cmd, _ = _args(stage.cmd)
    return expand_shell_strings(entrypoint + cmd), entrypoint_lines


def _environment(instruction: _Instruction) -> List[Tuple[str, str, int]]:
    """``ENV A=1 B="2 3"`` and the legacy ``ENV A 1`` form."""
    first, _, rest = instruction.argument.partition(" ")
    if "=" not in first:
        return [(first, rest.strip(), instruction.line)]
    words = split_shell_words(instruction.argument) or []
    pairs = []
    for arg in locate_args(words, instruction.argument, instruction.line):
        name, equals, value = arg.text.partition("=")
        if equals:
            pairs.append((name, value, arg.line))
    return pairs


class _Labeller:
    """The source of a word of the command: "Dockerfile CMD" or "Dockerfile ENTRYPOINT"."""

    def __init__(self, file_name: str, entrypoint_lines: Set[int]):
        self._file_name = file_name
        self._entrypoint_lines = entrypoint_lines

    def __call__(self, line: int) -> str:
        return f"{self._file_name} {'ENTRYPOINT' if line in self._entrypoint_lines else 'CMD'}"


def read_dockerfile(text: str, path: PurePosixPath) -> List[Setting]:
    file_path = Path(path.as_posix())
    settings: List[Setting] = []
    mentions_app_server = bool(APP_SERVER_WORD.search(text))
    for stage in _stages(_instructions(text)):
        command, entrypoint_lines = _command(stage)
        label = _Labeller(path.name, entrypoint_lines)

        if is_mysql_server_image(stage.image):
            passed = server_args(command)
            if passed is not None:
                for variable, value, line in last_per_variable(server_variables_from_args(passed)):
                    settings.append(Setting(variable, value, Location(file_path, line), label(line)))
            for instruction in stage.env:
                for name, value, line in _environment(instruction):
                    if name in _EXTRA_FLAGS:
                        flags = shell_args(value, value, line)
                        for variable, number, _ in last_per_variable(server_variables_from_args(flags)):
                            settings.append(Setting(variable, number, Location(file_path, line),
                                                    f"{path.name} ENV {name}"))
            continue
        stated = workers_from_args(command)
        for count, line in stated:
            settings.append(Setting(WORKERS, count, Location(file_path, line), label(line)))
        # The environment is only the default: a count on the command line wins over it.
        if mentions_app_server and not stated:
            for instruction in stage.env:
                for name, value, line in _environment(instruction):
                    count = environment_workers(name, value)
                    if count is not None:
                        settings.append(Setting(WORKERS, count, Location(file_path, line), f"{path.name} ENV {name}"))
    return settings
