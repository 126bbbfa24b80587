"""The reporters on a RunResult built by hand: exact escaping, every severity, related
locations, fixes, tool errors, and passwords planted in every piece of text a finding has."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from ci_support import SECRET, demo_rules
from poolcheck.findings import Applicability, Edit, Finding, Fix, Location, Position, Related, Severity, Span
from poolcheck.fingerprints import with_fingerprints
from poolcheck.reporters import REPORTERS, ReportContext
from poolcheck.runner import RunResult

ODD_PATH = Path("app/we,ird:50%.py")
SOURCE = f'import sqlalchemy\nengine = sqlalchemy.create_engine("mysql://app:{SECRET}@db/app")\nother = 1\n'


def _finding(severity: Severity, line: int, message: str, **extra) -> Finding:
    return Finding(
        code="TST101",
        name="demo-engine-without-ping",
        message=message,
        severity=severity,
        path=ODD_PATH,
        span=Span.at(line, 9, line, 63),
        statement=Span.at(line, 0, line, 64),
        **extra,
    )


@pytest.fixture
def result() -> RunResult:
    findings = [
        _finding(
            Severity.ERROR,
            2,
            f"Engine for mysql://app:{SECRET}@db/app: 100%, really\r\nbroken",
            help=f"Use password={SECRET} nowhere",
            related=(Related(Location(Path("conf/my.cnf"), 3, 4), f"DB_PASSWORD={SECRET} and wait_timeout = 600"),),
            fix=Fix(
                f"Add pool_pre_ping (password: {SECRET})",
                Applicability.UNSAFE,
                (Edit(Position(2, 62), Position(2, 62), f', pool_pre_ping=True, connect_args={{"password": "{SECRET}"}}'),),
            ),
            url="https://example.invalid/rules/TST101",
        ),
        _finding(Severity.WARNING, 2, "second finding on the same statement: callbacks[42](0) [sic]"),
        _finding(Severity.INFO, 3, "an info [on its own]"),
    ]
    return RunResult(
        findings=findings,
        checked_files=[ODD_PATH, Path("app/clean.py")],
        errors=[f"{ODD_PATH}: internal error in rule TST101 (demo): ValueError: password={SECRET}", "elsewhere: gone"],
        sources={ODD_PATH: SOURCE},
    )


def _render(fmt: str, result: RunResult, **options) -> str:
    return REPORTERS[fmt](result, ReportContext(rules=demo_rules(), **options))


@pytest.mark.parametrize("fmt", sorted(REPORTERS))
def test_no_format_shows_a_password(result, fmt):
    text = _render(fmt, result, show_fixes=True)
    assert SECRET not in text
    assert "***" in text


def test_github_escapes_data_and_properties(result):
    first = _render("github", result).splitlines()[0]
    assert first == (
        "::error file=app/we%2Cird%3A50%25.py"
        + ",line=2,col=10,endLine=2,endColumn=64,title=TST101 (demo-engine-without-ping)"
        + "::Engine for mysql://app:***@db/app: 100%25, really%0D%0Abroken"
        + "%0Ahelp: Use password=*** nowhere"
        + "%0Anote: conf/my.cnf:3: DB_PASSWORD=*** and wait_timeout = 600"
        + "%0Adocs: https://example.invalid/rules/TST101"
    )
    levels = [line.split(" ", 1)[0] for line in _render("github", result).splitlines()]
    assert levels == ["::error", "::warning", "::notice"]


def test_sarif_from_hand_made_findings_is_valid(result):
    schema = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())
    log = json.loads(_render("sarif", result, enabled=frozenset({"TST101"})))
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(log)) == []
    (run,) = log["runs"]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["TST101"]
    first, second, third = run["results"]
    # Without a repository root the path stays as given, percent-encoded as a URI reference.
    assert first["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": "app/we%2Cird%3A50%25.py", "uriBaseId": "%SRCROOT%"}
    assert first["fixes"][0]["properties"]["applicability"] == "unsafe"
    # Brackets that would read as a link are escaped: only the related-location link is one.
    assert second["message"]["text"] == "second finding on the same statement: callbacks\\[42\\](0) \\[sic\\]"
    assert third["message"]["text"] == "an info [on its own]"
    assert first["message"]["text"].endswith("DB_PASSWORD=*** and wait_timeout = 600: [conf/my.cnf:3](1)")
    # Fingerprints of hand-made findings come from the same function the runner uses: two
    # findings of one rule on one statement differ by their occurrence index.
    expected = [f.fingerprint for f in with_fingerprints(result.findings, SOURCE, ODD_PATH.as_posix())]
    assert [r["partialFingerprints"]["poolcheck/v1"] for r in run["results"]] == expected
    assert len(set(expected)) == 3
    assert run["invocations"][0]["executionSuccessful"] is False
    assert third["level"] == "note"


def test_junit_errors_are_attached_to_their_file(result):
    root = ET.fromstring(_render("junit", result))
    cases = {case.get("name"): case for case in root.iter("testcase")}
    odd = cases[ODD_PATH.as_posix()]
    assert len(odd.findall("failure")) == 3
    (error,) = odd.findall("error")
    assert "internal error in rule TST101" in error.get("message") and SECRET not in error.get("message")
    assert cases["app/clean.py"].find("failure") is None
    assert root.find("testsuite/system-err").text == "elsewhere: gone"
    suite = root.find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("2", "1", "1")


def test_gitlab_severities_and_body(result):
    issues = json.loads(_render("gitlab", result))
    assert [i["severity"] for i in issues] == ["critical", "major", "info"]
    assert issues[0]["content"]["body"] == (
        "Use password=*** nowhere\n\nconf/my.cnf:3: DB_PASSWORD=*** and wait_timeout = 600\n\nSee https://example.invalid/rules/TST101"
    )
    assert issues[0]["location"] == {"path": ODD_PATH.as_posix(), "lines": {"begin": 2, "end": 2}}


def test_text_summary_mentions_baselined_findings(result):
    result.baselined = list(result.findings[:2])
    result.findings = result.findings[2:]
    text = _render("concise", result)
    assert text.splitlines()[-1] == "(2 problems recorded in the baseline not shown.)"


def test_formats_are_imported_only_when_used():
    import subprocess
    import sys

    code = (
        "import sys, poolcheck.reporters as r; "
        "print(sorted(m.rsplit('.', 1)[1] for m in sys.modules if m.startswith('poolcheck.reporters.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
