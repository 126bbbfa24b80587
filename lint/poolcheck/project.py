"""One project root: its files, its parsed modules, and module resolution across them.

A ``Project`` is shared by every file checked under the same root. It parses other modules
only when asked (an imported constant, a factory defined elsewhere), caches them, and never
imports or runs anything.

**What a result depends on.** Everything a check learns about other files comes through the
project: ``read_bytes`` (and ``read_text``, ``parsed``), ``paths``, ``files_containing``,
``resolve_module``, and the project facts and memos computed from those. While a file is
checked inside ``recording()``, each of these notes what it answered from (a *dependency*:
``("bytes", path)``, ``("paths",)``, ``("containing", tokens, suffixes)``, ``("resolve",
dotted, importer)``); a fact (``fact``) or memo entry (``memo``) keeps the dependencies of
its computation and hands them to every later reader, so a file that gets a fact computed
for another still depends on what the fact read. ``dependency_value`` gives a dependency's
current value (a digest): the result cache (``poolcheck.cache``) keeps a file's findings with
the values of its dependencies and serves them only while every one is unchanged. Code that
keeps its own state across files must do so through ``fact`` or ``memo``.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Dict, FrozenSet, Iterable, Iterator, List, NamedTuple, Optional, Sequence, Set, Tuple

from .config import Settings
from .discovery import ProjectTree, is_python_name, suffix_of_name
from .digests import sha1_hex
from .source import ParseFailure, SourceFile, decode_source
from .tokenscan import NoCase, Token, TokenScanner, token_from_key, token_key

Dependency = Tuple[Any, ...]


class Project:
    # A plain class: a dataclass costs its module (and `inspect`) at every run's start.
    def __init__(
        self,
        root: Path,
        tree: ProjectTree,
        settings: Settings,
        *,
        overlays: Optional[Dict[PurePosixPath, bytes]] = None,
        keep_tokens: Tuple[str, ...] = (),
        token_sources: Tuple[Callable[["Project"], Any], ...] = (),
        pruning_tests: Tuple[Callable[["Project", str], Callable[[str], bool]], ...] = (),
        cwd: Optional[Path] = None,
        token_store: Any = None,
        file_stamps: Any = None,
        summary_store: Any = None,
        fact_store: Any = None,
        prefilter_tokens: Tuple[Token, ...] = (),
        fact_tokens: Tuple[Token, ...] = (),
        bulk_scanner: Any = None,
    ) -> None:
        self.root = root
        self.tree = tree
        self.settings = settings
        # Content given for a file instead of the disk's (standard input, editor buffers).
        self.overlays: Dict[PurePosixPath, bytes] = overlays if overlays is not None else {}
        # Top-level definitions mentioning none of these are left out of parses (see
        # syntax.parse_pruned): the tokens of every loaded rule, so the answer is the same
        # whichever rules a run selects.
        self.keep_tokens = keep_tokens
        # Sources of tokens the project itself defines (prefilter.ProjectTokens.for_project
        # of every loaded rule): names of factories and engines, kept in pruned parses too.
        self.token_sources = token_sources
        # Rule.pruning tests: what else pruned parses keep.
        self.pruning_tests = pruning_tests
        # The folder paths are shown relative to (the runner's working directory).
        self.cwd = cwd
        # Which tokens each Python file holds: per token, the files holding it (filled for
        # the tokens asked about, or for the whole universe at once by ``index_tokens``). A
        # ``token_store`` (the cache's) remembers, per file content, the tokens found before.
        self.token_store = token_store
        # The cache's record of files' status and digests (cache.FileStamps), or None.
        self.file_stamps = file_stamps
        # The cache's per-content summaries of files (cache.SummaryStore; see ``summary``).
        self.summary_store = summary_store
        # The cache's store of project facts kept across runs (cache.ResultStore; see
        # ``fact``'s ``persist``), or None.
        self.fact_store = fact_store
        # Looked for in a file the first time any token is asked about it (the runner sets
        # the enabled rules' tokens): one pass answers the prefilter and the facts alike.
        self.prefilter_tokens = prefilter_tokens
        self._prefilter_set: FrozenSet[Token] = frozenset(prefilter_tokens)
        # And the tokens project facts will ask of every file (the rules' fact_tokens): a
        # question of its own was another pass over the tree (another read of every file, by
        # the bulk scanner's processes or by each checking worker).
        self._first_pass: FrozenSet[Token] = self._prefilter_set | frozenset(fact_tokens)
        # Searches many files in other processes (bulkscan.BulkScanner), for a run without a
        # cache; None: every file is searched here.
        self.bulk_scanner = bulk_scanner
        self._bytes: Dict[PurePosixPath, Optional[bytes]] = {}
        # Whether a file the bulk scanner's processes read decodes as Python source.
        self._decodes: Dict[PurePosixPath, bool] = {}
        self._parsed: Dict[PurePosixPath, Any] = {}
        self._unpruned: Dict[PurePosixPath, Any] = {}
        self._module_index: Optional[Dict[str, PurePosixPath]] = None
        self._file_set: Optional[frozenset] = None
        self._facts: Dict[str, Any] = {}
        self._pruning: Optional[Tuple[str, ...]] = None
        self._modules_by_last: Optional[Dict[str, List[Tuple[str, PurePosixPath]]]] = None
        self._computing_pruning = False
        # Dependency recording (see the module docstring).
        self._recorders: List[Set[Dependency]] = []
        self._quiet = 0
        self._fact_deps: Dict[str, FrozenSet[Dependency]] = {}
        self._memos: Dict[str, Dict[Any, Tuple[Any, FrozenSet[Dependency]]]] = {}
        self._memo_active: Set[Tuple[str, Any]] = set()
        self._digests: Dict[PurePosixPath, str] = {}
        self._dependency_values: Dict[Dependency, str] = {}
        self._stats: Dict[PurePosixPath, Any] = {}
        self._stamped: Dict[PurePosixPath, str] = {}
        self._token_files: Dict[Token, FrozenSet[PurePosixPath]] = {}
        self._presence: Dict[PurePosixPath, Tuple[FrozenSet[Token], FrozenSet[Token]]] = {}
        self._scanners: Dict[FrozenSet[Token], TokenScanner] = {}
        self._python: Optional[Tuple[Tuple[PurePosixPath, ...], Tuple[str, ...]]] = None  # see _python_files
        # Summaries and outlines the bulk scanner's processes made (``prefetch_summaries``),
        # by file content: (kind, bytes) -> summary, and bytes -> outline.
        self._prefetched: Dict[Tuple[str, bytes], Any] = {}
        self._outlines: Dict[bytes, Any] = {}
        # Called with the files being summarized, while the bulk scanner's processes do it:
        # this process would only wait (the runner imports the parser when it checks them).
        self.while_summarizing: Optional[Callable[[Sequence[PurePosixPath]], None]] = None

    def __repr__(self) -> str:
        return f"Project({str(self.root)!r})"

    @property
    def _root_text(self) -> str:
        return str(self.root)

    def display(self, relative) -> Path:
        """A project-relative path as the user's paths show it: relative to the working
        directory when it is inside it, else absolute."""
        absolute = self.root / Path(str(relative))
        try:
            return absolute.relative_to(self.cwd or Path.cwd())
        except ValueError:
            return absolute

    # --- the ProjectFiles protocol ----------------------------------------------------------
    def paths(self) -> Sequence[PurePosixPath]:
        self._note(("paths",))
        return self.tree.files

    def read_bytes(self, path: PurePosixPath) -> Optional[bytes]:
        path = _posix(path)
        self._note(("bytes", str(path)))
        return self._raw(path)

    def _raw(self, path: PurePosixPath) -> Optional[bytes]:
        if path in self.overlays:
            return self.overlays[path]
        if path not in self._bytes:
            data, info = read_with_stat(os.path.join(self._root_text, str(path)))
            self._bytes[path] = data
            self._note_stat(path, info)
        return self._bytes[path]

    def bytes_read(self, path: PurePosixPath) -> Optional[Tuple[bytes, Optional[os.stat_result]]]:
        """The file's bytes and status if this project has read them from disk already (a
        project fact asked about every file before the runner got to this one)."""
        path = _posix(path)
        if path in self.overlays:
            return None
        data = self._bytes.get(path)
        return None if data is None else (data, self._stats.get(path))

    def seed_bytes(self, path: PurePosixPath, data: Optional[bytes], info: Optional[os.stat_result] = None) -> None:
        """The content of ``path`` as the runner read it (so that it is read once), with the
        file's status taken before reading it."""
        path = _posix(path)
        if path not in self.overlays and path not in self._bytes:
            self._bytes[path] = data
            self._note_stat(path, info)

    def _note_stat(self, path: PurePosixPath, info: Optional[os.stat_result]) -> None:
        # A digest found from the file's status alone is dropped: the digest is of these bytes.
        if self._stamped.pop(path, None) is not None:
            self._digests.pop(path, None)
        self._stats[path] = info

    def content_is(self, path: PurePosixPath, data: bytes) -> bool:
        """Whether ``data`` is what this project has (or would read) for ``path``."""
        current = self._raw(_posix(path))
        return current is data or current == data

    def digest(self, path: PurePosixPath) -> str:
        """A digest of the file's content as this project sees it ("-" when unreadable).

        With ``file_stamps`` (the cache's), a file whose size, times and inode are those it
        had when its digest was taken, longer ago than the file system's time resolution, is
        not read again."""
        path = _posix(path)
        value = self._digests.get(path)
        if value is None:
            stamps = self.file_stamps
            if stamps is not None and path not in self.overlays and path not in self._bytes:
                value = self._stamped_digest(path)
                if value is not None:
                    return value
            data = self._raw(path)
            value = self._digests[path] = sha1_hex(data) if data is not None else "-"
            if stamps is not None and path not in self.overlays and self._stats.get(path) is not None:
                stamps.remember(str(path), self._stats[path], value)
        return value

    def _stamped_digest(self, path: PurePosixPath) -> Optional[str]:
        """The digest ``file_stamps`` give for the file (unchanged since it was taken, and not
        racily so), kept as the project's; None when the file must be read."""
        relative = str(path)
        value = self.file_stamps.digest(relative, os.path.join(self._root_text, relative))
        if value is not None:
            self._stamped[path] = self._digests[path] = value
        return value

    # --- dependencies ------------------------------------------------------------------------
    def _note(self, dependency: Dependency) -> None:
        if self._recorders and not self._quiet:
            for recorder in self._recorders:
                recorder.add(dependency)

    def _replay(self, dependencies: Iterable[Dependency]) -> None:
        if self._recorders and not self._quiet:
            for recorder in self._recorders:
                recorder.update(dependencies)

    @contextmanager
    def recording(self) -> Iterator[Set[Dependency]]:
        """Collect what the project answers from while the block runs (see the module
        docstring); nested recordings each get everything."""
        dependencies: Set[Dependency] = set()
        self._recorders.append(dependencies)
        try:
            yield dependencies
        finally:
            self._recorders.pop()

    @contextmanager
    def _unrecorded(self) -> Iterator[None]:
        self._quiet += 1
        try:
            yield
        finally:
            self._quiet -= 1

    def dependency_value(self, dependency: Dependency) -> str:
        """The current value of a dependency, as the project sees it now."""
        value = self._dependency_values.get(dependency)
        if value is None:
            with self._unrecorded():
                value = self._compute_dependency(dependency)
            self._dependency_values[dependency] = value
        return value

    def _compute_dependency(self, dependency: Dependency) -> str:
        kind = dependency[0]
        if kind == "bytes":
            return self.digest(PurePosixPath(dependency[1]))
        if kind == "paths":
            return _digest_lines(self.tree.file_names())
        if kind == "containing":
            tokens = tuple(token_from_key(key) for key in dependency[1])
            return _digest_lines(str(path) for path in self.files_containing(tokens, dependency[2]))
        if kind == "resolve":
            return str(self.resolve_module(dependency[1], PurePosixPath(dependency[2]) if dependency[2] else None))
        raise ValueError(f"unknown dependency kind {kind!r}")

    def summary(self, kind: str, path: PurePosixPath, compute: Callable[[Optional[bytes]], Any]) -> Any:
        """``compute(the file's bytes)``: a summary of one file that depends on its content
        alone, as JSON values (lists, not tuples). With a ``summary_store`` (the cache's) it
        is kept per content digest under ``kind``: an unchanged file is not even read again
        (its digest comes from its status). The reader depends on the file's content, as
        with ``read_bytes``. ``kind`` names the summary's form: change it with the form."""
        path = _posix(path)
        self._note(("bytes", str(path)))
        store = self.summary_store
        if store is None:
            data = self._raw(path)
            if self._prefetched and data is not None:
                value = self._prefetched.get((kind, data), _MISSING)
                if value is not _MISSING:
                    return value
            return compute(data)
        digest = self.digest(path)
        value = store.lookup(kind, digest, _MISSING)
        if value is _MISSING:
            value = compute(self._raw(path))
            # The digest of the bytes just read (a stamp-given one is dropped on reading).
            store.remember(kind, self.digest(path), value)
        return value

    def prefetch_summaries(self, kind: str, compute: Callable[[Optional[bytes]], Any], paths: Sequence[PurePosixPath]) -> bool:
        """Have the bulk scanner's processes compute ``summary(kind, path, compute)`` of
        each of ``paths``, in a run without a cache (with one, unchanged files' summaries
        come from it), with the outline of each file the summary parsed with CPython (see
        ``outline``). The name scan parsed its files here, alone, while the other processor
        waited: a third of a cold run on the bench corpus. Whether every one of them that
        can be read has its summary made so (not when their processes are not running, or
        the files are too few)."""
        scanner = self.bulk_scanner
        if scanner is None or self.summary_store is not None:
            return False
        todo, asked = [], []
        for path in paths:
            data = self.read_bytes(path)
            if data is not None and (kind, data) not in self._prefetched:
                todo.append(data)
                asked.append(_posix(path))
        if todo:
            hook = self.while_summarizing
            answers = scanner.summarize(todo, compute, (lambda: hook(asked)) if hook is not None else None)
            if answers is None:
                return False
            for data, (value, outline) in zip(todo, answers):
                self._prefetched[(kind, data)] = value
                if outline is not None:
                    self._outlines[data] = outline
        return True

    def outline(self, data: bytes):
        """The outline (``poolcheck.outline``) the bulk scanner's processes made of a file
        with exactly this content, or None: pruning reads it instead of parsing the file
        with CPython again."""
        return self._outlines.get(data) if self._outlines else None

    def read_text(self, path: PurePosixPath) -> Optional[str]:
        data = self.read_bytes(path)
        if data is None:
            return None
        return data.decode("utf-8-sig", errors="replace")

    # --- parsed modules ---------------------------------------------------------------------
    def parsed(self, path: PurePosixPath):
        """The ParsedFile for a project Python file, or None if it cannot be read or parsed."""
        path = _posix(path)
        self._note(("bytes", str(path)))
        if self._recorders:
            self.pruning_tokens()  # what the parse kept depends on them (and what they read)
        if path not in self._parsed:
            result = None
            data = self.read_bytes(path)
            if data is not None:
                source = decode_source(self.root / path, data)
                if isinstance(source, SourceFile):
                    try:
                        result = self.parse(path, source)
                    except ParseFailure:
                        pass
            self._parsed[path] = result
        return self._parsed[path]

    def parse(self, path: PurePosixPath, source: SourceFile):
        """Parse ``source`` as the project file ``path``, pruned as the project prunes (the
        runner's parse of a checked file, and ``parsed``'s); ParseFailure when it does not
        parse."""
        from .syntax import ParsedFile, module_name_for, parse_pruned

        parse = parse_pruned(source, self.pruning_tokens(), self.definition_tests(source.text), self.outline(source.raw))
        name, is_package = module_name_for(path)
        return ParsedFile(source, parse.module, path, name, is_package, parse.line_map, parse.pruned_names, parse.statement_lines, parse.top_level_ranges)

    def definition_tests(self, text: str) -> Tuple[Callable[[str], bool], ...]:
        """The rules' pruning tests for a file's ``text`` (see ``Rule.pruning``). A test that
        fails keeps every definition: pruning is an optimisation, never a reason to miss one."""
        tests = []
        for make in self.pruning_tests:
            try:
                tests.append(make(self, text))
            except Exception:
                tests.append(_keep_everything)
        return tuple(tests)

    def pruning_tokens(self) -> Tuple[str, ...]:
        """What pruned parses keep: the loaded rules' tokens, plus the tokens the project
        defines (``token_sources``). Those sources read bytes only; while they run (should
        one parse anyway) parses use the rules' tokens alone."""
        if not self.token_sources:
            return self.keep_tokens
        if self._pruning is not None:
            self._replay(self._fact_deps.get("pruning-tokens", ()))
        else:
            if self._computing_pruning:
                return self.keep_tokens
            self._computing_pruning = True
            try:
                extra = set()
                with self.recording() as dependencies:
                    for source in self.token_sources:
                        try:
                            extra.update(token.decode("latin-1") for token in source(self))
                        except Exception:  # a broken source costs pruning, never findings
                            continue
            finally:
                self._computing_pruning = False
            self._fact_deps["pruning-tokens"] = frozenset(dependencies)
            self._pruning = tuple(sorted(set(self.keep_tokens) | extra))
        return self._pruning

    def unpruned(self, path: PurePosixPath):
        """The whole file parsed, for a definition the pruned parse left out that another
        module turns out to read (``Config.DATABASE_URI`` of a config class that mentions no
        rule's token). None when it cannot be read or parsed."""
        from .syntax import ParsedFile, module_name_for, parse_module

        path = _posix(path)
        pruned = self.parsed(path)
        if pruned is None or not pruned.pruned_names:
            return pruned
        if path not in self._unpruned:
            try:
                module = parse_module(pruned.source)
            except ParseFailure:
                module = None
            name, is_package = module_name_for(path)
            self._unpruned[path] = ParsedFile(pruned.source, module, path, name, is_package) if module is not None else None
        return self._unpruned[path]

    def adopt(self, parsed) -> None:
        """Register a file parsed by the runner so cross-module lookups reuse it."""
        self._parsed[parsed.relative] = parsed

    def failed_to_parse(self, path: PurePosixPath) -> bool:
        """Whether ``parsed(path)`` was asked for and the file could not be parsed."""
        path = _posix(path)
        self._note(("bytes", str(path)))
        return path in self._parsed and self._parsed[path] is None

    def parsed_as_read(self, path: PurePosixPath, raw: bytes):
        """The parse already made of ``path`` if it was made of exactly ``raw``, else None.

        The runner checks a file with the parse project facts were computed from (when they
        were computed first), so the syntax nodes those facts hold are the checked file's own,
        and no file is parsed twice."""
        parsed = self._parsed.get(_posix(path))
        return parsed if parsed is not None and parsed.source.raw == raw else None

    def set_overlay(self, path: PurePosixPath, data: Optional[bytes]) -> None:
        """Use ``data`` as the content of ``path`` (None: the disk's again), and forget what
        was computed from the old content: the file's parse and every project fact (a fix
        that moves a config key changes what the whole project's facts say)."""
        path = _posix(path)
        if data is None:
            self.overlays.pop(path, None)
        else:
            self.overlays[path] = data
        self._bytes.pop(path, None)
        self._digests.pop(path, None)
        self._stamped.pop(path, None)
        self._dependency_values.clear()
        self._token_files.clear()
        self._presence.pop(path, None)
        self._decodes.pop(path, None)
        self._parsed.pop(path, None)
        self._unpruned.pop(path, None)  # (its whole parse was of the old content too)
        self._facts.clear()
        self._fact_deps.clear()
        self._memos.clear()
        if self._pruning is not None:
            before = self._pruning
            self._pruning = None
            if self.pruning_tokens() != before:  # other files' parses kept the old names
                self._parsed.clear()
                self._unpruned.clear()

    def _index(self) -> Dict[str, PurePosixPath]:
        if self._module_index is None:
            from .discovery import module_name_of_python_name

            index: Dict[str, PurePosixPath] = {}
            for path, text in zip(*self._python_files()):
                name, _ = module_name_of_python_name(text)
                if name:
                    index.setdefault(name, path)
            self._module_index = index
        return self._module_index

    def resolve_module(self, dotted: str, importer: Optional[PurePosixPath] = None) -> Optional[PurePosixPath]:
        """The project file a dotted module name refers to, or None (third-party, missing).

        Tries the name from the project root (and ``src/``), then from the importing file's
        folder (scripts importing a sibling), then a unique suffix match (code whose import
        root is a sub-folder of the project root, such as ``backend/app/...``)."""
        self._note(("resolve", dotted, str(importer) if importer is not None else ""))
        with self._unrecorded():
            return self._resolve_module(dotted, importer)

    def _resolve_module(self, dotted: str, importer: Optional[PurePosixPath]) -> Optional[PurePosixPath]:
        index = self._index()
        if dotted in index:
            return index[dotted]
        if importer is not None:
            if self._file_set is None:
                self._file_set = frozenset(self._python_files()[0])  # (the candidates are .py)
            folder = PurePosixPath(importer).parent
            stem = PurePosixPath(*dotted.split("."))
            for candidate in (folder / stem.with_suffix(".py") if stem.name else None, folder / stem / "__init__.py"):
                if candidate is not None and candidate in self._file_set:
                    return candidate
        suffix = "." + dotted
        if self._modules_by_last is None:
            # The suffix match asks about every module of a large project for each unresolved
            # import (`sqlalchemy`, `os`...): index the names by their last part once.
            by_last: Dict[str, List[Tuple[str, PurePosixPath]]] = {}
            for name, path in index.items():
                by_last.setdefault(name.rsplit(".", 1)[-1], []).append((name, path))
            self._modules_by_last = by_last
        last = dotted.rsplit(".", 1)[-1]
        matches = [path for name, path in self._modules_by_last.get(last, ()) if name.endswith(suffix)]
        return matches[0] if len(matches) == 1 else None

    # --- project-wide facts, computed on first use ------------------------------------------
    def fact(self, key: str, compute: Callable[["Project"], Any], persist: Optional["Persisted"] = None) -> Any:
        """``compute(project)``, once per project; every reader depends on what it read.

        With ``persist`` (how the value becomes JSON and back) and a ``fact_store``, the
        value is also kept across runs with the dependencies computing it recorded, and
        served while each of them still has the value it had: a one-file run after an edit
        then judges the project-wide fact by the files' status instead of computing it.
        ``key`` names the value's form: change it with the form."""
        if key in self._facts:
            self._replay(self._fact_deps.get(key, ()))
            return self._facts[key]
        store = self.fact_store if persist is not None else None
        if store is not None:
            stored = store.fact(key, self.dependency_value)
            if stored is not None:
                try:
                    value = persist.decode(stored[0])
                except Exception:  # a damaged entry: computed again below
                    value = _MISSING
                if value is not _MISSING:
                    self._facts[key] = value
                    self._fact_deps[key] = stored[1]
                    self._replay(stored[1])
                    return value
        with self.recording() as dependencies:
            value = compute(self)
        self._facts[key] = value
        self._fact_deps[key] = frozenset(dependencies)
        if store is not None:
            store.store_fact(key, persist.encode(value), self._fact_deps[key], self.dependency_value)
        return value

    def memo(self, table: str, key: Any, compute: Callable[[], Any], in_progress: Any = None) -> Any:
        """``compute()`` once per ``(table, key)`` for the whole project, like ``fact``: for
        state a fact's value keeps across files (a cache of answers), so that a file served
        from it depends on what computing the answer read. A key asked for again while it
        is being computed (a cycle) gives ``in_progress``."""
        entries = self._memos.setdefault(table, {})
        entry = entries.get(key)
        if entry is not None:
            self._replay(entry[1])
            return entry[0]
        marker = (table, key)
        if marker in self._memo_active:
            return in_progress
        self._memo_active.add(marker)
        try:
            with self.recording() as dependencies:
                value = compute()
        finally:
            self._memo_active.discard(marker)
        entries[key] = (value, frozenset(dependencies))
        return value

    def python_files_containing(self, tokens: Tuple[bytes, ...]) -> List[PurePosixPath]:
        """Project Python files whose bytes contain any of ``tokens`` (the facts prefilter)."""
        return self.files_containing(tokens)

    def files_containing(self, tokens: Sequence[Token], suffixes: Tuple[str, ...] = (".py",)) -> List[PurePosixPath]:
        """Project files with one of ``suffixes`` whose bytes contain any of ``tokens`` (bytes,
        or ``tokenscan.NoCase`` for any case), in the project's order. A reader depends on
        which files these are, not on the content of all the others."""
        tokens = tuple(tokens)
        suffixes = tuple(suffixes)
        self._note(("containing", tuple(sorted(token_key(t) for t in tokens)), suffixes))
        with self._unrecorded():
            if suffixes == (".py",):
                self.index_tokens(tokens)
                found: Set[PurePosixPath] = set()
                for token in tokens:
                    found |= self._token_files[token]
                return [path for path in self._python_files()[0] if path in found]
            lowered = any(isinstance(t, NoCase) for t in tokens)
            result = []
            files = self.tree.files
            for index, name in enumerate(self.tree.file_names()):
                if suffix_of_name(name) not in suffixes:
                    continue
                path = files[index]
                data = self._raw(path)
                if data is None:
                    continue
                low = data.lower() if lowered else data
                if any((t.value in low) if isinstance(t, NoCase) else (t in data) for t in tokens):
                    result.append(path)
            return result

    def index_tokens(self, tokens: Iterable[Token]) -> None:
        """Learn, for every project Python file, which of ``tokens`` it holds."""
        missing = [t for t in dict.fromkeys(tokens) if t not in self._token_files]
        if not missing:
            return
        found: Dict[Token, Set[PurePosixPath]] = {t: set() for t in missing}
        wanted = frozenset(missing)
        paths, names = self._python_files()
        self._presence_from_stores(paths, names, wanted)
        if self.bulk_scanner is not None:
            self._presence_from_workers(paths, names, wanted)
        tokens_in = self._tokens_in
        for path in paths:
            for token in tokens_in(path, wanted):
                found[token].add(path)
        for token in missing:
            self._token_files[token] = frozenset(found[token])

    def _python_files(self) -> Tuple[Tuple[PurePosixPath, ...], Tuple[str, ...]]:
        """The project's Python files, in the tree's order, and the same as text (asked once
        per token question: a suffix test per file each time showed in one-file runs, and
        so did turning every path back into text)."""
        if self._python is None:
            files = self.tree.files
            chosen = [(index, name) for index, name in enumerate(self.tree.file_names()) if is_python_name(name)]
            self._python = (tuple(files[index] for index, _ in chosen), tuple(name for _, name in chosen))
        return self._python

    def _presence_from_stores(self, paths: Sequence[PurePosixPath], names: Sequence[str], wanted: FrozenSet[Token]) -> None:
        """What ``_tokens_in`` would find for each of ``paths`` not asked about yet whose
        digest its status gives and whose tokens the token store knows, a few passes over
        all of them: a one-file run asks it of every file of the project to judge cached
        facts, and the general path's calls cost three times the ``stat``."""
        stamps, store = self.file_stamps, self.token_store
        if stamps is None or store is None:
            return
        universe = wanted | self._prefilter_set
        presence, digests, overlays, raw, stamped = self._presence, self._digests, self.overlays, self._bytes, self._stamped
        # In batches (FileStamps.digests, TokenStore.lookup_many): a call per file and step
        # was two thirds of this, the `stat` calls the rest.
        chosen = [index for index, path in enumerate(paths) if path not in presence and path not in raw and not (overlays and path in overlays)]
        pending = [paths[index] for index in chosen]
        known = [digests.get(path) for path in pending]
        asked = [index for index, digest in enumerate(known) if digest is None]
        folder = os.path.join(self._root_text, "")
        asked_names = [names[chosen[index]] for index in asked]
        for index, digest in zip(asked, stamps.digests([(name, folder + name) for name in asked_names])):
            if digest is not None:  # else changed, new or racy: read by the general path
                path = pending[index]
                stamped[path] = digests[path] = known[index] = digest
        for path, found in zip(pending, store.lookup_many(known, universe)):
            if found is not None:
                presence[path] = (universe, found)

    def _presence_from_workers(self, paths: Sequence[PurePosixPath], names: Sequence[str], wanted: FrozenSet[Token]) -> None:
        """What ``_tokens_in`` would find for each of ``paths`` this process has not read,
        found by the bulk scanner's processes (which read the files themselves), grouped by
        the tokens each file still needs: on a first question, the prefilter's too."""
        presence, raw, overlays = self._presence, self._bytes, self.overlays
        groups: Dict[FrozenSet[Token], List[Tuple[PurePosixPath, str]]] = {}
        for path, name in zip(paths, names):
            if path in raw or (overlays and path in overlays):
                continue  # read here already: searched here
            checked, _ = presence.get(path, _NOTHING_CHECKED)
            missing = wanted - checked
            if missing:
                groups.setdefault(self._to_search(checked, missing), []).append((path, name))
        for universe, group in groups.items():
            answers = self.bulk_scanner.scan([name for _, name in group], universe)
            if answers is None:
                continue  # too few to be worth other processes: searched here
            decodes = self._decodes
            for (path, _), answer in zip(group, answers):
                checked, present = presence.get(path, _NOTHING_CHECKED)
                # (An unreadable file holds no token, as for this process's own reads.)
                presence[path] = (checked | universe, present | answer[0] if answer is not None else present)
                decodes[path] = answer is not None and answer[1]

    def settled_unread(self, path: PurePosixPath, tokens: Sequence[Token]) -> bool:
        """Whether the bulk scanner's processes read the file, found that it decodes as
        Python source and searched it for every one of ``tokens``, none of which it holds:
        then the prefilter has its answer without this process reading the file. False
        when that is not known (read here already, an editor's buffer, never searched)."""
        path = _posix(path)
        if not self._decodes.get(path) or path in self._bytes or (self.overlays and path in self.overlays):
            return False
        checked, present = self._presence.get(path, _NOTHING_CHECKED)
        return checked.issuperset(tokens) and present.isdisjoint(tokens)

    def holds_any(self, path: PurePosixPath, tokens: Sequence[Token]) -> bool:
        """Whether the file's bytes hold one of ``tokens`` (the prefilter's question; it
        depends on the file's content only, so it records nothing)."""
        return bool(tokens) and bool(self.tokens_in(path, tokens))

    def tokens_in(self, path: PurePosixPath, tokens: Sequence[Token]) -> FrozenSet[Token]:
        """Which of ``tokens`` the file holds. The first question about a file looks for the
        ``prefilter_tokens`` too, in the same pass; answers are kept (and the token store's
        answers for the same content used)."""
        return self._tokens_in(_posix(path), frozenset(tokens))

    def _tokens_in(self, path: PurePosixPath, wanted: FrozenSet[Token]) -> FrozenSet[Token]:
        # `index_tokens` asks this of every file of the project: one frozenset for them all.
        checked, present = self._presence.get(path, _NOTHING_CHECKED)
        missing = wanted - checked
        if missing:
            missing = self._to_search(checked, missing)
            found = self._scan(path, missing)
            checked, present = checked | missing, present | found
            self._presence[path] = (checked, present)
        return present & wanted

    def _to_search(self, checked: FrozenSet[Token], missing: FrozenSet[Token]) -> FrozenSet[Token]:
        """What a file is searched for when ``missing`` tokens (not in ``checked``, those it
        was searched for already) are asked about: on the first question about it, the
        prefilter's tokens and the facts' too (one pass answers the prefilter and the facts
        alike)."""
        return missing | self._first_pass if not checked else missing

    def _scan(self, path: PurePosixPath, tokens: FrozenSet[Token]) -> FrozenSet[Token]:
        store = self.token_store
        if store is not None:
            known = store.lookup(self.digest(path), tokens)  # the digest may need no read
            if known is not None:
                return known
        data = self._raw(path)
        if data is None:
            return frozenset()
        scanner = self._scanners.get(tokens)
        if scanner is None:
            scanner = self._scanners[tokens] = TokenScanner(tokens)
        present = scanner.scan(data)
        if store is not None:
            store.remember(self.digest(path), tokens, present)
        return present


_MISSING = object()
_NOTHING_CHECKED: Tuple[FrozenSet[Token], FrozenSet[Token]] = (frozenset(), frozenset())


class Persisted(NamedTuple):
    """How a project fact's value is kept across runs (``Project.fact``): ``encode`` gives
    JSON values, ``decode`` the value back from them."""

    encode: Callable[[Any], Any]
    decode: Callable[[Any], Any]


def read_with_stat(path: str) -> Tuple[Optional[bytes], Optional[os.stat_result]]:
    """The file's bytes and its status taken *before* reading (a change while reading makes
    the status older than the bytes, never newer); (None, None) when it cannot be read."""
    try:
        with open(path, "rb") as handle:
            info = os.fstat(handle.fileno())
            return handle.read(), info
    except OSError:
        return None, None


def _digest_lines(lines: Iterable[str]) -> str:
    return sha1_hex("\n".join(lines).encode("utf-8", "surrogateescape"))


def _posix(path) -> PurePosixPath:
    """``path`` as a PurePosixPath, without building a new one when it is one already (the
    prefilter asks about every file dozens of times: pathlib's parsing showed in profiles)."""
    return path if type(path) is PurePosixPath else PurePosixPath(path)


def _keep_everything(text: str) -> bool:
    return True
