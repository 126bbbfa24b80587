"""docs/rules is generated from the rules' metadata: it must be what `poolcheck docs docs/rules`
writes today, so a rule changed without regenerating its page fails here."""

from __future__ import annotations

from pathlib import Path

from poolcheck.docs import render_rule_page, stale_pages, write_pages
from poolcheck.registry import load_rules

REPOSITORY = Path(__file__).resolve().parent.parent
RULE_PAGES = REPOSITORY / "docs" / "rules"
BUILTIN = [rule for rule in load_rules() if rule.__module__.startswith("poolcheck_rules.")]


def test_rule_pages_are_up_to_date():
    stale = stale_pages(BUILTIN, RULE_PAGES)
    assert stale == [], f"stale rule pages {stale}: run `poolcheck docs docs/rules`"


def test_a_changed_rule_makes_its_page_stale(tmp_path):
    write_pages(BUILTIN, tmp_path)
    assert stale_pages(BUILTIN, tmp_path) == []
    page = tmp_path / f"{BUILTIN[-1].code}.md"
    page.write_text(page.read_text(encoding="utf-8") + "\nedited by hand\n", encoding="utf-8")
    (tmp_path / "PC999.md").write_text("a page for no rule\n", encoding="utf-8")
    assert stale_pages(BUILTIN, tmp_path) == sorted([page.name, "PC999.md"])


def test_every_page_has_ruffs_sections_and_engine_pages_quote_the_error():
    for rule in BUILTIN:
        page = render_rule_page(rule)
        for section in ("## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Options"):
            assert section in page, (rule.code, section)
        header = page.splitlines()[2]
        assert header.startswith("**Severity:**") and "**Autofix:** " in header  # one line
        if rule.code.startswith("PC1"):
            why = page.split("## Why is this bad?", 1)[1].split("\n## ", 1)[0]
            assert "```" in why, f"{rule.code}: the production error belongs in a code block"
