"""Adopting poolcheck with a baseline, through the command line: record, fail only on new
findings, survive unrelated edits, ratchet down, and never lose entries a run did not see."""

from __future__ import annotations

import json

import pytest

from ci_support import DB_PY, SECRET, make_repository, run_cli
from poolcheck.baseline import Baseline, BaselineEntry, BaselineError, load, parse, render


@pytest.fixture
def repo(tmp_path):
    return make_repository(tmp_path)


@pytest.fixture
def baseline_file(repo):
    return repo.root / "poolcheck-baseline.json"


def record(repo, baseline_file, monkeypatch, *extra):
    outcome = run_cli(repo, "--write-baseline", str(baseline_file), *extra, monkeypatch=monkeypatch)
    assert outcome.code == 0, outcome.stderr
    return outcome


def check(repo, baseline_file, monkeypatch, *extra):
    return run_cli(repo, "--baseline", str(baseline_file), "--format", "json", *extra, monkeypatch=monkeypatch)


def entries(baseline_file):
    return json.loads(baseline_file.read_text(encoding="utf-8"))["findings"]


def test_recording_hides_todays_findings(repo, baseline_file, monkeypatch):
    outcome = record(repo, baseline_file, monkeypatch)
    assert outcome.stderr == f"poolcheck: recorded 4 findings in {baseline_file}\n"
    assert "All checks passed!" in outcome.stdout and "(4 problems recorded in the baseline not shown.)" in outcome.stdout
    recorded = entries(baseline_file)
    assert sorted((e["code"], e["path"]) for e in recorded) == [
        ("PC001", "services/api/app/broken.py"),
        ("PC002", "services/api/app/noqa.py"),
        ("TST101", "services/api/app/db.py"),
        ("TST101", "services/api/app/db.py"),
    ]
    again = check(repo, baseline_file, monkeypatch)
    assert (again.code, json.loads(again.stdout), again.stderr) == (0, [], "")


def test_the_file_is_one_sorted_entry_per_line_without_passwords(repo, baseline_file, monkeypatch):
    record(repo, baseline_file, monkeypatch)
    text = baseline_file.read_text(encoding="utf-8")
    assert SECRET not in text and "mysql+pymysql://app:***@db/app" in text
    lines = text.splitlines()
    assert lines[:3] == ["{", '  "poolcheck-baseline": 1,', '  "findings": [']
    body = [json.loads(line.strip().rstrip(",")) for line in lines[3:-2]]
    assert body == entries(baseline_file)
    assert body == sorted(body, key=lambda e: (e["path"], e["code"], e["fingerprint"]))
    # Recording twice gives the same bytes (no timestamps, no line numbers): clean diffs.
    record(repo, baseline_file, monkeypatch)
    assert baseline_file.read_text(encoding="utf-8") == text


def test_shifted_and_edited_files_stay_clean(repo, baseline_file, monkeypatch):
    record(repo, baseline_file, monkeypatch)
    edited = "import logging\n\nlog = logging.getLogger(__name__)\n\n" + DB_PY.replace('url="sqlite://"', 'url="sqlite:///app.db"') + "\nTIMEOUT = 3\n"
    repo.write("app/db.py", edited)
    outcome = check(repo, baseline_file, monkeypatch)
    assert outcome.code == 0, outcome.stdout


def test_only_new_findings_are_reported(repo, baseline_file, monkeypatch):
    record(repo, baseline_file, monkeypatch)
    repo.write("app/db.py", DB_PY + '\nreplica = create_engine("mysql+pymysql://app@replica/app")\n')
    outcome = check(repo, baseline_file, monkeypatch)
    assert outcome.code == 1
    (new,) = json.loads(outcome.stdout)
    assert new["code"] == "TST101" and "replica" in new["message"]


def test_a_finding_moved_to_another_statement_is_new(repo, baseline_file, monkeypatch):
    record(repo, baseline_file, monkeypatch)
    repo.write("app/db.py", DB_PY.replace('engine = create_engine("mysql', 'primary = create_engine("mysql'))
    outcome = check(repo, baseline_file, monkeypatch)
    (moved,) = json.loads(outcome.stdout)
    assert "mysql" in moved["message"]
    assert "1 finding recorded in" in outcome.stderr and "no longer occurs" in outcome.stderr


def test_ratcheting_drops_fixed_findings_and_never_adds_new_ones(repo, baseline_file, monkeypatch):
    record(repo, baseline_file, monkeypatch)
    repo.write("app/broken.py", 'from sqlalchemy import create_engine\n\nengine = create_engine("sqlite://", pool_pre_ping=True)\n')
    repo.write("app/new.py", 'from sqlalchemy import create_engine\n\nengine = create_engine("sqlite://")\n')
    outcome = check(repo, baseline_file, monkeypatch)
    assert outcome.code == 1 and len(json.loads(outcome.stdout)) == 1
    assert f"ratchet the baseline down with `poolcheck check --baseline {baseline_file} --write-baseline {baseline_file}`" in outcome.stderr

    ratchet = run_cli(repo, "--baseline", str(baseline_file), "--write-baseline", str(baseline_file), "--format", "json", monkeypatch=monkeypatch)
    # The new finding is still reported (and fails the run): the ratchet never absorbs it.
    assert ratchet.code == 1 and [f["filename"].endswith("app/new.py") for f in json.loads(ratchet.stdout)] == [True]
    assert "recorded 3 findings" in ratchet.stderr and "(1 no longer occurring dropped)" in ratchet.stderr
    assert sorted(e["path"].rsplit("/", 1)[1] for e in entries(baseline_file)) == ["db.py", "db.py", "noqa.py"]


def test_a_partial_run_keeps_the_entries_it_did_not_see(repo, baseline_file, monkeypatch):
    record(repo, baseline_file, monkeypatch)
    before = entries(baseline_file)
    # Checking one file, or a subset of rules, says nothing about the other files and rules.
    for extra in (["app/db.py"], ["--select", "TST101"]):
        outcome = run_cli(repo, "--baseline", str(baseline_file), "--write-baseline", str(baseline_file), *extra, monkeypatch=monkeypatch)
        assert outcome.code == 0 and "no longer" not in outcome.stderr
        assert entries(baseline_file) == before
    # Without a ratchet, a partial run does not call the others fixed either.
    assert check(repo, baseline_file, monkeypatch, "app/db.py").stderr == ""


def test_a_deleted_file_leaves_the_baseline_on_the_next_ratchet(repo, baseline_file, monkeypatch):
    record(repo, baseline_file, monkeypatch)
    (repo.project / "app" / "broken.py").unlink()
    run_cli(repo, "--baseline", str(baseline_file), "--write-baseline", str(baseline_file), monkeypatch=monkeypatch)
    assert "services/api/app/broken.py" not in {e["path"] for e in entries(baseline_file)}


def test_baselined_findings_are_not_fixed(repo, baseline_file, monkeypatch):
    record(repo, baseline_file, monkeypatch)
    repo.write("app/extra.py", 'from sqlalchemy import create_engine\n\nengine = create_engine("sqlite://")\n')
    outcome = run_cli(repo, "--baseline", str(baseline_file), "--fix", monkeypatch=monkeypatch)
    assert outcome.code == 0, outcome.stdout
    assert repo.read("app/db.py") == DB_PY  # recorded: left alone, like a `# noqa`
    assert "pool_pre_ping=True" in repo.read("app/extra.py")  # new: fixed


def test_the_baseline_works_from_any_working_folder(repo, baseline_file, monkeypatch):
    record(repo, baseline_file, monkeypatch)
    monkeypatch.chdir(repo.root)
    from poolcheck import cli

    assert cli.main(["check", "--baseline", str(baseline_file), "services/api"]) == 0


@pytest.mark.parametrize(
    "content, message",
    [
        ("not json", "not valid JSON"),
        ("[]", "not a poolcheck baseline"),
        ('{"poolcheck-baseline": 7, "findings": []}', "format 7 is not supported"),
        ('{"poolcheck-baseline": 1, "findings": [{"code": "PC101"}]}', "finding 1 needs string"),
    ],
)
def test_a_bad_baseline_is_one_line_and_exit_2(repo, baseline_file, monkeypatch, content, message):
    baseline_file.write_text(content, encoding="utf-8")
    outcome = check(repo, baseline_file, monkeypatch)
    assert outcome.code == 2 and outcome.stdout == ""
    assert outcome.stderr.startswith(f"poolcheck: error: --baseline {baseline_file}") and message in outcome.stderr
    assert outcome.stderr.count("\n") == 1


def test_a_missing_baseline_says_how_to_make_one(repo, baseline_file, monkeypatch):
    outcome = check(repo, baseline_file, monkeypatch)
    assert outcome.code == 2
    assert outcome.stderr == f"poolcheck: error: --baseline {baseline_file}: no such file (record one with --write-baseline {baseline_file})\n"


def test_write_baseline_with_diff_is_a_usage_error(repo, baseline_file, monkeypatch):
    outcome = run_cli(repo, "--write-baseline", str(baseline_file), "--diff", monkeypatch=monkeypatch)
    assert outcome.code == 2 and not baseline_file.exists()


def test_an_unwritable_baseline_is_one_line_and_exit_2(repo, monkeypatch):
    (repo.root / "taken").write_text("a file, not a folder")
    outcome = run_cli(repo, "--write-baseline", str(repo.root / "taken" / "b.json"), monkeypatch=monkeypatch)
    assert outcome.code == 2 and outcome.stderr.startswith("poolcheck: error: --write-baseline ")
    assert outcome.stderr.count("\n") == 1


def test_render_and_parse_round_trip():
    items = [BaselineEntry("PC101", "b.py", "f" * 32, 'say "hi"'), BaselineEntry("PC001", "a.py", "0" * 32, "ü")]
    baseline = parse(json.loads(render(items)), "x")
    assert list(baseline.entries) == sorted(items, key=BaselineEntry.sort_key)
    assert render([]) == '{\n  "poolcheck-baseline": 1,\n  "findings": []\n}\n'


def test_load_reports_unreadable_files(tmp_path):
    (tmp_path / "b.json").write_bytes(b"\xff\xfe")
    with pytest.raises(BaselineError, match="cannot read"):
        load(tmp_path / "b.json")


def test_ratchet_keeps_out_of_scope_entries():
    kept = BaselineEntry("PC101", "a.py", "1" * 32, "m")
    gone = BaselineEntry("PC101", "a.py", "2" * 32, "m")
    other = BaselineEntry("PC101", "lib/b.py", "3" * 32, "m")
    baseline = Baseline((kept, gone, other))
    resolved = baseline.resolved({kept.fingerprint}, ["a.py"], frozenset({"PC101"}))
    assert resolved == [gone]
    refreshed = BaselineEntry("PC101", "a.py", kept.fingerprint, "new message")
    assert baseline.ratcheted([refreshed], resolved) == [refreshed, other]


def test_no_baseline_is_written_when_files_could_not_be_checked(repo, baseline_file, monkeypatch):
    record(repo, baseline_file, monkeypatch)
    before = baseline_file.read_text()
    outcome = run_cli(repo, "--baseline", str(baseline_file), "--write-baseline", str(baseline_file), ".", "missing.py", monkeypatch=monkeypatch)
    assert outcome.code == 2 and "not written" in outcome.stderr
    assert baseline_file.read_text() == before
