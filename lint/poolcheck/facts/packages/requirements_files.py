"""pip requirements and constraints files (``requirements.txt``, ``requirements/base.txt``).

Read the way pip reads them: ``\\`` continues a line, ``#`` after whitespace starts a comment,
per-requirement options (``--hash=...``) follow the requirement, ``-r``/``--requirement`` and
``-c``/``--constraint`` name further files relative to this one. Those includes are only
reported here; following them (and stopping at loops) is the index's job, which caches each
file. Lines pip would reject contribute nothing.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Iterator, List, Optional, Tuple

from poolcheck.findings import Location

from .model import Pin, RequirementSite, canonical_name
from .pep508 import pin_from_requirement
from .text_lines import split_lines

_COMMENT = re.compile(r"(^|\s+)#.*$")
_FIRST_OPTION = re.compile(r"(?:^|\s)-")
_EGG_NAME = re.compile(r"#egg=([A-Za-z0-9][A-Za-z0-9._-]*)")
_INCLUDE_OPTIONS = (("-r", "--requirement"), ("-c", "--constraint"))
_EDITABLE_OPTION = ("-e", "--editable")


@dataclass(frozen=True)
class RequirementsFile:
    """What a requirements file pins, and the files it includes."""
    pins: Tuple[Pin, ...]
    # Project-relative paths of the files it includes with -r / -c, in order. Includes that
    # leave the project or name a URL are dropped: the project's own files say nothing there.
    includes: Tuple[PurePosixPath, ...]


def _logical_lines(text: str) -> Iterator[Tuple[int, str]]:
    """(first physical line number, logical line), joining ``\\`` continuations as pip does."""
    pending: List[str] = []
    first_number = 0
    for number, line in enumerate(split_lines(text), start=1):
        if line.endswith("\\") and not _COMMENT.match(line):
            if not pending:
                first_number = number
            pending.append(line[:-1])
            continue
        if pending:
            pending.append(line)
            yield first_number, "".join(pending)
            pending = []
        else:
            yield number, line
    if pending:
        yield first_number, "".join(pending)


def _option_values(line: str, short: str, long: str) -> Iterator[str]:
    """The values of ``-r x``, ``-rx``, ``--requirement x`` and ``--requirement=x`` on one options line."""
    try:
        tokens = shlex.split(line)
    except ValueError:  # unbalanced quotes: pip rejects the line too
        return
    for index, token in enumerate(tokens):
        if token in (short, long):
            if index + 1 < len(tokens):
                yield tokens[index + 1]
        elif token.startswith(long + "="):
            yield token[len(long) + 1 :]
        elif token.startswith(short) and not token.startswith("--") and len(token) > len(short):
            yield token[len(short) :]


def _project_path(including: PurePosixPath, target: str) -> Optional[PurePosixPath]:
    """``target`` relative to the including file's folder, or None outside the project or for a URL."""
    target = target.replace("\\", "/")
    if "://" in target or target.startswith("/") or re.match(r"[A-Za-z]:/", target):
        return None
    joined = posixpath.normpath(posixpath.join(including.parent.as_posix(), target))
    if joined == ".." or joined.startswith("../") or joined == ".":
        return None
    return PurePosixPath(joined)


def _url_pin(text: str, location: Location, source: str) -> Optional[Pin]:
    """``git+https://...#egg=Flask-SQLAlchemy``: the project takes that package from a URL, at no known version."""
    match = _EGG_NAME.search(text)
    if not match:
        return None
    return Pin(canonical_name(match.group(1)), RequirementSite(text, "", location, source), None)


def read_requirements_file(path: PurePosixPath, text: str) -> RequirementsFile:
    pins: List[Pin] = []
    includes: List[PurePosixPath] = []
    source = path.as_posix()
    for number, line in _logical_lines(text):
        line = _COMMENT.sub("", line).strip()
        if not line:
            continue
        location = Location(Path(source), number)
        option = _FIRST_OPTION.search(line)
        requirement = line[: option.start()].strip() if option else line
        if requirement:
            pin = pin_from_requirement(requirement, location, source) or _url_pin(requirement, location, source)
            if pin is not None:
                pins.append(pin)
            continue
        for short, long in _INCLUDE_OPTIONS:
            for target in _option_values(line, short, long):
                included = _project_path(path, target)
                if included is not None:
                    includes.append(included)
        for editable in _option_values(line, *_EDITABLE_OPTION):
            pin = _url_pin(editable, location, source)
            if pin is not None:
                pins.append(pin)
    return RequirementsFile(tuple(pins), tuple(includes))
