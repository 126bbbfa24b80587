"""The result cache: ``.poolcheck_cache/`` (``--cache-dir``; ``--no-cache`` turns it off).

What it keeps, all as JSON (never pickle: a cache folder can come with a checkout, and
loading it must not run anything):

- **results** of each checked file (its findings and warnings), one file per project root
  and *configuration*: the code of poolcheck and of every loaded rule (a digest of their
  source files' names, sizes and times), the SQLAlchemy and libcst installed, the Python
  version, the settings, the enabled rules and the working folder. An entry is served only
  when the file's content digest is the one it was checked with **and** every dependency it
  recorded (``Project.recording``: other files' content, which files hold some tokens, how
  a module name resolves, the project's file list) still has the value it had. A change to
  ``my.cnf`` therefore re-checks the files whose findings read ``my.cnf``, and no other.
  The same file keeps the **project facts** rules mark as persisted (``Project.fact``'s
  ``persist``: the lifecycle rules' project-wide name scan), served on the same terms, so a
  one-file run after an edit does not compute them again from every file's summary.
- the **token index**: per file content digest, which prefilter tokens the file holds, so
  an unchanged tree is not scanned again.
- the **SQLAlchemy table** (``poolcheck.sqla``'s answers for the installed version), so a
  run whose answers are all known does not import SQLAlchemy.
- the **walk** of each project root (``poolcheck.walkcache``): its file list, served while
  every folder it listed, ignore file it read and link it met has the status it had.
- **file summaries** (``SummaryStore``, ``Project.summary``): per kind and file content
  digest, what a project-wide scan needs of a file (the lifecycle name scan's bindings), so
  a one-file run after an edit neither reads nor parses the unchanged files; kept with the
  code stamp, forgotten whole when poolcheck or a rule package changes.

Runs on standard input (editors) use the token index, the file summaries and the stamps,
never stored results: the buffer is not the file on disk.

Files are replaced atomically; two runs writing at once lose entries, never corrupt them.
A damaged or foreign file is ignored (and rewritten).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Dict, FrozenSet, Iterable, List, Optional, Sequence, Tuple

from . import __version__
from .digests import sha1_hex
from .findings import Applicability, Edit, Finding, Fix, Location, Position, Related, Severity, Span
from .tokenscan import Token, token_from_key, token_key

FORMAT = 1
# A run whose only changes to a store are this many entries that are cheap to find again
# (outcomes found without a parse, stamps, token sets: a one-file run on a file just edited)
# does not rewrite it: the next run finds them again in less time than a rewrite of every
# file's entry takes (10-15 ms on a 1,800-file tree, most of such a run's cache time).
_UNSAVED_CHANGES = 8
DEFAULT_DIRECTORY = ".poolcheck_cache"


# --- configuration digest -----------------------------------------------------------------------


def _tree_stamp(folder: Path) -> List[str]:
    """(relative name, size, modification time) of every Python file under ``folder``."""
    stamps: List[str] = []
    stack = [folder]
    while stack:
        current = stack.pop()
        try:
            entries = list(os.scandir(current))
        except OSError:
            continue
        for entry in entries:
            if entry.name == "__pycache__":
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(Path(entry.path))
                elif entry.name.endswith(".py"):
                    info = entry.stat()
                    stamps.append(f"{entry.path}:{info.st_size}:{info.st_mtime_ns}")
            except OSError:
                continue
    return sorted(stamps)


def _package_folder(module_name: str) -> Optional[Path]:
    module = sys.modules.get(module_name.split(".")[0])
    path = getattr(module, "__file__", None)
    if not path:
        return None
    path = Path(path)
    return path.parent if path.name == "__init__.py" else path


def _installed_stamp(name: str) -> str:
    """Where a package is installed and when its ``__init__`` changed: a new version is a
    new file. Found without importing the package."""
    import importlib.util

    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        spec = None
    origin = getattr(spec, "origin", None)
    if not origin:
        return f"{name}:absent"
    try:
        info = os.stat(origin)
    except OSError:
        return f"{name}:{origin}"
    return f"{name}:{origin}:{info.st_size}:{info.st_mtime_ns}"


def code_stamp(rule_modules: Iterable[str]) -> str:
    """A digest that changes whenever the code that produces findings may have changed:
    poolcheck's own source files, the rule packages' source files, SQLAlchemy, libcst and
    Python themselves."""
    parts = [f"poolcheck {__version__}", sys.version, _installed_stamp("sqlalchemy"), _installed_stamp("libcst")]
    folders = {Path(__file__).parent}
    for name in rule_modules:
        folder = _package_folder(name)
        if folder is not None:
            folders.add(folder)
    for folder in sorted(folders):
        parts.extend(_tree_stamp(folder) if folder.is_dir() else [str(folder)])
    return _digest("\n".join(parts))


def _digest(text: str) -> str:
    return sha1_hex(text.encode("utf-8", "surrogateescape"))


# --- findings as JSON ---------------------------------------------------------------------------


def _position(position: Position) -> List[int]:
    return [position.line, position.column]


def _span(span: Span) -> List[int]:
    return [span.start.line, span.start.column, span.end.line, span.end.column]


def _span_from(data: Sequence[int]) -> Span:
    return Span(Position(int(data[0]), int(data[1])), Position(int(data[2]), int(data[3])))


def finding_to_json(finding: Finding) -> Dict[str, Any]:
    data: Dict[str, Any] = {
        "code": finding.code,
        "name": finding.name,
        "message": finding.message,
        "severity": finding.severity.value,
        "path": str(finding.path),
        "span": _span(finding.span),
    }
    if finding.help is not None:
        data["help"] = finding.help
    if finding.noqa_line is not None:
        data["noqa_line"] = finding.noqa_line
    if finding.related:
        data["related"] = [[str(r.location.path), r.location.line, r.location.column, r.message] for r in finding.related]
    if finding.fix is not None:
        data["fix"] = {
            "message": finding.fix.message,
            "applicability": finding.fix.applicability.value,
            "edits": [[*_position(e.start), *_position(e.end), e.content] for e in finding.fix.edits],
        }
    if finding.url is not None:
        data["url"] = finding.url
    if finding.statement is not None:
        data["statement"] = _span(finding.statement)
    if finding.fingerprint is not None:
        data["fingerprint"] = finding.fingerprint
    return data


def finding_from_json(data: Dict[str, Any]) -> Finding:
    fix = None
    if "fix" in data:
        raw = data["fix"]
        fix = Fix(
            str(raw["message"]),
            Applicability(raw["applicability"]),
            tuple(Edit(Position(int(e[0]), int(e[1])), Position(int(e[2]), int(e[3])), str(e[4])) for e in raw["edits"]),
        )
    return Finding(
        code=str(data["code"]),
        name=str(data["name"]),
        message=str(data["message"]),
        severity=Severity(data["severity"]),
        path=Path(data["path"]),
        span=_span_from(data["span"]),
        help=data.get("help"),
        noqa_line=data.get("noqa_line"),
        related=tuple(Related(Location(Path(r[0]), int(r[1]), int(r[2])), str(r[3])) for r in data.get("related", ())),
        fix=fix,
        url=data.get("url"),
        statement=_span_from(data["statement"]) if "statement" in data else None,
        fingerprint=data.get("fingerprint"),
    )


# --- dependencies as JSON -----------------------------------------------------------------------


def dependency_to_json(dependency: Tuple[Any, ...]) -> List[Any]:
    kind = dependency[0]
    if kind == "bytes":
        return ["bytes", str(dependency[1])]
    if kind == "containing":
        return ["containing", list(dependency[1]), list(dependency[2])]
    return [str(part) for part in dependency]


def dependency_from_json(data: List[Any]) -> Tuple[Any, ...]:
    kind = data[0]
    if kind == "bytes":
        return ("bytes", str(data[1]))
    if kind == "containing":
        return ("containing", tuple(str(t) for t in data[1]), tuple(str(s) for s in data[2]))
    if kind == "paths":
        return ("paths",)
    if kind == "resolve":
        return ("resolve", str(data[1]), str(data[2]))
    raise ValueError(f"unknown dependency {data!r}")


# --- files on disk ------------------------------------------------------------------------------


def _read_json(path: Path) -> Optional[Dict[str, Any]]:
    try:
        with open(path, "rb") as handle:
            data = json.loads(handle.read())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("format") == FORMAT else None


def _write_json(path: Path, data: Dict[str, Any]) -> None:
    """Write atomically (a temporary file renamed over the old one); never raises."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # A name of our own rather than tempfile.mkstemp: `tempfile` (with `random`) was a
        # few milliseconds of every one-file run's imports, and mkstemp's 0o600 needed a
        # chmod and two umask calls; O_EXCL makes the name safe all the same.
        temporary = os.path.join(str(path.parent), f".tmp-{os.getpid()}-{os.urandom(6).hex()}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                # dumps, not dump: dump streams through the pure-Python encoder (ten times
                # slower: a one-file run rewriting the results of a large tree felt it).
                handle.write(json.dumps(data, separators=(",", ":")))
            os.replace(temporary, path)
        except BaseException:
            try:
                os.unlink(temporary)
            except OSError:
                pass
            raise
    except OSError:
        pass


class TokenStore:
    """Per file content digest, which tokens the file holds (see ``Project.tokens_of``)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._known: Dict[str, Tuple[FrozenSet[Token], FrozenSet[Token]]] = {}  # digest -> (checked, present)
        # Digests remembered in this run, and how many times a file needed one (a scan, or
        # a lookup served by a digest only this run knows): files the next run would scan.
        self._new_digests: set = set()
        self._changes = 0
        data = _read_json(path)
        if data is not None:
            try:
                universes = [frozenset(token_from_key(k) for k in keys) for keys in data.get("universes", [])]
                # Files share a few token sets (saved sorted): each is decoded once, and is one
                # object for all its files (lookup_many compares each object once).
                shared: Dict[Tuple[str, ...], FrozenSet[Token]] = {}
                known = self._known
                for digest, (universe, present) in data.get("files", {}).items():
                    keys = tuple(present)
                    tokens = shared.get(keys)
                    if tokens is None:
                        tokens = shared[keys] = frozenset(token_from_key(k) for k in keys)
                    known[str(digest)] = (universes[universe], tokens)
            except (TypeError, ValueError, AttributeError, IndexError):
                self._known = {}
        self._used: set = set()

    def lookup(self, digest: str, tokens: Sequence[Token]) -> Optional[FrozenSet[Token]]:
        """Which of ``tokens`` the content ``digest`` holds, if this store checked them all."""
        return self.lookup_many([digest], frozenset(tokens))[0]

    def lookup_many(self, digests: Sequence[Optional[str]], tokens: FrozenSet[Token]) -> List[Optional[FrozenSet[Token]]]:
        """``lookup`` of each digest (None: not known), in one loop. Most files share a few
        token sets (one object each, see ``__init__``): each is compared once."""
        known, used, new_digests = self._known, self._used, self._new_digests
        covers: Dict[int, bool] = {}  # id(checked set) -> whether it covers `tokens`
        narrowed: Dict[int, FrozenSet[Token]] = {}  # id(present set) -> its part in `tokens`
        found: List[Optional[FrozenSet[Token]]] = []
        for digest in digests:
            entry = known.get(digest) if digest is not None else None
            if entry is None:
                found.append(None)
                continue
            checked, present = entry
            ok = covers.get(id(checked))
            if ok is None:
                ok = covers[id(checked)] = checked.issuperset(tokens)
            if not ok:
                found.append(None)
                continue
            if digest in new_digests:
                self._changes += 1
            used.add(digest)
            part = narrowed.get(id(present))
            if part is None:
                part = narrowed[id(present)] = present.intersection(tokens)
            found.append(part)
        return found

    def remember(self, digest: str, tokens: Sequence[Token], present: FrozenSet[Token]) -> None:
        checked, known = self._known.get(digest, (frozenset(), frozenset()))
        self._known[digest] = (checked | frozenset(tokens), (known - frozenset(tokens)) | present)
        self._used.add(digest)
        self._new_digests.add(digest)
        self._changes += 1

    def needs_saving(self) -> bool:
        return self._changes > _UNSAVED_CHANGES

    def write(self) -> None:
        # Only the contents seen in this run: files that changed since are forgotten.
        universes: Dict[FrozenSet[Token], int] = {}
        files = {}
        for digest, (checked, present) in self._known.items():
            if digest in self._used:
                number = universes.setdefault(checked, len(universes))
                files[digest] = [number, sorted(token_key(t) for t in present)]
        ordered = sorted(universes, key=universes.__getitem__)
        _write_json(self.path, {"format": FORMAT, "universes": [sorted(token_key(t) for t in u) for u in ordered], "files": files})
        self._changes = 0
        self._new_digests.clear()


class SummaryStore:
    """Per kind of summary and file content digest, a small JSON value computed from the
    file's bytes alone (``Project.summary``): the lifecycle name scan's bindings of a file,
    so a project-wide scan of an unchanged tree parses nothing.

    Kept with the digest of the code that computes summaries (``code``): any change to
    poolcheck or a rule package forgets them all, so a summary never outlives the code whose
    meaning it records."""

    def __init__(self, path: Path, code: str) -> None:
        self.path = path
        self.code = code
        self._loaded: Optional[Dict[str, Dict[str, Any]]] = None  # kind -> digest -> value
        self._used: Dict[str, set] = {}
        self._dirty = False

    @property
    def _known(self) -> Dict[str, Dict[str, Any]]:
        # Read on first use: a one-file run served the project facts needs no summary.
        if self._loaded is None:
            self._loaded = {}
            data = _read_json(self.path)
            if data is not None and data.get("code") == self.code and isinstance(data.get("kinds"), dict):
                self._loaded = {str(k): dict(v) for k, v in data["kinds"].items() if isinstance(v, dict)}
        return self._loaded

    def lookup(self, kind: str, digest: str, missing: Any = None) -> Any:
        table = self._known.get(kind)
        if table is None or digest not in table:
            return missing
        self._used.setdefault(kind, set()).add(digest)
        return table[digest]

    def remember(self, kind: str, digest: str, value: Any) -> None:
        self._known.setdefault(kind, {})[digest] = value
        self._used.setdefault(kind, set()).add(digest)
        self._dirty = True

    def needs_saving(self) -> bool:
        return self._dirty

    def write(self) -> None:
        # Only the contents seen in this run (as the token index does): the old contents of
        # files changed since are forgotten. A kind not asked for in this run is kept whole.
        kinds = {
            kind: ({d: v for d, v in table.items() if d in self._used[kind]} if kind in self._used else table)
            for kind, table in self._known.items()
        }
        _write_json(self.path, {"format": FORMAT, "code": self.code, "kinds": kinds})
        self._dirty = False


class FileStamps:
    """Per project root: each file's size, modification and change times and inode when its
    digest was taken, so an unchanged file need not be read to know its digest.

    A file changed in the same clock tick as it was stamped could keep all four: stamps
    younger than ``_RACY_NS`` at the time they were written are not trusted (the file is
    read again, as git does with "racily clean" entries)."""

    _RACY_NS = 2_000_000_000

    def __init__(self, path: Path) -> None:
        self.path = path
        self._old: Dict[str, List[Any]] = {}
        self._new: Dict[str, List[Any]] = {}
        self._trusted_before = 0
        data = _read_json(path)
        if data is not None:
            try:
                self._trusted_before = int(data["written"]) - self._RACY_NS
                self._old = {str(k): list(v) for k, v in data.get("files", {}).items()}
            except (KeyError, TypeError, ValueError):
                self._old = {}

    def digest(self, relative: str, absolute: str) -> Optional[str]:
        """The digest stamped for ``relative`` (at ``absolute``), if the file's status is
        the stamped one and the stamp is not racy; None when the file must be read."""
        return self.digests([(relative, absolute)])[0]

    def digests(self, files: Sequence[Tuple[str, str]]) -> List[Optional[str]]:
        """``digest`` of each (relative, absolute) pair, in one loop: a one-file run asks
        it of every file of the tree."""
        old, new, trusted_before, stat = self._old, self._new, self._trusted_before, os.stat
        found: List[Optional[str]] = []
        for relative, absolute in files:
            entry = old.get(relative)
            digest = None
            if entry is not None and len(entry) == 5:
                try:
                    info = stat(absolute)
                except OSError:
                    info = None
                if (
                    info is not None
                    and entry[0] == info.st_size
                    and entry[1] == info.st_mtime_ns
                    and entry[2] == info.st_ctime_ns
                    and entry[3] == info.st_ino
                    and info.st_ctime_ns < trusted_before
                    and info.st_mtime_ns < trusted_before
                ):
                    new[relative] = entry
                    digest = str(entry[4])
            found.append(digest)
        return found

    def remember(self, relative: str, info: os.stat_result, digest: str) -> None:
        self._new[relative] = [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, digest]
        self._remembered = True

    _remembered = False

    def needs_saving(self) -> bool:
        # A run that took no digest anew (an editor's buffer that asked about no other file)
        # keeps the file as it is, rather than shrink it to the few stamps it looked at. A
        # few new stamps are not worth rewriting every file's: the files they are for are
        # read again by the next run (a one-file run on a file just edited writes nothing).
        if self._new == self._old or not self._remembered:
            return False
        old = self._old
        changed = sum(1 for relative, entry in self._new.items() if old.get(relative) != entry)
        return changed > _UNSAVED_CHANGES or len(old) - (len(self._new) - changed) > _UNSAVED_CHANGES

    def write(self) -> None:
        import time

        _write_json(self.path, {"format": FORMAT, "written": time.time_ns(), "files": self._new})


class ResultStore:
    """The results of one project root under one configuration.

    On disk: a table of dependencies with their values, a table of *groups* (the sets of
    dependencies entries have: files checked alike share one), and per file its content
    digest, group, findings and warnings. Each dependency and group is judged once a run."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._entries: Dict[str, Dict[str, Any]] = {}
        self._dependencies: List[Tuple[Tuple[Any, ...], str]] = []
        self._groups: List[List[int]] = []
        self._group_valid: Dict[int, bool] = {}
        self._dependency_valid: Dict[int, bool] = {}
        # Per file: (digest, where its dependencies are, findings as JSON, warnings); where:
        # ("group", old group number) or ("new", dependencies, their values' getter).
        self._written: Dict[str, Tuple[str, Tuple[Any, ...], List[Dict[str, Any]], List[str]]] = {}
        # Project facts (``Project.fact(..., persist=...)``): per key, its value as JSON and
        # its group; those kept or computed in this run, with where their dependencies are.
        self._facts: Dict[str, Dict[str, Any]] = {}
        self._written_facts: Dict[str, Tuple[Any, Tuple[Any, ...]]] = {}
        self._dirty = False
        self._cheap_changes = 0  # outcomes stored without a parse (see `store`)
        data = _read_json(path)
        if data is not None:
            try:
                self._dependencies = [(dependency_from_json(d), str(v)) for d, v in data.get("dependencies", [])]
                groups = [list(group) for group in data.get("groups", [])]
                count = len(self._dependencies)
                for group in groups:  # (checked a group at a time: a one-file run reads them all)
                    if group and (set(map(type, group)) != {int} or min(group) < 0 or max(group) >= count):
                        raise ValueError("a group names a dependency the table does not have")
                self._groups = groups
                self._entries = {str(k): v for k, v in data.get("entries", {}).items() if isinstance(v, dict)}
                self._facts = {str(k): v for k, v in data.get("facts", {}).items() if isinstance(v, dict)}
            except (TypeError, ValueError, IndexError, AttributeError):
                self._dependencies, self._groups, self._entries, self._facts = [], [], {}, {}

    def tokens_asked(self) -> List[Token]:
        """Every token some stored entry's "which files hold it" dependency names: asked of
        every file at once before entries are judged (one pass instead of one per set)."""
        found: Dict[Token, None] = {}
        for dependency, _ in self._dependencies:
            if dependency[0] == "containing" and dependency[2] == (".py",):
                for key in dependency[1]:
                    found.setdefault(token_from_key(key))
        return list(found)

    def lookup(self, relative: PurePosixPath, digest: str, current_value) -> Optional[Tuple[List[Finding], List[str]]]:
        """The findings and warnings stored for ``relative`` when its content was ``digest``,
        if every dependency still has its stored value (``current_value(dependency)``)."""
        entry = self._entries.get(str(relative))
        if entry is None or entry.get("digest") != digest:
            return None
        try:
            group = int(entry["group"])
            if not self._valid(group, current_value):
                return None
            findings = [finding_from_json(f) for f in entry.get("findings", [])]
            warnings = [str(w) for w in entry.get("warnings", [])]
        except (KeyError, TypeError, ValueError, IndexError):
            return None
        self._written[str(relative)] = (digest, ("group", group), entry.get("findings", []), warnings)
        return findings, warnings

    def _valid(self, group: int, current_value) -> bool:
        valid = self._group_valid.get(group)
        if valid is None:
            valid = self._group_valid[group] = all(self._dependency_ok(i, current_value) for i in self._groups[group])
        return valid

    def _dependency_ok(self, index: int, current_value) -> bool:
        ok = self._dependency_valid.get(index)
        if ok is None:
            dependency, value = self._dependencies[index]
            ok = self._dependency_valid[index] = current_value(dependency) == value
        return ok

    def fact(self, key: str, current_value) -> Optional[Tuple[Any, FrozenSet[Tuple[Any, ...]]]]:
        """The value (as JSON) kept for the project fact ``key`` and the dependencies it was
        computed from, if every one of them has its kept value now (``current_value``).

        Judged afresh at every call, unlike stored results: an editor's session asks with a
        new project for every buffer (and files change on disk between its checks)."""
        written = self._written_facts.get(key)
        if written is not None and written[1][0] == "values":
            value, (_, values) = written
            pairs = list(values.items())
        else:
            entry = self._facts.get(key)
            if entry is None or "value" not in entry:
                return None
            try:
                group = int(entry["group"])
                pairs = [self._dependencies[i] for i in self._groups[group]]
            except (KeyError, TypeError, ValueError, IndexError):
                return None
            value = entry["value"]
            written = (value, ("group", group))
        if not all(current_value(dependency) == kept for dependency, kept in pairs):
            return None
        self._written_facts[key] = written
        return value, frozenset(dependency for dependency, _ in pairs)

    def store_fact(self, key: str, value: Any, dependencies: FrozenSet[Tuple[Any, ...]], value_of) -> None:
        """Keep a project fact's value (JSON values) with the dependencies it was computed
        from and their values (``value_of(dependency)``, asked now: the project need not be
        kept alive until the save)."""
        self._written_facts[key] = (value, ("values", {d: value_of(d) for d in dependencies}))
        self._dirty = True

    def store(
        self,
        relative: PurePosixPath,
        digest: str,
        dependencies: FrozenSet[Tuple[Any, ...]],
        value_of,
        findings: Sequence[Finding],
        warnings: Sequence[str],
        cheap: bool = False,
    ) -> None:
        """Keep a file's outcome; ``value_of(dependency)`` gives the values (asked on save).

        ``cheap``: an outcome found without a parse (no rule wanted the file): the next run
        finds it again in less time than rewriting the whole file takes, so a run that
        stored only a few such outcomes (a one-file run on a file just edited) writes
        nothing (see ``_UNSAVED_CHANGES``)."""
        self._written[str(relative)] = (digest, ("new", dependencies, value_of), [finding_to_json(f) for f in findings], list(warnings))
        if cheap and not self._dirty:
            self._cheap_changes += 1
        else:
            self._dirty = True

    def needs_saving(self) -> bool:
        return self._dirty or self._cheap_changes > _UNSAVED_CHANGES

    def write(self, root: Optional[Path] = None, files: Optional[FrozenSet[str]] = None) -> None:
        """Write the entries stored in this run with the others (those of files this run did
        not check stay; those of files that no longer exist under ``root`` go). ``files``:
        the project's files as this run walked them, when it did (no file asked about again).

        The tables read are kept as they are and new dependencies and groups appended, so the
        entries of files this run did not check are written back as they were read (a
        one-file run of a large tree rewrites nothing else); once most groups are no longer
        used, the tables are compacted."""
        dependencies: List[Any] = [[dependency_to_json(d), v] for d, v in self._dependencies]
        groups: List[List[int]] = [list(g) for g in self._groups]
        table: Optional[Dict[Tuple[Tuple[Any, ...], str], int]] = None
        group_numbers: Optional[Dict[FrozenSet[int], int]] = None
        by_set: Dict[int, Tuple[FrozenSet[Tuple[Any, ...]], int]] = {}  # id(dependencies) -> (the set, group)

        def group_of(pairs: Iterable[Tuple[Tuple[Any, ...], str]]) -> int:
            nonlocal table, group_numbers
            if table is None:
                table = {pair: number for number, pair in enumerate(self._dependencies)}
                group_numbers = {frozenset(g): number for number, g in enumerate(groups)}
            indices = set()
            for pair in pairs:
                number = table.get(pair)
                if number is None:
                    number = table[pair] = len(dependencies)
                    dependencies.append([dependency_to_json(pair[0]), pair[1]])
                indices.add(number)
            key = frozenset(indices)
            number = group_numbers.get(key)
            if number is None:
                number = group_numbers[key] = len(groups)
                groups.append(sorted(key))
            return number

        def group_for(where: Tuple[Any, ...]) -> int:
            if where[0] == "group":
                return where[1]
            if where[0] == "values":
                return group_of(where[1].items())
            _, wanted, value_of = where
            known = by_set.get(id(wanted))
            if known is None or known[0] is not wanted:
                known = by_set[id(wanted)] = (wanted, group_of((d, value_of(d)) for d in wanted))
            return known[1]

        entries: Dict[str, Dict[str, Any]] = {}
        for relative, entry in self._entries.items():
            if relative in self._written or not self._well_formed(entry):
                continue
            if files is not None and relative not in files:
                continue
            if files is None and root is not None and not os.path.exists(os.path.join(str(root), relative)):
                continue
            entries[relative] = entry  # as read: its group keeps its number
        for relative, (digest, where, findings, warnings) in self._written.items():
            entries[relative] = {"digest": digest, "group": group_for(where), "findings": findings, "warnings": warnings}
        facts: Dict[str, Dict[str, Any]] = {}
        for key, entry in self._facts.items():  # facts this run did not ask for stay
            if key not in self._written_facts and "value" in entry and self._well_formed(entry, fact=True):
                facts[key] = entry
        for key, (value, where) in self._written_facts.items():
            facts[key] = {"value": value, "group": group_for(where)}
        dependencies, groups = _compacted(entries, facts, dependencies, groups)
        _write_json(self.path, {"format": FORMAT, "dependencies": dependencies, "groups": groups, "entries": entries, "facts": facts})
        self._dirty = False
        self._cheap_changes = 0

    def _well_formed(self, entry: Any, fact: bool = False) -> bool:
        """An entry read from disk that can be written back: a dict naming a known group."""
        if not isinstance(entry, dict):
            return False
        try:
            return 0 <= int(entry["group"]) < len(self._groups) and (fact or isinstance(entry["digest"], str))
        except (KeyError, TypeError, ValueError):
            return False


def _compacted(entries: Dict[str, Dict[str, Any]], facts: Dict[str, Dict[str, Any]], dependencies: List[Any], groups: List[List[int]]):
    """The tables without the groups (and dependencies) no entry or fact uses any more, when
    those are most of them; entries and facts renumbered in place. Unchanged otherwise."""
    used = {int(e["group"]) for e in entries.values()} | {int(f["group"]) for f in facts.values()}
    if len(groups) <= 64 or 2 * len(used) > len(groups):
        return dependencies, groups
    new_dependencies: List[Any] = []
    new_groups: List[List[int]] = []
    dependency_numbers: Dict[int, int] = {}
    group_numbers: Dict[int, int] = {}
    for old in sorted(used):
        members = []
        for index in groups[old]:
            if index not in dependency_numbers:
                dependency_numbers[index] = len(new_dependencies)
                new_dependencies.append(dependencies[index])
            members.append(dependency_numbers[index])
        group_numbers[old] = len(new_groups)
        new_groups.append(sorted(members))
    for table in (entries, facts):
        for key, entry in table.items():
            table[key] = {**entry, "group": group_numbers[int(entry["group"])]}
    return new_dependencies, new_groups


class Cache:
    """The cache folder of one run: ``Cache(folder, configuration)``."""

    def __init__(self, directory: Path, configuration: str, code: Optional[str] = None) -> None:
        """``code``: the digest of the code that computes findings (``code_stamp``), which
        keys the file summaries (the whole configuration when not given)."""
        self.directory = directory
        self.configuration = configuration
        self.code = code if code is not None else configuration
        self._summaries: Optional[SummaryStore] = None
        self._results: Dict[Path, ResultStore] = {}
        self._stamps: Dict[Path, FileStamps] = {}
        self._tokens: Optional[TokenStore] = None
        self._walks: Dict[Path, Any] = {}
        self._prepared = False

    def _prepare(self) -> None:
        """Create the folder, with a ``.gitignore`` that ignores it whole (and the standard
        CACHEDIR.TAG backup tools know)."""
        if self._prepared:
            return
        self._prepared = True
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            ignore = self.directory / ".gitignore"
            if not ignore.exists():
                ignore.write_text("# Created by poolcheck: this folder is a cache.\n*\n", encoding="utf-8")
            tag = self.directory / "CACHEDIR.TAG"
            if not tag.exists():
                tag.write_text("Signature: 8a477f597d28d172789f06886806bc55\n# poolcheck's cache (https://bford.info/cachedir/)\n", encoding="utf-8")
        except OSError:
            pass

    def results(self, root: Path) -> ResultStore:
        if root not in self._results:
            name = f"results-{_digest(str(root))[:16]}-{_digest(self.configuration)[:16]}.json"
            self._results[root] = ResultStore(self.directory / f"v{FORMAT}" / name)
        return self._results[root]

    def stamps(self, root: Path) -> FileStamps:
        if root not in self._stamps:
            self._stamps[root] = FileStamps(self.directory / f"v{FORMAT}" / f"stamps-{_digest(str(root))[:16]}.json")
        return self._stamps[root]

    def tokens(self) -> TokenStore:
        if self._tokens is None:
            self._tokens = TokenStore(self.directory / f"v{FORMAT}" / "tokens.json")
        return self._tokens

    def walks(self, root: Path, settings_key: str):
        """The kept walk of ``root`` (``poolcheck.walkcache``), for walks whose settings
        (excludes) are ``settings_key``: kept with the code stamp and pathspec's, which
        decide what a walk finds."""
        if root not in self._walks:
            from .walkcache import WalkStore

            key = _digest("\n".join([self.code, _installed_stamp("pathspec"), settings_key]))
            self._walks[root] = WalkStore(self.directory / f"v{FORMAT}" / f"walk-{_digest(str(root))[:16]}.json", key)
        return self._walks[root]

    def summaries(self) -> SummaryStore:
        if self._summaries is None:
            self._summaries = SummaryStore(self.directory / f"v{FORMAT}" / "summaries.json", self.code)
        return self._summaries

    def save(self, walked: Optional[Callable[[], Dict[Path, FrozenSet[str]]]] = None) -> None:
        """Write what this run changed (a run that changed nothing worth writing touches
        nothing, not even the folder). ``walked()``: per project root, its files as this run
        walked them (relative, POSIX), when it did; asked only when results are written."""
        # Each store is asked once whether it needs writing (FileStamps' answer is a pass over
        # every stamp).
        stores = [*self._stamps.values(), *self._walks.values(), *(s for s in (self._tokens, self._summaries) if s is not None)]
        due = [store for store in stores if store.needs_saving()]
        results = [(root, store) for root, store in self._results.items() if store.needs_saving()]
        if not results and not due:
            return
        self._prepare()
        files = walked() if walked is not None and results else {}
        for root, store in results:
            store.write(root, files.get(root))
            self._forget_other_configurations(store.path)
        for store in due:
            store.write()

    def _forget_other_configurations(self, kept: Path) -> None:
        prefix = kept.name.rsplit("-", 1)[0] + "-"
        try:
            for other in kept.parent.iterdir():
                if other.name.startswith(prefix) and other != kept and other.suffix == ".json":
                    other.unlink()
        except OSError:
            pass


def default_directory(folder: Path) -> Path:
    """Where the cache of the project holding ``folder`` is kept without ``--cache-dir``:
    ``POOLCHECK_CACHE_DIR``, else ``.poolcheck_cache`` at the project's root."""
    if os.environ.get("POOLCHECK_CACHE_DIR"):
        return Path(os.environ["POOLCHECK_CACHE_DIR"])
    from .discovery import find_project_root

    return find_project_root(folder) / DEFAULT_DIRECTORY


def cache_in(directory: Path, settings, rules, enabled, cwd: Path) -> "Cache":
    """The cache of runs with these settings, rules and selection from ``cwd``, kept in
    ``directory``: what ``poolcheck check`` uses, and the editor session for each project."""
    code = code_stamp({rule.__module__ for rule in rules})
    configuration = "\n".join([code, repr(settings), ",".join(sorted(enabled)), ",".join(sorted(rules.codes)), str(Path(cwd).resolve())])
    return Cache(Path(directory).resolve(), configuration, code)
