"""Poetry's version constraints as PEP 440 specifier sets.

Poetry's grammar (poetry-core ``parse_constraint``): ``||`` (or ``|``) separates alternatives;
inside one, constraints are separated by commas or spaces. Beyond PEP 440 it has
``^1.2.3`` (>=1.2.3,<2.0.0: the first non-zero component may not change), ``~1.2.3``
(>=1.2.3,<1.3.0), ``*`` (anything) and a bare ``1.2.3`` (exactly that).
"""

from __future__ import annotations

import re
from typing import List, Optional, Tuple

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from .specifiers import parse_specifiers

_ALTERNATIVE_SEPARATOR = re.compile(r"\s*\|\|?\s*")
_CONSTRAINT = re.compile(r"\s*,?\s*(?P<operator>\^|~=|~|===|==|!=|>=|<=|>|<|=)?\s*(?P<version>[^\s,|]+)\s*")


def _bumped(version: str, index_of: str) -> Optional[str]:
    """The exclusive upper bound of a caret (``^``) or tilde (``~``) constraint on ``version``."""
    try:
        release = Version(version).release
    except InvalidVersion:
        return None
    if index_of == "^":
        nonzero = [index for index, component in enumerate(release) if component != 0]
        index = nonzero[0] if nonzero else len(release) - 1
    else:
        index = min(1, len(release) - 1)
    return ".".join(str(component) for component in release[:index] + (release[index] + 1,))


def _specifiers(operator: Optional[str], version: str) -> Optional[List[str]]:
    """PEP 440 specifiers for one Poetry constraint, or None when it is not one."""
    if version == "*":
        return [] if operator in (None, "=", "==") else None
    if operator in ("^", "~"):
        upper = _bumped(version, operator)
        return [f">={version}", f"<{upper}"] if upper else None
    if operator in (None, "=", "=="):
        return [f"=={version}"]
    if version.endswith(".*") and operator not in ("!=",):
        version = version[:-2]  # ``>=1.2.*`` means >=1.2 to Poetry; PEP 440 forbids the wildcard there
    return [f"{operator}{version}"]


def parse_poetry_constraint(text: str) -> Optional[Tuple[SpecifierSet, ...]]:
    """The alternatives ``text`` admits, or None when it is not a constraint Poetry would accept."""
    alternatives = []
    for part in _ALTERNATIVE_SEPARATOR.split(text.strip()):
        specifiers: List[str] = []
        position = 0
        while position < len(part):
            match = _CONSTRAINT.match(part, position)
            if not match or match.end() == position:
                return None
            converted = _specifiers(match.group("operator"), match.group("version"))
            if converted is None:
                return None
            specifiers.extend(converted)
            position = match.end()
        parsed = parse_specifiers(",".join(specifiers))
        if parsed is None:
            return None
        alternatives.append(parsed)
    return tuple(alternatives)
