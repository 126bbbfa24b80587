"""The result cache never serves a stale result, and re-checks only what a change can affect.

Each scenario runs poolcheck twice on a small project, changes one file, and compares the
cached run with a run that reads no cache: same findings, same order. The files a change
cannot affect (they never read the changed file) must come from the cache.
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import pytest

from poolcheck.cache import Cache, finding_from_json, finding_to_json
from poolcheck.cli import main
from poolcheck.config import discover_settings
from poolcheck.registry import load_rules
from poolcheck.runner import RunOptions, Runner
from poolcheck.selection import configured_selection

FILES = {
    "pyproject.toml": "[project]\nname = 'shop'\n",
    "deploy/my.cnf": "[mysqld]\nwait_timeout = 3600\n",
    # PC102: a pool_recycle of 7200 s is not below the wait_timeout my.cnf sets.
    "shop/db.py": """
        from sqlalchemy import create_engine
        from sqlalchemy.orm import sessionmaker

        engine = create_engine("mysql+pymysql://app@db/shop", pool_recycle=7200)
        SessionLocal = sessionmaker(bind=engine)
        """,
    # PC401: a session from db.py's factory, never closed.
    "shop/views.py": """
        from shop.db import SessionLocal


        def orders():
            session = SessionLocal()
            return session.execute("SELECT 1").all()
        """,
    # An engine of its own: its findings read my.cnf too (every engine's do), not views.py.
    "shop/reports.py": """
        from sqlalchemy import create_engine

        reporting = create_engine("mysql+pymysql://report@replica/shop")
        """,
    "shop/util.py": """
        def slugify(text):
            return text.lower().replace(" ", "-")
        """,
}


def write(root: Path, files: Dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def run(root: Path, cache_dir: Optional[Path], jobs: int = 1, parallel_minimum: int = 8, names: Sequence[str] = (".",)):
    """(findings, files served from the cache) of a run over ``names`` of ``root`` (the
    whole project unless some files are named, as pre-commit names them)."""
    rules = load_rules()
    settings = discover_settings(root)
    enabled = configured_selection(settings, rules).enabled_codes(rules)
    cache = None
    if cache_dir is not None:
        from poolcheck.cache import code_stamp

        cache = Cache(cache_dir, "\n".join([code_stamp({r.__module__ for r in rules}), repr(settings), ",".join(sorted(enabled))]))
    runner = Runner(settings, rules, enabled, cwd=root, cache=cache, jobs=jobs, parallel_minimum=parallel_minimum)
    result = runner.run(RunOptions(paths=[root / name for name in names]))
    assert not result.errors, result.errors
    return result, sorted(p.as_posix() for p in result.cached_files if p.suffix == ".py")


def summary(result) -> List[tuple]:
    return [(f.path.as_posix(), f.line, f.column, f.code, f.message, tuple(str(r.location) for r in f.related)) for f in result.findings]


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "shop"
    write(root, FILES)
    return root


def test_a_warm_run_serves_every_file_from_the_cache(project, tmp_path):
    cache = tmp_path / "cache"
    cold, served = run(project, cache)
    assert served == []
    codes = {(f.path.as_posix(), f.code) for f in cold.findings}
    assert ("shop/db.py", "PC102") in codes and ("shop/views.py", "PC401") in codes and ("shop/reports.py", "PC101") in codes
    warm, served = run(project, cache)
    assert summary(warm) == summary(cold)
    assert served == ["shop/db.py", "shop/reports.py", "shop/util.py", "shop/views.py"]


def test_a_changed_option_file_rechecks_exactly_the_files_that_read_it(project, tmp_path):
    cache = tmp_path / "cache"
    run(project, cache)
    write(project, {"deploy/my.cnf": "[mysqld]\nwait_timeout = 9000\n"})
    warm, served = run(project, cache)
    fresh, _ = run(project, None)
    assert summary(warm) == summary(fresh)
    assert ("shop/db.py", "PC102") not in {(f.path.as_posix(), f.code) for f in warm.findings}  # 7200 < 9000 now
    # The engine files read my.cnf (its wait_timeout) and are checked again; the others
    # never read it.
    assert served == ["shop/util.py", "shop/views.py"]


def test_a_changed_module_is_never_served_stale_to_its_importers(project, tmp_path):
    cache = tmp_path / "cache"
    first, _ = run(project, cache)
    assert ("shop/views.py", "PC401") in {(f.path.as_posix(), f.code) for f in first.findings}
    # db.py's SessionLocal is no session factory any more: views.py's finding must go.
    write(project, {"shop/db.py": FILES["shop/db.py"].replace("sessionmaker(bind=engine)", "dict(bind=engine)")})
    warm, served = run(project, cache)
    fresh, _ = run(project, None)
    assert summary(warm) == summary(fresh)
    assert ("shop/views.py", "PC401") not in {(f.path.as_posix(), f.code) for f in warm.findings}
    assert "shop/views.py" not in served and "shop/db.py" not in served


def test_an_edit_that_changes_nothing_another_file_reads_keeps_its_results(project, tmp_path):
    cache = tmp_path / "cache"
    run(project, cache)
    write(project, {"shop/util.py": FILES["shop/util.py"] + "\n\ndef shout(text):\n    return text.upper()\n"})
    warm, served = run(project, cache)
    fresh, _ = run(project, None)
    assert summary(warm) == summary(fresh)
    assert "shop/util.py" not in served
    assert {"shop/db.py", "shop/reports.py", "shop/views.py"} <= set(served)


def test_a_new_and_a_removed_file(project, tmp_path):
    cache = tmp_path / "cache"
    run(project, cache)
    write(project, {"shop/jobs.py": "from shop.db import SessionLocal\n\n\ndef job():\n    s = SessionLocal()\n    s.commit()\n"})
    warm, _ = run(project, cache)
    fresh, _ = run(project, None)
    assert summary(warm) == summary(fresh)
    assert ("shop/jobs.py", "PC401") in {(f.path.as_posix(), f.code) for f in warm.findings}
    (project / "shop" / "db.py").unlink()
    warm, _ = run(project, cache)
    fresh, _ = run(project, None)
    assert summary(warm) == summary(fresh)


def test_configuration_is_part_of_the_key(project, tmp_path):
    cache = tmp_path / "cache"
    run(project, cache)
    write(project, {"pyproject.toml": FILES["pyproject.toml"] + "\n[tool.poolcheck]\nignore = ['PC102']\n"})
    warm, served = run(project, cache)
    assert served == []
    assert "PC102" not in {f.code for f in warm.findings}


def test_a_damaged_cache_is_ignored(project, tmp_path):
    cache = tmp_path / "cache"
    cold, _ = run(project, cache)
    for path in (cache / "v1").glob("*.json"):
        path.write_text("{not json", encoding="utf-8")
    warm, served = run(project, cache)
    assert served == [] and summary(warm) == summary(cold)
    run(project, cache)
    for damage in ([[10**6]], [[-1]], [[0.5]], [[True]], [["0"]], [[0, None]]):  # not indices into the table
        for path in (cache / "v1").glob("results-*.json"):
            data = json.loads(path.read_text())
            data["groups"] = damage
            path.write_text(json.dumps(data), encoding="utf-8")
        warm, served = run(project, cache)
        assert served == [] and summary(warm) == summary(cold), damage


def test_findings_survive_json(project, tmp_path):
    cold, _ = run(project, None)
    assert cold.findings
    for finding in cold.findings:
        assert finding_from_json(json.loads(json.dumps(finding_to_json(finding)))) == finding


@pytest.mark.parametrize("bulk_minimum", [None, 1], ids=["tree searched here", "tree searched by workers"])
def test_parallel_runs_report_what_serial_runs_report(tmp_path, monkeypatch, bulk_minimum):
    """Many files, checked by two worker processes: the same findings in the same order,
    and the same warnings, as one process; also when the tree's files were searched for
    tokens by worker processes too (poolcheck.bulkscan; a run without a cache of at least
    BULK_MINIMUM files), whose scanner the checking workers inherit and must not use."""
    from poolcheck.bulkscan import BulkScanner

    answered, summaries = [], []
    if bulk_minimum is not None:
        monkeypatch.setattr("poolcheck.bulkscan.BULK_MINIMUM", bulk_minimum)
        searched = BulkScanner.scan

        def counted(self, names, tokens):
            found = searched(self, names, tokens)
            answered.append(found is not None)
            return found

        monkeypatch.setattr(BulkScanner, "scan", counted)
        summarized = BulkScanner.summarize

        def counted_summaries(self, datas, compute, meanwhile=None):
            found = summarized(self, datas, compute, meanwhile)
            summaries.append(found is not None)
            return found

        monkeypatch.setattr(BulkScanner, "summarize", counted_summaries)
    root = tmp_path / "many"
    files = dict(FILES)
    for number in range(12):
        files[f"shop/service_{number}.py"] = f"""
            from sqlalchemy import create_engine
            from shop.db import SessionLocal

            engine_{number} = create_engine("mysql+pymysql://u@h/db{number}", pool_size={number + 1}, max_overflow=-2)


            def handler_{number}():
                session = SessionLocal()
                return session.get(object, {number})
            """
    files["shop/broken.py"] = "from sqlalchemy import create_engine\ndef broken(:\n"
    write(root, files)
    serial, _ = run(root, None, jobs=1)
    parallel, _ = run(root, None, jobs=2, parallel_minimum=1)
    assert summary(parallel) == summary(serial)
    assert any(answered) == any(summaries) == (bulk_minimum is not None)  # (the name scan's files too)
    assert len(serial.findings) > 24
    assert parallel.warnings == serial.warnings
    # And what the parallel run cached serves a serial run, identical again.
    cache = tmp_path / "cache"
    run(root, cache, jobs=2, parallel_minimum=1)
    warm, served = run(root, cache, jobs=1)
    assert summary(warm) == summary(serial) and len(warm.cached_files) == len(serial.checked_files)


@pytest.mark.parametrize("unused_noqa", [False, True], ids=["default rules", "PC002 selected"])
def test_files_the_bulk_search_settled_are_not_read_again(tmp_path, monkeypatch, unused_noqa):
    """In a run without a cache whose tree the bulk scanner's processes searched, a file
    they found decoding and holding no token of any enabled rule (nor, with PC002 judging
    `# noqa` comments, `noqa`) is settled without this process reading it; a file that
    does not decode, or (with PC002) holds a `# noqa`, is read and reported as a serial run
    reports it."""
    import poolcheck.runner as runner_module

    root = tmp_path / "tree"
    config = '[tool.poolcheck]\nextend-select = ["PC002"]\n' if unused_noqa else ""
    files = {"pyproject.toml": config, "app/db.py": "from sqlalchemy import create_engine\nengine = create_engine('mysql://u@h/db')\n"}
    for number in range(30):
        files[f"app/plain_{number}.py"] = f"x = {number}\n"
    files["app/noqa.py"] = "x = 1  # noqa: PC101\n"
    write(root, files)
    (root / "app/latin.py").write_bytes("s = 'é'\n".encode("latin-1"))  # not UTF-8: PC001
    serial, _ = run(root, None, jobs=1)
    monkeypatch.setattr("poolcheck.bulkscan.BULK_MINIMUM", 1)
    read = []
    real_read = runner_module._read

    def counted(target):
        read.append(target.relative.as_posix())
        return real_read(target)

    monkeypatch.setattr(runner_module, "_read", counted)
    searched, _ = run(root, None, jobs=2)
    assert summary(searched) == summary(serial) and searched.warnings == serial.warnings
    reported = {(f.path.name, f.code) for f in serial.findings}
    assert ("latin.py", "PC001") in reported and (("noqa.py", "PC002") in reported) == unused_noqa
    # (db.py was read by a project fact, the lifecycle name scan, before its turn came.)
    assert "app/latin.py" in read and ("app/noqa.py" in read) == unused_noqa
    assert not any(name.startswith("app/plain_") for name in read)
    assert len(searched.checked_files) == len(serial.checked_files)


def test_the_workers_inherit_the_shared_facts_and_the_pruning_tokens(project, monkeypatch):
    """Before the checking processes fork, this process computes the pruning tokens and the
    facts the enabled rules share (the server settings: my.cnf's wait_timeout here), which
    each worker computed for itself before; the findings are a serial run's."""
    import multiprocessing

    from poolcheck.runner import Runner

    events = []
    prepare = Runner.prepare_shared_facts

    def recorded(self):
        prepare(self)
        for found in self.projects.values():
            events.append(("prepared", found._pruning is not None, "server-settings" in found._facts))

    pool = type(multiprocessing.get_context("fork")).Pool

    def forking(self, *args, **kwargs):
        events.append(("fork",))
        return pool(self, *args, **kwargs)

    monkeypatch.setattr(Runner, "prepare_shared_facts", recorded)
    monkeypatch.setattr(type(multiprocessing.get_context("fork")), "Pool", forking)
    serial, _ = run(project, None, jobs=1)
    assert events == []  # nothing forked, nothing prepared
    parallel, _ = run(project, None, jobs=2, parallel_minimum=1)
    assert events == [("prepared", True, True), ("fork",)]
    assert summary(parallel) == summary(serial) and any(f.code == "PC102" for f in serial.findings)


def test_a_shared_fact_that_fails_is_left_to_the_check(project):
    """A plugin's fact raising while the run prepares the workers' facts costs nothing more
    than that fact: the others are computed, and the rule's check meets the error itself."""
    from poolcheck.config import Settings
    from poolcheck.engine_checks import server_settings
    from poolcheck.registry import RuleSet
    from poolcheck.runner import Runner

    def broken(project):
        raise RuntimeError("a bug in a plugin's fact")

    class Plugin(load_rules().get("PC101")):
        shared_facts = (broken, server_settings)

    runner = Runner(Settings(), RuleSet((Plugin,)), {Plugin.code}, cwd=project, jobs=1)
    found = runner.project(project)
    runner.prepare_shared_facts()
    assert "server-settings" in found._facts


def test_a_run_that_cannot_fork_checks_every_file_here(project, monkeypatch):
    """No processes to be had (a limit on them): the run checks the files itself, with the
    same findings, rather than fail."""
    import multiprocessing

    serial, _ = run(project, None, jobs=1)

    def no_fork(self, *args, **kwargs):
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(type(multiprocessing.get_context("fork")), "Pool", no_fork)
    monkeypatch.setattr("poolcheck.bulkscan.BULK_MINIMUM", 1)
    refused, _ = run(project, None, jobs=2, parallel_minimum=1)
    assert summary(refused) == summary(serial) and serial.findings


def test_command_line_flags(project, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(project)
    assert main(["check", "--no-cache", "."]) == 1
    assert not (project / ".poolcheck_cache").exists()
    assert main(["check", "."]) == 1
    assert (project / ".poolcheck_cache" / ".gitignore").read_text().splitlines()[-1] == "*"
    elsewhere = tmp_path / "elsewhere"
    assert main(["check", "--cache-dir", str(elsewhere), "."]) == 1
    assert any(elsewhere.rglob("results-*.json"))
    capsys.readouterr()
    # The cache folder is never checked itself.
    assert main(["check", "--format", "json", "."]) == 1
    assert all(".poolcheck_cache" not in entry["filename"] for entry in json.loads(capsys.readouterr().out))


EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _mutated(text: str) -> str:
    """The same file saying something else: every integer scaled, True and False swapped."""
    import re

    text = re.sub(r"(?<![\w.])(\d+)(?![\w.])", lambda m: str(int(m.group(1)) * 3 + 7), text)
    return text.replace("True", "\0").replace("False", "True").replace("\0", "False")


@pytest.mark.parametrize(
    "name",
    sorted(
        str(p.relative_to(EXAMPLES))
        for p in EXAMPLES.rglob("*")
        if p.is_file() and ".poolcheck_cache" not in p.parts and p.suffix in (".py", ".cnf", ".yml", ".toml", ".txt")
    ),
)
def test_no_change_to_any_example_file_is_served_stale(name, tmp_path):
    """The example project exercises every rule family and most facts: whatever one of its
    files says differently, the cached run must report what a fresh run reports."""
    import shutil

    root = tmp_path / "examples"
    shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns(".poolcheck_cache"))
    cache = tmp_path / "cache"
    run(root, cache)
    path = root / name
    changed = _mutated(path.read_text(encoding="utf-8"))
    if changed == path.read_text(encoding="utf-8"):
        pytest.skip("nothing to change in this file")
    path.write_text(changed, encoding="utf-8")
    warm, _ = run(root, cache)
    fresh, _ = run(root, None)
    assert summary(warm) == summary(fresh)


IMPORTS_PROBE = """
import json, sys
from poolcheck.cli import main
code = main(sys.argv[2:])
print(json.dumps(sorted(m for m in json.loads(sys.argv[1]) if m in sys.modules)))
"""

# What a one-file run must not start with: the parser and SQLAlchemy (a tenth of a second
# each), and the standard library's modules that once cost a one-file run a fifth of its
# time (dataclasses, with inspect; hashlib, which starts OpenSSL; tokenize).
START_UP_WEIGHTS = ("dataclasses", "inspect", "hashlib", "tokenize")


def _imported(root: Path, *arguments: str, watched: Sequence[str] = ("libcst", "sqlalchemy"), probe: str = IMPORTS_PROBE) -> List[str]:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", probe, json.dumps(list(watched)), "check", *(arguments or (".",))],
        cwd=root, capture_output=True, text=True, timeout=300,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_nothing_heavy_is_imported_when_nothing_needs_it(project, tmp_path, monkeypatch):
    """libcst only when a file is parsed; SQLAlchemy only for a question the saved table
    of the installed version cannot answer (kept per installation: --no-cache uses it too)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))  # no table yet
    assert _imported(project) == ["libcst", "sqlalchemy"]  # cold: everything is worked out
    assert _imported(project) == []  # every result from the cache
    # A changed file is parsed again, but asks SQLAlchemy nothing new: the table answers.
    write(project, {"shop/reports.py": FILES["shop/reports.py"] + "\nOTHER = 1\n"})
    assert _imported(project) == ["libcst"]
    assert _imported(project, "--no-cache", ".") == ["libcst"]
    monkeypatch.setenv("POOLCHECK_SQLALCHEMY_TABLE", "0")
    assert _imported(project, "--no-cache", ".") == ["libcst", "sqlalchemy"]
    monkeypatch.delenv("POOLCHECK_SQLALCHEMY_TABLE")
    # One file no rule wants: nothing is parsed, with or without the cache.
    assert _imported(project, "shop/util.py") == []
    assert _imported(project, "--no-cache", "shop/util.py") == []


def test_the_parser_is_imported_ahead_only_for_a_file_a_check_parses(project):
    """In a tree searched by the bulk scanner's processes (a run without a cache), they
    parse the name scan's files while this process imports libcst, but only when one of
    those files is checked: a one-file run of a file no rule wants imports no parser."""
    probe = IMPORTS_PROBE.replace("from poolcheck.cli import main", "import poolcheck.bulkscan\npoolcheck.bulkscan.BULK_MINIMUM = 1\nfrom poolcheck.cli import main")
    assert _imported(project, "--no-cache", "shop/util.py", probe=probe) == []
    assert _imported(project, "--no-cache", "shop/db.py", probe=probe) == ["libcst"]


def test_a_one_file_run_starts_light(project, tmp_path, monkeypatch):
    """The pre-commit and editor case, a just-edited file no rule wants, with the cache:
    none of the start-up weights is imported (each was, before)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    watched = ("libcst", "sqlalchemy") + START_UP_WEIGHTS
    _imported(project, watched=watched)  # the cache learns the project
    write(project, {"shop/util.py": (project / "shop" / "util.py").read_text() + "\nOTHER = 1\n"})
    assert _imported(project, "shop/util.py", watched=watched) == []


def test_flask_style_settings_without_flask_sqlalchemy_need_no_parser(tmp_path):
    """A settings module with Flask-SQLAlchemy-style keys in a project that never imports
    flask_sqlalchemy: the Flask rules' prefilter asks the project fact, which says so
    without importing libcst (a cold run's main process, which parses nothing itself, once
    imported it for this)."""
    write(tmp_path, {"pyproject.toml": "", "app/settings.py": "SQLALCHEMY_POOL_SIZE = 5\nSQLALCHEMY_DATABASE_URI = 'sqlite://'\n"})
    assert _imported(tmp_path, "--no-cache", ".") == []
    write(tmp_path, {"app/__init__.py": "from flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy()\n"})
    assert "libcst" in _imported(tmp_path, "--no-cache", ".")  # now the configuration is read


def test_a_file_changed_behind_its_modification_time_is_read_again(project, tmp_path, monkeypatch):
    """Unchanged files are known by their status (size, times, inode) without being read;
    content changed under the same size and a restored modification time still changes the
    change time, and is read again."""
    from poolcheck.cache import FileStamps

    monkeypatch.setattr(FileStamps, "_RACY_NS", 0)  # trust stamps at once (no 2 s wait)
    cache = tmp_path / "cache"
    first, _ = run(project, cache)
    reports = project / "shop" / "reports.py"
    info = reports.stat()
    text = reports.read_text()
    same_size = text.replace("mysql+pymysql://report@replica/shop", "sqlite:///report-replica.db")
    same_size = same_size.ljust(len(text))[: len(text)] if len(same_size) <= len(text) else same_size
    assert len(same_size) == len(text)
    reports.write_text(same_size)
    os.utime(reports, ns=(info.st_atime_ns, info.st_mtime_ns))
    warm, served = run(project, cache)
    fresh, _ = run(project, None)
    assert summary(warm) == summary(fresh) != summary(first)
    assert "shop/reports.py" not in served


# A factory in db.py, a leak of its session in jobs.py (which names nothing of SQLAlchemy).
LEAKS = {
    "pyproject.toml": "[tool.poolcheck]\n",
    "app/__init__.py": "",
    "app/db.py": "from sqlalchemy import create_engine\nfrom sqlalchemy.orm import sessionmaker\nMaker = sessionmaker(bind=create_engine('sqlite://'))\n",
    "app/jobs.py": """
        from app.db import Maker


        def run():
            session = Maker()
            return session.execute("SELECT 1")
        """,
    "app/util.py": "def slug(text):\n    return text.lower()\n",
}


def test_a_file_that_names_nothing_is_checked_again_when_a_name_it_uses_becomes_a_factory(tmp_path):
    """The prefilter's one look at a file that holds no token (fixed or project-defined)
    depends on the project's names: making `Maker` a session factory in db.py must bring
    the leak in jobs.py, which names nothing of SQLAlchemy, out of the cache."""
    root = tmp_path / "project"
    write(root, {**LEAKS, "app/db.py": "Maker = dict\n"})
    cache = tmp_path / "cache"
    first, _ = run(root, cache)
    assert [f.code for f in first.findings] == []
    write(root, {"app/db.py": LEAKS["app/db.py"]})
    second, served = run(root, cache)
    assert [(f.path.as_posix(), f.code) for f in second.findings] == [("app/jobs.py", "PC401")]
    assert "app/jobs.py" not in served


def _run_files(root: Path, cache_dir: Optional[Path], *names: str):
    """A run over some files of ``root`` only: its findings as (path, line, code)."""
    result, _ = run(root, cache_dir, names=names)
    return [(f.path.as_posix(), f.line, f.code) for f in result.findings]


def _counting_scans(monkeypatch) -> List[int]:
    """Count the lifecycle name scan's computations (the persisted project fact)."""
    from poolcheck.lifecycle import tokens

    calls: List[int] = []
    original = tokens._scan

    def counted(project):
        calls.append(1)
        return original(project)

    monkeypatch.setattr(tokens, "_scan", counted)
    return calls


def test_the_project_name_scan_is_kept_across_runs_and_never_served_stale(tmp_path, monkeypatch):
    """The lifecycle rules' project-wide name scan is a persisted fact: a one-file run after
    an edit that changes nothing the scan read takes it from the cache (no scan); a new
    file defining a factory, or a changed factory module, makes it computed again, and the
    findings are those of a run without a cache."""
    from poolcheck.cache import FileStamps

    monkeypatch.setattr(FileStamps, "_RACY_NS", 0)  # trust stamps at once (no 2 s wait)
    root = tmp_path / "project"
    write(root, LEAKS)
    cache = tmp_path / "cache"
    scans = _counting_scans(monkeypatch)
    assert _run_files(root, cache, ".") == [("app/jobs.py", 5, "PC401")]
    assert len(scans) == 1
    # An edit the scan did not read: the scan comes from the cache.
    write(root, {"app/util.py": "def slug(text):\n    return text.upper()\n"})
    assert _run_files(root, cache, "app/util.py") == []
    assert len(scans) == 1
    # A new module defining a factory, and a file using it edited: scanned again, found.
    write(root, {"app/other.py": "from sqlalchemy.orm import sessionmaker\nOther = sessionmaker()\n"})
    write(root, {"app/util.py": "from app.other import Other\n\n\ndef slug(text):\n    s = Other()\n    return s.execute(text)\n"})
    expected = [("app/util.py", 5, "PC401")]
    assert _run_files(root, None, "app/util.py") == expected
    scans.clear()
    assert _run_files(root, cache, "app/util.py") == expected
    assert len(scans) == 1
    # The factory module changed: `Other` is no longer a factory.
    write(root, {"app/other.py": "Other = dict\n"})
    assert _run_files(root, cache, "app/util.py") == _run_files(root, None, "app/util.py") == []


def test_a_damaged_persisted_fact_is_computed_again(tmp_path, monkeypatch):
    root = tmp_path / "project"
    write(root, LEAKS)
    cache = tmp_path / "cache"
    expected = _run_files(root, cache, ".")
    [results] = (cache / "v1").glob("results-*.json")
    data = json.loads(results.read_text())
    assert list(data["facts"]) == ["lifecycle-project-names-1"]
    data["facts"]["lifecycle-project-names-1"]["value"] = {"factories": 7}
    data["entries"].pop("app/jobs.py")  # so that the fact is asked for
    results.write_text(json.dumps(data))
    scans = _counting_scans(monkeypatch)
    assert _run_files(root, cache, "app/jobs.py") == expected
    assert len(scans) == 1


def test_a_fact_computed_with_an_editor_buffer_is_not_served_to_a_run_from_disk(tmp_path, monkeypatch, capsys):
    """An editor's unsaved buffer of db.py making `Other` a factory: the name scan computed
    with it is kept (its dependencies hold the buffer's digest), and a later run from disk,
    where db.py says otherwise, computes it again: no leak is reported in util.py."""
    import io
    import sys

    from poolcheck.cache import FileStamps

    monkeypatch.setattr(FileStamps, "_RACY_NS", 0)
    root = tmp_path / "project"
    write(root, {**LEAKS, "app/util.py": "from app.db import Other\n\n\ndef slug(text):\n    s = Other()\n    return s.execute(text)\n"})
    monkeypatch.chdir(root)
    cache = str(tmp_path / "cache")
    assert main(["check", "--cache-dir", cache, "--no-color", "."]) == 1  # jobs.py's leak only
    buffer = LEAKS["app/db.py"] + "Other = sessionmaker()\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(buffer.encode())))
    main(["check", "--cache-dir", cache, "--no-color", "--stdin-filename", "app/db.py", "-"])
    capsys.readouterr()
    # util.py edited on disk (so that its stored result is not served): the names it may
    # call are asked for again.
    (root / "app/util.py").write_text((root / "app/util.py").read_text() + "# edited\n")
    scans = _counting_scans(monkeypatch)
    main(["check", "--cache-dir", cache, "--no-color", "--format", "concise", "app/util.py", "app/jobs.py"])
    out = capsys.readouterr().out
    assert "app/jobs.py:5" in out and "app/util.py" not in out
    assert len(scans) == 1  # the buffer's answer was kept, and judged stale here


def test_an_editor_session_judges_the_kept_name_scan_again_for_every_buffer(tmp_path, monkeypatch):
    """A language server checks buffer after buffer with one cache: the kept name scan must
    be judged against the project as it is at each check, not once for the session. After
    db.py is saved with a new factory `Other`, a buffer of util.py (which names nothing of
    SQLAlchemy) leaking an `Other()` session is reported."""
    from poolcheck.cache import FileStamps
    from poolcheck.session import Session

    monkeypatch.setattr(FileStamps, "_RACY_NS", 0)
    monkeypatch.setenv("POOLCHECK_CACHE_DIR", str(tmp_path / "cache"))
    root = tmp_path / "project"
    write(root, LEAKS)
    assert _run_files(root, tmp_path / "cache", ".") == [("app/jobs.py", 5, "PC401")]
    util = root / "app" / "util.py"
    buffer = b"from app.db import Other\n\n\ndef slug(text):\n    s = Other()\n    return s.execute(text)\n"
    assert [f.code for f in Session(cwd=root).check(util, buffer).findings] == []  # no factory Other yet
    session = Session(cwd=root)  # a new session: the scan kept by the first one is served
    scans = _counting_scans(monkeypatch)
    assert [f.code for f in session.check(util, buffer).findings] == []
    assert scans == []
    write(root, {"app/db.py": LEAKS["app/db.py"] + "Other = sessionmaker()\n"})
    assert [(f.code, f.line) for f in session.check(util, buffer).findings] == [("PC401", 5)]


def test_the_results_file_keeps_what_it_read_and_does_not_grow_without_bound(tmp_path):
    """Saving appends new dependencies and groups to the tables it read (the entries of
    files a run did not check are written back as read), and compacts the tables once
    most groups are unused: eighty edits of a module others depend on leave the results
    file small, and every run reports what a run without a cache reports."""
    root = tmp_path / "project"
    write(root, LEAKS)
    cache = tmp_path / "cache"
    for number in range(80):
        write(root, {"app/db.py": LEAKS["app/db.py"] + f"# edit {number}\n"})
        if number % 2:
            assert _run_files(root, cache, "app/db.py", "app/jobs.py") == _run_files(root, None, "app/db.py", "app/jobs.py")
        else:
            warm, _ = run(root, cache)
            fresh, _ = run(root, None)
            assert summary(warm) == summary(fresh)
    [results] = (cache / "v1").glob("results-*.json")
    data = json.loads(results.read_text())
    assert len(data["groups"]) <= 64 + 8, len(data["groups"])
    used = {e["group"] for e in data["entries"].values()} | {f["group"] for f in data["facts"].values()}
    assert used <= set(range(len(data["groups"])))
    assert all(0 <= i < len(data["dependencies"]) for group in data["groups"] for i in group)
    # After a whole run, the next one is served every file that needed a parse (the two
    # that no rule wants are found again without one: see the next test).
    run(root, cache)
    _, served = run(root, cache)
    assert {"app/db.py", "app/jobs.py"} <= set(served)


def _cache_files(cache: Path) -> Dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted((cache / "v1").glob("*.json"))}


def test_a_few_outcomes_found_without_a_parse_are_not_worth_rewriting_the_cache(project, tmp_path):
    """A one-file run on a file just edited that no rule wants (the pre-commit and editor
    common case) writes no cache file: rewriting every file's entry cost more than finding
    the outcome again. The next runs still report what a run without a cache reports; an
    edit that needs a parse, or many cheap ones, is written."""
    cache = tmp_path / "cache"
    run(project, cache)
    before = _cache_files(cache)
    for number in range(3):
        write(project, {"shop/util.py": FILES["shop/util.py"] + f"# edit {number}\n"})
        assert summary(run(project, cache, names=["shop/util.py"])[0]) == []
        assert _cache_files(cache) == before
        warm, served = run(project, cache)
        assert summary(warm) == summary(run(project, None)[0])
        assert "shop/util.py" not in served and "shop/views.py" in served
        assert _cache_files(cache) == before
    # A file some rule parses is kept at once.
    write(project, {"shop/views.py": FILES["shop/views.py"] + "# edit\n"})
    run(project, cache, names=["shop/views.py"])
    assert _cache_files(cache) != before
    _, served = run(project, cache, names=["shop/views.py"])
    assert served == ["shop/views.py"]
    # Many cheap outcomes are written too.
    before = _cache_files(cache)
    write(project, {f"shop/plain_{number}.py": f"VALUE = {number}\n" for number in range(12)})
    run(project, cache)
    assert _cache_files(cache) != before
    _, served = run(project, cache)
    assert {f"shop/plain_{number}.py" for number in range(12)} <= set(served)
