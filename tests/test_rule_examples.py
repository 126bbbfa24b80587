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


def test_examples_are_dedented_as_textwrap_dedents_them():
    """``poolcheck.rule._dedent`` is written out (it runs for every example when the rule
    modules load); it must read examples exactly as ``textwrap.dedent`` does, on every
    built-in example and on mixed tabs, whitespace-only lines and carriage returns."""
    import random
    import textwrap

    from poolcheck.registry import load_rules
    from poolcheck.rule import _dedent

    def reference(text: str) -> str:
        return textwrap.dedent(text).lstrip("\n") if text.startswith("\n") else textwrap.dedent(text)

    texts = ["", "\n", "  a\n    b\n  c", "\tfoo\n\t\tbar\n", " \t a\n \t b", "  a\n\tb\n", "    \n  a\n   \n  b  \n", "\n  a\r\n  b\r\n"]
    generator = random.Random(7)
    for _ in range(5000):
        lines = ["".join(generator.choice(" \t x#\r") for _ in range(generator.randint(0, 6))) for _ in range(generator.randint(0, 6))]
        texts.append(generator.choice(["", "\n"]) + "\n".join(lines) + generator.choice(["", "\n"]))
    for rule in load_rules():
        for example in list(rule.all_invalid()) + list(rule.all_valid()):
            assert example.code == reference(example.code)  # stored dedented: dedenting again changes nothing
    assert [text for text in texts if _dedent(text) != reference(text)] == []
