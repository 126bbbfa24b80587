"""No password ever leaves poolcheck: distinct passwords are planted in every place a project
keeps them (a literal URL, an f-string, ``URL.create(password=...)``, ``.env``, a compose
file, a Flask config class, an APScheduler job store, ``my.cnf``, ``connect_args``), findings
are triggered on them, and no output format, mode, file written, standard error line, probe
message, or language-server diagnostic or log line contains any of them."""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
from pathlib import Path
from typing import List

import pytest

from poolcheck.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

SECRETS = [
    "Compose-Pw-1",
    "ComposeRoot-Pw-2",
    "ComposeUrl-Pw-3",
    "FlaskCfg-Pw-4",
    "Report-Pw-5",
    "Sched-Pw-6",
    "Jobstore-Pw-7",
    "MyCnf-Pw-8",
    "Lit3ral-Pw-9",
    "FString-Pw-10",
    "UrlCreate-Pw-11",
    "DotEnv-Pw-12",
    "DotEnv-Pw-13",
    "At@Sign-Pw-14",  # an unencoded "@" inside the password
    "Enc%40oded-Pw-15",  # a percent-encoded one
    "ConnectArgs-Pw-16",
    "Battery-Pw-17",  # the last word of an unquoted, several-word .env value
]
# Pieces of them that must not leak either (the part before an "@", the decoded form).
FRAGMENTS = ["Sign-Pw-14", "At@Sign", "Enc@oded", "Enc%40oded", "Pw-1", "Pw-2", "Pw-3", "Pw-4", "Pw-5", "Pw-6", "Pw-7", "Pw-8", "Pw-9"]

LEGACY = '''import os
from sqlalchemy import create_engine
from sqlalchemy.engine import URL

HOST = os.environ.get("DB_HOST", "db")
literal = create_engine("mysql+pymysql://app:Lit3ral-Pw-9@db/app")
fstring = create_engine(f"mysql+pymysql://app:FString-Pw-10@{HOST}/app")
created = create_engine(URL.create("mysql+pymysql", username="app", password="UrlCreate-Pw-11", host="db", database="app"))
at_sign = create_engine("mysql+pymysql://app:At@Sign-Pw-14@db/app")
encoded = create_engine("mysql+pymysql://app:Enc%40oded-Pw-15@db/app", pool_recyle=3600)
kw = create_engine("mysql+pymysql://app@db/app", connect_args={"password": "ConnectArgs-Pw-16"})
'''

DOTENV = (
    "DATABASE_URL=mysql+pymysql://shop:DotEnv-Pw-12@db/shop\n"
    "SQLALCHEMY_DATABASE_URI=mysql+pymysql://shop:DotEnv-Pw-13@db/shop\n"
    "FLASK_SQLALCHEMY_POOL_RECYCLE=30\n"
    "DB_PASSWORD=correct Horse Battery-Pw-17\n"
)


def plant(root: Path) -> Path:
    """The example shop, its passwords replaced by the planted ones, with more places added."""
    shutil.copytree(EXAMPLES, root)

    def substitute(relative: str, old: str, new: str) -> None:
        path = root / relative
        text = path.read_text(encoding="utf-8")
        assert old in text, (relative, old)
        path.write_text(text.replace(old, new), encoding="utf-8")

    substitute("docker-compose.yml", "MARIADB_PASSWORD: shop-secret", "MARIADB_PASSWORD: Compose-Pw-1")
    substitute("docker-compose.yml", "MARIADB_ROOT_PASSWORD: root-secret", "MARIADB_ROOT_PASSWORD: ComposeRoot-Pw-2")
    substitute("docker-compose.yml", "shop:shop-secret@db", "shop:ComposeUrl-Pw-3@db")
    substitute("shop/config.py", "shop:shop-secret@db", "shop:FlaskCfg-Pw-4@db")
    substitute("shop/reporting.py", "report:report-secret@", "report:Report-Pw-5@")
    substitute("worker/scheduler.py", "shop:shop-secret@db", "shop:Sched-Pw-6@db")
    substitute(
        "worker/scheduler.py",
        'scheduler.add_jobstore("sqlalchemy", url=DATABASE_URL)',
        'scheduler.add_jobstore("sqlalchemy", url=DATABASE_URL)\n'
        'scheduler.add_jobstore("sqlalchemy", alias="jobs", url="mysql+pymysql://jobs:Jobstore-Pw-7@db/jobs")',
    )
    substitute("shop/app.py", 'app.config.from_object("shop.config.ProductionConfig")', 'app.config.from_object("shop.config.ProductionConfig")\n    app.config.from_prefixed_env()')
    substitute("pyproject.toml", 'extend-select = ["PC405"]', 'select = ["ALL"]')
    with (root / "deploy" / "my.cnf").open("a", encoding="utf-8") as handle:
        handle.write("\n[client]\nuser = shop\npassword = MyCnf-Pw-8\n")
    (root / "legacy.py").write_text(LEGACY, encoding="utf-8")
    (root / ".env").write_text(DOTENV, encoding="utf-8")
    text = "\n".join(p.read_text(encoding="utf-8") for p in root.rglob("*") if p.is_file())
    assert all(secret in text for secret in SECRETS)
    return root


def assert_no_secret(text: str, where: str) -> None:
    for secret in SECRETS + FRAGMENTS:
        assert secret not in text, f"{secret!r} leaked in {where}:\n{text}"


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> Path:
    return plant(tmp_path_factory.mktemp("secrets") / "shop")


def check(args: List[str], capsys) -> tuple:
    code = main(["check", "--no-color", *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def test_findings_are_triggered_on_every_planted_place(planted, capsys):
    code, out, err = check(["--format", "concise", str(planted)], capsys)
    assert code == 1
    for line in [
        "legacy.py:6:", "legacy.py:7:", "legacy.py:8:", "legacy.py:9:", "legacy.py:10:", "legacy.py:11:",  # literal, f-string, URL.create, @, %40, connect_args
        ".env:3:",  # the .env file
        "shop/config.py:8:",  # the Flask config class's URI
        "worker/scheduler.py:27:",  # the job store URL
        "shop/reporting.py:10:",
        "docker-compose.yml:13",  # the compose file, cited as evidence
        "deploy/my.cnf:",  # my.cnf, cited as evidence
    ]:
        assert line in out, line
    assert_no_secret(out + err, "concise")


FORMATS = ["full", "text", "concise", "json", "sarif", "github", "gitlab", "junit"]


@pytest.mark.parametrize("output_format", FORMATS)
@pytest.mark.parametrize("extra", [[], ["--show-fixes"], ["--unsafe-fixes", "--show-fixes"], ["--exit-zero"]])
def test_no_output_format_shows_a_password(planted, capsys, output_format, extra):
    code, out, err = check(["--format", output_format, *extra, str(planted)], capsys)
    assert out and code in (0, 1)
    assert_no_secret(out + err, f"--format {output_format} {' '.join(extra)}")
    if output_format in ("full", "text"):
        assert "***" in out  # source excerpts were shown, masked


@pytest.mark.parametrize("output_format", ["full", "concise", "json"])
def test_statistics(planted, capsys, output_format):
    code, out, err = check(["--statistics", "--format", output_format, str(planted)], capsys)
    assert code == 1 and out
    assert_no_secret(out + err, f"--statistics --format {output_format}")


def test_diff_masks_the_source_lines_it_shows(planted, capsys):
    code, out, err = check(["--diff", "--unsafe-fixes", str(planted)], capsys)
    assert code == 1 and out.startswith("--- a/")
    assert 'literal = create_engine("mysql+pymysql://app:***@db/app", pool_pre_ping=True)' in out
    assert 'password="***"' in out and "DATABASE_URL=mysql+pymysql://shop:***@db/shop" in out
    assert " DB_PASSWORD=***\n" in out  # a context line of the .env fix, every word masked
    assert_no_secret(out + err, "--diff")


def test_fixing_reports_and_written_files(tmp_path, capsys):
    """--fix with its report and --show-fixes, an --output-file, a baseline file: the fixed
    files keep their passwords (they are the user's), nothing else shows them."""
    root = plant(tmp_path / "shop")
    report = tmp_path / "report.json"
    code, out, err = check(["--fix", "--unsafe-fixes", "--show-fixes", "--format", "json", "-o", str(report), str(root)], capsys)
    assert code == 1
    assert_no_secret(out + err + report.read_text(encoding="utf-8"), "--fix report")
    assert "Lit3ral-Pw-9" in (root / "legacy.py").read_text(encoding="utf-8")  # fixed, not masked
    assert "pool_pre_ping=True" in (root / "legacy.py").read_text(encoding="utf-8")
    code, out, err = check(["--fix", "--show-fixes", str(root)], capsys)
    assert_no_secret(out + err, "--fix --show-fixes (full)")
    baseline = tmp_path / "baseline.json"
    code, out, err = check(["--write-baseline", str(baseline), str(root)], capsys)
    assert code == 0
    assert_no_secret(out + err + baseline.read_text(encoding="utf-8"), "--write-baseline")


def test_standard_input(planted, capsys, monkeypatch):
    import io

    data = (planted / "legacy.py").read_bytes()
    for args in (["--stdin-filename", str(planted / "legacy.py"), "-"], ["--format", "json", "--stdin-filename", str(planted / "legacy.py")]):
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
        code, out, err = check(args, capsys)
        assert code == 1
        assert_no_secret(out + err, "standard input")
    # With --fix the fixed source is echoed on standard output (that is the file, passwords
    # and all, as ruff does): the report on standard error is masked.
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    code, out, err = check(["--fix", "--unsafe-fixes", "--show-fixes", "--stdin-filename", str(planted / "legacy.py")], capsys)
    assert "Lit3ral-Pw-9" in out and "pool_pre_ping=True" in out
    assert "legacy.py" in err and "PC101" in err
    assert_no_secret(err, "--fix on standard input: the report")


def test_probe_and_argument_errors(planted, capsys, monkeypatch):
    """The URL given to probe: connection errors, a URL in the wrong argument, an invalid one.
    Port 1 on localhost refuses at once; no server is needed."""
    cases = [
        ["probe", "--timeout", "1", "mysql+pymysql://root:Lit3ral-Pw-9@127.0.0.1:1/x"],
        ["probe", "--timeout", "1", "postgresql+psycopg://root:Lit3ral-Pw-9@127.0.0.1:1/x"],
        ["probe", "mysql://u:Lit3ral-Pw-9 with spaces@127.0.0.1:1/x", "--timeout", "1"],
        ["probe", "not a URL, password=Lit3ral-Pw-9"],
        ["check", "--database-url", "mysql+pymysql://root:Lit3ral-Pw-9@127.0.0.1:1/x", "--format", "concise", str(planted / "legacy.py")],
    ]
    for args in cases:
        code = main(args)
        out, err = capsys.readouterr()
        assert code == 2 and err.startswith("poolcheck: error:"), (args, err)
        assert_no_secret(out + err, " ".join(args[:2]))
    monkeypatch.setenv("POOLCHECK_TEST_URL", "mysql+pymysql://root:Lit3ral-Pw-9@127.0.0.1:1/x")
    assert main(["probe", "--timeout", "1", "--url-env", "POOLCHECK_TEST_URL"]) == 2
    out, err = capsys.readouterr()
    assert_no_secret(out + err, "probe --url-env")
    for args in (["probe", "--timeout", "mysql://root:Lit3ral-Pw-9@h/x"], ["check", "--select", "mysql://root:Lit3ral-Pw-9@h/x"]):
        try:
            assert main(args) == 2
        except SystemExit as exc:  # argparse's own error
            assert exc.code == 2
        out, err = capsys.readouterr()
        assert err
        assert_no_secret(out + err, "argument errors")


def test_configuration_errors_mask_urls(tmp_path, capsys):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.poolcheck.database]\nurl-env = "mysql://u:Lit3ral-Pw-9@db/app"\n', encoding="utf-8"
    )
    code, out, err = check([str(tmp_path)], capsys)
    assert code == 2 and "url-env" in err
    assert_no_secret(out + err, "configuration error")


# --- the language server ----------------------------------------------------------------------

pytest_lsp = pytest.importorskip("pytest_lsp")

from lsprotocol import types  # noqa: E402
from pygls.uris import from_fs_path  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities  # noqa: E402
from test_lsp_server import REAL_COMMAND, WAIT_SECONDS, make_client  # noqa: E402


@pytest_lsp.fixture(config=ClientServerConfig(server_command=REAL_COMMAND, client_factory=make_client))
async def server(lsp_client: LanguageClient):
    yield
    if not getattr(lsp_client, "shut_down", False):
        await lsp_client.shutdown_session()


async def test_language_server_diagnostics_and_logs(server, tmp_path):
    root = plant(tmp_path / "shop")
    uri = from_fs_path(str(root))
    await server.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"), root_uri=uri, workspace_folders=[types.WorkspaceFolder(uri=uri, name="shop")]
        )
    )
    opened = {}
    for relative in ("legacy.py", "shop/config.py", "worker/scheduler.py", "shop/reporting.py"):
        path = root / relative
        document_uri = from_fs_path(str(path))
        opened[document_uri] = relative
        server.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(uri=document_uri, language_id="python", version=1, text=path.read_text(encoding="utf-8"))
            )
        )
    deadline = asyncio.get_running_loop().time() + WAIT_SECONDS
    while not all(any(p.uri == u for p in server.published) for u in opened):
        assert asyncio.get_running_loop().time() < deadline, "no diagnostics published"
        await asyncio.sleep(0.01)
    diagnostics = [d for p in server.published for d in p.diagnostics]
    assert len([d for p in server.published if p.uri.endswith("legacy.py") for d in p.diagnostics]) >= 6
    payload = json.dumps(
        [
            {
                "message": d.message,
                "related": [r.message for r in d.related_information or []],
                "data": repr(d.data),
                "code": d.code,
            }
            for d in diagnostics
        ]
    )
    assert_no_secret(payload, "language server diagnostics")
    # Hover on each diagnostic's start, and the code actions' titles.
    for params in server.published:
        for diagnostic in params.diagnostics:
            actions = await server.text_document_code_action_async(
                types.CodeActionParams(
                    text_document=types.TextDocumentIdentifier(uri=params.uri),
                    range=diagnostic.range,
                    context=types.CodeActionContext(diagnostics=[diagnostic]),
                )
            )
            assert_no_secret(json.dumps([a.title for a in actions or []]), "code action titles")
    logs = "\n".join(m.message for m in server.log_messages) + "\n".join(str(m) for m in getattr(server, "messages", []))
    assert_no_secret(logs, "language server log")
