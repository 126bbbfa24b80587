"""PC1xx behaviour the rules' own examples do not pin down: fixes, version-dependent pool
limits, sites from other sources, cross-file registrations, and the cost of unknown URLs."""

from __future__ import annotations

from textwrap import dedent

import pytest

from poolcheck.fixes import apply_fixes
from poolcheck.rule import Example
from poolcheck.source import read_source
from poolcheck.sqla import installed_knowledge
from poolcheck.testing import check_example


def run(code: str, rule: str, files=None, settings=None, path="app.py"):
    example = Example(dedent(code).lstrip("\n"), path=path, files=files or {}, settings=settings or {})
    return [f for f in check_example(example, ["ALL"]) if f.code == rule]


def fixed(tmp_path, code: str, rule: str, unsafe: bool) -> str:
    code = dedent(code).lstrip("\n")
    target = tmp_path / "app.py"
    target.write_text(code, encoding="utf-8")
    text, _ = apply_fixes(read_source(target), run(code, rule), unsafe=unsafe)
    return text


# --- fixes ------------------------------------------------------------------------------------


def test_pc104_renames_a_typo_only_with_unsafe_fixes(tmp_path):
    code = 'from sqlalchemy import create_engine\n\nengine = create_engine("mysql+pymysql://a@h/db", pool_recyle=300, pre_ping=True)\n'
    assert fixed(tmp_path, code, "PC104", unsafe=False) == code
    assert fixed(tmp_path, code, "PC104", unsafe=True) == code.replace("pool_recyle", "pool_recycle").replace(" pre_ping", " pool_pre_ping")


def test_pc104_renames_an_engine_from_config_key_keeping_its_prefix(tmp_path):
    code = """
        from sqlalchemy import engine_from_config

        engine = engine_from_config({"db.url": "mysql+pymysql://app@db/app", "db.poolsize": "5"}, prefix="db.")
    """
    assert '"db.pool_size": "5"' in fixed(tmp_path, code, "PC104", unsafe=True)


def test_pc104_offers_no_rename_when_the_right_keyword_is_already_there():
    (finding,) = run('from sqlalchemy import create_engine\n\ne = create_engine("sqlite:///a.db", pool_size=5, poolsize=5)\n', "PC104")
    assert finding.fix is None


def test_pc105_fixes_a_number_string_safely_and_a_boolean_string_unsafely(tmp_path):
    code = 'from sqlalchemy import create_engine\n\nengine = create_engine("mysql+pymysql://a@h/db", pool_size="20", pool_pre_ping="false")\n'
    assert fixed(tmp_path, code, "PC105", unsafe=False) == code.replace('"20"', "20")
    assert fixed(tmp_path, code, "PC105", unsafe=True) == code.replace('"20"', "20").replace('"false"', "False")


# --- PC106: what the installed SQLAlchemy says a pool's limit is -------------------------------


def test_pc106_pool_size_zero_follows_the_installed_sqlalchemy():
    code = 'from sqlalchemy import create_engine\n\nengine = create_engine("mysql+pymysql://a@h/db", pool_size=0, max_overflow=10, pool_pre_ping=True)\n'
    findings = run(code, "PC106", settings={"database": {"max-connections": 15}})
    unbounded = installed_knowledge().pool_checkout_limit("QueuePool", 0, 10) == -1  # 2.x; 1.4 allows 10
    assert bool(findings) == unbounded
    if unbounded:
        assert "`pool_size=0` on SQLAlchemy" in findings[0].message


def test_pc106_uses_the_largest_worker_count_the_project_states():
    code = 'from sqlalchemy import create_engine\n\nengine = create_engine("mysql+pymysql://a@h/db", pool_size=10, max_overflow=0, pool_pre_ping=True)\n'
    files = {"Procfile": "web: gunicorn -w 4 app:app\n", "gunicorn.conf.py": "workers = 16\n"}
    (finding,) = run(code, "PC106", files=files)
    assert "× 16 workers (gunicorn.conf.py:1) = 160" in finding.message
    assert {str(r.location).rsplit("/", 1)[-1] for r in finding.related} == {"gunicorn.conf.py:1"}


# --- sites from other sources (Flask-SQLAlchemy, APScheduler) ----------------------------------


@pytest.fixture
def implicit_recycle_source(monkeypatch):
    """A site source like Flask-SQLAlchemy's: a mysql URI with the pool_recycle=7200 the
    extension adds by itself (no key node: it is not written anywhere)."""
    from poolcheck import engines
    from poolcheck.values import Known

    def source(file_ctx):
        module = file_ctx.parsed.module
        if b"SQLALCHEMY_DATABASE_URI" not in file_ctx.source.text.encode():
            return []
        option = engines.EngineOption(
            "pool_recycle", Known(7200), None, None, implicit="Flask-SQLAlchemy adds pool_recycle=7200 to mysql URIs"
        )
        statement = module.body[0]
        return [engines.EngineSite(
            kind="flask_sqlalchemy", label="SQLALCHEMY_ENGINE_OPTIONS", file=file_ctx.parsed, node=statement,
            url=Known("mysql+pymysql://app@db/app"), url_node=None, options={"pool_recycle": option}, complete=True,
        )]  # fmt: skip

    monkeypatch.setattr(engines, "SITE_SOURCES", [source])
    return source


def test_pc102_reports_an_implicit_recycle_at_the_site(implicit_recycle_source):
    code = 'SQLALCHEMY_DATABASE_URI = "mysql+pymysql://app@db/app"  # create_engine\n'
    (finding,) = run(code, "PC102", files={"my.cnf": "[mysqld]\nwait_timeout = 3600\n"})
    assert finding.line == 1
    assert finding.message.startswith("The implicit `pool_recycle=7200` (Flask-SQLAlchemy adds pool_recycle=7200 to mysql URIs) is not below")
    assert finding.fix is None  # not a call to add a keyword to
    assert run(code, "PC102", files={"my.cnf": "[mysqld]\nwait_timeout = 28800\n"}) == []
    assert run(code, "PC105") == [] and run(code, "PC104") == []


# --- PC104 with an unknown URL stays cheap ----------------------------------------------------


def test_pc104_loads_every_dialect_only_for_a_near_miss(monkeypatch):
    from poolcheck import engine_arguments
    from poolcheck.sqla import Knowledge

    fresh = Knowledge()
    monkeypatch.setattr(engine_arguments, "_knowledge", lambda: fresh)
    clean = "import os\nfrom sqlalchemy import create_engine\n\ne = create_engine(os.environ['URL'], pool_size=5, credentials_path='x')\n"
    assert run(clean, "PC104") == []
    assert "kwargs_accepted_by_any_dialect" not in fresh._answers
    assert len(run(clean.replace("pool_size", "pool_sise"), "PC104")) == 1
    assert "kwargs_accepted_by_any_dialect" in fresh._answers


# --- PC108: registrations in other files, loops ---------------------------------------------------


def test_pc108_sees_a_job_registered_in_another_module():
    jobs = """
        from sqlalchemy import create_engine


        def nightly():
            engine = create_engine("postgresql://app@db/app")
            engine.connect().close()
    """
    scheduler = "from apscheduler.schedulers.blocking import BlockingScheduler\n\nfrom app.jobs import nightly\n\ns = BlockingScheduler()\ns.add_job(nightly, 'cron', hour=3)\n"
    files = {"app/__init__.py": "", "app/scheduler.py": scheduler}
    (finding,) = run(jobs, "PC108", files=files, path="app/jobs.py")
    assert "`s.add_job(nightly)` at app/scheduler.py:6" in finding.message


def test_pc108_class_based_view_method():
    code = """
        from django.views import View
        from sqlalchemy import create_engine


        class Report(View):
            def get(self, request):
                engine = create_engine("postgresql://app@db/app")
                return engine.connect()

            def helper(self):
                return create_engine("postgresql://app@db/app")
    """
    (finding,) = run(code, "PC108")
    assert finding.line == 7 and "view class `Report`" in finding.message


def test_pc108_loop_needs_the_dispose_inside_the_loop():
    disposed_after = """
        from sqlalchemy import create_engine


        def migrate(urls):
            for url in urls:
                engine = create_engine(url)
                engine.connect().close()
            engine.dispose()
    """
    disposed_inside = disposed_after.replace("            engine.dispose()\n", "").replace(
        "engine.connect().close()\n", "engine.connect().close()\n                engine.dispose()\n"
    )
    assert len(run(disposed_after, "PC108")) == 1
    assert run(disposed_inside, "PC108") == []


# --- secrets ----------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["PC101", "PC102", "PC103", "PC104", "PC105", "PC106", "PC108"])
def test_messages_never_carry_the_password(code):
    from poolcheck.registry import load_rules

    rule = load_rules().get(code)
    for example in rule.all_invalid():
        for finding in check_example(example, [code]):
            assert "secret" not in finding.message and "s3cret" not in finding.message


# --- cost ---------------------------------------------------------------------------------------


def test_loading_the_rules_imports_neither_libcst_nor_sqlalchemy():
    import subprocess
    import sys

    code = "import sys; from poolcheck.registry import load_rules; load_rules(); print('libcst' in sys.modules, 'sqlalchemy' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]


# --- answers that depend on the installed SQLAlchemy -----------------------------------------


def test_pc103_a_sync_pool_with_an_asyncio_engine_follows_the_installed_sqlalchemy():
    code = (
        "from sqlalchemy.ext.asyncio import create_async_engine\nfrom sqlalchemy.pool import QueuePool\n\n"
        'engine = create_async_engine("postgresql+asyncpg://app@db/app", poolclass=QueuePool)\n'
    )
    findings = run(code, "PC103")
    if installed_knowledge().pool_mismatch_rejected():  # 2.0+
        (finding,) = findings
        assert "ArgumentError: Pool class QueuePool cannot be used with asyncio engine" in finding.message
    else:  # 1.4 accepts it
        assert findings == []
    assert run(code.replace("QueuePool", "NullPool"), "PC103") == []


def test_pc103_a_sqlite_file_pool_follows_the_installed_sqlalchemy():
    code = 'from sqlalchemy import create_engine\n\nengine = create_engine("sqlite:///app.db", pool_size=5, max_overflow=10)\n'
    default = installed_knowledge().default_pool_class("sqlite", "app.db")
    findings = run(code, "PC103")
    assert bool(findings) == (default == "NullPool")  # 1.4: NullPool; 2.x: QueuePool
    if findings:
        assert "NullPool, SQLAlchemy's default pool for `sqlite:///app.db`" in findings[0].message


def test_pc104_a_keyword_removed_in_2_0_follows_the_installed_sqlalchemy():
    code = 'from sqlalchemy import create_engine\n\nengine = create_engine("mysql+pymysql://app@db/app", encoding="utf8")\n'
    removed = "encoding" not in installed_knowledge().accepted_kwargs("mysql+pymysql")
    findings = run(code, "PC104")
    assert bool(findings) == removed
    if findings:
        assert f"(SQLAlchemy {installed_knowledge().sqlalchemy_version()})" in findings[0].message


@pytest.mark.parametrize("typo,fixable", [("pool_recyle", True), ("poolsize", True), ("pre_ping", True), ("pool_min_size", False)])
def test_pc104_renames_only_clear_slips(typo, fixable):
    code = f'from sqlalchemy import create_engine\n\ne = create_engine("mysql+pymysql://a@h/db", {typo}=1)\n'
    (finding,) = run(code, "PC104")
    assert "did you mean" in finding.message
    assert (finding.fix is not None) == fixable
