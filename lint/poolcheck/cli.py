"""The command line: ``poolcheck check``, ``rule``, ``rules``, ``probe`` and ``docs``.

Conventions follow ruff's. Exit codes: 0 no findings, 1 findings, 2 a usage or configuration
error, or a file that could not be read or checked. Errors are one line on standard error,
never a traceback (set ``POOLCHECK_DEBUG=1`` to see one).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import List, Optional, Sequence, TextIO

from . import __version__, timing

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2


class UsageError(Exception):
    pass


def _selectors(values: Optional[List[str]]) -> Optional[List[str]]:
    """``--select PC1,PC2 --select PC4`` -> ["PC1", "PC2", "PC4"]."""
    if values is None:
        return None
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _terminal_columns() -> int:
    """``shutil.get_terminal_size().columns``, without importing shutil (with bz2 and lzma:
    argparse imported it for every argument added, in every run)."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class _Formatter(argparse.HelpFormatter):
    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24, width: Optional[int] = None) -> None:
        super().__init__(prog, indent_increment, max_help_position, width if width is not None else _terminal_columns() - 2)


class _Parser(argparse.ArgumentParser):
    """argparse, with its error messages masked: a misplaced database URL
    (``poolcheck probe --timeout mysql://app:pw@db/app``) is echoed in them."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str):  # type: ignore[override]
        from .masking import mask_secrets

        super().error(mask_secrets(message))


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0 or value == float("inf"):  # also refuses nan, which is not > 0
        raise argparse.ArgumentTypeError("expected a positive number of seconds")
    return value


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError("expected a positive number of processes")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="poolcheck",
        description="A static linter for SQLAlchemy engine, pool and session configuration.",
    )
    parser.add_argument("--version", action="version", version=f"poolcheck {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = commands.add_parser("check", help="check files or folders (default: the current folder)")
    check.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="files or folders to check; - reads standard input")
    check.add_argument("--select", action="append", metavar="CODES", help="rules to enable (codes or prefixes: PC1, PC101, ALL); replaces the configured selection")
    check.add_argument("--extend-select", action="append", metavar="CODES", help="rules to enable in addition to the selection")
    check.add_argument("--ignore", action="append", metavar="CODES", help="rules to disable")
    check.add_argument(
        "--format", "--output-format", dest="format", default="full", metavar="FORMAT",
        help="output format: full (the default; text is the same), concise, json, sarif, github, gitlab or junit",
    )
    check.add_argument("--output-file", "-o", type=Path, metavar="FILE", help="write the report to FILE instead of standard output")
    check.add_argument("--statistics", action="store_true", help="show how many findings each rule produced instead of the findings (formats full, concise, json)")
    check.add_argument("--baseline", type=Path, metavar="FILE", help="report only findings not recorded in FILE (see --write-baseline)")
    check.add_argument(
        "--write-baseline", type=Path, metavar="FILE",
        help="record the findings in FILE and report none of them; with --baseline, keep only the recorded findings that still occur (ratchet)",
    )
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    check.add_argument("--config", type=Path, metavar="FILE", help="use this configuration file (pyproject.toml or poolcheck.toml)")
    check.add_argument("--stdin-filename", type=Path, metavar="NAME", help="read the source from standard input and report it as NAME")
    check.add_argument("--fix", action="store_true", help="apply safe fixes")
    check.add_argument("--unsafe-fixes", action="store_true", help="with --fix or --diff, also apply unsafe fixes")
    check.add_argument("--diff", action="store_true", help="print the fixes as a unified diff and write nothing (exit 1 if anything would change)")
    check.add_argument("--show-fixes", action="store_true", help="list the fixes that were applied")
    check.add_argument("--no-color", action="store_true", help="never colour the output (NO_COLOR=1 does the same)")
    check.add_argument("--no-cache", action="store_true", help="neither read nor write the cache (check every file again)")
    check.add_argument(
        "--cache-dir", type=Path, metavar="DIR",
        help="where to keep the cache (default: .poolcheck_cache in the project root; POOLCHECK_CACHE_DIR too)",
    )
    check.add_argument("--jobs", "-j", type=_jobs, default=None, metavar="N", help="processes to check files with (default: one per CPU; 1: no others)")
    live = check.add_mutually_exclusive_group()
    live.add_argument("--database-url", metavar="URL", help="probe this live server (read-only) and check against its wait_timeout and connection limits; see docs/probe.md")
    live.add_argument("--database-url-env", metavar="NAME", help="the same, with the URL read from the environment variable NAME")

    rule = commands.add_parser("rule", help="show a rule's documentation page")
    rule.add_argument("code", metavar="CODE", help="a rule code (PC101) or name (mysql-idle-disconnect)")
    rule.add_argument("--format", default="text", choices=("text", "markdown", "json"))

    rules = commands.add_parser("rules", help="list every rule")
    rules.add_argument("--format", default="text", choices=("text", "json"))

    probe = commands.add_parser("probe", help="read the timeouts and connection limits of a live database server")
    where = probe.add_mutually_exclusive_group()
    where.add_argument("url", nargs="?", metavar="URL", help="the server's SQLAlchemy URL (mysql://, mariadb://, postgresql://)")
    where.add_argument("--url-env", metavar="NAME", help="read the URL from the environment variable NAME (keeps the password out of the process list)")
    probe.add_argument("--format", default="text", choices=("text", "json"))
    probe.add_argument("--timeout", type=_seconds, default=None, metavar="SECONDS", help="give up connecting or waiting for an answer after SECONDS (default 5)")

    commands.add_parser(
        "server",
        help="run the language server for editors (LSP over standard input and output; needs poolcheck[lsp])",
        description="Run poolcheck's Language Server Protocol server over standard input and output. "
        "Editors start it; see docs/editors.md. Needs the lsp extra: pip install 'poolcheck[lsp]'.",
    )

    docs = commands.add_parser("docs", help="write or check the rule pages (docs/rules)")
    docs.add_argument("directory", nargs="?", type=Path, default=Path("docs/rules"), metavar="DIR")
    action = docs.add_mutually_exclusive_group()
    action.add_argument("--write", action="store_true", help="write the pages (the default)")
    action.add_argument("--check", action="store_true", help="exit 1 if any page is missing or stale")
    return parser


# --- commands ------------------------------------------------------------------------------------


def _load_rules():
    from .registry import load_rules

    rules = load_rules()
    for warning in rules.warnings:
        _warn(warning)
    return rules


def _settings_for(args, rules):
    from .config import discover_settings, load_settings

    if args.config is not None:
        if args.config.is_dir():
            raise UsageError(f"--config {args.config}: is a directory, not a configuration file")
        if not args.config.is_file():
            raise UsageError(f"--config {args.config}: no such file")
        return load_settings(args.config)
    if args.stdin_filename is not None:
        start = args.stdin_filename if args.stdin_filename.is_absolute() else Path.cwd() / args.stdin_filename
        start = start.parent if not start.exists() else start
        while not start.exists():
            start = start.parent
        return discover_settings(start)
    first = next((p for p in args.paths if str(p) != "-"), Path("."))
    return discover_settings(first if first.exists() else Path("."))


def _selection(args, settings, rules):
    from .selection import configured_selection

    if args.select is not None and not _selectors(args.select):
        # `--select "$CODES"` with the variable unset would otherwise run no rule and pass.
        raise UsageError("--select: no rule selector given (codes or prefixes such as PC1, or ALL)")
    return configured_selection(
        settings,
        rules,
        select=_selectors(args.select),
        extend_select=_selectors(args.extend_select) or (),
        ignore=_selectors(args.ignore) or (),
    )


def _use_color(args, stream: TextIO) -> bool:
    if args.no_color or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return bool(getattr(stream, "isatty", lambda: False)())


def _cache_directory(args, paths: Sequence[Path], stdin_filename: Optional[Path]) -> Path:
    """``--cache-dir``, ``POOLCHECK_CACHE_DIR``, else ``.poolcheck_cache`` at the root of the
    project of the first path (of the buffer's name, for standard input)."""
    from .cache import default_directory

    if args.cache_dir:
        return args.cache_dir
    first = next(iter(paths), Path("."))
    if stdin_filename is not None:  # the project around the buffer's name
        first = stdin_filename.parent
        while str(first) not in ("", ".") and not first.exists():
            first = first.parent
    return default_directory(first if first.exists() else Path("."))


def _cache_for(args, settings, rules, enabled, options):
    """The cache of this run: in ``--cache-dir`` (or ``POOLCHECK_CACHE_DIR``), else in
    ``.poolcheck_cache`` at the root of the project of the first path."""
    from .cache import cache_in

    return cache_in(_cache_directory(args, options.paths, options.stdin_filename), settings, rules, enabled, Path.cwd())


def command_check(args) -> int:
    from .reporters import FINGERPRINT_FORMATS, REPORTERS, STATISTICS_FORMATS, TEXT_FORMATS, ReportContext
    from .runner import RunOptions, Runner

    if args.format not in REPORTERS:
        raise UsageError(f"--format {args.format}: unknown format (choose from {', '.join(REPORTERS)})")
    if args.statistics and args.format not in STATISTICS_FORMATS:
        raise UsageError(f"--statistics works only with --format full, concise or json (not {args.format})")
    if args.write_baseline is not None and args.diff:
        raise UsageError("--write-baseline records findings; it cannot be combined with --diff")
    stdin_requested = any(str(p) == "-" for p in args.paths)
    if stdin_requested and args.stdin_filename is None:
        args.stdin_filename = Path("stdin.py")
    if args.stdin_filename is not None and any(str(p) != "-" for p in args.paths):
        raise UsageError("--stdin-filename reads standard input: do not also give paths (use - or nothing)")
    from . import registry
    from .installation import rule_index_path

    # The rule entry points as saved for this installation (with --no-cache too: they
    # depend on the installation alone, as the SQLAlchemy table does).
    registry.INDEX = rule_index_path()
    try:
        rules = _load_rules()
    finally:
        registry.INDEX = None
    settings = _settings_for(args, rules)
    selection = _selection(args, settings, rules)
    enabled = selection.enabled_codes(rules)
    settings, probe_error = _with_live_server(args, settings)
    options = RunOptions(
        paths=[p for p in args.paths if str(p) != "-"] or [Path(".")],
        fix=args.fix,
        unsafe_fixes=args.unsafe_fixes,
        diff=args.diff,
        baseline=_load_baseline(args.baseline) if args.baseline is not None else None,
        fingerprints=args.format in FINGERPRINT_FORMATS or args.write_baseline is not None,
    )
    if args.stdin_filename is not None:
        options.stdin_filename = args.stdin_filename
        options.stdin_data = sys.stdin.buffer.read()
    # Standard input (editors) uses only what the cache keeps per file content (the token
    # index, the name scan's summaries), never stored results: see Runner.run.
    cache = None if args.no_cache or ((args.fix or args.diff) and args.stdin_filename is None) or probe_error is not None or settings.database.live else _cache_for(args, settings, rules, enabled, options)
    runner = Runner(settings, rules, enabled, cache=cache, jobs=args.jobs)
    result = runner.run(options)
    if timing.enabled():
        timing.notes.update(runner.stats)

    for warning in result.warnings:
        _warn(warning)
    if probe_error is not None:
        result.errors.insert(0, probe_error)
    for error in result.errors:
        _error(error)
    if args.write_baseline is not None:
        _write_baseline(args, options, runner, result)
    elif args.baseline is not None and result.baseline_resolved:
        count = len(result.baseline_resolved)
        _note(
            f"{count} finding{'s' if count != 1 else ''} recorded in {args.baseline} no longer occur{'s' if count == 1 else ''}: "
            f"ratchet the baseline down with `poolcheck check --baseline {args.baseline} --write-baseline {args.baseline}`"
        )

    if args.diff:
        diff = "".join(f.diff for f in result.fixed)
        # The diff's lines are source lines, and --diff runs in CI logs: passwords in them are
        # masked like every other output (a hunk touching such a line no longer applies with
        # `patch`; `--fix` writes the real text).
        from .masking import mask_source

        _emit(mask_source(diff), args.output_file, sys.stdout)
        if result.errors:
            return EXIT_ERROR
        return EXIT_FINDINGS if diff and not args.exit_zero else EXIT_CLEAN

    if args.stdin_filename is not None and args.fix:
        # As ruff does: with --fix on standard input, the fixed source goes to standard output
        # and the remaining findings to standard error.
        fixed_text = result.fixed[0].text if result.fixed else options.stdin_data.decode("utf-8", "surrogateescape")
        sys.stdout.write(fixed_text)
        sys.stdout.flush()
        stream_for_report: TextIO = sys.stderr
    else:
        stream_for_report = sys.stdout

    output_stream = stream_for_report if args.output_file is None else None
    context = ReportContext(
        rules=rules,
        color=args.format in TEXT_FORMATS and output_stream is not None and _use_color(args, output_stream),
        show_fixes=args.show_fixes,
        fix_mode=args.fix,
        statistics=args.statistics,
        enabled=enabled,
    )
    with timing.phase("report"):
        report = REPORTERS[args.format](result, context)
        _emit(report, args.output_file, stream_for_report)
    if result.errors:
        return EXIT_ERROR
    if result.findings and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _load_baseline(path: Path):
    from .baseline import BaselineError, load

    try:
        return load(path)
    except BaselineError as exc:
        raise UsageError(f"--baseline {exc}") from None


def _write_baseline(args, options, runner, result) -> None:
    """Record the findings in --write-baseline. Alone: every finding, which this run then
    reports as baselined. With --baseline: only the recorded ones that still occur (the new
    ones stay reported, and out of the file)."""
    from . import baseline as baselines

    if result.errors:
        # Findings of a file that could not be read are unknown, not fixed: writing now would
        # drop their entries.
        raise UsageError(f"--write-baseline {args.write_baseline}: not written, because some files could not be checked (see above)")

    def entry(finding):
        target = result.targets[finding.path]
        return baselines.BaselineEntry.of(finding, runner.repository_key(target.absolute, target.root))

    if options.baseline is not None:
        entries = options.baseline.ratcheted([entry(f) for f in result.baselined], result.baseline_resolved)
    else:
        entries = [entry(f) for f in result.findings]
        result.baselined = sorted(result.baselined + result.findings, key=lambda f: f.sort_key())
        result.findings = []
        result.fixable = result.unsafe_fixable = 0
    try:
        baselines.write(args.write_baseline, entries)
    except baselines.BaselineError as exc:
        raise UsageError(f"--write-baseline {exc}") from None
    count = len(entries)
    dropped = f" ({len(result.baseline_resolved)} no longer occurring dropped)" if result.baseline_resolved else ""
    _note(f"recorded {count} finding{'s' if count != 1 else ''} in {args.write_baseline}{dropped}")


def _with_live_server(args, settings):
    """Probe the live server named by ``--database-url``, ``--database-url-env`` or
    ``[tool.poolcheck.database] url-env``, and return the settings with its values attached.

    A probe that fails returns the settings unchanged and an error line: the check still runs
    on the project's own facts, and the command exits 2, because a run that was asked to check
    against the server and could not must not pass as if it had (docs/probe.md). The
    configuration's ``url-env`` naming a variable that is unset or empty is not a failure: that
    is a developer's machine, or a CI job without the secret (forks), and the check is static.
    """
    if args.database_url is not None:
        url, source = args.database_url, "--database-url"
    elif args.database_url_env is not None:
        url, source = database_url_from_env(args.database_url_env), f"${args.database_url_env}"
        if url is None:
            return settings, f"--database-url-env {args.database_url_env}: the environment variable is not set or is empty"
    elif settings.database.url_env is not None:
        url, source = database_url_from_env(settings.database.url_env), f"${settings.database.url_env}"
        if url is None:
            return settings, None
    else:
        return settings, None
    from .probe import ProbeError, probe
    from .probe.live import override_conflicts, with_live_server

    try:
        server = probe(url, source=source)
    except ProbeError as exc:
        return settings, f"{exc}; checked against the project's own settings only"
    for conflict in override_conflicts(settings, server):
        _warn(conflict)
    return with_live_server(settings, server), None


def command_rule(args) -> int:
    import json

    from .docs import render_rule_page

    rules = _load_rules()
    rule = rules.get(args.code)
    if rule is None:
        from .selection import unknown_selector_message

        raise UsageError(unknown_selector_message(args.code, rules, "poolcheck rule"))
    if args.format == "json":
        sys.stdout.write(json.dumps(_rule_summary(rule), indent=2) + "\n")
    else:
        sys.stdout.write(render_rule_page(rule))
    return EXIT_CLEAN


def _rule_summary(rule) -> dict:
    import textwrap

    return {
        "code": rule.code,
        "name": rule.name,
        "severity": rule.severity.value,
        "default_enabled": rule.default_enabled,
        "summary": textwrap.dedent(rule.summary).strip(),
        "fix": bool(rule.fix),
        "url": rule.url(),
        "origin": rule.__module__,
    }


def command_rules(args) -> int:
    import json

    rules = _load_rules()
    if args.format == "json":
        sys.stdout.write(json.dumps([_rule_summary(r) for r in rules], indent=2) + "\n")
        return EXIT_CLEAN
    rows = [("CODE", "NAME", "SEVERITY", "DEFAULT", "SUMMARY")]
    for rule in rules:
        rows.append((rule.code, rule.name, rule.severity.value, "on" if rule.default_enabled else "opt-in", " ".join(rule.summary.split())))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        sys.stdout.write("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + "  " + row[4] + "\n")
    return EXIT_CLEAN


def database_url_from_env(name: str) -> Optional[str]:
    """The URL in environment variable ``name``, or None when it is unset or empty (CI systems
    give an empty string for a secret they withhold, as GitHub Actions does on forks)."""
    value = os.environ.get(name, "").strip()
    return value or None


def command_probe(args) -> int:
    from .probe import DEFAULT_TIMEOUT, ProbeError, probe
    from .probe.report import render_json, render_text

    if args.url_env is not None:
        url = database_url_from_env(args.url_env)
        if url is None:
            raise UsageError(f"--url-env {args.url_env}: the environment variable is not set or is empty")
        source = f"${args.url_env}"
    elif args.url is not None:
        url, source = args.url, "URL"
    else:
        raise UsageError("poolcheck probe: give the server's URL, or --url-env NAME to read it from the environment")
    try:
        result = probe(url, args.timeout or DEFAULT_TIMEOUT, source=source)
    except ProbeError as exc:
        _error(str(exc))
        return EXIT_ERROR
    sys.stdout.write(render_json(result) if args.format == "json" else render_text(result))
    sys.stdout.flush()
    return EXIT_CLEAN


def command_docs(args) -> int:
    from .docs import stale_pages, write_pages

    rules = _load_rules()
    if args.check:
        stale = stale_pages(rules, args.directory)
        if stale:
            _error(f"{args.directory}: stale rule pages: {', '.join(stale)} (run `poolcheck docs {args.directory}`)")
            return EXIT_FINDINGS
        return EXIT_CLEAN
    for name in write_pages(rules, args.directory):
        sys.stdout.write(f"wrote {args.directory / name}\n")
    return EXIT_CLEAN


# --- plumbing ----------------------------------------------------------------------------------


def _emit(text: str, output_file: Optional[Path], stream: TextIO) -> None:
    if output_file is not None:
        try:
            output_file.parent.mkdir(parents=True, exist_ok=True)
            output_file.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--output-file {output_file}: cannot write: {exc.strerror or exc}") from None
        return
    stream.write(text)
    stream.flush()


def _warn(message: str) -> None:
    from .masking import mask_secrets

    sys.stderr.write(f"poolcheck: warning: {mask_secrets(message)}\n")


def _note(message: str) -> None:
    from .masking import mask_secrets

    sys.stderr.write(f"poolcheck: {mask_secrets(message)}\n")


def _error(message: str) -> None:
    from .masking import mask_secrets

    sys.stderr.write(f"poolcheck: error: {mask_secrets(message)}\n")


def command_server(args) -> int:
    try:
        from .lsp.server import serve
    except ImportError as exc:
        raise UsageError(f"poolcheck server needs the lsp extra ({exc.name or exc} is missing): pip install 'poolcheck[lsp]'") from None
    serve(_load_rules())
    return EXIT_CLEAN


# Commands that collect cyclic garbage although the console script turned the collector off
# (``run``): the language server lives as long as the editor, and the probe drives
# SQLAlchemy's pool against a server, whose connections may be in cycles that only the
# collector frees.
_COLLECTING = frozenset({"server", "probe"})

COMMANDS = {"check": command_check, "rule": command_rule, "rules": command_rules, "probe": command_probe, "docs": command_docs, "server": command_server}


def main(argv: Optional[Sequence[str]] = None) -> int:
    from .config import ConfigError
    from .registry import RuleLoadError
    from .selection import SelectionError

    parser = build_parser()
    arguments = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(arguments)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    if args.command in _COLLECTING:
        import gc

        gc.enable()
    try:
        try:
            return COMMANDS[args.command](args)
        finally:
            timing.write()
    except (ConfigError, SelectionError, UsageError, RuleLoadError) as exc:
        _error(str(exc))
        return EXIT_ERROR
    except KeyboardInterrupt:
        sys.stderr.write("poolcheck: interrupted\n")
        return 130
    except BrokenPipeError:
        # The reader went away (`poolcheck check | head`): not an error of ours.
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return EXIT_CLEAN
    except Exception as exc:  # the last line of defence: never a traceback for the user
        if os.environ.get("POOLCHECK_DEBUG"):
            raise
        _error(f"internal error: {type(exc).__name__}: {exc} (set POOLCHECK_DEBUG=1 for details, and please report it)")
        return EXIT_ERROR


def run() -> None:
    """The console script: ``main()``, then an immediate exit. A run holds its projects'
    bytes, parse trees and facts to the end; letting the interpreter free them object by
    object took longer than some whole runs (0.7 s after a one-file run over the standard
    library). Output is flushed first; nothing else is pending by then (every file poolcheck
    writes is closed, and it registers no atexit hook).

    The cyclic garbage collector is off (``_COLLECTING`` turns it on again): a run builds
    large acyclic data (file bytes, parse trees, the cache's JSON) that lives to its end,
    and every collection walked the objects made since the last one for nothing. Its cost
    grows with what a run allocates, whatever the thresholds: 0.06 s of the main process's
    0.6 s before the checking workers start on the bench corpus, 29 -> 25 s on
    SQLAlchemy's repository. A run makes little cyclic garbage (a few hundred objects on
    the corpus), and peak memory was the same with it off on the corpus, SQLAlchemy's
    repository, prefect, ckan and dispatch."""
    import gc

    gc.disable()
    code = main()
    if sys.getprofile() is not None or sys.gettrace() is not None:
        sys.exit(code)  # under a profiler, coverage or a debugger: let them write their results
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed or broken pipe: nothing more can be said
            pass
    os._exit(code)
