"""Every output format on a real run over a small repository, parsed back with a real parser:
SARIF against the official 2.1.0 schema (shipped in tests/data, no network), GitLab and JSON
with ``json``, JUnit with ``xml.etree`` and ``junitparser``, GitHub workflow commands by their
documented grammar. And no format lets a password through."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Dict, List

import jsonschema
import pytest
from junitparser import Failure, JUnitXml

from ci_support import BROKEN_PY, DB_PY, NOQA_PY, SECRET, expected_line, make_repository, run_cli

SCHEMA_PATH = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"
ALL_FORMATS = ["full", "text", "concise", "json", "sarif", "github", "gitlab", "junit"]


@pytest.fixture
def repo(tmp_path):
    return make_repository(tmp_path)


@pytest.fixture(scope="module")
def sarif_validator():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    # The official file fails a metaschema check (upstream sarif-spec issues 576, 578), so the
    # validator is built directly; validating logs with it works.
    return jsonschema.Draft202012Validator(schema)


def _report(repo, monkeypatch, fmt: str, *extra: str):
    outcome = run_cli(repo, "--format", fmt, *extra, monkeypatch=monkeypatch)
    assert outcome.code == 1, outcome.stderr
    return outcome


# --- SARIF -----------------------------------------------------------------------------------------


def test_sarif_is_valid_and_complete(repo, monkeypatch, sarif_validator):
    log = json.loads(_report(repo, monkeypatch, "sarif").stdout)
    errors = sorted(sarif_validator.iter_errors(log), key=str)
    assert errors == [], [e.message for e in errors[:5]]

    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "poolcheck" and driver["version"] and driver["informationUri"].startswith("https://")
    rules = {rule["id"]: rule for rule in driver["rules"]}
    # Every rule enabled in the run is listed, and only those.
    assert set(rules) == {"PC001", "PC002", "TST101"}
    for rule in rules.values():
        assert rule["name"] and rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["helpUri"].startswith("https://")
        assert rule["defaultConfiguration"]["level"] in {"error", "warning", "note"}
    assert rules["PC002"]["defaultConfiguration"]["level"] == "note"
    assert rules["TST101"]["helpUri"] == "https://example.invalid/rules/TST101"

    # Files are relative to the checkout, not to the project folder the run started in.
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repo.root.as_uri() + "/"
    results = run["results"]
    assert {(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]) for r in results} == {
        ("PC001", "services/api/app/broken.py"),
        ("TST101", "services/api/app/db.py"),
        ("PC002", "services/api/app/noqa.py"),
    }
    for result in results:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert re.fullmatch(r"[0-9a-f]{32}", result["partialFingerprints"]["poolcheck/v1"])
    assert {r["level"] for r in results} == {"error", "warning", "note"}

    mysql = next(r for r in results if r["ruleId"] == "TST101" and r["level"] == "error")
    line, column = expected_line(DB_PY, 'create_engine("mysql')
    region = mysql["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (line, column + 1)  # 1-based columns
    assert region["endColumn"] == len(DB_PY.splitlines()[line - 1]) + 1  # exclusive, 1-based
    assert run["columnKind"] == "unicodeCodePoints"

    (related,) = mysql["relatedLocations"]
    assert related["physicalLocation"]["artifactLocation"] == {"uri": "services/api/my.cnf", "uriBaseId": "%SRCROOT%"}
    assert related["physicalLocation"]["region"]["startLine"] == 2
    assert "wait_timeout = 600 is set here" in related["message"]["text"]
    # The message links the related location, which is how GitHub shows it.
    assert f"[services/api/my.cnf:2]({related['id']})" in mysql["message"]["text"]

    (fix,) = mysql["fixes"]
    (change,) = fix["artifactChanges"]
    assert change["artifactLocation"]["uri"] == "services/api/app/db.py"
    (replacement,) = change["replacements"]
    assert replacement["insertedContent"]["text"].startswith(", pool_pre_ping=True")
    deleted = replacement["deletedRegion"]
    assert deleted["startLine"] == deleted["endLine"] == line
    assert deleted["startColumn"] == deleted["endColumn"] == DB_PY.splitlines()[line - 1].rindex(")") + 1

    syntax = next(r for r in results if r["ruleId"] == "PC001")
    assert "fixes" not in syntax and "relatedLocations" not in syntax
    line, column = expected_line(BROKEN_PY, '("sqlite')
    assert syntax["locations"][0]["physicalLocation"]["region"] == {"startLine": line, "startColumn": column + 1}


def test_the_schema_validator_catches_mistakes(repo, monkeypatch, sarif_validator):
    """The validation above would be worthless if the validator accepted anything."""
    log = json.loads(_report(repo, monkeypatch, "sarif").stdout)
    log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startColumn"] = 0
    log["runs"][0]["results"][1]["level"] = "info"
    assert len(list(sarif_validator.iter_errors(log))) >= 2


def test_sarif_with_no_findings_is_valid(repo, monkeypatch, sarif_validator):
    outcome = run_cli(repo, "--format", "sarif", "app/clean.py", monkeypatch=monkeypatch)
    assert outcome.code == 0
    log = json.loads(outcome.stdout)
    assert list(sarif_validator.iter_errors(log)) == []
    assert log["runs"][0]["results"] == [] and log["runs"][0]["invocations"][0]["executionSuccessful"] is True


def test_sarif_reports_unreadable_paths_as_notifications(repo, monkeypatch, sarif_validator):
    outcome = run_cli(repo, "--format", "sarif", "app/db.py", "missing.py", monkeypatch=monkeypatch)
    assert outcome.code == 2
    log = json.loads(outcome.stdout)
    assert list(sarif_validator.iter_errors(log)) == []
    invocation = log["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert any("missing.py" in n["message"]["text"] for n in invocation["toolExecutionNotifications"])


# --- GitHub ----------------------------------------------------------------------------------------

COMMAND = re.compile(r"^::(?P<level>error|warning|notice) (?P<properties>[^:]*)::(?P<message>.*)$")


def _unescape(text: str) -> str:
    return re.sub(r"%(25|0D|0A|3A|2C)", lambda m: {"25": "%", "0D": "\r", "0A": "\n", "3A": ":", "2C": ","}[m.group(1)], text)


def parse_workflow_commands(text: str) -> List[Dict[str, str]]:
    """Parse ``::level k=v,k=v::message`` lines the way the Actions runner does."""
    commands = []
    for line in text.splitlines():
        match = COMMAND.match(line)
        assert match, f"not a workflow command: {line!r}"
        properties = dict(part.split("=", 1) for part in match.group("properties").split(","))
        command = {key: _unescape(value) for key, value in properties.items()}
        command["level"] = match.group("level")
        command["message"] = _unescape(match.group("message"))
        commands.append(command)
    return commands


def test_github_annotations(repo, monkeypatch):
    commands = parse_workflow_commands(_report(repo, monkeypatch, "github").stdout)
    assert len(commands) == 4
    mysql = next(c for c in commands if c["level"] == "error" and c["title"].startswith("TST101"))
    line, column = expected_line(DB_PY, 'create_engine("mysql')
    assert mysql["file"] == "services/api/app/db.py"
    assert (int(mysql["line"]), int(mysql["col"]), int(mysql["endLine"])) == (line, column + 1, line)
    assert mysql["title"] == "TST101 (demo-engine-without-ping)"
    # The message came through with its `%`, `:` and `,` intact, and its lines.
    first, *rest = mysql["message"].split("\n")
    assert first.endswith("has no pool_pre_ping: 100% of idle connections die, see wait_timeout, max_idle")
    assert "help: Pass pool_pre_ping=True (the URL was mysql+pymysql://app:***@db/app)." in rest
    assert "note: services/api/my.cnf:2: wait_timeout = 600 is set here (password=***)" in rest
    assert {c["level"] for c in commands} == {"error", "warning", "notice"}
    syntax = next(c for c in commands if c["title"].startswith("PC001"))
    assert "endLine" not in syntax and syntax["file"] == "services/api/app/broken.py"


# --- GitLab ----------------------------------------------------------------------------------------


def test_gitlab_code_quality(repo, monkeypatch):
    issues = json.loads(_report(repo, monkeypatch, "gitlab").stdout)
    assert len(issues) == 4
    for issue in issues:
        assert issue["description"] and issue["check_name"] and issue["severity"] in {"info", "minor", "major", "critical", "blocker"}
        assert re.fullmatch(r"[0-9a-f]{32}", issue["fingerprint"])
        assert issue["location"]["path"].startswith("services/api/app/")
        assert isinstance(issue["location"]["lines"]["begin"], int)
    assert len({issue["fingerprint"] for issue in issues}) == 4
    by_path = {}
    for issue in issues:
        by_path.setdefault(issue["location"]["path"], []).append(issue)
    analytics = next(i for i in by_path["services/api/app/db.py"] if i["severity"] == "major")
    line, _ = expected_line(DB_PY, "analytics = create_engine(")
    assert analytics["location"]["lines"] == {"begin": line, "end": line + 3}
    assert by_path["services/api/app/noqa.py"][0]["severity"] == "info"
    assert by_path["services/api/app/broken.py"][0]["severity"] == "critical"


def test_one_fingerprint_everywhere(repo, monkeypatch, tmp_path):
    """SARIF, GitLab, JSON and the baseline use the same fingerprints."""
    sarif = json.loads(_report(repo, monkeypatch, "sarif").stdout)
    gitlab = json.loads(_report(repo, monkeypatch, "gitlab").stdout)
    findings = json.loads(_report(repo, monkeypatch, "json").stdout)
    baseline = tmp_path / "baseline.json"
    assert run_cli(repo, "--write-baseline", str(baseline), monkeypatch=monkeypatch).code == 0
    recorded = {entry["fingerprint"] for entry in json.loads(baseline.read_text())["findings"]}
    from_sarif = {r["partialFingerprints"]["poolcheck/v1"] for r in sarif["runs"][0]["results"]}
    assert len(from_sarif) == 4
    assert from_sarif == {i["fingerprint"] for i in gitlab} == {f["fingerprint"] for f in findings} == recorded


# --- JUnit -----------------------------------------------------------------------------------------


def test_junit_parses_with_etree(repo, monkeypatch):
    root = ET.fromstring(_report(repo, monkeypatch, "junit").stdout)
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    cases = {case.get("name"): case for case in suite.findall("testcase")}
    # A test case per checked file, passing ones included.
    assert set(cases) == {f"services/api/app/{name}.py" for name in ("__init__", "broken", "clean", "db", "noqa")}
    assert cases["services/api/app/clean.py"].find("failure") is None
    failures = cases["services/api/app/db.py"].findall("failure")
    assert len(failures) == 2 and {f.get("type") for f in failures} == {"TST101"}
    line, column = expected_line(DB_PY, 'create_engine("mysql')
    mysql = next(f for f in failures if "mysql" in f.get("message"))
    assert mysql.text.startswith(f"services/api/app/db.py:{line}:{column + 1}: TST101 Engine for mysql+pymysql://app:***@db/app")
    assert "note: services/api/my.cnf:2: wait_timeout = 600 is set here (password=***)" in mysql.text
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("5", "3", "0")


def test_junit_parses_with_junitparser(repo, monkeypatch, tmp_path):
    report = tmp_path / "junit.xml"
    outcome = run_cli(repo, "--format", "junit", "--output-file", str(report), monkeypatch=monkeypatch)
    assert outcome.code == 1 and outcome.stdout == ""
    xml = JUnitXml.fromfile(str(report))
    (suite,) = list(xml)
    cases = {case.name: case for case in suite}
    assert len(cases) == 5 and suite.tests == 5
    db = cases["services/api/app/db.py"]
    assert not db.is_passed and len(db.result) == 2 and all(isinstance(r, Failure) for r in db.result)
    assert {r.type for r in cases["services/api/app/noqa.py"].result} == {"PC002"}
    assert cases["services/api/app/clean.py"].is_passed


def test_junit_reports_an_undecodable_file_as_a_failure(repo, monkeypatch):
    (repo.project / "app" / "latin.py").write_bytes(b"# coding: klingon\nx = 1\n")
    root = ET.fromstring(run_cli(repo, "--format", "junit", "app/latin.py", monkeypatch=monkeypatch).stdout)
    (case,) = root.iter("testcase")
    # An undecodable file is a PC001 finding (the file's fault), not a tool error.
    assert case.get("name") == "services/api/app/latin.py"
    assert [f.get("type") for f in case.findall("failure")] == ["PC001"]


def test_junit_escapes_and_drops_characters_xml_cannot_carry(repo, monkeypatch):
    repo.write("app/odd.py", 'from sqlalchemy import create_engine\ne = create_engine("sqlite://<&>\x1b\x07")\n')
    text = run_cli(repo, "--format", "junit", "app/odd.py", monkeypatch=monkeypatch).stdout
    xml = JUnitXml.fromstring(text)
    (case,) = list(list(xml)[0])
    (failure,) = case.result
    assert "sqlite://<&>" in failure.message


# --- text formats and statistics -------------------------------------------------------------------


def test_full_is_the_default_and_text_is_its_alias(repo, monkeypatch):
    default = run_cli(repo, monkeypatch=monkeypatch).stdout
    assert default == _report(repo, monkeypatch, "full").stdout == _report(repo, monkeypatch, "text").stdout
    assert " | engine = create_engine(\"mysql+pymysql://app:***@db/app\")" in default
    assert "Found 4 problems (2 errors, 1 warning, 1 info) in 3 files." in default


def test_concise(repo, monkeypatch):
    lines = _report(repo, monkeypatch, "concise").stdout.splitlines()
    line, column = expected_line(DB_PY, 'create_engine("mysql')
    assert lines[:4] == [
        "app/broken.py:3:23: PC001 Syntax error: '(' was never closed",
        f"app/db.py:{line}:{column + 1}: TST101 [*] Engine for mysql+pymysql://app:***@db/app has no pool_pre_ping: "
        "100% of idle connections die, see wait_timeout, max_idle",
        "app/db.py:4:13: TST101 [*] Engine for postgresql://report@warehouse/analytics has no pool_pre_ping: "
        "100% of idle connections die, see wait_timeout, max_idle",
        f"app/noqa.py:1:{NOQA_PY.index('#') + 1}: PC002 `# noqa` names PC999, which is not a poolcheck rule",
    ]
    assert lines[5] == "Found 4 problems (2 errors, 1 warning, 1 info) in 3 files."


def test_statistics_text(repo, monkeypatch):
    for fmt in ("full", "concise"):
        lines = _report(repo, monkeypatch, fmt, "--statistics").stdout.splitlines()
        assert lines[:3] == [
            "2  TST101  [*] demo-engine-without-ping",
            "1  PC001       syntax-error",
            "1  PC002       unused-noqa",
        ]
        assert "Found 4 problems (2 errors, 1 warning, 1 info) in 3 files." in lines


def test_statistics_json(repo, monkeypatch):
    counts = json.loads(_report(repo, monkeypatch, "json", "--statistics").stdout)
    assert counts == [
        {"code": "TST101", "name": "demo-engine-without-ping", "count": 2, "fixable": 2},
        {"code": "PC001", "name": "syntax-error", "count": 1, "fixable": 0},
        {"code": "PC002", "name": "unused-noqa", "count": 1, "fixable": 0},
    ]


def test_statistics_with_a_format_that_cannot_show_them_is_a_usage_error(repo, monkeypatch):
    outcome = run_cli(repo, "--format", "sarif", "--statistics", monkeypatch=monkeypatch)
    assert outcome.code == 2 and outcome.stdout == ""
    assert outcome.stderr == "poolcheck: error: --statistics works only with --format full, concise or json (not sarif)\n"


def test_unknown_format_lists_the_formats(repo, monkeypatch):
    outcome = run_cli(repo, "--format", "xml", monkeypatch=monkeypatch)
    assert outcome.code == 2
    assert all(name in outcome.stderr for name in ALL_FORMATS)


def test_json_carries_statement_fingerprint_and_absolute_related_paths(repo, monkeypatch):
    findings = json.loads(_report(repo, monkeypatch, "json").stdout)
    analytics = next(f for f in findings if "postgresql" in f["message"])
    line, _ = expected_line(DB_PY, "analytics = create_engine(")
    assert analytics["statement"] == {"location": {"row": line, "column": 1}, "end_location": {"row": line + 3, "column": 2}}
    assert analytics["related"][0]["filename"] == str(repo.project / "my.cnf")
    syntax = next(f for f in findings if f["code"] == "PC001")
    assert syntax["statement"] is None and syntax["fingerprint"]


# --- every format ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_output_file_holds_exactly_the_report(repo, monkeypatch, tmp_path, fmt):
    expected = _report(repo, monkeypatch, fmt).stdout
    target = tmp_path / "reports" / f"poolcheck.{fmt}"
    outcome = run_cli(repo, "--format", fmt, "--output-file", str(target), monkeypatch=monkeypatch)
    assert outcome.code == 1 and outcome.stdout == ""
    assert target.read_text(encoding="utf-8") == expected


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_no_password_in_any_format(repo, monkeypatch, fmt):
    """The password is in the source, the message, the related note, the help, the fix's
    description and its edit: none of it may reach a report."""
    report = _report(repo, monkeypatch, fmt, "--show-fixes").stdout
    assert SECRET not in report
    assert "***" in report  # the masked password is there: the report did carry the text


@pytest.mark.parametrize("fmt", ["full", "json", "sarif"])
def test_no_password_with_fixes_applied(repo, monkeypatch, fmt):
    report = run_cli(repo, "--format", fmt, "--fix", "--show-fixes", monkeypatch=monkeypatch).stdout
    assert SECRET not in report
    assert "pool_pre_ping=True" in repo.read("app/db.py")  # the fixes really ran


# --- the built-in rules --------------------------------------------------------------------------

REAL_DB_PY = f"""\
from sqlalchemy import create_engine

engine = create_engine("mysql+pymysql://app:{SECRET}@db/app")
"""


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_real_rules_in_every_format(repo, monkeypatch, sarif_validator, fmt):
    """The built-in rules' findings (related facts from my.cnf, fixes) through every format,
    with the default selection; only what the engine-option rules must say is asserted."""
    repo.write("pyproject.toml", "[project]\nname = 'api'\n")
    repo.write("app/db.py", REAL_DB_PY)
    outcome = run_cli(repo, "--format", fmt, "app/db.py", monkeypatch=monkeypatch)
    assert outcome.code == 1, outcome.stderr
    report = outcome.stdout
    assert SECRET not in report and "PC101" in report
    if fmt == "sarif":
        log = json.loads(report)
        assert list(sarif_validator.iter_errors(log)) == []
        result = next(r for r in log["runs"][0]["results"] if r["ruleId"] == "PC101")
        uris = [loc["physicalLocation"]["artifactLocation"]["uri"] for loc in result.get("relatedLocations", [])]
        assert "services/api/my.cnf" in uris
        rule = log["runs"][0]["tool"]["driver"]["rules"][result["ruleIndex"]]
        assert rule["id"] == "PC101" and rule["helpUri"].endswith("/PC101.md")
    elif fmt == "gitlab":
        assert any(i["check_name"] == "PC101" and i["location"]["path"] == "services/api/app/db.py" for i in json.loads(report))
    elif fmt == "junit":
        failures = [f.get("type") for f in ET.fromstring(report).iter("failure")]
        assert "PC101" in failures
    elif fmt == "github":
        assert any(c["title"].startswith("PC101 ") and c["file"] == "services/api/app/db.py" for c in parse_workflow_commands(report))
