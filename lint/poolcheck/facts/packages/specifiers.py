"""PEP 440 version specifiers, as strict on every supported ``packaging`` as pip is.

``packaging`` before 22 turns text it cannot parse (``>>2``, ``==``) into a ``LegacySpecifier``
instead of refusing it; pip has refused such requirements since it vendored packaging 22.
Only real PEP 440 specifiers count, so a garbage line means the same thing on every version.
"""

from __future__ import annotations

from typing import Optional

from packaging.specifiers import InvalidSpecifier, Specifier, SpecifierSet


def is_pep440(specifiers: SpecifierSet) -> bool:
    return all(isinstance(specifier, Specifier) for specifier in specifiers)


def parse_specifiers(text: str) -> Optional[SpecifierSet]:
    """``SpecifierSet(text)``, or None when ``text`` is not PEP 440."""
    try:
        specifiers = SpecifierSet(text)
    except InvalidSpecifier:
        return None
    return specifiers if is_pep440(specifiers) else None
