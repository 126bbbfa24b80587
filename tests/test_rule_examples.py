"""Every rule honours its own examples (fixit's model): the flagged ones are flagged, at the
stated line and with the stated words; the clean ones produce nothing. The built-in rules
also carry enough of them: at least five each way."""

from __future__ import annotations

import pytest

from poolcheck.registry import load_rules
from poolcheck.testing import example_failures

RULES = load_rules()
BUILTIN = [rule for rule in RULES if rule.__module__.startswith("poolcheck_rules.")]


def test_builtin_rules_are_loaded_through_entry_points():
    assert {"PC001", "PC002"} <= {rule.code for rule in BUILTIN}
    assert not RULES.warnings


@pytest.mark.parametrize("rule", list(RULES), ids=lambda rule: rule.code)
def test_rule_examples(rule):
    assert example_failures(rule, RULES) == []


@pytest.mark.parametrize("rule", BUILTIN, ids=lambda rule: rule.code)
def test_builtin_rules_have_five_examples_each_way(rule):
    assert len(rule.all_invalid()) >= 5, "needs at least five flagged examples"
    assert len(rule.all_valid()) >= 5, "needs at least five clean examples"


@pytest.mark.parametrize("rule", BUILTIN, ids=lambda rule: rule.code)
def test_builtin_rules_document_every_section(rule):
    assert rule.what.strip() and rule.why.strip() and rule.example and rule.use_instead
    assert rule.help, "every finding needs a help line saying what to do"
