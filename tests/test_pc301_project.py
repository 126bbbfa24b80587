"""PC301 across a project (one file checked alone reports what a full run reports there), and
job stores as engine sites for the PC1xx checks."""

from __future__ import annotations

import textwrap
from pathlib import Path, PurePosixPath

import pytest

from poolcheck.config import load_settings
from poolcheck.context import FileContext
from poolcheck.discovery import Target
from poolcheck.registry import load_rules
from poolcheck.runner import RunOptions, Runner
from poolcheck.selection import Selection
from poolcheck.source import read_source
from poolcheck.syntax import ParsedFile, module_name_for, parse_module

RULES = load_rules()
MYSQL = "mysql+pymysql://app:secret@db/app"

PROJECT = {
    "pyproject.toml": "[tool.poolcheck]\n",
    "app/__init__.py": "",
    "app/settings.py": f"""
        import os

        DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql+psycopg2://app@db/app")

        JOBSTORES = {{
            "default": {{"type": "sqlalchemy", "url": DATABASE_URL}},
            "reports": {{"type": "sqlalchemy", "url": "{MYSQL}", "engine_options": {{"pool_size": 2}}}},
            "cache": {{"type": "sqlalchemy", "url": "sqlite:///jobs.sqlite"}},
        }}

        GCONFIG = {{
            "sched.jobstores.audit.type": "sqlalchemy",
            "sched.jobstores.audit.url": "{MYSQL}",
        }}
    """,
    "app/config.py": """
        from app.settings import DATABASE_URL


        class Config:
            SQLALCHEMY_DATABASE_URI = DATABASE_URL
            SCHEDULER_JOBSTORES = {"default": {"type": "sqlalchemy", "url": SQLALCHEMY_DATABASE_URI}}


        class TestConfig(Config):
            SCHEDULER_JOBSTORES = {"default": {"type": "memory"}}
    """,
    "app/db.py": """
        from sqlalchemy import create_engine

        from app.settings import DATABASE_URL

        engine = create_engine(DATABASE_URL, pool_size=20, pool_recycle=1800)
    """,
    "app/extensions.py": """
        from flask_apscheduler import APScheduler
        from flask_sqlalchemy import SQLAlchemy

        db = SQLAlchemy()
        scheduler = APScheduler()
    """,
    "app/scheduler.py": """
        from apscheduler.schedulers.background import BackgroundScheduler

        from app import settings

        scheduler = BackgroundScheduler(jobstores=settings.JOBSTORES)
        audit = BackgroundScheduler()
        audit.configure(settings.GCONFIG, prefix="sched.")
    """,
}


def write_project(root: Path, files) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def run(root: Path, paths, codes=("ALL",)):
    settings = load_settings(root / "pyproject.toml")
    enabled = Selection(tuple(codes)).enabled_codes(RULES)
    result = Runner(settings, RULES, enabled, cwd=root).run(RunOptions(paths=[root / p for p in paths]))
    assert not result.errors, result.errors
    return result.findings


def summary(findings):
    return sorted((f.path.as_posix(), f.line, f.column, f.code, f.message) for f in findings)


def test_a_file_checked_alone_reports_what_the_full_run_reports(tmp_path):
    write_project(tmp_path, PROJECT)
    full = summary(run(tmp_path, ["."]))
    assert [(path, line, code) for path, line, _, code, _ in full] == [
        ("app/config.py", 6, "PC301"),  # Flask-APScheduler on Flask-SQLAlchemy's database
        ("app/settings.py", 6, "PC301"),  # the engine's database, through a scheduler elsewhere
        ("app/settings.py", 7, "PC301"),  # MySQL, consumed by app/scheduler.py
        ("app/settings.py", 13, "PC301"),  # flat keys under a custom prefix
    ]
    by_file = {}
    for finding in full:
        by_file.setdefault(finding[0], []).append(finding)
    for relative in ("app/settings.py", "app/config.py", "app/scheduler.py", "app/db.py", "app/extensions.py"):
        alone = summary(run(tmp_path, [relative]))
        assert alone == by_file.get(relative, []), relative


def test_the_messages_name_the_shared_origin_and_the_engine(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # related places are shown relative to the working directory
    write_project(tmp_path, PROJECT)
    findings = {(f.path.as_posix(), f.line): f for f in run(tmp_path, ["."], codes=("PC301",))}
    default = findings[("app/settings.py", 6)]
    assert "the engine `engine` (app/db.py:5; both read the environment variable `DATABASE_URL`)" in default.message
    assert "pass `engine=engine` (`scheduler.shutdown()` then disposes its pool)" in default.message
    assert [str(r.location) for r in default.related] == ["app/db.py:5", "app/config.py:5"]
    reports = findings[("app/settings.py", 7)]
    assert reports.message.startswith("Job store 'reports' (a `sqlalchemy` job store mapping) builds its own engine from `mysql+pymysql://app:***@db/app`")
    assert "in its `engine_options`" in reports.message and "(2006, 'MySQL server has gone away')" in reports.message
    assert "secret" not in reports.message
    audit = findings[("app/settings.py", 13)]
    assert "Job store 'audit' (`sched.jobstores.audit.*` keys)" in audit.message


def test_a_noqa_on_the_mapping_suppresses(tmp_path):
    files = dict(PROJECT)
    files["app/settings.py"] = PROJECT["app/settings.py"].replace(
        '"reports": {"type"', '"reports": {  # noqa: PC301\n            "type"'
    )
    write_project(tmp_path, files)
    lines = [f.line for f in run(tmp_path, ["app/settings.py"], codes=("PC301",))]
    assert 7 not in lines and len(lines) == 2


# --- job stores as engine sites --------------------------------------------------------------------


def engine_sites_of(tmp_path, code: str, name: str = "jobs.py"):
    write_project(tmp_path, {"pyproject.toml": "", name: code})
    runner = Runner(load_settings(tmp_path / "pyproject.toml"), RULES, frozenset(RULES.codes), cwd=tmp_path)
    project = runner.project(tmp_path.resolve())
    relative = PurePosixPath(name)
    source = read_source(tmp_path / name)
    parsed = ParsedFile(source, parse_module(source), relative, *module_name_for(relative))
    project.adopt(parsed)
    target = Target(Path(name), tmp_path / name, tmp_path.resolve(), relative, explicit=True)
    return FileContext(target=target, project=project, source=source, parsed=parsed).engine_sites()


def test_a_store_built_from_a_url_is_an_engine_site_with_its_engine_options(tmp_path):
    code = (
        "from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore\n\n"
        f"store = SQLAlchemyJobStore(url='{MYSQL}', engine_options={{'pool_recyle': 3600, 'pool_size': 5}})\n"
    )
    [site] = engine_sites_of(tmp_path, code)
    assert site.kind == "apscheduler-jobstore" and site.label == "SQLAlchemyJobStore"
    assert site.url.value == MYSQL and site.complete
    assert list(site.options) == ["pool_recyle", "pool_size"]
    assert site.file.span(site.options["pool_recyle"].key_node).start.line == 3
    assert site.liveness_reported_by == "PC301"


def test_flat_engine_options_become_site_options(tmp_path):
    code = (
        "from apscheduler.schedulers.background import BackgroundScheduler\n\n"
        "scheduler = BackgroundScheduler({\n"
        "    'apscheduler.jobstores.default.type': 'sqlalchemy',\n"
        f"    'apscheduler.jobstores.default.url': '{MYSQL}',\n"
        "    'apscheduler.jobstores.default.engine_options.pool_recycle': '3600',\n"
        "})\n"
    )
    [site] = engine_sites_of(tmp_path, code)
    option = site.options["pool_recycle"]
    assert option.value.value == "3600", "flat values are not coerced: a string reaches create_engine"
    assert site.file.span(option.key_node).start.line == 6
    assert site.liveness_reported_by is None and not site.coerces_strings


@pytest.mark.parametrize(
    "code",
    [
        "store = SQLAlchemyJobStore(engine=engine, engine_options={'pool_recyle': 1})\n",  # options ignored
        "store = SQLAlchemyJobStore(url='sqlite:///j.db', **load_options())\n",  # engine= may be in them
        "store = SQLAlchemyDataStore(engine)\n",  # APScheduler 4 given an engine
    ],
)
def test_no_engine_site_without_a_url_built_engine(tmp_path, code):
    imports = (
        "from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore\n"
        "from apscheduler.datastores.sqlalchemy import SQLAlchemyDataStore\n"
        "from sqlalchemy import create_engine\n\nengine = create_engine('sqlite://')\nextra = {}\n"
    )
    sites = engine_sites_of(tmp_path, imports + code)
    assert [site.kind for site in sites] == ["create_engine"]


def test_pc101_leaves_a_reported_store_to_pc301_and_judges_explicit_options(tmp_path):
    write_project(
        tmp_path,
        {
            "pyproject.toml": "",
            # No create_engine in the file: the engine checks still look at it.
            "jobs.py": (
                "from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore\n\n"
                f"plain = SQLAlchemyJobStore(url='{MYSQL}')\n"
                f"switched_off = SQLAlchemyJobStore(url='{MYSQL}', engine_options={{'pool_pre_ping': False}})\n"
            ),
        },
    )
    found = sorted((f.line, f.code) for f in run(tmp_path, ["jobs.py"]))
    assert found == [(3, "PC301"), (4, "PC101")]


def test_a_registered_consumer_source_feeds_pc301(tmp_path, monkeypatch):
    """How the Flask configuration model plugs in: it yields the SCHEDULER_JOBSTORES values
    it resolves (here: a made-up `JOBS_CONFIG` key) and PC301 judges the stores in them."""
    import libcst as cst

    from poolcheck.jobstores import find
    from poolcheck.values import Where

    def jobs_config(file, evaluator):
        found = []
        for statement in file.module.body:
            if isinstance(statement, cst.SimpleStatementLine) and isinstance(statement.body[0], cst.Assign):
                assign = statement.body[0]
                if isinstance(assign.targets[0].target, cst.Name) and assign.targets[0].target.value == "JOBS_CONFIG":
                    found.append(find.Consumer("flask", assign.value, Where.module_level(file)))
        return found

    monkeypatch.setattr(find, "CONSUMER_SOURCES", list(find.CONSUMER_SOURCES))
    monkeypatch.setattr(find, "CONSUMER_TOKENS", list(find.CONSUMER_TOKENS))
    write_project(
        tmp_path,
        {
            "pyproject.toml": "",
            "stores.py": f"STORES = {{'default': {{'type': 'sqlalchemy', 'url': '{MYSQL}'}}}}\n",
            "conf.py": "from stores import STORES\n\nJOBS_CONFIG = STORES\n",
        },
    )
    assert run(tmp_path, ["stores.py"], codes=("PC301",)) == []
    find.register_consumer_source(jobs_config, tokens=(b"JOBS_CONFIG",))
    # Reported where the mapping is written, found through the other file's consumer.
    assert [f.line for f in run(tmp_path, ["stores.py"], codes=("PC301",))] == [1]


def test_the_servers_wait_timeout_from_the_project_is_quoted_and_pointed_at(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_project(
        tmp_path,
        {
            "pyproject.toml": "",
            "deploy/my.cnf": "[mysqld]\nwait_timeout = 600\n",
            "jobs.py": f"from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore\n\nstore = SQLAlchemyJobStore(url='{MYSQL}')\n",
        },
    )
    [finding] = run(tmp_path, ["jobs.py"], codes=("PC301",))
    assert "after wait_timeout = 600 (deploy/my.cnf:2)" in finding.message
    assert [str(r.location) for r in finding.related] == ["deploy/my.cnf:2"]


def test_a_project_that_names_no_store_is_not_searched_for_consumers(tmp_path, monkeypatch):
    """Every job store needs a word somewhere in the project (`apscheduler`, `jobstores`,
    `add_jobstore`, SCHEDULER_JOBSTORES, the store classes): a project whose files say only
    "sqlalchemy" and call `.configure(` (an ORM's own code) has no file scanned for
    schedulers; once one file says `jobstores`, the same files are scanned and the store is
    found."""
    from poolcheck.jobstores import find

    scanned = []
    real_scan = find.scan_file

    def counted(file, evaluator):
        scanned.append(file.relative.as_posix())
        return real_scan(file, evaluator)

    monkeypatch.setattr(find, "scan_file", counted)
    monkeypatch.setattr("poolcheck.jobstores.in_project.scan_file", counted)
    files = {
        "pyproject.toml": "",
        "stores.py": f"STORES = {{'default': {{'type': 'sqlalchemy', 'url': '{MYSQL}'}}}}\n",
        "orm.py": "from stores import STORES\n\n\ndef setup(registry):\n    registry.configure(STORES)\n",
    }
    for number in range(5):
        files[f"mapper_{number}.py"] = f"def configure_{number}(mapper):\n    mapper.configure(eager=True)\n"
    write_project(tmp_path, files)
    assert run(tmp_path, ["."]) == [] and scanned == []
    (tmp_path / "orm.py").write_text("from stores import STORES\n\n\ndef setup(scheduler):\n    scheduler.configure(jobstores=STORES)\n")
    assert [(f.path.name, f.code) for f in run(tmp_path, ["."], codes=("PC301",))] == [("stores.py", "PC301")]
    assert "orm.py" in scanned and "mapper_0.py" in scanned
