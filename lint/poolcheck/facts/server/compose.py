"""Docker Compose files: the database service's server options and the web services' workers.

- A service whose image is MySQL, MariaDB or Percona (any registry, tag or digest)
  contributes the ``--wait-timeout`` / ``--max-connections`` options of its ``command:``
  (string or list, with or without a leading ``mysqld`` / ``mariadbd``; see
  :func:`~poolcheck.facts.server.mysqld_options.server_args`) and of Bitnami's
  ``MYSQL_EXTRA_FLAGS`` / ``MARIADB_EXTRA_FLAGS``.
- Any other service contributes the worker count of a gunicorn / uvicorn / hypercorn it runs,
  else ``WEB_CONCURRENCY`` / ``GUNICORN_CMD_ARGS`` from its environment where it runs one
  without a count, or where it has no command of its own but builds the project or uses an
  image named after an app server (a service with an unrelated image is left alone).

Values that use interpolation (``--wait-timeout=${WAIT:-600}``) depend on the environment and
count as unknown. PyYAML is imported here only, and this module only when a compose file exists.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Iterator, List, Optional, Tuple

import yaml

from poolcheck.facts.server.app_servers import (
    APP_SERVER_WORD,
    environment_workers,
    runs_app_server,
    workers_from_args,
)
from poolcheck.facts.server.commands import Arg, expand_shell_strings, is_mysql_server_image, shell_args
from poolcheck.facts.server.model import WORKERS, Setting
from poolcheck.facts.server.mysqld_options import last_per_variable, server_args, server_variables_from_args
from poolcheck.findings import Location

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE_TAG = "tag:yaml.org,2002:merge"
_EXTRA_FLAGS = ("MYSQL_EXTRA_FLAGS", "MARIADB_EXTRA_FLAGS")


def _get(node: yaml.Node, key: str, merging: Tuple[yaml.Node, ...] = ()) -> Optional[yaml.Node]:
    """``node[key]`` for a mapping node, following ``<<: *anchor`` merges as compose does."""
    if not isinstance(node, yaml.MappingNode) or node in merging:  # a merge cycle
        return None
    found = None
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.tag != _MERGE_TAG and key_node.value == key:
            found = value_node  # with duplicate keys, the last one
    if found is not None:
        return found
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.tag == _MERGE_TAG:
            merged = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            for source in merged:
                value = _get(source, key, merging + (node,))
                if value is not None:
                    return value
    return None


def _items(node: Optional[yaml.Node]) -> Iterator[Tuple[str, yaml.Node]]:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != _MERGE_TAG:
                yield key_node.value, value_node


class _Source:
    """The compose file's lines, to find which line each word of a command is written on."""

    def __init__(self, text: str):
        self._lines = text.split("\n")

    def args(self, node: Optional[yaml.Node]) -> List[Arg]:
        if isinstance(node, yaml.SequenceNode):
            return [Arg(item.value, item.start_mark.line + 1) for item in node.value
                    if isinstance(item, yaml.ScalarNode)]
        if isinstance(node, yaml.ScalarNode) and node.value:
            start, end = node.start_mark, node.end_mark
            segment = self._lines[start.line:end.line + 1]
            if segment:
                segment[0] = segment[0][start.column:]
            return shell_args(node.value, "\n".join(segment), start.line + 1)
        return []


def _environment(node: Optional[yaml.Node]) -> Iterator[Tuple[str, str, int]]:
    """``(name, value, line)`` from ``environment:`` as a mapping or as a list of NAME=value."""
    if isinstance(node, yaml.MappingNode):
        for name, value_node in _items(node):
            if isinstance(value_node, yaml.ScalarNode):
                yield name, value_node.value, value_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            if isinstance(item, yaml.ScalarNode):
                name, equals, value = item.value.partition("=")
                if equals:
                    yield name.strip(), value, item.start_mark.line + 1


def _services(document: yaml.Node) -> Iterator[Tuple[str, yaml.Node]]:
    services = _get(document, "services")
    if services is not None:
        yield from _items(services)
        return
    # The version 1 format has the services at the top level.
    for name, service in _items(document):
        if _get(service, "image") is not None or _get(service, "build") is not None:
            yield name, service


def _scalar(node: Optional[yaml.Node]) -> str:
    return node.value if isinstance(node, yaml.ScalarNode) and isinstance(node.value, str) else ""


def _database_settings(name: str, service: yaml.Node, source: _Source, location: "_Locator") -> List[Setting]:
    settings = []
    entrypoint = source.args(_get(service, "entrypoint"))
    args = expand_shell_strings(entrypoint + source.args(_get(service, "command")))
    passed = server_args(args)
    if passed is not None:
        for variable, value, line in last_per_variable(server_variables_from_args(passed)):
            settings.append(Setting(variable, value, location(line), f"{location.file_name}: {name} command"))
    for variable_name, value, line in _environment(_get(service, "environment")):
        if variable_name in _EXTRA_FLAGS:
            flags = shell_args(value, value, line)
            for variable, number, _ in last_per_variable(server_variables_from_args(flags)):
                settings.append(Setting(variable, number, location(line),
                                        f"{location.file_name}: {name} environment {variable_name}"))
    return settings


def _app_settings(name: str, service: yaml.Node, source: _Source, location: "_Locator") -> List[Setting]:
    settings = []
    entrypoint_node, command_node = _get(service, "entrypoint"), _get(service, "command")
    args = expand_shell_strings(source.args(entrypoint_node) + source.args(command_node))
    for count, line in workers_from_args(args):
        settings.append(Setting(WORKERS, count, location(line), f"{location.file_name}: {name} command"))
    # The environment is only the default: a count on the command line wins over it. Without a
    # command of its own, the service runs the project's Dockerfile or its image's default
    # command: count it where that is the project's, or the image says it runs an app server
    # (tiangolo/uvicorn-gunicorn-fastapi).
    own_command = entrypoint_node is not None or command_node is not None
    image_default = not own_command and (
        _get(service, "build") is not None or bool(APP_SERVER_WORD.search(_scalar(_get(service, "image")))))
    if not settings and (runs_app_server(args) or image_default):
        for variable_name, value, line in _environment(_get(service, "environment")):
            count = environment_workers(variable_name, value)
            if count is not None:
                settings.append(Setting(WORKERS, count, location(line),
                                        f"{location.file_name}: {name} environment {variable_name}"))
    return settings


class _Locator:
    def __init__(self, path: PurePosixPath):
        self._path = Path(path.as_posix())
        self.file_name = path.name

    def __call__(self, line: int) -> Location:
        return Location(self._path, line)


def read_compose_file(text: str, path: PurePosixPath) -> List[Setting]:
    try:
        documents = list(yaml.compose_all(text, Loader=_Loader))
    except (yaml.YAMLError, ValueError, RecursionError):
        return []
    source, location = _Source(text), _Locator(path)
    settings: List[Setting] = []
    for document in documents:
        for name, service in _services(document):
            if is_mysql_server_image(_scalar(_get(service, "image"))):
                settings.extend(_database_settings(name, service, source, location))
            else:
                settings.extend(_app_settings(name, service, source, location))
    return settings
