"""poolcheck against ruff and flake8 on a copy of the standard library (issue 7).

    python bench/run.py [--rounds 5] [--flake8-rounds 1] [--workdir DIR] [--tree PROJECT]

Builds the corpus (the standard library of the interpreter running this script, about
1,800 files, with a SQLAlchemy engine, a sessionmaker and a leaking session appended to
every 30th file), installs ruff and flake8 into a virtual environment of their own, then
runs every case once per round, all cases in each round (so a busy machine slows them
alike), and prints each case's whole-process wall time as median [min, max], its CPU time
(user + system, the process and its children) and peak memory, the ratio to
``ruff check --no-cache --select F`` of the same run, and the issue's target. Then the
per-phase profile of one cold and one warm run (``POOLCHECK_PROFILE``).

``--tree PROJECT`` measures a copy of a real project instead (its version control, virtual
environments and caches left out; the project itself is never written to), with a middle-
sized file that mentions no SQLAlchemy and one that calls ``create_engine`` (or, if none
does, mentions SQLAlchemy) for the single-file cases.

Measures the ``poolcheck`` installed next to the Python running this script. Prints
numbers; asserts nothing. ``PYTHONDONTWRITEBYTECODE`` is removed from the measured
processes' environment, so that they run from compiled bytecode as an installed program
does (with it set, every run compiles poolcheck's own modules again: about 0.15 s more).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
import venv
from pathlib import Path
from typing import Dict, List, Optional, Sequence

EVERY = 30
APPENDED = '''

from sqlalchemy import create_engine as _bench_create_engine, text as _bench_text
from sqlalchemy.orm import sessionmaker as _bench_sessionmaker

_bench_engine = _bench_create_engine("mysql+pymysql://app:secret@db/app", pool_size=5)
_BenchSession = _bench_sessionmaker(bind=_bench_engine)


def _bench_leak():
    session = _BenchSession()
    return session.execute(_bench_text("SELECT 1")).scalar()
'''
CORPUS_STAMP = "corpus-v1"


# --- the corpus ------------------------------------------------------------------------------


def stdlib_files(stdlib: Path) -> List[Path]:
    return sorted(
        path
        for path in stdlib.rglob("*.py")
        if "site-packages" not in path.relative_to(stdlib).parts and "__pycache__" not in path.parts
    )


def build_corpus(target: Path) -> Dict[str, object]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    stamp = target / ".bench-stamp"
    expected = f"{CORPUS_STAMP} {stdlib}"
    files = stdlib_files(stdlib)
    if not (stamp.is_file() and stamp.read_text() == expected):
        if target.exists():
            shutil.rmtree(target)
        for index, path in enumerate(files):
            copy = target / path.relative_to(stdlib)
            copy.parent.mkdir(parents=True, exist_ok=True)
            data = path.read_bytes()
            if index % EVERY == 0:
                data += APPENDED.encode("ascii")
            copy.write_bytes(data)
        # A project root for poolcheck (and ruff): the corpus is one project.
        (target / "pyproject.toml").write_text('[project]\nname = "corpus"\nversion = "0"\n')
        stamp.write_text(expected)
    with_engine = [path.relative_to(stdlib) for index, path in enumerate(files) if index % EVERY == 0]
    without = [path.relative_to(stdlib) for index, path in enumerate(files) if index % EVERY != 0]
    return {
        "stdlib": str(stdlib),
        "files": len(files),
        "with_engine": len(with_engine),
        "bytes": sum((target / p.relative_to(stdlib)).stat().st_size for p in files),
        # One of each for the single-file cases: a mid-sized module, with and without.
        "clean_file": str(_pick(target, without, b"sqlalchemy")),
        "engine_file": str(_pick(target, with_engine, None)),
    }


# Left out of a copied project: what is not its code, or not the project's.
_NOT_COPIED = (".git", ".hg", ".svn", ".venv", "venv", ".tox", ".nox", "node_modules", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".poolcheck_cache")


def copy_tree(source: Path, target: Path) -> Dict[str, object]:
    """A fresh copy of the project ``source`` in ``target`` (the edited-file cases write to
    it), and what the single-file cases use."""
    source = source.resolve()
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(*_NOT_COPIED), symlinks=True)
    if not (target / "pyproject.toml").exists():
        # Its root was its repository's (left out): a project root for poolcheck and ruff.
        (target / "pyproject.toml").write_text("")
    files = sorted(path.relative_to(target) for path in target.rglob("*.py") if path.is_file())
    if not files:
        raise SystemExit(f"{source}: no Python file to measure")
    contents = {path: (target / path).read_bytes() for path in files}
    with_engine = [path for path in files if b"create_engine" in contents[path]]
    engine_like = with_engine or [path for path in files if b"sqlalchemy" in contents[path].lower()] or files
    return {
        "source": str(source),
        "files": len(files),
        "with_engine": len(with_engine),
        "bytes": sum(len(data) for data in contents.values()),
        "clean_file": str(_pick(target, files, b"sqlalchemy", skip_tests=False)),
        "engine_file": str(_pick(target, engine_like, None, skip_tests=False)),
    }


def _pick(root: Path, candidates: Sequence[Path], must_not_contain: Optional[bytes], skip_tests: bool = True) -> Path:
    sized = []
    for path in candidates:
        if skip_tests and "test" in path.parts:
            continue
        data = (root / path).read_bytes()
        if must_not_contain is not None and must_not_contain in data.lower():
            continue
        sized.append((len(data), path.as_posix()))
    sized.sort()
    return Path(sized[len(sized) // 2][1])


# --- the other linters -----------------------------------------------------------------------


def tools_env(directory: Path) -> Path:
    bin_dir = directory / ("Scripts" if os.name == "nt" else "bin")
    if not (bin_dir / "ruff").exists() or not (bin_dir / "flake8").exists():
        venv.create(directory, with_pip=True, clear=True)
        subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "-q", "ruff", "flake8"], check=True)
    return bin_dir


def version_of(command: List[str]) -> str:
    out = subprocess.run(command, capture_output=True, text=True).stdout.strip()
    return out.splitlines()[0] if out else "?"


# --- measuring -------------------------------------------------------------------------------


class Sample:
    def __init__(self, wall: float, cpu: float, rss_mb: float, returncode: int) -> None:
        self.wall, self.cpu, self.rss_mb, self.returncode = wall, cpu, rss_mb, returncode


def measure(command: List[str], cwd: Path, env: Dict[str, str]) -> Sample:
    """One run: wall time, CPU time (user + system of the process and of the children it
    waited for) and peak resident memory of the largest of them (wait4's rusage)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, process.returncode)


def summary(values: List[float]) -> str:
    return f"{statistics.median(values):6.3f} [{min(values):.3f}, {max(values):.3f}]"


# --- the run ---------------------------------------------------------------------------------


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--flake8-rounds", type=int, default=1, help="flake8 takes minutes a round (default 1)")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "poolcheck-bench")
    parser.add_argument("--poolcheck", default=str(Path(sys.executable).parent / "poolcheck"), help="the poolcheck command to measure")
    parser.add_argument(
        "--against", metavar="POOLCHECK",
        help="another poolcheck command (an earlier commit's install) measured in the same rounds, "
        "with a cache folder of its own: this machine's speed drifts over minutes, rounds do not",
    )
    parser.add_argument("--json", type=Path, help="also write the raw samples here")
    parser.add_argument("--tree", type=Path, metavar="PROJECT", help="measure a copy of this project instead of the standard library corpus")
    args = parser.parse_args(argv)

    args.workdir.mkdir(parents=True, exist_ok=True)
    if args.tree is not None:
        if not args.tree.is_dir():
            parser.error(f"--tree: {args.tree} is not a folder")
        corpus = args.workdir / "tree"
        print(f"copying {args.tree} to {corpus} ...", flush=True)
        info = copy_tree(args.tree, corpus)
    else:
        corpus = args.workdir / "corpus"
        print(f"building the corpus in {corpus} ...", flush=True)
        info = build_corpus(corpus)
    print("installing ruff and flake8 ...", flush=True)
    tools = tools_env(args.workdir / "tools")
    ruff, flake8, poolcheck = str(tools / "ruff"), str(tools / "flake8"), args.poolcheck
    cache_dir = args.workdir / ("poolcheck-cache" if args.tree is None else "tree-poolcheck-cache")

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "POOLCHECK_PROFILE")}
    env["NO_COLOR"] = "1"

    def poolcheck_cases(command: str, label: str, cache: Path) -> list:
        # An older poolcheck (to measure "before") has no cache and no cache flags.
        has_cache = "--no-cache" in subprocess.run([command, "check", "--help"], capture_output=True, text=True).stdout
        no_cache = ["--no-cache"] if has_cache else []
        with_cache = ["--cache-dir", str(cache)] if has_cache else []
        return [
            (f"{label} cold (--no-cache)", [command, "check", *no_cache, "."], "<= 2.0x ruff", args.rounds),
            (f"{label} warm (cache)", [command, "check", *with_cache, "."], "<= 0.5x ruff", args.rounds),
            # One file, as pre-commit and editors run it: just edited (a comment added before
            # each run, so its own result is never served), the project's cache warm; and with
            # no cache.
            (f"{label} 1 edited file, no SQLAlchemy", [command, "check", *with_cache, info["clean_file"]], "< 0.10 s", args.rounds),
            (f"{label} 1 edited file with an engine", [command, "check", *with_cache, info["engine_file"]], "< 0.60 s", args.rounds),
            (f"{label} 1 file, no SQLAlchemy, --no-cache", [command, "check", *no_cache, info["clean_file"]], None, args.rounds),
            (f"{label} 1 file with an engine, --no-cache", [command, "check", *no_cache, info["engine_file"]], None, args.rounds),
        ]

    cases = [
        # (name, command, target as a ratio of ruff cold, rounds)
        ("ruff check --no-cache --select F", [ruff, "check", "--no-cache", "--select", "F", "."], None, args.rounds),
        ("flake8 --select F", [flake8, "--select", "F", "."], None, args.flake8_rounds),
    ]
    mine = poolcheck_cases(poolcheck, "poolcheck", cache_dir)
    cases += mine
    if args.against:
        cases += poolcheck_cases(args.against, "against", args.workdir / ("against-cache" if args.tree is None else "tree-against-cache"))
    edited = {info["clean_file"]: (corpus / info["clean_file"]).read_bytes(), info["engine_file"]: (corpus / info["engine_file"]).read_bytes()}
    edits = iter(range(10**9))

    def prepare(name: str, command: List[str]) -> None:
        """Before an "edited file" case: a new comment at the end of the file."""
        if "edited" in name:
            path = command[-1]
            (corpus / path).write_bytes(edited[path] + f"# edit {next(edits)}\n".encode())

    def finish(name: str, command: List[str]) -> None:
        """After it: the file as it was, its result cached again (unmeasured), so that the
        warm case stays warm."""
        if "edited" in name:
            path = command[-1]
            (corpus / path).write_bytes(edited[path])
            subprocess.run(command, cwd=corpus, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    # Warm-up: bytecode compiled, files in the page cache, the warm cases' cache filled.
    for name, command, _, _ in cases:
        if command[0] != flake8:
            prepare(name, command)
            measure(command, corpus, env)
            finish(name, command)
    samples: Dict[str, List[Sample]] = {name: [] for name, *_ in cases}
    rounds = max(args.rounds, args.flake8_rounds)
    for round_number in range(rounds):
        print(f"round {round_number + 1}/{rounds} ...", flush=True)
        for name, command, _, wanted_rounds in cases:
            if round_number < wanted_rounds:
                prepare(name, command)
                samples[name].append(measure(command, corpus, env))
                finish(name, command)

    ruff_median = statistics.median(s.wall for s in samples[cases[0][0]])
    print()
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()}")
    try:
        print(f"load average before the run: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    except OSError:
        pass
    print(f"corpus: {info['files']} files, {info['bytes'] / 1e6:.1f} MB, {info['with_engine']} with an engine "
          f"(copy of {info.get('stdlib') or info['source']})")
    print(f"tools: {version_of([ruff, '--version'])}; flake8 {version_of([flake8, '--version'])}; "
          f"{version_of([poolcheck, '--version'])}" + (f"; against: {args.against}" if args.against else ""))
    print(f"single files: {info['clean_file']} (no SQLAlchemy), {info['engine_file']} (engine)")
    print()
    header = f"{'case':42} {'wall s: median [min, max]':28} {'cpu s':>7} {'peak MB':>8} {'x ruff':>7}  target"
    print(header)
    print("-" * len(header))
    for name, _, target, _ in cases:
        runs = samples[name]
        if not runs:  # flake8 with --flake8-rounds 0
            print(f"{name:42} {'(not run)':28}")
            continue
        wall = statistics.median(s.wall for s in runs)
        codes = sorted({s.returncode for s in runs})
        print(
            f"{name:42} {summary([s.wall for s in runs]):28} {statistics.median(s.cpu for s in runs):7.2f} "
            f"{max(s.rss_mb for s in runs):8.0f} {wall / ruff_median:7.2f}  {target or ''}"
            + (f"  (exit {codes})" if codes not in ([0], [1]) else "")
        )
    print()
    print(f"(rounds: {args.rounds}; flake8: {args.flake8_rounds}. Peak MB: the largest single process.)")

    print()
    print("per-phase profile (POOLCHECK_PROFILE; seconds, each phase's own time; workers' summed):")
    def command_of(case: str) -> List[str]:
        """The command of this poolcheck's case so named (after its label)."""
        return next(command for name, command, _, _ in mine if name == f"poolcheck {case}")

    profiled = (
        ("cold", command_of("cold (--no-cache)")),
        ("warm", command_of("warm (cache)")),
        ("1 file with an engine, cold", command_of("1 file with an engine, --no-cache")),
    )
    for label, command in profiled:
        profile_path = args.workdir / "profile.json"
        profile_path.unlink(missing_ok=True)
        started = time.perf_counter()
        subprocess.run(command, cwd=corpus, env={**env, "POOLCHECK_PROFILE": str(profile_path)}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall = time.perf_counter() - started
        if not profile_path.is_file():
            print(f"  {label}: no profile written (this poolcheck does not support POOLCHECK_PROFILE)")
            continue
        profile = json.loads(profile_path.read_text())
        print(f"  {label}: {wall:.3f} s wall; " + ", ".join(f"{k} {v:.3f}" for k, v in profile["phases"].items()))
        if profile.get("notes"):
            print(f"    {profile['notes']}")

    if args.json is not None:
        args.json.write_text(json.dumps({name: [vars(s) for s in runs] for name, runs in samples.items()}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
