"""select / extend-select / ignore with ruff's semantics."""

from __future__ import annotations

import pytest

from poolcheck.registry import RuleSet
from poolcheck.rule import Rule
from poolcheck.findings import Severity
from poolcheck.selection import Selection, SelectionError, validate_selectors


def _rule(code: str, default: bool = True):
    return type(code, (Rule,), {"code": code, "name": f"rule-{code.lower()}", "severity": Severity.WARNING, "summary": "s", "default_enabled": default})


RULES = RuleSet(tuple(_rule(c) for c in ("PC001", "PC101", "PC102", "PC103")) + (_rule("PC002", default=False), _rule("PC405", default=False)))


@pytest.mark.parametrize(
    "selection, expected",
    [
        (Selection(None), {"PC001", "PC101", "PC102", "PC103"}),
        (Selection(("PC1",)), {"PC101", "PC102", "PC103"}),
        (Selection(("PC10",), ignore=("PC102",)), {"PC101", "PC103"}),
        (Selection(("PC102",), ignore=("PC1",)), {"PC102"}),  # the more specific selector wins
        (Selection(("PC1",), ignore=("PC1",)), set()),  # a tie goes to ignore
        (Selection(("ALL",)), {"PC001", "PC002", "PC101", "PC102", "PC103", "PC405"}),
        (Selection(None, extend_select=("PC002",)), {"PC001", "PC002", "PC101", "PC102", "PC103"}),
        (Selection(None, ignore=("ALL",)), set()),
        (Selection(None, extend_select=("PC4",)), {"PC001", "PC101", "PC102", "PC103", "PC405"}),
        (Selection(("ALL",), ignore=("PC0",)), {"PC101", "PC102", "PC103", "PC405"}),
    ],
)
def test_enabled_codes(selection, expected):
    assert selection.enabled_codes(RULES) == frozenset(expected)


def test_unknown_selector_names_the_place_and_suggests():
    with pytest.raises(SelectionError) as error:
        validate_selectors(["PC1O1"], RULES, "--select")
    assert "--select" in str(error.value) and "PC101" in str(error.value)


def test_selectors_are_case_insensitive():
    assert validate_selectors(["pc101", "all"], RULES, "x") == ["PC101", "ALL"]
