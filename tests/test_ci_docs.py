"""The CI snippets in docs/ are copied into real pipelines: they must be valid YAML, and every
poolcheck command in them must be one the command line accepts."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Iterator, List

import pytest
import yaml

from poolcheck.cli import build_parser
from poolcheck.reporters import REPORTERS, STATISTICS_FORMATS

DOCS = Path(__file__).resolve().parent.parent / "docs"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)


def blocks(name: str, language: str) -> List[str]:
    return [body for lang, body in FENCE.findall((DOCS / name).read_text(encoding="utf-8")) if lang == language]


def commands_in(value) -> Iterator[str]:
    """Every string in a parsed YAML document that runs poolcheck."""
    if isinstance(value, dict):
        for item in value.values():
            yield from commands_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from commands_in(item)
    elif isinstance(value, str) and value.startswith("poolcheck check"):
        yield value


def all_commands() -> List[str]:
    found = []
    for name in ("ci.md", "baseline.md"):
        for body in blocks(name, "yaml"):
            found.extend(commands_in(yaml.safe_load(body)))
        for body in blocks(name, "sh"):
            found.extend(line.split("  #")[0].strip() for line in body.splitlines() if line.startswith("poolcheck check"))
    return found


def test_the_yaml_snippets_parse():
    snippets = blocks("ci.md", "yaml")
    assert len(snippets) == 3  # GitHub Actions, GitLab CI, pre-commit
    for body in snippets:
        assert isinstance(yaml.safe_load(body), dict)


def test_there_are_commands_to_check():
    assert len(all_commands()) >= 10


@pytest.mark.parametrize("command", all_commands())
def test_every_documented_command_is_accepted(command):
    args = build_parser().parse_args(shlex.split(command)[1:])
    assert args.format in REPORTERS
    assert not args.statistics or args.format in STATISTICS_FORMATS
    assert not (args.write_baseline and args.diff)
