"""Small rules the editor-integration tests add to the built-in ones: a rule with a safe fix,
one whose finding depends on another project file, and three that misbehave the ways a
third-party rule can (raise, break the engine's data, call ``sys.exit``).

The language server under test loads them through ``tests/lsp_launcher.py``; the command
line and flake8 tests through :func:`rules_with_test_rules`.
"""

from __future__ import annotations

import re
import sys
from pathlib import PurePosixPath

from poolcheck.api import Applicability, Edit, Finding, Fix, Location, Related, Rule, RuleContext, Severity, Span


def _name_spans(ctx: RuleContext, name: str):
    """Where ``name(`` is called in the file (positions from the text: enough for tests)."""
    for number, line in enumerate(ctx.file.source.text.splitlines(), start=1):
        for match in re.finditer(rf"\b{re.escape(name)}(?=\()", line):
            if "#" not in line[: match.start()]:
                yield Span.at(number, match.start(), number, match.end())


class LegacyConnect(Rule):
    code = "TST901"
    name = "legacy-connect"
    severity = Severity.WARNING
    summary = "A call to `legacy_connect()`, which `modern_connect()` replaces."
    tokens = (b"legacy_connect",)
    fix = "Renames the call (safe)."

    def check(self, ctx: RuleContext) -> None:
        for span in _name_spans(ctx, "legacy_connect"):
            edit = Edit(span.start, span.end, "modern_connect")
            ctx.report(
                span,
                "`legacy_connect()` holds a connection forever; call `modern_connect()`",
                help="Rename the call.",
                fix=Fix("Call `modern_connect()`", Applicability.SAFE, (edit,)),
            )


class StrictSetting(Rule):
    """Flags ``open_pool(`` while the project's ``settings.cfg`` says ``strict = on``."""

    code = "TST902"
    name = "strict-setting"
    severity = Severity.ERROR
    summary = "`open_pool()` while `settings.cfg` turns strict mode on."
    tokens = (b"open_pool",)

    def check(self, ctx: RuleContext) -> None:
        text = ctx.project.read_text(PurePosixPath("settings.cfg")) or ""
        lines = [n for n, line in enumerate(text.splitlines(), start=1) if line.strip() == "strict = on"]
        if not lines:
            return
        related = Related(Location(PurePosixPath("settings.cfg"), lines[0]), "strict = on is set here")
        for span in _name_spans(ctx, "open_pool"):
            ctx.report(span, "`open_pool()` is refused in strict mode; use `open_strict_pool()`", related=[related])


class BreaksTheEngine(Rule):
    """Reports a finding whose fix is not a Fix: the runner itself fails on it, outside the
    protection every rule's ``check`` call has."""

    code = "TST903"
    name = "breaks-the-engine"
    severity = Severity.INFO
    summary = "Reports malformed findings (a test of crash isolation)."
    tokens = (b"crash_the_engine",)

    def check(self, ctx: RuleContext) -> None:
        for span in _name_spans(ctx, "crash_the_engine"):
            ctx.file.findings.append(
                Finding(self.code, self.name, "malformed", self.severity, ctx.path, span, fix="not a Fix")  # type: ignore[arg-type]
            )


class Raises(Rule):
    code = "TST904"
    name = "raises"
    severity = Severity.INFO
    summary = "Prints to standard output and raises in its check (a test of crash isolation)."
    tokens = (b"crash_the_rule",)

    def check(self, ctx: RuleContext) -> None:
        # Printed text must not reach the language server's protocol stream.
        print("Content-Length: 3\r\n\r\n{}")
        raise RuntimeError("this rule is broken on purpose")


class Exits(Rule):
    code = "TST905"
    name = "exits"
    severity = Severity.INFO
    summary = "Calls sys.exit() in its check (a test of crash isolation)."
    tokens = (b"exit_the_server",)

    def check(self, ctx: RuleContext) -> None:
        sys.exit(3)


TEST_RULES = (LegacyConnect, StrictSetting, BreaksTheEngine, Raises, Exits)


def rules_with_test_rules():
    from poolcheck.registry import RuleSet, load_rules

    builtin = load_rules()
    return RuleSet(tuple(sorted(builtin.rules + TEST_RULES, key=lambda rule: rule.code)), list(builtin.warnings))
