"""One run: discover -> prefilter -> parse -> rules -> suppress -> (fingerprint -> baseline) ->
(fix) -> findings.

The runner is the only place that knows the order of the stages. It never formats output
(reporters do) and never exits (the command line does): it returns a :class:`RunResult`.
"""

from __future__ import annotations

import sys
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Dict, FrozenSet, Iterable, List, NamedTuple, Optional, Sequence, Tuple, Type

from .config import Settings
from .context import FileContext, RuleContext
from .discovery import (
    Target,
    Walker,
    collect_targets,
    display_path,
    find_project_root,
    is_python_file,
    matches_any,
    repository_path,
    repository_root,
    resolved,
)
from .findings import Finding, Location, applicable
from .installation import save_table, use_saved_table
from .prefilter import wants
from .project import Project
from .registry import RuleSet
from .rule import Rule
from .source import ParseFailure, SourceError, SourceFile, read_source
from .timing import phase

if TYPE_CHECKING:  # pragma: no cover
    from .baseline import Baseline, BaselineEntry
    from .cache import Cache


# The run's records are plain classes: dataclasses cost their module (and `inspect`) at the
# start of every run, a tenth of a one-file run.
class RunOptions:
    def __init__(
        self,
        paths: Sequence[Path] = (Path("."),),
        fix: bool = False,
        unsafe_fixes: bool = False,
        diff: bool = False,
        stdin_filename: Optional[Path] = None,
        stdin_data: Optional[bytes] = None,
        fingerprints: bool = False,
        baseline: Optional["Baseline"] = None,
    ) -> None:
        self.paths = paths
        self.fix = fix
        self.unsafe_fixes = unsafe_fixes
        self.diff = diff  # compute fixes, print them as a diff, write nothing
        self.stdin_filename = stdin_filename
        self.stdin_data = stdin_data
        # Give findings their statement and fingerprint (CI formats want them; a baseline
        # needs them). Off by default: it costs a parse of every file with findings.
        self.fingerprints = fingerprints
        # Findings recorded here are hidden like `# noqa`-suppressed ones (not reported, not
        # fixed).
        self.baseline = baseline

    @property
    def needs_fingerprints(self) -> bool:
        return self.fingerprints or self.baseline is not None


class FixedFile:
    def __init__(self, path: Path, fixed: List[Finding], diff: str = "", text: Optional[str] = None) -> None:
        self.path = path
        self.fixed = fixed
        self.diff = diff
        self.text = text  # the fixed content (for standard input, which is echoed back)

    def __repr__(self) -> str:
        return f"FixedFile({self.path!r}, {len(self.fixed)} fixed)"


class RunResult:
    def __init__(
        self,
        findings: Optional[List[Finding]] = None,
        checked_files: Optional[List[Path]] = None,
        errors: Optional[List[str]] = None,
        warnings: Optional[List[str]] = None,
        sources: Optional[Dict[Path, str]] = None,
        cwd: Optional[Path] = None,
    ) -> None:
        self.findings: List[Finding] = findings if findings is not None else []
        self.checked_files: List[Path] = checked_files if checked_files is not None else []
        self.errors: List[str] = errors if errors is not None else []  # one line each, for standard error
        self.warnings: List[str] = warnings if warnings is not None else []
        self.fixed: List[FixedFile] = []
        # Findings with a fix that was not applied because it is unsafe (for the hint line).
        self.unsafe_fixable = 0
        self.fixable = 0
        # The text of each file with findings, as checked (after fixes): reporters show
        # excerpts from it instead of reading files again.
        self.sources: Dict[Path, str] = sources if sources is not None else {}
        # The repository root CI reports name files relative to (the first file's; see
        # discovery.repository_root), and every checked file by the path findings carry.
        self.root: Optional[Path] = None
        self.targets: Dict[Path, Target] = {}
        # The folder the paths in findings are relative to (the runner's working directory).
        self.cwd = cwd
        # Findings hidden because the baseline records them, and the baseline's entries in
        # this run's scope that nothing matched any more (fixed since it was written).
        self.baselined: List[Finding] = []
        self.baseline_resolved: List["BaselineEntry"] = []
        # The files whose findings came from the cache (their dependencies were unchanged).
        self.cached_files: List[Path] = []

    def __repr__(self) -> str:
        return f"RunResult({len(self.findings)} findings, {len(self.checked_files)} files checked)"

    def repository_path(self, path: Path) -> str:
        """A checked file's path relative to the repository root (POSIX), as CI systems
        want it; absolute when it lies outside."""
        target = self.targets.get(path)
        if target is None or self.root is None:
            return path.as_posix()
        return repository_path(target.absolute, self.root)

    def related_absolute(self, finding: Finding, location: Location) -> Path:
        """Where a related location is on disk: paths in findings, related ones included, are
        relative to the runner's working directory (Project.display)."""
        if location.path.is_absolute() or self.cwd is None:
            return location.path
        return self.cwd / location.path

    def related_repository_path(self, finding: Finding, location: Location) -> str:
        absolute = self.related_absolute(finding, location)
        if not absolute.is_absolute() or self.root is None:
            return absolute.as_posix()
        return repository_path(absolute, self.root)


def _overrides_check(rule: Type[Rule]) -> bool:
    return rule.check is not Rule.check


def _pruning_tokens(rule: Type[Rule]) -> Tuple[bytes, ...]:
    """The tokens that keep definitions in pruned parses: none of a rule's own when it has a
    finer test (``Rule.pruning``)."""
    return () if rule.pruning is not None else tuple(rule.tokens)


def _overrides(rule: Type[Rule], hook: str) -> bool:
    return getattr(rule, hook) is not getattr(Rule, hook)


# Below this many files to parse, a pool of processes costs more than it saves.
PARALLEL_MINIMUM = 8


class Runner:
    def __init__(
        self,
        settings: Settings,
        rules: RuleSet,
        enabled: FrozenSet[str],
        cwd: Optional[Path] = None,
        *,
        cache: Optional["Cache"] = None,
        jobs: Optional[int] = None,
        parallel_minimum: int = PARALLEL_MINIMUM,
    ) -> None:
        """``cache``: serve and keep results (see ``poolcheck.cache``); ``jobs``: processes to
        parse and check with (None: one per CPU; 1: none besides this one), used when at
        least ``parallel_minimum`` files are to be parsed."""
        self.settings = settings
        self.cache = cache
        use_saved_table()  # per installation, with or without a result cache
        self.jobs = jobs
        self.parallel_minimum = parallel_minimum
        self.stats: Dict[str, int] = {"cached": 0, "checked": 0, "parsed": 0, "workers": 0}
        self._dependency_sets: Dict[frozenset, frozenset] = {}
        self.rules = rules
        self.enabled = enabled
        self.cwd = (cwd or Path.cwd()).resolve()
        self.walker = Walker(settings, store=cache.walks if cache is not None else None)
        self.projects: Dict[Path, Project] = {}
        self._bulk_scanners: List = []  # see _bulk_scanner
        # (root, relative path) of the Python files this run checks (see _parse_ahead).
        self._checking: FrozenSet[Tuple[Path, PurePosixPath]] = frozenset()
        self.active: List[Type[Rule]] = [r for r in rules if r.code in enabled]
        self.instances = {r.code: r() for r in self.active}
        self._per_file_ignores = None
        self.known_codes = frozenset(rules.codes)
        self.code_prefixes = frozenset(_letters(code) for code in rules.codes)
        # What pruned parses keep, from every loaded rule (pruned parses are the same whichever
        # rules a run selects): definitions holding a rule's token, or one the project defines
        # (prefilter.ProjectTokens), or passing a rule's own pruning test (Rule.pruning).
        self.keep_tokens = tuple(sorted({t.decode("latin-1") for rule in rules for t in (*_pruning_tokens(rule), *rule.keep_tokens)}))
        # What loaded rules' project facts ask of every file (Rule.fact_tokens): loaded, not
        # only enabled, as pruned parses ask every loaded rule's project tokens.
        self.fact_tokens = tuple(dict.fromkeys(t for rule in rules for t in rule.fact_tokens))
        self.token_sources = tuple(
            dict.fromkeys(r.tokens.for_project for r in rules if r.pruning is None and hasattr(r.tokens, "for_project"))
        )
        self.pruning_tests = tuple(dict.fromkeys(r.pruning for r in rules if r.pruning is not None))
        # Non-Python files: those the enabled rules check, and those any loaded rule would.
        self.text_patterns = tuple(sorted({p for r in self.active if _overrides(r, "check_text") for p in r.file_patterns}))
        self.claimed_patterns = tuple(sorted({p for r in rules for p in r.file_patterns}))
        self._repository_roots: Dict[Path, Path] = {}
        # Every enabled rule's fixed tokens: a file is searched for all of them at once.
        self._fixed_tokens: Optional[Tuple[bytes, ...]] = None  # see _mentions_nothing
        # The tokens of the rules judging suppressions (`# noqa`), when they are fixed bytes:
        # a file holding none of them and no rule's token needs no look at all (see
        # _settled_unread); None when some hook wants more than fixed bytes.
        hooks = [r for r in self.active if _overrides(r, "check_suppressions")]
        self._hook_tokens: Optional[Tuple[bytes, ...]] = None
        if all(r.tokens and isinstance(r.tokens, tuple) and all(type(t) is bytes for t in r.tokens) for r in hooks):
            self._hook_tokens = tuple(dict.fromkeys(t for r in hooks for t in r.tokens))
        self.prefilter_tokens = tuple(
            dict.fromkeys(
                [t for r in self.active if _overrides_check(r) or _overrides(r, "check_text") for t in r.tokens]
                + list(self._hook_tokens or ())
            )
        )

    # --- projects -----------------------------------------------------------------------------
    def project(self, root: Path) -> Project:
        """The project of files as they are on disk, shared by every file checked under it."""
        if root not in self.projects:
            self.projects[root] = Project(
                root,
                _LazyTree(self.walker, root),
                self.settings,
                keep_tokens=self.keep_tokens,
                token_sources=self.token_sources,
                pruning_tests=self.pruning_tests,
                cwd=self.cwd,
                token_store=self.cache.tokens() if self.cache is not None else None,
                file_stamps=self.cache.stamps(root) if self.cache is not None else None,
                summary_store=self.cache.summaries() if self.cache is not None else None,
                fact_store=self.cache.results(root) if self.cache is not None else None,
                prefilter_tokens=self.prefilter_tokens,
                fact_tokens=self.fact_tokens,
                bulk_scanner=self._bulk_scanner(root),
            )
            self.projects[root].while_summarizing = lambda paths: self._parse_ahead(root, paths)
        return self.projects[root]

    def _parse_ahead(self, root: Path, paths: Sequence[PurePosixPath]) -> None:
        """Import libcst (a tenth of a second) while the bulk scanner's processes parse the
        name scan's files, if this run checks one of them: it builds an engine, a factory
        or a registry, so its check parses it. (A one-file run whose file is not one of
        them never needs libcst.)"""
        if "poolcheck.syntax" not in sys.modules and any((root, path) in self._checking for path in paths):
            from . import syntax  # noqa: F401

    def _bulk_scanner(self, root: Path):
        """Worker processes to search a large project's files for tokens, in a run without a
        cache (with one, unchanged files' tokens come from it): see poolcheck.bulkscan."""
        workers = self.jobs if self.jobs is not None else _cpu_count()
        if self.cache is not None or workers < 2:
            return None
        from .bulkscan import BulkScanner

        scanner = BulkScanner(str(root), workers)
        self._bulk_scanners.append(scanner)
        return scanner

    def prepare_shared_facts(self) -> None:
        """Compute, in this process, what every file's check reads of each project: the
        pruning tokens (every parse asks for them) and the enabled rules' ``shared_facts``.
        Worker processes forked after this inherit them; each computed them for itself
        before (the bench corpus: two whole-tree searches, 0.1-0.2 s of each worker's
        time). A fact that fails here fails again, and is reported, where a file needs it."""
        facts = tuple(dict.fromkeys(f for rule in self.active if _overrides_check(rule) for f in rule.shared_facts))
        for project in list(self.projects.values()):
            for compute in (Project.pruning_tokens, *facts):
                try:
                    compute(project)
                except Exception:  # noqa: BLE001 - computed again (and reported) by the check
                    continue

    def _close_bulk_scanners(self) -> None:
        for scanner in self._bulk_scanners:
            scanner.close()

    # --- the run ------------------------------------------------------------------------------
    def run(self, options: RunOptions) -> RunResult:
        result = RunResult(cwd=self.cwd)
        if options.stdin_filename is not None:
            targets = [self._stdin_target(options.stdin_filename)]
            scope = [self.repository_key(t.absolute, t.root) for t in targets]
        else:
            with phase("discovery"):
                targets, errors = collect_targets(
                    list(options.paths), self.walker, self.cwd, self.text_patterns, self.claimed_patterns, warnings=result.warnings
                )
            result.errors.extend(errors)
            scope = [self._scope_key(path) for path in options.paths]
        result.root = self.repository_root(targets[0].root if targets else find_project_root(self.cwd))
        result.targets = {t.path: t for t in targets}
        if options.stdin_filename is not None:
            [target] = targets
            data = options.stdin_data or b""
            # A fresh project every time: its facts and parsed modules include the buffer,
            # and the next buffer checked by this (long-lived, in an editor) runner differs.
            # With a cache, what it keeps per file content only (which tokens a file holds,
            # its summaries for the project-wide name scan), and the files' stamps: an
            # editor's run then reads and parses no unchanged file of the project. No
            # stored result: the buffer is not the file on disk (persisted project facts
            # are, with the buffer's digest among their dependencies' values).
            cache = self.cache
            project = Project(
                target.root,
                self.walker.tree(target.root),
                self.settings,
                overlays={target.relative: data},
                keep_tokens=self.keep_tokens,
                token_sources=self.token_sources,
                pruning_tests=self.pruning_tests,
                cwd=self.cwd,
                token_store=cache.tokens() if cache is not None else None,
                file_stamps=cache.stamps(target.root) if cache is not None else None,
                summary_store=cache.summaries() if cache is not None else None,
                fact_store=cache.results(target.root) if cache is not None else None,
                prefilter_tokens=self.prefilter_tokens,
                fact_tokens=self.fact_tokens,
            )
            self._check_target(target, project, data, options, result)
            if cache is not None:
                with phase("cache"):
                    cache.save(lambda: self._walked_files([project]))
            used = [project]
        elif options.fix or options.diff:
            # Fixing rewrites files and checks them again: one file at a time, no cache.
            for target in targets:
                self._check_target(target, self.project(target.root), None, options, result)
            used = list(self.projects.values())
        else:
            self._check_targets(targets, options, result)
            used = list(self.projects.values())
        result.findings.sort(key=Finding.sort_key)
        result.baselined.sort(key=Finding.sort_key)
        result.checked_files = [t.path for t in targets]
        if options.baseline is not None:
            matched = {f.fingerprint for f in result.baselined if f.fingerprint}
            result.baseline_resolved = options.baseline.resolved(matched, scope, self.enabled)
        self._warn_unmatched_per_file_ignores(result, used, targets)
        save_table()
        return result

    # --- repository paths (fingerprints, baselines, CI reports) --------------------------------
    def repository_root(self, project_root: Path) -> Path:
        if project_root not in self._repository_roots:
            self._repository_roots[project_root] = repository_root(project_root)
        return self._repository_roots[project_root]

    def repository_key(self, absolute: Path, project_root: Path) -> str:
        """How fingerprints and baselines name a file: relative to its repository root, so
        the same from any working folder."""
        return repository_path(absolute, self.repository_root(project_root))

    def _scope_key(self, given: Path) -> str:
        absolute = resolved(self.cwd / given)
        return self.repository_key(absolute, find_project_root(absolute))

    def check_buffer(self, path: Path, data: bytes, *, fix: bool = False, unsafe_fixes: bool = False) -> RunResult:
        """Check ``data`` as the content of ``path`` (which need not exist), with the project
        around ``path`` read from disk: what ``poolcheck check --stdin-filename PATH -`` does,
        for editors and plugins. With ``fix``, the fixed text is in ``result.fixed[0].text``
        and nothing is written."""
        return self.run(RunOptions(stdin_filename=path, stdin_data=data, fix=fix, unsafe_fixes=unsafe_fixes))

    def _stdin_target(self, name: Path) -> Target:
        absolute = resolved(self.cwd / name)
        # The root is found from the name's own folder upward, whether or not that folder
        # exists yet (a new module in a new package is still part of the project around it).
        root = find_project_root(absolute)
        try:
            relative = PurePosixPath(absolute.relative_to(root).as_posix())
        except ValueError:
            relative = PurePosixPath(absolute.name)
        is_text = not is_python_file(relative) and matches_any(absolute.name, self.claimed_patterns)
        return Target(display_path(absolute, self.cwd), absolute, root, relative, explicit=True, is_python=not is_text)

    def _check_target(self, target: Target, project: Project, data: Optional[bytes], options: RunOptions, result: RunResult) -> None:
        source = read_source(target.absolute, data, python=target.is_python)
        if isinstance(source, SourceError) and source.kind == "read":
            result.errors.append(f"{target.path}: cannot read: {source.message}")
            return
        findings = self.check_source(target, project, source, result, options.needs_fingerprints)
        text = source.text if isinstance(source, SourceFile) else ""
        if isinstance(source, SourceFile) and (options.fix or options.diff) and any(
            applicable(f.fix, options.unsafe_fixes) for f in _not_baselined(findings, options)
        ):
            findings, text = self._fix(target, project, source, findings, options, result)
        self._finish_target(target, findings, text, options, result)

    def check_source(self, target: Target, project: Project, source, result: RunResult, fingerprints: bool = False) -> List[Finding]:
        """All findings for one file's content, after suppression (with their statements and
        fingerprints when asked)."""
        findings = self._findings(target, project, source, result)
        if not fingerprints or not findings:
            return findings
        from .fingerprints import with_fingerprints  # here: most runs ask for none

        text = source.text if isinstance(source, SourceFile) else ""
        return with_fingerprints(findings, text, self.repository_key(target.absolute, target.root))

    def _findings(self, target: Target, project: Project, source, result: RunResult) -> List[Finding]:
        first = self._prefilter_stage(target, project, source, result)
        if isinstance(first, list):
            return first
        return self._rules_stage(first[0], first[1], result)

    def _prefilter_stage(self, target: Target, project: Project, source, result: RunResult):
        """What needs no parse: the findings of a file no enabled rule wants (a list), or the
        file's context and the rules that want it (a pair)."""
        ctx = FileContext(target=target, project=project, source=source if isinstance(source, SourceFile) else None)
        if not target.is_python:
            return self._check_text(ctx, source, result)
        if isinstance(source, SourceError):
            self._unparsable(ctx, source, result)
            return self._suppress(ctx, result)
        with phase("prefilter"):
            if self._mentions_nothing(project, target.relative, source.raw):
                wanted = []  # most files: one look instead of one per rule
            else:
                wanted = [r for r in self.active if _overrides_check(r) and wants(r.tokens, source.raw, project, target.relative)]
        if not wanted:
            return self._suppress(ctx, result)
        return ctx, wanted

    def _mentions_nothing(self, project: Project, relative: PurePosixPath, raw: bytes) -> bool:
        """Whether the file holds none of the enabled rules' tokens, fixed or defined by the
        project: then no rule wants it (``prefilter.wants`` asks for a mention first). The
        project's tokens come through a fact, so the answer depends on what they read."""
        tokens = self._checked_tokens(project)
        if tokens is None or not project.content_is(relative, raw):
            return False
        return not project.holds_any(relative, tokens)

    def _settled_unread(self, project: Project, target: Target) -> bool:
        """Whether a file needs no look at all in this process, in a run without a cache (a
        cached run keeps each file's digest): the bulk scanner's processes read it, found
        that it decodes as Python source and that it holds none of the enabled rules'
        tokens (fixed or defined by the project) and none of the suppression rules': then no
        rule wants it and there is nothing to suppress, as ``_prefilter_stage`` would find
        after reading it again (0.12 s of reading on the bench corpus, most of it while the
        checking processes need the processor)."""
        if self.cache is not None or not target.is_python or project.bulk_scanner is None or self._hook_tokens is None:
            return False
        tokens = self._checked_tokens(project)
        return tokens is not None and project.settled_unread(target.relative, tokens + self._hook_tokens)

    def _checked_tokens(self, project: Project) -> Optional[Tuple[bytes, ...]]:
        """Every token a file must hold for an enabled rule to check it (fixed, or defined
        by the project); None when a rule wants every file, or a token source failed."""
        if self._fixed_tokens is None:
            # Read once, when the first file is prefiltered: the rules' modules (and the
            # engine-site sources they register, which add tokens) are all loaded by then.
            fixed: Dict[bytes, None] = {}
            for rule in self.active:
                if _overrides_check(rule):
                    if not rule.tokens:
                        self._fixed_tokens = ()
                        break
                    fixed.update(dict.fromkeys(rule.tokens))
            else:
                self._fixed_tokens = tuple(fixed)
        if not self._fixed_tokens:
            return None  # a rule wants every file
        defined = project.fact("runner-project-tokens", self._project_tokens)
        if defined is None:
            return None
        return self._fixed_tokens + defined

    def _project_tokens(self, project: Project) -> Optional[Tuple[bytes, ...]]:
        """The tokens the project defines for the enabled rules (prefilter.ProjectTokens);
        None when a source fails (``wants`` then asks each rule)."""
        found: Dict[bytes, None] = {}
        for rule in self.active:
            if _overrides_check(rule) and hasattr(rule.tokens, "for_project"):
                try:
                    found.update(dict.fromkeys(rule.tokens.for_project(project)))
                except Exception:
                    return None
        return tuple(found)

    def _rules_stage(self, ctx: FileContext, wanted: Sequence[Type[Rule]], result: RunResult) -> List[Finding]:
        """Parse the file (pruned) and run the rules that want it, then suppress."""
        target, project, source = ctx.target, ctx.project, ctx.source
        self.stats["parsed"] += 1
        # The parse project facts were computed from, when they came first (same bytes, and
        # the same pruning: the project prunes with the runner's keep_tokens).
        ctx.parsed = project.parsed_as_read(target.relative, source.raw)
        if ctx.parsed is None:
            with phase("parse"):
                try:
                    ctx.parsed = project.parse(target.relative, source)
                except ParseFailure as failure:
                    self._unparsable(ctx, SourceError("parse", failure.message, failure.line, failure.column), result)
                    return self._suppress(ctx, result)
                project.adopt(ctx.parsed)
        with phase("rules"):
            for rule in wanted:
                self._call(rule, "check", ctx, result)
        return self._suppress(ctx, result)

    # --- many files: cache, prefilter, then parse and check (in parallel when it pays) ---------
    def _check_targets(self, targets: Sequence[Target], options: RunOptions, result: RunResult) -> None:
        from .parallel import PendingFiles

        outcomes: List[Optional[_Outcome]] = [None] * len(targets)
        self._checking = frozenset((target.root, target.relative) for target in targets if target.is_python)
        # Files kept by the prefilter: checked by worker processes while this loop goes on
        # (see poolcheck.parallel), or here after it when there are few.
        pending = PendingFiles(self, self.jobs if self.jobs is not None else _cpu_count(), self.parallel_minimum)
        try:
            self._prefilter_targets(targets, outcomes, pending, result)
            self._close_bulk_scanners()  # every file is searched by now
            self._check_pending(pending, outcomes)
        finally:
            pending.close()
            self._close_bulk_scanners()
        with phase("cache"):
            if self.cache is not None:
                self.cache.save(lambda: self._walked_files(self.projects.values()))
        for target, outcome in zip(targets, outcomes):
            if outcome is None:
                continue
            result.errors.extend(outcome.errors)
            result.warnings.extend(outcome.warnings)
            if outcome.source is None:
                continue
            findings = outcome.findings
            text = outcome.source.text if isinstance(outcome.source, SourceFile) else ""
            if options.needs_fingerprints and findings:
                from .fingerprints import with_fingerprints

                findings = with_fingerprints(findings, text, self.repository_key(target.absolute, target.root))
            self._finish_target(target, findings, text, options, result)

    def _prefilter_targets(self, targets: Sequence[Target], outcomes: List[Optional["_Outcome"]], pending, result: RunResult) -> None:
        """Serve what the cache holds, read and prefilter the rest: outcomes for the files
        no rule wants, the others to ``pending``."""
        prepared = set()
        for index, target in enumerate(targets):
            project = self.project(target.root)
            if self.cache is not None:
                # The file's digest (from its status when unchanged: not even read) and
                # the cached entry, if every dependency is as it was.
                with phase("cache"):
                    if target.root not in prepared:
                        prepared.add(target.root)
                        asked = self.cache.results(target.root).tokens_asked()
                        if asked:
                            project.index_tokens(asked)  # one pass over the files for them all
                    digest = project.digest(target.relative)
                    hit = None
                    if digest != "-":
                        hit = self.cache.results(target.root).lookup(target.relative, self._entry_digest(target, digest), project.dependency_value)
                if hit is not None:
                    self.stats["cached"] += 1
                    result.cached_files.append(target.path)
                    # The text is needed only to show excerpts of findings.
                    source = read_source(target.absolute, None, python=target.is_python) if hit[0] else None
                    outcomes[index] = _Outcome(findings=hit[0], warnings=hit[1], source=source if source is not None else _NOT_READ)
                    continue
            with phase("prefilter"):
                settled = self._settled_unread(project, target)
            if settled:
                self.stats["checked"] += 1
                outcomes[index] = _Outcome(source=_NOT_READ)
                continue
            with phase("prefilter"):
                # Read once: a project fact may have read every file already.
                held = project.bytes_read(target.relative)
                data, problem, info = (held[0], None, held[1]) if held is not None else _read(target)
            if problem is not None:
                outcomes[index] = _Outcome(errors=[f"{target.path}: cannot read: {problem}"])
                continue
            project.seed_bytes(target.relative, data, info)
            with phase("prefilter"):
                source = read_source(target.absolute, data, python=target.is_python)
            # What the cache keeps an outcome under (no cache: no use for a digest of every file).
            digest = project.digest(target.relative) if self.cache is not None else "-"
            self.stats["checked"] += 1
            local = RunResult()
            with project.recording() as dependencies:
                first = self._prefilter_stage(target, project, source, local)
            if isinstance(first, list):
                # The text is kept only to show excerpts of findings: most files have none,
                # and keeping every file's text doubled a large tree's peak memory.
                outcomes[index] = _Outcome(first, local.warnings, local.errors, source if first else _NOT_READ)
                # Nothing found without a parse: the next run finds it again as cheaply.
                cheap = target.is_python and not (first or local.warnings or local.errors)
                self._remember(target, project, digest, dependencies, outcomes[index], cheap=cheap)
            else:
                pending.add(_Pending(index, target, source, [r.code for r in first[1]], dependencies, digest))

    @staticmethod
    def _walked_files(projects: Iterable[Project]) -> Dict[Path, FrozenSet[str]]:
        """Per project root whose tree this run walked, its files: the cache's save then
        knows which files are gone without a ``stat`` of every file it holds results for."""
        walked = {}
        for project in projects:
            tree = project.tree.walked if isinstance(project.tree, _LazyTree) else project.tree
            if tree is not None:
                walked[project.root] = frozenset(tree.file_names())
        return walked

    def _entry_digest(self, target: Target, digest: str) -> str:
        """What a cached entry is for: this content, shown under this name."""
        return f"{digest}:{target.path.as_posix()}:{int(target.is_python)}"

    def _remember(self, target: Target, project: Project, digest: str, dependencies, outcome: "_Outcome", values=None, cheap: bool = False) -> None:
        """Keep a file's outcome in the cache, with its dependencies' values: ``values`` when
        they come from a worker process, else this project's (it holds the bytes read).
        ``cheap``: the outcome took no parse (see ``ResultStore.store``)."""
        if self.cache is None or outcome.errors:
            return  # a rule's internal error is not a result worth keeping
        with phase("cache"):
            store = self.cache.results(target.root)
            # Files checked alike have the same dependencies: one set for all of them.
            dependencies = frozenset(values if values is not None else dependencies)
            dependencies = self._dependency_sets.setdefault(dependencies, dependencies)
            value_of = values.__getitem__ if values is not None else project.dependency_value
            store.store(target.relative, self._entry_digest(target, digest), dependencies, value_of, outcome.findings, outcome.warnings, cheap=cheap)

    def _check_pending(self, pending, outcomes: List[Optional["_Outcome"]]) -> None:
        """Collect the outcomes of the pending files (``parallel.PendingFiles``) and keep them."""
        for item, (findings, warnings, errors, dependencies) in pending.results():
            outcome = outcomes[item.index] = _Outcome(findings, warnings, errors, item.source)
            if pending.started:
                self.stats["workers"] = pending.workers
                self._remember(item.target, self.project(item.target.root), item.digest, dependencies, outcome, dependencies)
            else:
                self._remember(item.target, self.project(item.target.root), item.digest, dependencies, outcome)

    def check_pending(self, item: "_Pending"):
        """Parse one file and run the rules that want it: (findings, warnings, errors, the
        dependencies of the file's findings)."""
        project = self.project(item.target.root)
        local = RunResult()
        ctx = FileContext(target=item.target, project=project, source=item.source)
        wanted = [r for r in self.active if r.code in item.rules]
        with project.recording() as dependencies:
            findings = self._rules_stage(ctx, wanted, local)
        return findings, local.warnings, local.errors, dependencies | item.dependencies

    def _finish_target(self, target: Target, findings: List[Finding], text: str, options: RunOptions, result: RunResult) -> None:
        findings, baselined = _split_baselined(findings, options)
        result.baselined.extend(baselined)
        for finding in findings:
            if finding.fix is not None and finding.fix.edits:
                if applicable(finding.fix, options.unsafe_fixes):
                    result.fixable += 1
                else:
                    result.unsafe_fixable += 1
        if findings:
            result.sources[target.path] = text
        result.findings.extend(findings)

    def _check_text(self, ctx: FileContext, source, result: RunResult) -> List[Finding]:
        """A non-Python target: each enabled rule whose ``file_patterns`` match its name (and
        whose tokens it contains) checks its text. It is never parsed as Python."""
        name = ctx.target.absolute.name
        wanted = [r for r in self.active if _overrides(r, "check_text") and matches_any(name, r.file_patterns)]
        if isinstance(source, SourceError):
            if wanted:
                result.warnings.append(f"{ctx.path}:{source.line}: could not be checked: {source.message}")
            return []
        for rule in wanted:
            if wants(rule.tokens, source.raw, ctx.project, ctx.target.relative):
                self._call(rule, "check_text", ctx, result)
        return self._suppress(ctx, result)

    def _unparsable(self, ctx: FileContext, error: SourceError, result: RunResult) -> None:
        error = _inside(error, ctx.source)
        hooks = [r for r in self.active if _overrides(r, "check_unparsable")]
        for rule in hooks:
            self._call(rule, "check_unparsable", ctx, result, error)
        if not hooks:
            result.warnings.append(f"{ctx.path}:{error.line}: could not be checked: {error.message}")

    def _call(self, rule: Type[Rule], hook: str, ctx: FileContext, result: RunResult, *args) -> None:
        try:
            getattr(self.instances[rule.code], hook)(RuleContext(ctx, rule), *args)
        except (ParseFailure, RecursionError) as exc:
            from .syntax import nesting_failure

            # The rule needed more of the file than poolcheck can parse (the whole file, for a
            # fix), or followed code nested deeper than Python's recursion limit allows: the
            # file is not checked, and PC001 says why, as for a file that does not parse.
            failure = exc if isinstance(exc, ParseFailure) else nesting_failure(ctx.source)
            if hook == "check_unparsable" or (failure is None and isinstance(exc, RecursionError)):
                result.errors.append(f"{ctx.path}: internal error in rule {rule.code} ({rule.name}): {type(exc).__name__}: {exc}")
            elif not ctx._memo.get("reported-unparsable"):
                ctx._memo["reported-unparsable"] = True
                self._unparsable(ctx, SourceError("parse", failure.message, failure.line, failure.column), result)
        except Exception as exc:  # a bug in one rule must not hide the others' findings
            result.errors.append(f"{ctx.path}: internal error in rule {rule.code} ({rule.name}): {type(exc).__name__}: {exc}")

    def _suppress(self, ctx: FileContext, result: RunResult) -> List[Finding]:
        hooks = [r for r in self.active if _overrides(r, "check_suppressions")]
        if not ctx.findings and not (
            ctx.source is not None and any(wants(r.tokens, ctx.source.raw, None, ctx.target.relative) for r in hooks)
        ):
            return []  # nothing to suppress, and no rule judges this file's suppressions
        with phase("suppress"):
            return self._suppress_findings(ctx, result, hooks)

    def _suppress_findings(self, ctx: FileContext, result: RunResult, hooks) -> List[Finding]:
        from .suppression import apply_noqa, parse_directives, parse_text_directives, unknown_file_codes, unused_noqa

        text = ctx.source.text if ctx.source is not None else ""
        directives = parse_directives(text) if ctx.target.is_python else parse_text_directives(text)
        relative = self._config_relative(ctx.target)
        findings = apply_noqa(ctx.findings, directives)
        for line, code in unknown_file_codes(directives, self.known_codes, self.code_prefixes):
            result.warnings.append(f"{ctx.path}:{line}: `# poolcheck: noqa` names {code}, which is not a poolcheck rule (run `poolcheck rules` for the list)")
        findings = [f for f in findings if not self.per_file_ignores.ignored(relative, f.code)]
        if hooks and directives.line_comments:
            unused = unused_noqa(directives, self.enabled, self.known_codes, self.code_prefixes)
            if unused:
                before = len(ctx.findings)
                for rule in hooks:
                    self._call(rule, "check_suppressions", ctx, result, unused)
                # per-file-ignores apply to these findings too (`"legacy/*" = ["PC002"]`).
                findings.extend(f for f in ctx.findings[before:] if not self.per_file_ignores.ignored(relative, f.code))
        return _distinct(findings)

    def _config_relative(self, target: Target) -> Optional[PurePosixPath]:
        base = self.settings.base
        if base is None:
            return target.relative
        try:
            return PurePosixPath(target.absolute.relative_to(base.resolve()).as_posix())
        except ValueError:
            return None

    @property
    def per_file_ignores(self):
        """The configured per-file-ignores (``suppression.PerFileIgnores``): made, and the
        suppression machinery imported, only when a file has findings or ignores are set."""
        if self._per_file_ignores is None:
            from .suppression import PerFileIgnores

            self._per_file_ignores = PerFileIgnores(self.settings.per_file_ignores)
        return self._per_file_ignores

    def _warn_unmatched_per_file_ignores(self, result: RunResult, projects: Sequence[Project], targets: Sequence[Target]) -> None:
        if not self.settings.per_file_ignores:
            return
        for glob, _, _ in self.per_file_ignores.entries:
            if glob not in self.per_file_ignores.matched_globs:
                # The checked files count even when they are not on disk (standard input).
                checked = [r for r in (self._config_relative(t) for t in targets) if r is not None]
                matched = self.per_file_ignores.globs_matching(
                    [PurePosixPath(t.as_posix()) for p in projects for t in p.tree.files] + checked
                )
                if glob not in matched:
                    result.warnings.append(f"{self.settings.path}: per-file-ignores pattern {glob!r} matches no file")

    # --- fixing -------------------------------------------------------------------------------
    def _fix(self, target: Target, project: Project, source: SourceFile, findings: List[Finding], options: RunOptions, result: RunResult) -> Tuple[List[Finding], str]:
        """Fix, re-check, repeat until nothing more applies. Returns the findings that remain
        and the text they refer to (the fixed text when it was written or echoed)."""
        from .fixes import MAX_ROUNDS, FileChanged, apply_fixes, still_valid, unified_diff, write_atomically  # here: checking never writes

        current = source
        fixed: List[Finding] = []
        for _ in range(MAX_ROUNDS):
            text, applied = apply_fixes(current, _not_baselined(findings, options), options.unsafe_fixes)
            if not applied or text == current.text:
                break
            if not still_valid(text, target.absolute.name, target.is_python):
                codes = ", ".join(sorted({f.code for f in applied}))
                result.warnings.append(f"{target.path}: a fix for {codes} would not parse; left unfixed (please report this)")
                break
            try:
                raw = current.encode(text)
            except UnicodeEncodeError:
                result.warnings.append(f"{target.path}: not fixed: the fixed text cannot be written in the file's encoding ({current.encoding})")
                break
            fixed.extend(applied)
            current = SourceFile(path=current.path, raw=raw, text=text, encoding=current.encoding, has_bom=current.has_bom)
            project.set_overlay(target.relative, current.raw)
            findings = self.check_source(target, project, current, result, options.needs_fingerprints)
        if options.stdin_filename is None and target.relative in project.overlays:
            project.set_overlay(target.relative, None)
        if not fixed:
            return findings, source.text
        if options.diff:
            result.fixed.append(FixedFile(target.path, fixed, unified_diff(target.path, source.text, current.text), current.text))
            return self.check_source(target, project, source, result, options.needs_fingerprints), source.text
        if options.stdin_filename is not None:
            result.fixed.append(FixedFile(target.path, fixed, unified_diff(target.path, source.text, current.text), current.text))
            return findings, current.text
        try:
            write_atomically(target.absolute, source, current.text)
        except FileChanged as exc:
            result.warnings.append(f"{target.path}: not fixed: {exc}")
            return self.check_source(target, project, source, result, options.needs_fingerprints), source.text
        except OSError as exc:
            result.errors.append(f"{target.path}: cannot write the fixed file: {exc.strerror or exc}")
            return self.check_source(target, project, source, result, options.needs_fingerprints), source.text
        result.fixed.append(FixedFile(target.path, fixed, text=current.text))
        return findings, current.text


def _inside(error: SourceError, source: Optional[SourceFile]) -> SourceError:
    """The error with its position inside the file: a parser's column can count from another
    start than the line's (a continued logical line) or in bytes; a finding must point at a
    place that exists."""
    if source is None:
        return error
    lines = source.lines
    line = min(max(error.line, 1), max(len(lines), 1))
    width = len(lines[line - 1]) if lines else 0
    column = min(max(error.column, 0), width)
    if (line, column) == (error.line, error.column):
        return error
    return SourceError(error.kind, error.message, line, column)


def _split_baselined(findings: List[Finding], options: RunOptions) -> Tuple[List[Finding], List[Finding]]:
    """(the findings to report, the findings the baseline records)."""
    if options.baseline is None:
        return findings, []
    return [f for f in findings if f not in options.baseline], [f for f in findings if f in options.baseline]


def _not_baselined(findings: List[Finding], options: RunOptions) -> List[Finding]:
    return _split_baselined(findings, options)[0]


def _distinct(findings: List[Finding]) -> List[Finding]:
    """Without repeats: two engines built from one options dict (a config class and its
    subclass) can give the very same finding at the very same place."""
    seen = set()
    kept = []
    for finding in findings:
        key = (finding.code, finding.span, finding.message)
        if key not in seen:
            seen.add(key)
            kept.append(finding)
    return kept


def _letters(code: str) -> str:
    index = 0
    while index < len(code) and code[index].isalpha():
        index += 1
    return code[:index]


class _Outcome:
    """What checking one file gave, before fingerprints, baseline and fixes."""

    __slots__ = ("findings", "warnings", "errors", "source")

    def __init__(self, findings: Optional[List[Finding]] = None, warnings: Optional[List[str]] = None, errors: Optional[List[str]] = None, source: object = None) -> None:
        self.findings: List[Finding] = findings if findings is not None else []
        self.warnings: List[str] = warnings if warnings is not None else []
        self.errors: List[str] = errors if errors is not None else []
        self.source = source  # SourceFile | SourceError; None: the file could not be read


class _Pending(NamedTuple):
    """A file the prefilter kept: to be parsed and checked."""

    index: int
    target: Target
    source: SourceFile
    rules: List[str]
    dependencies: frozenset
    digest: str


class _LazyTree:
    """A project's file list, walked the first time something asks for it: checking a
    file that no rule wants needs no walk of the whole tree."""

    def __init__(self, walker: Walker, root: Path) -> None:
        self._walker = walker
        self._root = root
        self._tree = None

    @property
    def walked(self):
        """The tree, if something asked for it already; else None (no walk)."""
        return self._tree

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        if self._tree is None:
            with phase("discovery"):
                self._tree = self._walker.tree(self._root)
        return getattr(self._tree, name)


def _read(target: Target):
    """The file's bytes, or why they cannot be read (as read_source says it), and its status
    taken before reading."""
    import os

    try:
        with open(target.absolute, "rb") as handle:
            info = os.fstat(handle.fileno())
            return handle.read(), None, info
    except IsADirectoryError:
        return None, "is a directory", None
    except FileNotFoundError:
        return None, "no such file (was it deleted during the run?)", None
    except PermissionError:
        return None, "permission denied", None
    except OSError as exc:
        return None, exc.strerror or str(exc), None


class _NotRead:
    """The source of a file served from the cache without findings: never read."""

    text = ""


_NOT_READ = _NotRead()


def _cpu_count() -> int:
    import os

    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1
