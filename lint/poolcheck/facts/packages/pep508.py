"""PEP 508 requirement strings (``Flask-SQLAlchemy[async]>=2.5,<3; python_version >= "3.8"``).

Shared by every format that writes requirements this way: requirements files, PEP 621 and
PEP 735 arrays in pyproject.toml, setup.cfg and setup.py. ``packaging`` parses them: it is the
reference implementation of PEP 440 and PEP 508, the one pip itself vendors.
"""

from __future__ import annotations

import re
from typing import Optional

from packaging.requirements import InvalidRequirement, Requirement

from poolcheck.findings import Location

from .model import Pin, RequirementSite, canonical_name
from .specifiers import is_pep440

_NAME_AND_EXTRAS = re.compile(r"\s*[A-Za-z0-9][A-Za-z0-9._-]*\s*(?:\[[^\]]*\])?\s*")


def constraint_as_written(requirement: str) -> str:
    """``>=2.5,<3`` from ``Flask-SQLAlchemy[async] (>=2.5,<3) ; python_version > "3"``.

    ``str(Requirement.specifier)`` would reorder it (``<3,>=2.5``); messages quote the user's text.
    """
    rest = requirement[_NAME_AND_EXTRAS.match(requirement).end() :]
    rest = rest.split(";", 1)[0].strip()
    if rest.startswith("(") and rest.endswith(")"):
        rest = rest[1:-1].strip()
    return rest


def pin_from_requirement(text: str, location: Location, source: str) -> Optional[Pin]:
    """The pin a PEP 508 string states, or None when it is not one."""
    try:
        requirement = Requirement(text)
    except InvalidRequirement:
        return None
    if not is_pep440(requirement.specifier):
        return None
    written = text.strip()
    markers = (str(requirement.marker),) if requirement.marker else ()
    if requirement.url:
        # ``name @ git+https://...``: whatever that URL holds, it names no version.
        site = RequirementSite(written, "", location, source)
        return Pin(canonical_name(requirement.name), site, None, markers)
    site = RequirementSite(written, constraint_as_written(written), location, source)
    return Pin(canonical_name(requirement.name), site, (requirement.specifier,), markers)
