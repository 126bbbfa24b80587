"""One run: discover -> prefilter -> parse -> rules -> suppress -> (fix) -> findings.

The runner is the only place that knows the order of the stages. It never formats output
(reporters do) and never exits (the command line does): it returns a :class:`RunResult`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Dict, FrozenSet, List, Optional, Sequence, Tuple, Type

from .config import Settings
from .context import FileContext, RuleContext
from .discovery import Target, Walker, collect_targets, display_path, find_project_root
from .findings import Finding
from .fixes import MAX_ROUNDS, FileChanged, apply_fixes, applicable, still_parses, unified_diff, write_atomically
from .project import Project
from .registry import RuleSet
from .rule import Rule
from .source import SourceError, SourceFile, read_source
from .suppression import PerFileIgnores, apply_noqa, parse_directives, unused_noqa


@dataclass
class RunOptions:
    paths: Sequence[Path] = (Path("."),)
    fix: bool = False
    unsafe_fixes: bool = False
    diff: bool = False  # compute fixes, print them as a diff, write nothing
    stdin_filename: Optional[Path] = None
    stdin_data: Optional[bytes] = None


@dataclass
class FixedFile:
    path: Path
    fixed: List[Finding]
    diff: str = ""
    text: Optional[str] = None  # the fixed content (for standard input, which is echoed back)


@dataclass
class RunResult:
    findings: List[Finding] = field(default_factory=list)
    checked_files: List[Path] = field(default_factory=list)
    errors: List[str] = field(default_factory=list)  # one line each, for standard error
    warnings: List[str] = field(default_factory=list)
    fixed: List[FixedFile] = field(default_factory=list)
    # Findings with a fix that was not applied because it is unsafe (for the hint line).
    unsafe_fixable: int = 0
    fixable: int = 0
    # The text of each file with findings, as checked (after fixes): reporters show excerpts
    # from it instead of reading files again.
    sources: Dict[Path, str] = field(default_factory=dict)


def _overrides_check(rule: Type[Rule]) -> bool:
    return rule.check is not Rule.check


def _overrides(rule: Type[Rule], hook: str) -> bool:
    return getattr(rule, hook) is not getattr(Rule, hook)


class Runner:
    def __init__(self, settings: Settings, rules: RuleSet, enabled: FrozenSet[str], cwd: Optional[Path] = None) -> None:
        self.settings = settings
        self.rules = rules
        self.enabled = enabled
        self.cwd = (cwd or Path.cwd()).resolve()
        self.walker = Walker(settings)
        self.projects: Dict[Path, Project] = {}
        self.active: List[Type[Rule]] = [r for r in rules if r.code in enabled]
        self.instances = {r.code: r() for r in self.active}
        self.per_file_ignores = PerFileIgnores(settings.per_file_ignores)
        self.known_codes = frozenset(rules.codes)
        self.code_prefixes = frozenset(_letters(code) for code in rules.codes)
        self.keep_tokens = tuple(sorted({t.decode("latin-1") for rule in rules for t in rule.tokens}))

    # --- projects -----------------------------------------------------------------------------
    def project(self, root: Path) -> Project:
        """The project of files as they are on disk, shared by every file checked under it."""
        if root not in self.projects:
            self.projects[root] = Project(root, self.walker.tree(root), self.settings, keep_tokens=self.keep_tokens)
        return self.projects[root]

    # --- the run ------------------------------------------------------------------------------
    def run(self, options: RunOptions) -> RunResult:
        result = RunResult()
        if options.stdin_filename is not None:
            target = self._stdin_target(options.stdin_filename)
            # A fresh project every time: its facts and parsed modules include the buffer,
            # and the next buffer checked by this (long-lived, in an editor) runner differs.
            project = Project(
                target.root,
                self.walker.tree(target.root),
                self.settings,
                overlays={target.relative: options.stdin_data or b""},
                keep_tokens=self.keep_tokens,
            )
            self._check_target(target, project, options.stdin_data or b"", options, result)
            targets, used = [target], [project]
        else:
            targets, errors = collect_targets(list(options.paths), self.walker, self.cwd)
            result.errors.extend(errors)
            for target in targets:
                self._check_target(target, self.project(target.root), None, options, result)
            used = list(self.projects.values())
        result.findings.sort(key=Finding.sort_key)
        result.checked_files = [t.path for t in targets]
        self._warn_unmatched_per_file_ignores(result, used, targets)
        return result

    def check_buffer(self, path: Path, data: bytes, *, fix: bool = False, unsafe_fixes: bool = False) -> RunResult:
        """Check ``data`` as the content of ``path`` (which need not exist), with the project
        around ``path`` read from disk: what ``poolcheck check --stdin-filename PATH -`` does,
        for editors and plugins. With ``fix``, the fixed text is in ``result.fixed[0].text``
        and nothing is written."""
        return self.run(RunOptions(stdin_filename=path, stdin_data=data, fix=fix, unsafe_fixes=unsafe_fixes))

    def _stdin_target(self, name: Path) -> Target:
        absolute = (self.cwd / name).resolve()
        # The root is found from the name's own folder upward, whether or not that folder
        # exists yet (a new module in a new package is still part of the project around it).
        root = find_project_root(absolute)
        try:
            relative = PurePosixPath(absolute.relative_to(root).as_posix())
        except ValueError:
            relative = PurePosixPath(absolute.name)
        return Target(display_path(absolute, self.cwd), absolute, root, relative, explicit=True)

    def _check_target(self, target: Target, project: Project, data: Optional[bytes], options: RunOptions, result: RunResult) -> None:
        source = read_source(target.absolute, data)
        if isinstance(source, SourceError) and source.kind == "read":
            result.errors.append(f"{target.path}: cannot read: {source.message}")
            return
        findings = self.check_source(target, project, source, result)
        text = source.text if isinstance(source, SourceFile) else ""
        if isinstance(source, SourceFile) and (options.fix or options.diff) and any(applicable(f.fix, options.unsafe_fixes) for f in findings):
            findings, text = self._fix(target, project, source, findings, options, result)
        for finding in findings:
            if finding.fix is not None and finding.fix.edits:
                if applicable(finding.fix, options.unsafe_fixes):
                    result.fixable += 1
                else:
                    result.unsafe_fixable += 1
        if findings:
            result.sources[target.path] = text
        result.findings.extend(findings)

    def check_source(self, target: Target, project: Project, source, result: RunResult) -> List[Finding]:
        """All findings for one file's content, after suppression."""
        ctx = FileContext(target=target, project=project, source=source if isinstance(source, SourceFile) else None)
        if isinstance(source, SourceError):
            self._unparsable(ctx, source, result)
            return self._suppress(ctx, result)
        wanted = [r for r in self.active if _overrides_check(r) and (not r.tokens or any(t in source.raw for t in r.tokens))]
        if not wanted:
            return self._suppress(ctx, result)
        from .syntax import ParsedFile, ParseFailure, module_name_for, parse_pruned

        try:
            parse = parse_pruned(source, self.keep_tokens)
        except ParseFailure as failure:
            self._unparsable(ctx, SourceError("parse", failure.message, failure.line, failure.column), result)
            return self._suppress(ctx, result)
        name, is_package = module_name_for(target.relative)
        ctx.parsed = ParsedFile(source, parse.module, target.relative, name, is_package, parse.line_map, parse.pruned_names)
        project.adopt(ctx.parsed)
        for rule in wanted:
            self._call(rule, "check", ctx, result)
        return self._suppress(ctx, result)

    def _unparsable(self, ctx: FileContext, error: SourceError, result: RunResult) -> None:
        hooks = [r for r in self.active if _overrides(r, "check_unparsable")]
        for rule in hooks:
            self._call(rule, "check_unparsable", ctx, result, error)
        if not hooks:
            result.warnings.append(f"{ctx.path}:{error.line}: could not be checked: {error.message}")

    def _call(self, rule: Type[Rule], hook: str, ctx: FileContext, result: RunResult, *args) -> None:
        try:
            getattr(self.instances[rule.code], hook)(RuleContext(ctx, rule), *args)
        except Exception as exc:  # a bug in one rule must not hide the others' findings
            result.errors.append(f"{ctx.path}: internal error in rule {rule.code} ({rule.name}): {type(exc).__name__}: {exc}")

    def _suppress(self, ctx: FileContext, result: RunResult) -> List[Finding]:
        text = ctx.source.text if ctx.source is not None else ""
        directives = parse_directives(text)
        relative = self._config_relative(ctx.target)
        findings = apply_noqa(ctx.findings, directives)
        findings = [f for f in findings if not self.per_file_ignores.ignored(relative, f.code)]
        hooks = [r for r in self.active if _overrides(r, "check_suppressions")]
        if hooks and directives.line_comments:
            unused = unused_noqa(directives, self.enabled, self.known_codes, self.code_prefixes)
            if unused:
                before = len(ctx.findings)
                for rule in hooks:
                    self._call(rule, "check_suppressions", ctx, result, unused)
                # per-file-ignores apply to these findings too (`"legacy/*" = ["PC002"]`).
                findings.extend(f for f in ctx.findings[before:] if not self.per_file_ignores.ignored(relative, f.code))
        return findings

    def _config_relative(self, target: Target) -> Optional[PurePosixPath]:
        base = self.settings.base
        if base is None:
            return target.relative
        try:
            return PurePosixPath(target.absolute.relative_to(base.resolve()).as_posix())
        except ValueError:
            return None

    def _warn_unmatched_per_file_ignores(self, result: RunResult, projects: Sequence[Project], targets: Sequence[Target]) -> None:
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
        current = source
        fixed: List[Finding] = []
        for _ in range(MAX_ROUNDS):
            text, applied = apply_fixes(current, findings, options.unsafe_fixes)
            if not applied or text == current.text:
                break
            if not still_parses(text):
                codes = ", ".join(sorted({f.code for f in applied}))
                result.warnings.append(f"{target.path}: a fix for {codes} would not parse; left unfixed (please report this)")
                break
            fixed.extend(applied)
            current = SourceFile(path=current.path, raw=current.encode(text), text=text, encoding=current.encoding, has_bom=current.has_bom)
            project.overlays[target.relative] = current.raw
            findings = self.check_source(target, project, current, result)
        if options.stdin_filename is None:
            project.overlays.pop(target.relative, None)
        if not fixed:
            return findings, source.text
        if options.diff:
            result.fixed.append(FixedFile(target.path, fixed, unified_diff(target.path, source.text, current.text), current.text))
            return self.check_source(target, project, source, result), source.text
        if options.stdin_filename is not None:
            result.fixed.append(FixedFile(target.path, fixed, unified_diff(target.path, source.text, current.text), current.text))
            return findings, current.text
        try:
            write_atomically(target.absolute, source, current.text)
        except FileChanged as exc:
            result.warnings.append(f"{target.path}: not fixed: {exc}")
            return self.check_source(target, project, source, result), source.text
        except OSError as exc:
            result.errors.append(f"{target.path}: cannot write the fixed file: {exc.strerror or exc}")
            return self.check_source(target, project, source, result), source.text
        result.fixed.append(FixedFile(target.path, fixed, text=current.text))
        return findings, current.text


def _letters(code: str) -> str:
    index = 0
    while index < len(code) and code[index].isalpha():
        index += 1
    return code[:index]
