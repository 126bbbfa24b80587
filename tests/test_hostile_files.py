"""Hostile files: every one gets PC001 or one line on standard error, with the documented exit
code (0 clean, 1 findings, 2 a file that could not be read or checked); the other files are
still checked; never a traceback, never a crash of the process.

The project-wide runs go through a subprocess: what is tested includes that the process
survives (libcst's native parser used to overflow the C stack on deep nesting: a segfault,
which no ``except`` can catch).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from poolcheck.cli import main

IMPORT = "from sqlalchemy import create_engine\n"
ENGINE = "engine = create_engine('mysql://app@db/app')\n"  # PC101 on its line, column 9


def write_bytes(root: Path, name: str, data: bytes) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def run_cli(cwd: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = dict(os.environ, NO_COLOR="1")
    env.pop("POOLCHECK_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "poolcheck", "check", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout
    )


def assert_clean_stderr(stderr: str) -> None:
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr
    for line in stderr.splitlines():
        assert line.startswith(("poolcheck: warning: ", "poolcheck: error: ")), line


# Deeply nested code, each shape past a different limit: CPython's parser stack (MemoryError),
# its recursion limit while building the tree (RecursionError), its bracket limit, and shapes
# CPython accepts but libcst's native parser would overflow its stack on, or the rules'
# recursion would exceed Python's recursion limit on.
DEEP = {
    "deep_unary.py": IMPORT + "x = " + "-" * 100_000 + "1\n" + ENGINE,
    "deep_binop.py": IMPORT + "x = 1" + " + 1" * 100_000 + "\n" + ENGINE,
    "deep_attribute.py": IMPORT + "x = a" + ".b" * 100_000 + "\n" + ENGINE,
    "deep_brackets.py": IMPORT + "x = " + "[" * 100_000 + "]" * 100_000 + "\n" + ENGINE,
    "deep_and.py": IMPORT + "x = a" + " and a" * 20_000 + "\n" + ENGINE,
    # (A name inside: a statement binding a literal only is left out of the parse unread.)
    "deep_lists.py": IMPORT + "x = " + "[" * 140 + "a" + "]" * 140 + "\n" + ENGINE,
    "deep_call_argument.py": IMPORT + "engine = create_engine('mysql://app@db/app', pool_size=" + "f(" * 150 + ")" * 150 + ")\n",
    # A syntax error first: the file goes to libcst whole, and must not reach it this deep.
    "deep_after_syntax_error.py": IMPORT + "print 'python 2'\n" + "x = " + "not " * 30_000 + "1\n" + ENGINE,
}


@pytest.fixture(scope="module")
def hostile_project(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    write_bytes(root, "pyproject.toml", b"[project]\nname = 'hostile'\n")
    write_bytes(root, "ok.py", (IMPORT + ENGINE).encode())
    write_bytes(root, "syntax.py", (IMPORT + "if True\n    " + ENGINE).encode())
    write_bytes(root, "nul.py", (IMPORT + "x = 1\x00\n" + ENGINE).encode())
    write_bytes(root, "bad_utf8.py", IMPORT.encode() + b"name = '\xff\xfe'\n" + ENGINE.encode())
    write_bytes(root, "wrong_cookie.py", b"# -*- coding: klingon -*-\n" + (IMPORT + ENGINE).encode())
    write_bytes(root, "cookie_mismatch.py", b"# coding: ascii\n" + IMPORT.encode() + "name = 'caf\u00e9'\n".encode() + ENGINE.encode())
    write_bytes(root, "bom.py", b"\xef\xbb\xbf" + (IMPORT + ENGINE).encode())
    write_bytes(root, "crlf.py", (IMPORT + ENGINE).replace("\n", "\r\n").encode())
    write_bytes(root, "lone_cr.py", (IMPORT + ENGINE).replace("\n", "\r").encode())
    write_bytes(root, "long_line.py", (IMPORT + "x = '" + "a" * 100_000 + "'; " + ENGINE).encode())
    # A .py that is really binary: no NUL byte (that case is nul.py), not UTF-8 either.
    write_bytes(root, "binary.py", b"create_engine" + bytes(range(1, 256)) * 40)
    # 50 MB of Python mentioning create_engine: too large to parse (tens of gigabytes of
    # syntax tree), reported rather than taking the machine's memory.
    filler = "".join(f"def f{i}(x):\n    return x + {i}\n" for i in range(2000))
    with open(root / "huge.py", "w", encoding="utf-8") as handle:
        handle.write(IMPORT + ENGINE)
        while handle.tell() < 50 * 1024 * 1024:
            handle.write(filler)
    write_bytes(root, "x.py/inner.py", (IMPORT + ENGINE).encode())  # a folder named x.py
    for name, text in DEEP.items():
        write_bytes(root, name, text.encode())
    os.mkfifo(root / "fifo.py")
    os.symlink("loop.py", root / "loop.py")
    os.symlink("missing.py", root / "dangling.py")  # an editor's lock file: skipped silently
    return root


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs and symbolic links")
def test_a_project_of_hostile_files_is_checked_to_the_end(hostile_project):
    result = run_cli(hostile_project, "--format", "json")
    assert result.returncode == 1, result.stderr
    assert_clean_stderr(result.stderr)
    assert sorted(result.stderr.splitlines()) == [
        "poolcheck: warning: fifo.py: skipped: a FIFO, not a regular file",
        "poolcheck: warning: loop.py: skipped: a symbolic link loop",
    ]
    found = {}
    for item in json.loads(result.stdout):
        found.setdefault(Path(item["filename"]).relative_to(hostile_project).as_posix(), []).append(
            (item["code"], item["location"]["row"], item["location"]["column"], item["message"])
        )

    def only(name):
        (finding,) = found.pop(name)
        return finding

    # Files that are fine, whatever their shape, are checked: the finding at the right place.
    assert only("ok.py")[:3] == ("PC101", 2, 10)
    assert only("bom.py")[:3] == ("PC101", 2, 10)
    assert only("crlf.py")[:3] == ("PC101", 2, 10)
    assert only("lone_cr.py")[:3] == ("PC101", 2, 10)
    assert only("long_line.py")[:3] == ("PC101", 2, len("x = '" + "a" * 100_000 + "'; engine = ") + 1)
    assert only("x.py/inner.py")[:3] == ("PC101", 2, 10)
    # Files that cannot be checked: PC001, saying why.
    code, line, _, message = only("syntax.py")
    assert (code, line) == ("PC001", 2) and "expected ':'" in message
    messages = {name: findings[0][3] for name, findings in found.items() if [f[0] for f in findings] == ["PC001"]}
    assert set(messages) == set(found), found
    assert "NUL byte" in messages["nul.py"]
    assert "not valid utf-8" in messages["bad_utf8.py"]
    assert "encoding" in messages["wrong_cookie.py"]
    assert "not valid ascii" in messages["cookie_mismatch.py"]
    assert "not valid utf-8" in messages["binary.py"]
    assert "too large to check" in messages["huge.py"]
    for name in DEEP:
        assert "nested" in messages[name] or "syntax error" in messages[name].lower(), (name, messages[name])
    assert "too many nested parentheses" in messages["deep_brackets.py"]
    assert "missing parentheses" in messages["deep_after_syntax_error.py"]
    assert set(messages) == {
        "nul.py", "bad_utf8.py", "wrong_cookie.py", "cookie_mismatch.py", "binary.py", "huge.py", *DEEP,
    }
    # The text format shows excerpts of every file with findings: the same, as text.
    text = run_cli(hostile_project, "--format", "full")
    assert text.returncode == 1 and text.stderr == result.stderr
    assert "huge.py:1:1: PC001 The file is too large to check" in text.stdout


def test_a_syntax_error_is_reported_where_python_reports_it(tmp_path, monkeypatch, capsys):
    write_bytes(tmp_path, "pyproject.toml", b"")
    write_bytes(tmp_path, "app.py", (IMPORT + "if True\n    " + ENGINE).encode())
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--format", "concise", "--no-color"]) == 1
    assert capsys.readouterr().out.startswith("app.py:2:8: PC001 Syntax error: expected ':'")


@pytest.mark.parametrize(
    "text, where",
    [
        # CPython counts the offset from the error's own line...
        ("y = \\\n    1 + 2 + 3 + 4 + 5 5\n", "3:23"),
        ("y = 1 + \\\n    2 + \\\n    3 3\n", "4:7"),
    ],
)
def test_a_syntax_error_in_a_continued_line_points_inside_it(tmp_path, monkeypatch, capsys, text, where):
    write_bytes(tmp_path, "pyproject.toml", b"")
    write_bytes(tmp_path, "app.py", (IMPORT + text).encode())
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--format", "concise", "--no-color"]) == 1
    assert capsys.readouterr().out.startswith(f"app.py:{where}: PC001 Syntax error")


def test_a_syntax_error_counted_from_the_logical_line_start_points_inside_its_line(tmp_path, monkeypatch, capsys):
    """Found by fuzzing: for this error CPython counts the offset from the start of the
    continued logical line (line 5), and poolcheck reported column 44 of a 26-character line."""
    data = (
        b"from . import settings\nengine = create_engine(*args, pool_size=0)\n_ = create_engine(*args)\n"
        b"match \xc3\x98\xf0\xab\x8b\x97\xc2\xba\xc4\x90J\xf0\xa3\xa5\xb2:\n"
        b"    case True: global \xc4\xab\xc5\x94\xc3\x92\xc3\xab\xf0\xa3\xb2\xab1,\x0c\t\\\r\n\\\r  \\\r\\\n"
        b"\xe0\xba\x98r\xf0\x96\xa7\xa4, \xc3\x87d\xc5\x94\x0c,\xc3\xa0\xc4\xac\xc4\xb6\xc4\x90\xc5\xa7\xc5\x84\xf0\xa8\xbc\xa2"
        b"\xc3\x94\xc5\xac\xc3\x84\xf0\xa7\xa7\xbd\xe7\xb2\x94\xc3\x89\xc4\x93, "
    )
    write_bytes(tmp_path, "pyproject.toml", b"")
    write_bytes(tmp_path, "app.py", data)
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--format", "concise", "--no-color"]) == 1
    assert capsys.readouterr().out.startswith("app.py:9:3: PC001 Syntax error: invalid syntax")


@pytest.mark.parametrize("shape", sorted(DEEP))
def test_nesting_is_reported_where_it_is(tmp_path, shape):
    """In process too (the subprocess test proves the process survives): one PC001 with the
    line of the deepest point when CPython could parse the file, nothing else."""
    from poolcheck.config import Settings
    from poolcheck.registry import load_rules
    from poolcheck.runner import Runner
    from poolcheck.selection import Selection

    rules = load_rules()
    runner = Runner(Settings(), rules, Selection(("ALL",)).enabled_codes(rules), cwd=tmp_path)
    result = runner.check_buffer(tmp_path / shape, DEEP[shape].encode())
    assert not result.errors
    (finding,) = result.findings
    assert finding.code == "PC001"
    if shape in ("deep_and.py", "deep_lists.py", "deep_call_argument.py"):
        assert finding.line == 2 and "poolcheck checks code nested up to 150 levels" in finding.message


def test_code_nested_a_little_is_checked(tmp_path):
    from poolcheck.config import Settings
    from poolcheck.registry import load_rules
    from poolcheck.runner import Runner
    from poolcheck.selection import Selection

    rules = load_rules()
    runner = Runner(Settings(), rules, Selection(("ALL",)).enabled_codes(rules), cwd=tmp_path)
    text = IMPORT + "x = " + "[" * 40 + "]" * 40 + " and a" * 40 + "\n" + "engine = create_engine('mysql://app@db/app', pool_size=" + "-" * 100 + "5)\n"
    result = runner.check_buffer(tmp_path / "app.py", text.encode())
    assert not result.errors and [f.code for f in result.findings] == ["PC101"]


def test_a_rule_exceeding_the_recursion_limit(tmp_path):
    """A RecursionError in a rule is PC001 when the file nests deeply enough to explain it,
    and an internal error (a bug to report) when it does not."""
    from poolcheck.config import Settings
    from poolcheck.registry import RuleSet, load_rules
    from poolcheck.rule import Rule
    from poolcheck.runner import Runner

    class Recursing(Rule):
        code = "XY900"
        name = "recursing"
        summary = "Recurses without end."
        tokens = (b"create_engine",)

        def check(self, ctx):
            def down(n):
                return down(n + 1)

            down(0)

    builtin = load_rules()
    rules = RuleSet(tuple(builtin) + (Recursing,))
    runner = Runner(Settings(), rules, frozenset({"PC001", "XY900"}), cwd=tmp_path)
    deep = IMPORT + "x = " + "-" * 100 + "1\n"
    result = runner.check_buffer(tmp_path / "deep.py", deep.encode())
    assert not result.errors
    (finding,) = result.findings
    assert finding.code == "PC001" and finding.line == 2 and "too deeply for poolcheck to check" in finding.message
    shallow = runner.check_buffer(tmp_path / "shallow.py", (IMPORT + ENGINE).encode())
    assert not shallow.findings
    (error,) = shallow.errors
    assert error.startswith("shallow.py: internal error in rule XY900 (recursing): RecursionError")


def test_a_huge_file_elsewhere_in_the_project_costs_little(tmp_path):
    """Project facts read every file of the project: one 50 MB module must not be parsed
    for them (it took 24 GB and the OOM killer) when another file is checked."""
    write_bytes(tmp_path, "pyproject.toml", b"")
    write_bytes(tmp_path, "app.py", (IMPORT + "from sqlalchemy.orm import sessionmaker\nSession = sessionmaker()\n" + ENGINE).encode())
    body = "from sqlalchemy.orm import sessionmaker, scoped_session\n" + "".join(
        f"Session{i} = scoped_session(sessionmaker())\n" for i in range(2000)
    )
    with open(tmp_path / "generated.py", "w", encoding="utf-8") as handle:
        while handle.tell() < 50 * 1024 * 1024:
            handle.write(body)
    script = (
        "import resource, subprocess, sys\n"
        "r = subprocess.run([sys.executable, '-m', 'poolcheck', 'check', '--format', 'json', 'app.py'], capture_output=True, text=True)\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "print(r.returncode, peak, r.stderr.count('Traceback'))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=600)
    returncode, peak_kb, tracebacks = map(int, result.stdout.split())
    assert returncode == 1 and tracebacks == 0
    assert peak_kb < 2_000_000, f"peak memory {peak_kb} KB"


def test_symbolic_link_loop_named_explicitly(tmp_path, monkeypatch, capsys):
    write_bytes(tmp_path, "pyproject.toml", b"")
    write_bytes(tmp_path, "ok.py", (IMPORT + ENGINE).encode())
    os.symlink("a.py", tmp_path / "b.py")
    os.symlink("b.py", tmp_path / "a.py")
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--format", "concise", "--no-color", "a.py", "ok.py"]) == 2
    captured = capsys.readouterr()
    assert captured.err == "poolcheck: error: a.py: cannot be read: a symbolic link loop\n"
    assert captured.out.startswith("ok.py:2:10: PC101")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_fifo_named_explicitly(tmp_path, monkeypatch, capsys):
    write_bytes(tmp_path, "pyproject.toml", b"")
    write_bytes(tmp_path, "ok.py", (IMPORT + ENGINE).encode())
    os.mkfifo(tmp_path / "pipe.py")
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--format", "concise", "--no-color", "pipe.py", "ok.py"]) == 2
    captured = capsys.readouterr()
    assert captured.err == "poolcheck: error: pipe.py: not a regular file\n"
    assert captured.out.startswith("ok.py:2:10: PC101")


def test_unreadable_file(tmp_path, monkeypatch, capsys):
    """As test_cli's chmod test, but also where the tests run as root (who reads anything)."""
    write_bytes(tmp_path, "pyproject.toml", b"")
    write_bytes(tmp_path, "ok.py", (IMPORT + ENGINE).encode())
    secret = write_bytes(tmp_path, "secret.py", (IMPORT + ENGINE).encode())
    original = Path.read_bytes

    def read_bytes(self):
        if self.name == "secret.py":
            raise PermissionError(13, "Permission denied", str(self))
        return original(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    import builtins

    import poolcheck.runner

    def open_file(file, *args, **kwargs):  # the runner opens each target once, with open()
        if Path(file).name == "secret.py":
            raise PermissionError(13, "Permission denied", str(file))
        return builtins.open(file, *args, **kwargs)

    monkeypatch.setattr(poolcheck.runner, "open", open_file, raising=False)
    import poolcheck.project  # project facts read every file first (the runner takes those bytes)

    monkeypatch.setattr(poolcheck.project, "open", open_file, raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--format", "concise", "--no-color"]) == 2
    captured = capsys.readouterr()
    assert captured.err == "poolcheck: error: secret.py: cannot read: permission denied\n"
    assert captured.out.startswith("ok.py:2:10: PC101")
    assert secret.exists()


def test_unreadable_folder(tmp_path, monkeypatch, capsys):
    """A folder the walk cannot list: its files go unchecked, which is an error (exit 2), not
    silence."""
    write_bytes(tmp_path, "pyproject.toml", b"")
    write_bytes(tmp_path, "ok.py", (IMPORT + ENGINE).encode())
    write_bytes(tmp_path, "private/db.py", (IMPORT + ENGINE).encode())
    original = os.scandir

    def scandir(path="."):
        if Path(path).name == "private":
            raise PermissionError(13, "Permission denied", str(path))
        return original(path)

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--format", "concise", "--no-color"]) == 2
    captured = capsys.readouterr()
    assert captured.err == "poolcheck: error: private/: cannot read the folder: Permission denied\n"
    assert captured.out.startswith("ok.py:2:10: PC101")


def test_a_file_vanishing_mid_run(tmp_path, monkeypatch, capsys):
    import poolcheck.runner

    write_bytes(tmp_path, "pyproject.toml", b"")
    write_bytes(tmp_path, "a.py", (IMPORT + ENGINE).encode())
    write_bytes(tmp_path, "b.py", (IMPORT + ENGINE).encode())
    write_bytes(tmp_path, "c.py", (IMPORT + ENGINE).encode())
    import poolcheck.project

    original = poolcheck.project.read_with_stat

    def read(path):
        if os.path.basename(path) == "b.py" and os.path.exists(path):
            os.unlink(path)  # deleted between the walk and the first read (a project fact's)
        return original(path)

    monkeypatch.setattr(poolcheck.project, "read_with_stat", read)
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--format", "concise", "--no-color", "--no-cache"]) == 2
    captured = capsys.readouterr()
    assert captured.err == "poolcheck: error: b.py: cannot read: no such file (was it deleted during the run?)\n"
    assert [line.split(":")[0] for line in captured.out.splitlines() if "PC101" in line] == ["a.py", "c.py"]


def test_a_file_vanishing_before_its_fix_is_written(tmp_path, monkeypatch, capsys):
    import poolcheck.fixes

    write_bytes(tmp_path, "pyproject.toml", b"")
    write_bytes(tmp_path, "a.py", (IMPORT + ENGINE).encode())
    original = poolcheck.fixes.write_atomically

    def write_atomically(path, *args):
        path.unlink()
        return original(path, *args)

    monkeypatch.setattr(poolcheck.fixes, "write_atomically", write_atomically)
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--fix", "--unsafe-fixes", "--format", "concise", "--no-color"]) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith("poolcheck: warning: a.py: not fixed: cannot re-read before writing") and captured.err.count("\n") == 1
    assert not (tmp_path / "a.py").exists(), "nothing is written in the place of a deleted file"
