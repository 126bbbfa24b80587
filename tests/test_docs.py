"""The rule pages in docs/rules are generated from each rule's metadata: they must not go stale."""

from __future__ import annotations

from pathlib import Path

from poolcheck.docs import stale_pages
from poolcheck.registry import load_rules

DOCS = Path(__file__).resolve().parents[1] / "docs" / "rules"


def test_rule_pages_are_up_to_date():
    rules = [rule for rule in load_rules() if rule.__module__.startswith("poolcheck_rules.")]
    assert stale_pages(rules, DOCS) == [], "run `poolcheck docs docs/rules` and commit the pages"
