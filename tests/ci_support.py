"""A small repository and a demonstration rule for the CI-report and baseline tests.

The rule (``TST101``) flags every ``create_engine(...)`` call without ``pool_pre_ping`` with
everything a real finding can carry: a related location in another file, a safe fix, a help
line, a severity that depends on the URL, and a password planted in each of them (the message,
the note, the help, the fix's description and its edit), so the tests can assert that no format
lets it through. It is loaded next to the built-in rules exactly as a plugin would be.
"""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Tuple

from poolcheck.api import Applicability, Edit, Fix, Location, Related, Rule, RuleContext, Severity
from poolcheck.registry import RuleSet, load_rules

SECRET = "hunter2-s3cret"


class DemoEngineRule(Rule):
    code = "TST101"
    name = "demo-engine-without-ping"
    severity = Severity.WARNING
    summary = "A demonstration rule: `create_engine()` without `pool_pre_ping`."
    what = "Flags `create_engine()` calls that do not pass `pool_pre_ping`."
    why = "Tests need findings with related locations, fixes and every severity."
    tokens = (b"create_engine",)
    help = "Pass pool_pre_ping=True."
    docs_url = "https://example.invalid/rules/TST101"

    def check(self, ctx: RuleContext) -> None:
        import libcst as cst

        rule = self

        class Calls(cst.CSTVisitor):
            def visit_Call(self, node: cst.Call) -> None:
                if isinstance(node.func, cst.Name) and node.func.value == "create_engine":
                    rule.report(ctx, node)

        ctx.module.visit(Calls())

    def report(self, ctx: RuleContext, call) -> None:
        import libcst as cst

        if not call.args or any(arg.keyword is not None and arg.keyword.value == "pool_pre_ping" for arg in call.args):
            return
        first = call.args[0].value if call.args else None
        url = first.evaluated_value if isinstance(first, cst.SimpleString) else "?"
        after_last_argument = ctx.span_of(call.args[-1].value).end
        ctx.report(
            call,
            f"Engine for {url} has no pool_pre_ping: 100% of idle connections die, see wait_timeout, max_idle",
            severity=Severity.ERROR if url.startswith("mysql") else Severity.WARNING,
            help=f"Pass pool_pre_ping=True (the URL was {url}).",
            related=[Related(Location(Path("my.cnf"), 2), f"wait_timeout = 600 is set here (password={SECRET})")],
            fix=Fix(
                f"Add pool_pre_ping=True to the engine for {url}",
                Applicability.SAFE,
                (Edit(after_last_argument, after_last_argument, f', pool_pre_ping=True, connect_args={{"password": "{SECRET}"}}'),),
            ),
        )


def demo_rules() -> RuleSet:
    builtin = load_rules()
    return RuleSet(tuple(sorted(list(builtin) + [DemoEngineRule], key=lambda r: r.code)))


# --- the repository ------------------------------------------------------------------------------

DB_PY = f'''\
from sqlalchemy import create_engine

engine = create_engine("mysql+pymysql://app:{SECRET}@db/app")
analytics = create_engine(
    "postgresql://report@warehouse/analytics",
    pool_size=5,
)


def session_factory(url="sqlite://"):
    return create_engine(url, pool_pre_ping=True)
'''

BROKEN_PY = '''\
from sqlalchemy import create_engine

engine = create_engine("sqlite://"
'''

CLEAN_PY = '''\
from sqlalchemy import create_engine

engine = create_engine("sqlite://", pool_pre_ping=True)
'''

NOQA_PY = '''\
import os  # noqa: PC999
'''

MY_CNF = f'''\
[mysqld]
wait_timeout = 600
password = {SECRET}
'''

# The exact findings these tests assert come from the meta rules and the demonstration rule;
# the built-in PC1xx rules are exercised by their own tests and by `test_real_rules_*`.
PYPROJECT = '''\
[tool.poolcheck]
select = ["PC001", "PC002", "TST101"]
'''


@dataclass
class Repository:
    root: Path  # the git checkout
    project: Path  # services/api: the folder with pyproject.toml, and the working folder

    def write(self, relative: str, text: str) -> Path:
        path = self.project / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def read(self, relative: str) -> str:
        return (self.project / relative).read_text(encoding="utf-8")


def make_repository(tmp_path: Path) -> Repository:
    """A git checkout holding a project in ``services/api`` (a monorepo layout: reports must
    name files relative to the checkout, not to the project)."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    repo = Repository(root.resolve(), (root / "services" / "api").resolve())
    for name, text in {
        "pyproject.toml": PYPROJECT,
        "my.cnf": MY_CNF,
        "app/__init__.py": "",
        "app/db.py": DB_PY,
        "app/broken.py": BROKEN_PY,
        "app/clean.py": CLEAN_PY,
        "app/noqa.py": NOQA_PY,
    }.items():
        repo.write(name, text)
    return repo


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str


def run_cli(repo: Repository, *args: str, monkeypatch) -> Outcome:
    """``poolcheck check ARGS`` in the project folder, with the demonstration rule loaded."""
    from poolcheck import cli, registry

    monkeypatch.setattr(registry, "load_rules", lambda entry_points=None: demo_rules())
    monkeypatch.chdir(repo.project)
    monkeypatch.setenv("NO_COLOR", "1")
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(["check", *args])
    return Outcome(code, out.getvalue(), err.getvalue())


def expected_line(text: str, needle: str) -> Tuple[int, int]:
    """(1-based line, 0-based column) of the first occurrence of ``needle``."""
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number, line.index(needle)
    raise AssertionError(f"{needle!r} not found")
