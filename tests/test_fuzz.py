"""Property-based fuzzing (hypothesis, hypothesmith): whatever the input, poolcheck never
raises, every finding points inside the file, and ``--fix --unsafe-fixes`` leaves a file that
parses, that a second run does not change, and files without fixes byte-identical.

Two profiles (docs/fuzzing.md):

- quick: in the normal test suite, a few dozen examples per property, derandomized (the same
  examples on every run, so CI never flakes);
- long: ``pytest -m fuzz`` (excluded otherwise), random, >= 20,000 examples in all; each
  property's count can be set with ``POOLCHECK_FUZZ_EXAMPLES``. Failures are kept in
  ``.hypothesis/`` and replayed first on the next run.
"""

from __future__ import annotations

import ast
import functools
import io
import os
import signal
import sys
import tempfile
import threading
import warnings
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import fuzz_strategies as fs
from poolcheck.config import Settings
from poolcheck.registry import load_rules
from poolcheck.runner import RunOptions, Runner
from poolcheck.source import SourceFile, read_source, split_lines

RULES = load_rules()
ALL_CODES = frozenset(RULES.codes)  # opt-in rules too (PC002, PC405)

# Per property; the secrets property (every output format of every run) takes a tenth of
# it: 3 x 6,500 + 650 = 20,150 examples by default.
LONG = int(os.environ.get("POOLCHECK_FUZZ_EXAMPLES", "6500"))

QUICK_SETTINGS = settings(
    max_examples=12, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck), print_blob=True
)
LONG_SETTINGS = settings(max_examples=LONG, deadline=None, suppress_health_check=list(HealthCheck), print_blob=True)

# What modules look like: built from poolcheck's own strategies (fast, dense in the calls the
# rules look at), hypothesmith's grammar-based modules with those calls spliced in, and
# hypothesmith's modules as they are.
MODULES = st.one_of(
    fs.generated_modules(),
    fs.generated_modules(),
    fs.spliced_modules(fs.hypothesmith_modules()),
    fs.hypothesmith_modules(),
)
FILES = fs.as_bytes(MODULES)


# An example takes well under a second; one still running after this is a hang, and fails
# (the long run 6 stalled for twenty minutes on a probe waiting on a NaN pool timeout).
HANG_SECONDS = 60


class Hang(Exception):
    pass


def hang_is_a_failure(check):
    """Run ``check`` under an alarm: a hang raises :class:`Hang` where the code waits (a
    rule's exception becomes an internal error, which the checks refuse too)."""

    @functools.wraps(check)
    def guarded(*args, **kwargs):
        if not hasattr(signal, "SIGALRM") or threading.current_thread() is not threading.main_thread():
            return check(*args, **kwargs)
        pending = signal.alarm(0)
        if pending:  # inside another guarded check: its alarm stands
            signal.alarm(pending)
            return check(*args, **kwargs)

        def expire(signum, frame):
            raise Hang(f"{check.__name__} still running after {HANG_SECONDS} s")

        previous = signal.signal(signal.SIGALRM, expire)
        signal.alarm(HANG_SECONDS)
        try:
            return check(*args, **kwargs)
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)

    return guarded


def _project(files=None) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="poolcheck-fuzz-")).resolve()
    (folder / "pyproject.toml").write_text("[project]\nname = 'fuzzed'\n", encoding="utf-8")
    for name, text in (files or {}).items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
    return folder


def _cleanup(folder: Path) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


def _runner(folder: Path) -> Runner:
    return Runner(Settings(), RULES, ALL_CODES, cwd=folder)


def _text_of(path: Path, data: bytes) -> str:
    source = read_source(path, data)
    return source.text if isinstance(source, SourceFile) else ""


def assert_sound(result, path: Path, data: bytes) -> None:
    """No error but the file's own, and every position inside the file."""
    internal = [e for e in result.errors if "internal error" in e]
    assert not internal, internal
    assert not result.errors, result.errors
    text = _text_of(path, data)
    lines = split_lines(text)
    count = len(lines)
    raw_lines = data.count(b"\n") + data.count(b"\r") + 1

    def inside(position, what):
        assert position.line >= 1 and position.column >= 0, (what, position)
        if not text:  # undecodable: only the decoder's line, counted in bytes
            assert position.line <= raw_lines, (what, position)
            return
        assert position.line <= count + 1, (what, position, count)
        if position.line <= count:
            assert position.column <= len(lines[position.line - 1]), (what, position, lines[position.line - 1][:200])
        else:
            assert position.column == 0, (what, position)

    for finding in result.findings:
        assert finding.path == result.checked_files[0]
        inside(finding.span.start, finding.code)
        inside(finding.span.end, finding.code)
        assert finding.span.start <= finding.span.end, finding
        if finding.noqa_line is not None:
            assert 1 <= finding.noqa_line <= finding.line, finding
        for related in finding.related:
            assert related.location.line >= 1, related
        if finding.fix is not None:
            for edit in finding.fix.edits:
                inside(edit.start, f"{finding.code} fix")
                inside(edit.end, f"{finding.code} fix")
                assert edit.start <= edit.end, edit
        assert "\n" not in finding.message.strip() or finding.code == "PC001", finding.message


@hang_is_a_failure
def check_never_raises(data: bytes, name: str = "app.py", files=None) -> None:
    folder = _project(files)
    try:
        path = folder / name
        result = _runner(folder).check_buffer(path, data)
        assert_sound(result, path, data)
    finally:
        _cleanup(folder)


def _python_parses(text: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _newline_kinds(data: bytes) -> set:
    kinds = set()
    crlf = data.count(b"\r\n")
    if crlf:
        kinds.add("crlf")
    if data.count(b"\n") > crlf:
        kinds.add("lf")
    if data.count(b"\r") > crlf:
        kinds.add("cr")
    return kinds


@hang_is_a_failure
def check_fixes(data: bytes) -> None:
    """--fix --unsafe-fixes, on disk, twice."""
    import libcst

    folder = _project()
    try:
        path = folder / "app.py"
        path.write_bytes(data)
        first = _runner(folder).run(RunOptions(paths=[path], fix=True, unsafe_fixes=True))
        assert not [e for e in first.errors if "internal error" in e], first.errors
        after = path.read_bytes()
        if not first.fixed:
            assert after == data, "a file without fixes is byte-identical"
            return
        source = read_source(path, after)
        assert isinstance(source, SourceFile), source
        original = read_source(path, data)
        assert (source.encoding, source.has_bom) == (original.encoding, original.has_bom)
        libcst.parse_module(source.text)  # raises if the fixed file does not parse
        if _python_parses(original.text):
            assert _python_parses(source.text), source.text
        # Line endings: a fix never brings in a kind of line ending the file did not have.
        before_kinds = _newline_kinds(data)
        if before_kinds:
            assert _newline_kinds(after) <= before_kinds, (before_kinds, _newline_kinds(after))
        second = _runner(folder).run(RunOptions(paths=[path], fix=True, unsafe_fixes=True))
        assert not second.fixed, [(f.code, f.message) for fixed in second.fixed for f in fixed.fixed]
        assert path.read_bytes() == after, "a second run changes nothing"
    finally:
        _cleanup(folder)


@hang_is_a_failure
def check_project(data: bytes, files: dict) -> None:
    check_never_raises(data, files=files)


OUTPUT_FORMATS = ("full", "concise", "json", "sarif", "github", "gitlab", "junit")


@hang_is_a_failure
def check_secrets(data: bytes, files: dict) -> None:
    """No planted password in any output format, statistics, warnings or errors."""
    from poolcheck.cli import main

    folder = _project(files)
    try:
        (folder / "app.py").write_bytes(data)
        runs = [["--format", f] for f in OUTPUT_FORMATS] + [["--statistics"], ["--statistics", "--format", "json"], ["--show-fixes", "--unsafe-fixes"]]
        cwd = os.getcwd()
        os.chdir(folder)
        try:
            for arguments in runs:
                out, err = io.StringIO(), io.StringIO()
                with redirect_stdout(out), redirect_stderr(err):
                    main(["check", "--no-color", *arguments, "."])
                for secret in fs.SECRETS:
                    assert secret not in out.getvalue(), (arguments, secret, out.getvalue()[:2000])
                    assert secret not in err.getvalue(), (arguments, secret, err.getvalue()[:2000])
                assert "Traceback" not in err.getvalue() and "internal error" not in err.getvalue(), err.getvalue()
        finally:
            os.chdir(cwd)
    finally:
        _cleanup(folder)


# --- quick profile (every test run) ------------------------------------------------------------


@QUICK_SETTINGS
@given(FILES)
def test_quick_checker_never_raises(data):
    check_never_raises(data)


@QUICK_SETTINGS
@given(fs.as_bytes(fs.generated_modules()))
def test_quick_fixes_parse_and_settle(data):
    check_fixes(data)


@QUICK_SETTINGS
@given(fs.as_bytes(fs.generated_modules()), fs.project_files())
def test_quick_project_files(data, files):
    check_project(data, files)


@settings(QUICK_SETTINGS, max_examples=4)
@given(fs.generated_modules().map(lambda text: text.encode("utf-8", "surrogatepass")), fs.project_files())
# Found by the long profile (run 5): a space in the URL's user name hid the password from
# the masking of source excerpts (`--format full`).
@example(data=b"from sqlalchemy import create_engine as ce\nengine = ce('mysql://user name:Zx9-hunter2-Qp@db', *args, convert_unicode=0, **options)\n", files={})
# Run 8: an "@" as the URL's user name (make_url's user name runs to the first ":").
@example(
    data=b"import os\nfrom sqlalchemy import create_engine, event, text, select, URL\nfor item in items:\n    engine = create_engine('mysql://@:Zx9-hunter2-Qp@db', *args, **options)\n",
    files={},
)
# Run 12: no scheme before "://" (the rest of a URL whose scheme comes from elsewhere).
@example(data=b"from sqlalchemy import create_engine as ce\nengine = ce('://:Zx9-hunter2-Qp@db', pool_pre_pnig=0, **options)\n", files={})
def test_quick_no_secret_in_any_output(data, files):
    check_secrets(data, files)


def test_a_hanging_check_fails(monkeypatch):
    import time

    monkeypatch.setattr(sys.modules[__name__], "HANG_SECONDS", 1)

    @hang_is_a_failure
    def waits():
        time.sleep(30)

    with pytest.raises(Hang):
        waits()


# --- long profile (pytest -m fuzz) ---------------------------------------------------------------


@pytest.mark.fuzz
@LONG_SETTINGS
@given(FILES)
def test_fuzz_checker_never_raises(data):
    check_never_raises(data)


@pytest.mark.fuzz
@LONG_SETTINGS
@given(fs.as_bytes(st.one_of(fs.generated_modules(), fs.spliced_modules(fs.hypothesmith_modules()))))
def test_fuzz_fixes_parse_and_settle(data):
    check_fixes(data)


@pytest.mark.fuzz
@LONG_SETTINGS
@given(fs.as_bytes(fs.generated_modules()), fs.project_files())
def test_fuzz_project_files(data, files):
    check_project(data, files)


@pytest.mark.fuzz
@settings(LONG_SETTINGS, max_examples=max(LONG // 10, 1))
@given(fs.generated_modules().map(lambda text: text.encode("utf-8", "surrogatepass")), fs.project_files())
def test_fuzz_no_secret_in_any_output(data, files):
    check_secrets(data, files)
