"""The public API for rule authors: everything a rule module imports from poolcheck.

Importing this module is cheap (no libcst, no SQLAlchemy): rule modules are loaded on every
run, including runs that parse nothing.
"""

from __future__ import annotations

from .context import FileContext, RuleContext
from .findings import Applicability, Edit, Finding, Fix, Location, Position, Related, Severity, Span
from .rule import Example, Invalid, Rule, Valid
from .source import SourceError

__all__ = [
    "Applicability",
    "Edit",
    "Example",
    "FileContext",
    "Finding",
    "Fix",
    "Invalid",
    "Location",
    "Position",
    "Related",
    "Rule",
    "RuleContext",
    "Severity",
    "SourceError",
    "Span",
    "Valid",
]
