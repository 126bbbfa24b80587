"""Config in non-Python files: ``.env`` files (read into the environment by ``flask run``
and python-dotenv, then into the config by ``from_prefixed_env``) and the JSON / TOML files
``from_file`` loads. Each reader returns the top-level keys with where they are written;
none raises on malformed input (a file poolcheck cannot read contributes nothing).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, List, Optional, Tuple

from ..findings import Span
from ..source import split_lines
from ..values import DictEntry, DictValue, Known, Value


@dataclass(frozen=True)
class TextKey:
    """A configuration key set in a text file (``.env``, ``.cfg``), with its value and place."""
    name: str  # as written
    value: Value
    span: Span  # the name's place


# python-dotenv's grammar, restricted to one line: [export] KEY = value
_ENV_LINE = re.compile(r"^(?P<indent>\s*)(?:export\s+)?(?P<name>[A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(?P<value>.*)$")


def read_dotenv(text: str) -> List[TextKey]:
    """``KEY=value`` lines, with the value as python-dotenv gives it (quotes removed,
    escapes of double quotes applied, an unquoted value ends at `` #``)."""
    keys: List[TextKey] = []
    for number, line in enumerate(split_lines(text), start=1):
        match = _ENV_LINE.match(line)
        if match is None:
            continue
        name = match.group("name")
        start = match.start("name")
        raw = match.group("value")
        keys.append(TextKey(name, Known(_dotenv_value(raw)), Span.at(number, start, number, start + len(name))))
    return keys


def _dotenv_value(raw: str) -> str:
    raw = raw.strip()
    if raw[:1] == "'":
        end = raw.find("'", 1)
        return raw[1:end] if end != -1 else raw[1:]
    if raw[:1] == '"':
        out = []
        index = 1
        while index < len(raw):
            char = raw[index]
            if char == "\\" and index + 1 < len(raw):
                out.append({"n": "\n", "t": "\t", "r": "\r"}.get(raw[index + 1], raw[index + 1]))
                index += 2
                continue
            if char == '"':
                break
            out.append(char)
            index += 1
        return "".join(out)
    comment = re.search(r"\s#", raw)
    return (raw[: comment.start()] if comment else raw).rstrip()


def flask_env_value(text: str) -> Value:
    """The value ``from_prefixed_env`` stores: JSON-decoded, or the raw string."""
    try:
        return as_value(json.loads(text))
    except (ValueError, RecursionError):
        return Known(text)


def as_value(data: Any) -> Value:
    """A loaded JSON/TOML value as the evaluator's values (dicts become DictValues)."""
    if isinstance(data, dict):
        return Known(DictValue(tuple(DictEntry(k, as_value(v), None, None) for k, v in data.items()), True))
    if isinstance(data, list):
        return Known(tuple(data))
    return Known(data)


def read_json_keys(text: str) -> Optional[List[TextKey]]:
    """The keys of a JSON document's top-level object, or None when it is not one."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    places = _json_top_level_key_places(text)
    return [TextKey(name, as_value(value), places.get(name, Span.at(1, 0))) for name, value in data.items()]


def _json_top_level_key_places(text: str) -> dict:
    """Where each key of the top-level object is written (the last one, as json keeps)."""
    places = {}
    depth = 0
    expect_key = False
    line, column = 1, 0
    index = 0
    while index < len(text):
        char = text[index]
        if char == '"':
            end = index + 1
            while end < len(text) and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            token = text[index : end + 1]
            if depth == 1 and expect_key:
                try:
                    name = json.loads(token)
                except ValueError:
                    name = None
                if isinstance(name, str):
                    places[name] = Span.at(line, column, line, column + len(token))
                expect_key = False
            newlines = token.count("\n")
            column = column + len(token) if not newlines else len(token) - token.rfind("\n") - 1
            line += newlines
            index = end + 1
            continue
        if char in "{[":
            depth += 1
            expect_key = depth == 1 and char == "{"
        elif char in "}]":
            depth -= 1
        elif char == "," and depth == 1:
            expect_key = True
        if char == "\n":
            line, column = line + 1, 0
        else:
            column += 1
        index += 1
    return places


_TOML_KEY = re.compile(r"""^(?P<indent>\s*)(?P<name>[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*\S+?)*\s*=""")
_TOML_TABLE = re.compile(r"""^\s*\[(?!\[)\s*(?P<name>[A-Za-z0-9_-]+|"[^"]*"|'[^']*')""")


def read_toml_keys(text: str) -> Optional[List[TextKey]]:
    """The top-level keys of a TOML document (``KEY = v`` before the first table, and tables
    ``[KEY]``), or None when it is not valid TOML."""
    from ..config import load_toml_text

    data = load_toml_text(text)
    if data is None:
        return None
    places = {}
    in_table = False
    for number, line in enumerate(split_lines(text), start=1):
        table = _TOML_TABLE.match(line)
        if table:
            in_table = True
            name = table.group("name").strip("\"'")
            places.setdefault(name, Span.at(number, table.start("name"), number, table.end("name")))
            continue
        key = _TOML_KEY.match(line)
        if key and not in_table:
            name = key.group("name").strip("\"'")
            places.setdefault(name, Span.at(number, key.start("name"), number, key.end("name")))
    return [TextKey(name, as_value(value), places.get(name, Span.at(1, 0))) for name, value in data.items()]


def split_prefixed(name: str, prefix: str) -> Optional[Tuple[str, Tuple[str, ...]]]:
    """``FLASK_SQLALCHEMY_ENGINE_OPTIONS__pool_size`` with prefix ``FLASK`` ->
    (``SQLALCHEMY_ENGINE_OPTIONS``, (``pool_size``,)), as from_prefixed_env nests it."""
    head = prefix + "_"
    if not name.startswith(head) or len(name) == len(head):
        return None
    key, *nested = name[len(head) :].split("__")
    return (key, tuple(nested)) if key else None
