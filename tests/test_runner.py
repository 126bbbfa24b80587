"""The runner on its own: paths are shown relative to the runner's working directory."""

from __future__ import annotations

from pathlib import Path

from poolcheck.config import load_settings
from poolcheck.registry import load_rules
from poolcheck.runner import RunOptions, Runner
from poolcheck.selection import Selection


def test_related_locations_are_relative_to_the_runners_folder(tmp_path, monkeypatch):
    project = tmp_path / "svc"
    (project / "deploy").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[tool.poolcheck]\n", encoding="utf-8")
    (project / "deploy" / "my.cnf").write_text("[mysqld]\nwait_timeout = 600\n", encoding="utf-8")
    (project / "db.py").write_text(
        'from sqlalchemy import create_engine\nengine = create_engine("mysql://h/db", pool_recycle=3600)\n', encoding="utf-8"
    )
    monkeypatch.chdir(project / "deploy")  # the process is elsewhere: only the runner's folder counts
    rules = load_rules()
    runner = Runner(load_settings(project / "pyproject.toml"), rules, Selection(("PC102",)).enabled_codes(rules), cwd=tmp_path)
    (finding,) = runner.run(RunOptions(paths=[project])).findings
    assert finding.path == Path("svc/db.py")
    assert [str(r.location) for r in finding.related] == ["svc/deploy/my.cnf:2"]


def test_json_related_filenames_are_the_real_files(tmp_path, monkeypatch, capsys):
    import json

    from poolcheck.cli import main

    project = tmp_path / "svc"
    (project / "deploy").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[tool.poolcheck]\n", encoding="utf-8")
    (project / "deploy" / "my.cnf").write_text("[mysqld]\nwait_timeout = 600\n", encoding="utf-8")
    (project / "db.py").write_text(
        'from sqlalchemy import create_engine\nengine = create_engine("mysql://h/db", pool_recycle=3600)\n', encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    assert main(["check", "svc", "--select", "PC102", "--format", "json"]) == 1
    (item,) = json.loads(capsys.readouterr().out)
    assert item["related"][0]["filename"] == str((project / "deploy" / "my.cnf").resolve())


def test_the_prefilter_parses_only_files_a_rule_can_report_on(tmp_path):
    """``checkout`` in a file that registers no listener (never says ``listen``) is no reason
    to parse it for PC107; one that does say it is parsed and checked."""
    from poolcheck.config import Settings
    from poolcheck.registry import load_rules
    from poolcheck.runner import RunOptions, Runner

    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "vcs.py").write_text("def checkoutside(branch):\n    return 'git checkout ' + branch\n")
    (tmp_path / "pool.py").write_text(
        "from sqlalchemy import event, text\n\n\n"
        "@event.listens_for(engine, 'checkout')\n"
        "def ping(dbapi_connection, record, proxy):\n"
        "    dbapi_connection.cursor().execute('SELECT 1')\n"
    )
    runner = Runner(Settings(), load_rules(), frozenset({"PC107"}), cwd=tmp_path, jobs=1)
    result = runner.run(RunOptions(paths=[tmp_path]))
    assert runner.stats["parsed"] == 1
    assert [f.path.name for f in result.findings] == ["pool.py"]
