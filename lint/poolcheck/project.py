"""One project root: its files, its parsed modules, and module resolution across them.

A ``Project`` is shared by every file checked under the same root. It parses other modules
only when asked (an imported constant, a factory defined elsewhere), caches them, and never
imports or runs anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from .config import Settings
from .discovery import ProjectTree, is_python_file
from .source import SourceFile, decode_source


@dataclass(eq=False)
class Project:
    root: Path
    tree: ProjectTree
    settings: Settings
    # Content given for a file instead of the disk's (standard input, editor buffers).
    overlays: Dict[PurePosixPath, bytes] = field(default_factory=dict)
    # Top-level definitions mentioning none of these are left out of parses (see
    # syntax.parse_pruned): the tokens of every loaded rule, so the answer is the same
    # whichever rules a run selects.
    keep_tokens: Tuple[str, ...] = ()
    # Sources of tokens the project itself defines (prefilter.ProjectTokens.for_project of
    # every loaded rule): names of factories and engines, kept in pruned parses too.
    token_sources: Tuple[Callable[["Project"], Any], ...] = ()
    # The folder paths are shown relative to (the runner's working directory).
    cwd: Optional[Path] = None
    _bytes: Dict[PurePosixPath, Optional[bytes]] = field(default_factory=dict, repr=False)
    _parsed: Dict[PurePosixPath, Any] = field(default_factory=dict, repr=False)
    _unpruned: Dict[PurePosixPath, Any] = field(default_factory=dict, repr=False)
    _module_index: Optional[Dict[str, PurePosixPath]] = field(default=None, repr=False)
    _file_set: Optional[frozenset] = field(default=None, repr=False)
    _facts: Dict[str, Any] = field(default_factory=dict, repr=False)
    _pruning: Optional[Tuple[str, ...]] = field(default=None, repr=False)
    _computing_pruning: bool = field(default=False, repr=False)

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
        return self.tree.files

    def read_bytes(self, path: PurePosixPath) -> Optional[bytes]:
        path = PurePosixPath(path)
        if path in self.overlays:
            return self.overlays[path]
        if path not in self._bytes:
            try:
                self._bytes[path] = (self.root / path).read_bytes()
            except OSError:
                self._bytes[path] = None
        return self._bytes[path]

    def read_text(self, path: PurePosixPath) -> Optional[str]:
        data = self.read_bytes(path)
        if data is None:
            return None
        return data.decode("utf-8-sig", errors="replace")

    # --- parsed modules ---------------------------------------------------------------------
    def parsed(self, path: PurePosixPath):
        """The ParsedFile for a project Python file, or None if it cannot be read or parsed."""
        path = PurePosixPath(path)
        if path not in self._parsed:
            result = None
            data = self.read_bytes(path)
            if data is not None:
                source = decode_source(self.root / path, data)
                if isinstance(source, SourceFile):
                    result = self.parse(path, source)
            self._parsed[path] = result
        return self._parsed[path]

    def parse(self, path: PurePosixPath, source: SourceFile):
        """Parse ``source`` as the project file ``path``; None when it does not parse."""
        from .syntax import ParsedFile, ParseFailure, module_name_for, parse_pruned

        try:
            parse = parse_pruned(source, self.pruning_tokens())
        except ParseFailure:
            return None
        name, is_package = module_name_for(path)
        return ParsedFile(source, parse.module, path, name, is_package, parse.line_map, parse.pruned_names, parse.statement_lines)

    def pruning_tokens(self) -> Tuple[str, ...]:
        """What pruned parses keep: the loaded rules' tokens, plus the tokens the project
        defines (``token_sources``). Those sources read bytes only; while they run (should
        one parse anyway) parses use the rules' tokens alone."""
        if not self.token_sources:
            return self.keep_tokens
        if self._pruning is None:
            if self._computing_pruning:
                return self.keep_tokens
            self._computing_pruning = True
            try:
                extra = set()
                for source in self.token_sources:
                    try:
                        extra.update(token.decode("latin-1") for token in source(self))
                    except Exception:  # a broken source costs pruning, never findings
                        continue
            finally:
                self._computing_pruning = False
            self._pruning = tuple(sorted(set(self.keep_tokens) | extra))
        return self._pruning

    def unpruned(self, path: PurePosixPath):
        """The whole file parsed, for a definition the pruned parse left out that another
        module turns out to read (``Config.DATABASE_URI`` of a config class that mentions no
        rule's token). None when it cannot be read or parsed."""
        from .syntax import ParsedFile, ParseFailure, module_name_for, parse_module

        path = PurePosixPath(path)
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
        path = PurePosixPath(path)
        return path in self._parsed and self._parsed[path] is None

    def parsed_as_read(self, path: PurePosixPath, raw: bytes):
        """The parse already made of ``path`` if it was made of exactly ``raw``, else None.

        The runner checks a file with the parse project facts were computed from (when they
        were computed first), so the syntax nodes those facts hold are the checked file's own,
        and no file is parsed twice."""
        parsed = self._parsed.get(PurePosixPath(path))
        return parsed if parsed is not None and parsed.source.raw == raw else None

    def set_overlay(self, path: PurePosixPath, data: Optional[bytes]) -> None:
        """Use ``data`` as the content of ``path`` (None: the disk's again), and forget what
        was computed from the old content: the file's parse and every project fact (a fix
        that moves a config key changes what the whole project's facts say)."""
        path = PurePosixPath(path)
        if data is None:
            self.overlays.pop(path, None)
        else:
            self.overlays[path] = data
        self._bytes.pop(path, None)
        self._parsed.pop(path, None)
        self._facts.clear()
        if self._pruning is not None:
            before = self._pruning
            self._pruning = None
            if self.pruning_tokens() != before:  # other files' parses kept the old names
                self._parsed.clear()
                self._unpruned.clear()

    def _index(self) -> Dict[str, PurePosixPath]:
        if self._module_index is None:
            from .syntax import module_name_for

            index: Dict[str, PurePosixPath] = {}
            for path in self.tree.files:
                if is_python_file(path):
                    name, _ = module_name_for(path)
                    if name:
                        index.setdefault(name, path)
            self._module_index = index
        return self._module_index

    def resolve_module(self, dotted: str, importer: Optional[PurePosixPath] = None) -> Optional[PurePosixPath]:
        """The project file a dotted module name refers to, or None (third-party, missing).

        Tries the name from the project root (and ``src/``), then from the importing file's
        folder (scripts importing a sibling), then a unique suffix match (code whose import
        root is a sub-folder of the project root, such as ``backend/app/...``)."""
        index = self._index()
        if dotted in index:
            return index[dotted]
        if importer is not None:
            if self._file_set is None:
                self._file_set = frozenset(self.tree.files)
            folder = PurePosixPath(importer).parent
            stem = PurePosixPath(*dotted.split("."))
            for candidate in (folder / stem.with_suffix(".py") if stem.name else None, folder / stem / "__init__.py"):
                if candidate is not None and candidate in self._file_set:
                    return candidate
        suffix = "." + dotted
        matches = [path for name, path in index.items() if name.endswith(suffix)]
        return matches[0] if len(matches) == 1 else None

    # --- project-wide facts, computed on first use ------------------------------------------
    def fact(self, key: str, compute: Callable[["Project"], Any]) -> Any:
        if key not in self._facts:
            self._facts[key] = compute(self)
        return self._facts[key]

    def python_files_containing(self, tokens: Tuple[bytes, ...]) -> List[PurePosixPath]:
        """Project Python files whose bytes contain any of ``tokens`` (the facts prefilter)."""
        key = "files-containing:" + "|".join(t.decode("latin-1") for t in sorted(tokens))

        def scan(project: "Project") -> List[PurePosixPath]:
            found = []
            for path in project.tree.files:
                if is_python_file(path):
                    data = project.read_bytes(path)
                    if data is not None and any(token in data for token in tokens):
                        found.append(path)
            return found

        return self.fact(key, scan)
