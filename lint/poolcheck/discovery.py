"""Finding files: the project root, the files to check, and every file of the project.

One walk per project root serves both needs: the Python files under the paths the user named
are checked, and every file of the root feeds the project facts (``my.cnf``, compose files,
requirements), so that checking one file sees the same facts as checking the whole tree.

The walk honours ``.gitignore`` files (nested ones too, and ``.git/info/exclude``), skips
the usual tool and environment folders, and the configured ``exclude``/``extend-exclude``
globs. It does not follow symbolic links to directories (no loops), and skips anything that
is not a regular file (FIFOs, sockets, devices). A file the user names explicitly is always
checked.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Callable, Dict, Iterable, List, NamedTuple, Optional, Sequence, Set, Tuple

from .config import Settings

if TYPE_CHECKING:  # pragma: no cover
    from .walkcache import WalkRecorder, WalkStore

ROOT_MARKERS = ("pyproject.toml", "poolcheck.toml", ".git")

# Folder names never worth walking (ruff's defaults plus poolcheck's own cache).
DEFAULT_EXCLUDES = (
    ".bzr", ".direnv", ".eggs", ".git", ".git-rewrite", ".hg", ".ipynb_checkpoints", ".mypy_cache",
    ".nox", ".pants.d", ".pyenv", ".pytest_cache", ".pytype", ".ruff_cache", ".svn", ".tox",
    ".venv", ".vscode", ".idea", "__pypackages__", "__pycache__", "_build", "buck-out", "build",
    "dist", "node_modules", "site-packages", "venv", ".poolcheck_cache", ".hypothesis",
)

PYTHON_SUFFIXES = (".py",)


def resolved(path: Path) -> Path:
    """``path.resolve()``, or the absolute path as written where it cannot be resolved (a
    symbolic link loop, which Python before 3.13 reports with RuntimeError)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return Path(os.path.abspath(path))


def find_project_root(path: Path) -> Path:
    """The nearest folder from ``path`` upward that holds ``pyproject.toml``,
    ``poolcheck.toml`` or ``.git``; the path's own folder when there is none."""
    start = resolved(path)
    directory = start if start.is_dir() else start.parent
    for folder in [directory, *directory.parents]:
        if has_root_marker(folder):
            return folder
    return directory


def has_root_marker(folder: Path) -> bool:
    return any((folder / marker).exists() for marker in ROOT_MARKERS)


def repository_root(project_root: Path) -> Path:
    """The root of the version-control checkout holding ``project_root`` (the nearest folder
    upward with a ``.git`` folder, or file in a worktree), else ``project_root`` itself.

    CI reports (SARIF, GitHub annotations, GitLab) and fingerprints name files relative to it:
    in a monorepo whose ``pyproject.toml`` sits in ``services/api/``, GitHub needs
    ``services/api/app/db.py``, and the name must not depend on the working folder."""
    for folder in [project_root, *project_root.parents]:
        if (folder / ".git").exists():
            return folder
    return project_root


def repository_path(absolute: Path, root: Path) -> str:
    """``absolute`` as a POSIX path relative to ``root``, or absolute when it lies outside."""
    try:
        return absolute.relative_to(root).as_posix()
    except ValueError:
        return absolute.as_posix()


def is_python_file(path: PurePosixPath) -> bool:
    return path.suffix in PYTHON_SUFFIXES


def is_python_name(name: str) -> bool:
    """``is_python_file`` of a relative POSIX path given as text (the walk's), without making
    a path (``endswith`` first: most of a large tree's names end otherwise)."""
    return name.endswith(PYTHON_SUFFIXES) and suffix_of_name(name) in PYTHON_SUFFIXES


def suffix_of_name(name: str) -> str:
    """``PurePosixPath(name).suffix`` of the walk's text (``.py`` alone is a dot file without
    a suffix)."""
    base = name[name.rfind("/") + 1 :]
    dot = base.rfind(".")
    return base[dot:] if 0 < dot < len(base) - 1 else ""


def module_name_for(relative: PurePosixPath) -> Tuple[str, bool]:
    """The dotted module name of a project file, and whether it is a package's __init__.

    ``src/`` layouts are handled by the caller trying both; here the path is taken as is.
    """
    return _module_name(list(relative.with_suffix("").parts))


def module_name_of_python_name(name: str) -> Tuple[str, bool]:
    """``module_name_for`` of a Python file given as the walk's text (``is_python_name``), without
    making a path: the project's module index names every Python file of a large tree."""
    return _module_name(name[: len(name) - len(suffix_of_name(name))].split("/"))


def _module_name(parts: List[str]) -> Tuple[str, bool]:
    """(dotted name, is a package) of a module path's parts, its suffix removed."""
    is_package = bool(parts) and parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    if parts and parts[0] == "src" and len(parts) > 1:
        parts = parts[1:]
    valid = all(part.isidentifier() for part in parts)
    return (".".join(parts) if valid else ""), is_package


def matches_any(name: str, patterns: Sequence[str]) -> bool:
    """Whether a file name matches one of the rules' non-Python ``file_patterns``."""
    return bool(patterns) and _name_matcher(tuple(patterns))(name) is not None


def invalid_glob(pattern: str) -> Optional[str]:
    """Why ``pattern`` is not a gitignore-style glob, or None when it is one."""
    import pathspec

    try:
        pathspec.GitIgnoreSpec.from_lines([pattern])
    except Exception as exc:  # pathspec's own errors, and re.error from a bad [range]
        return str(exc) or type(exc).__name__
    return None


class _GlobSet:
    """gitignore-style globs (``build``, ``tests/fixtures/*``, ``**/migrations``) anchored at
    one folder."""

    def __init__(self, patterns: Sequence[str]) -> None:
        self.spec = None
        if not patterns:
            return  # pathspec is not even imported (a one-file run's import time counts)
        import pathspec

        try:
            self.spec = pathspec.GitIgnoreSpec.from_lines(list(patterns))
        except Exception:
            # A line git itself would skip (`!`, `\\`, `[z-a]` in a .gitignore): skip it, keep
            # the others. (Configured globs are validated when the configuration is read.)
            valid = [p for p in patterns if invalid_glob(p) is None]
            self.spec = pathspec.GitIgnoreSpec.from_lines(valid) if valid else None

        # pathspec asks every pattern about every path (a Python call per pattern: 0.07 s of
        # a one-file run in a project with a 120-line .gitignore). A path can match only the
        # patterns whose required text it holds; the verdict, the last match's with git's
        # priorities, comes from those alone, asked in their order (see _required_text).
        self._always: Tuple[int, ...] = ()
        self._required: Tuple[Tuple[int, str], ...] = ()
        self._subsets: Dict[Tuple[int, ...], object] = {}
        if self.spec is not None:
            always, required = [], []
            for index, pattern in enumerate(self.spec.patterns):
                if pattern.include is None:
                    continue  # a comment or a blank line: matches nothing
                text = _required_text(pattern.regex.pattern) if isinstance(getattr(pattern.regex, "pattern", None), str) else None
                if text:
                    required.append((index, text))
                else:
                    always.append(index)
            self._always, self._required = tuple(always), tuple(required)

    def matches(self, relative: str, is_dir: bool) -> Optional[bool]:
        if self.spec is None:
            return None
        path = relative + "/" if is_dir else relative
        chosen = self._always + tuple(index for index, text in self._required if text in path)
        if not chosen:
            return None  # no pattern can match: no verdict
        spec = self._subsets.get(chosen)
        if spec is None:
            import pathspec

            patterns = self.spec.patterns
            spec = self._subsets[chosen] = pathspec.GitIgnoreSpec([patterns[index] for index in sorted(chosen)])
        return spec.check_file(path).include


_REGEX_METACHARACTERS = frozenset(".^$*+?{}[]\\|()")


def _required_text(regex: str) -> Optional[str]:
    """The longest run of plain characters that every match of ``regex`` (pathspec's
    translation of a gitignore pattern) contains, or None. Only the top level is read: a
    group may be optional or an alternative, a character before a quantifier may be absent,
    a class or ``.`` stands for any of several characters, and an alternation at the top
    level means no text is required."""
    runs: List[str] = []
    current: List[str] = []
    depth = 0
    index = 0
    while index < len(regex):
        char = regex[index]
        if char == "\\" and index + 1 < len(regex):
            escaped = regex[index + 1]
            index += 2
            if depth == 0 and not escaped.isalnum():
                current.append(escaped)  # an escaped character stands for itself
            elif depth == 0:  # \d, \w, \b...: a class or an assertion
                runs.append("".join(current))
                current = []
            continue
        if char == "[":
            # A class: skip to its end (a `]` first in the class is one of its members).
            end = index + 1
            if end < len(regex) and regex[end] == "^":
                end += 1
            if end < len(regex) and regex[end] == "]":
                end += 1
            while end < len(regex) and regex[end] != "]":
                end += 2 if regex[end] == "\\" else 1
            if depth == 0:
                runs.append("".join(current))
                current = []
            index = end + 1
            continue
        if char == "(":
            depth += 1
            if depth == 1:
                runs.append("".join(current))
                current = []
        elif char == ")":
            depth -= 1
        elif depth == 0:
            if char == "|":
                return None
            if char in "*?+{":
                current = current[:-1]  # the character before may be absent (or repeated)
                runs.append("".join(current))
                current = []
                if char == "{":  # {m,n}: skipped whole
                    close = regex.find("}", index)
                    index = close if close >= 0 else len(regex)
            elif char in _REGEX_METACHARACTERS:
                runs.append("".join(current))
                current = []
            else:
                current.append(char)
        index += 1
    runs.append("".join(current))
    best = max(runs, key=len)
    return best or None


class WalkedPaths(Sequence):
    """A walk's files (its text, ``names``) as ``PurePosixPath``s, each made when first asked
    for: a warm run of a large tree reads most of them as text only (making the 5,332 paths
    of prefect's tree was a tenth of such a run). Equal to any sequence of the same paths."""

    __slots__ = ("names", "_paths")

    def __init__(self, names: Sequence[str]) -> None:
        self.names = tuple(names)
        self._paths: List[Optional[PurePosixPath]] = [None] * len(self.names)

    def __len__(self) -> int:
        return len(self.names)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(len(self.names))))
        path = self._paths[index]
        if path is None:
            path = self._paths[index] = PurePosixPath(self.names[index])
        return path

    def __iter__(self):
        paths = self._paths
        for index, path in enumerate(paths):
            yield path if path is not None else self[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, WalkedPaths):
            return self.names == other.names
        return isinstance(other, (tuple, list)) and tuple(self) == tuple(other)

    def __hash__(self) -> int:
        return hash(tuple(self))  # as the tuple of the same paths it equals (never hot)

    def __repr__(self) -> str:
        return f"WalkedPaths({self.names!r})"


class _IgnoreLayer(NamedTuple):
    base: str  # the folder the .gitignore sits in, relative to the root ("" for the root)
    globs: _GlobSet


class ProjectTree(NamedTuple):
    """Every file of one project root, after exclusions, relative to the root and sorted."""

    root: Path
    files: Sequence[PurePosixPath]  # (a walk's: WalkedPaths)
    unreadable_dirs: Tuple[str, ...] = ()
    # What the walk could not take: folders it could not list (their files go unchecked) and
    # Python-named entries that are not regular files (a FIFO, a symbolic link loop), with why.
    skipped: Tuple[Tuple[PurePosixPath, str, bool], ...] = ()  # (path, reason, is a folder)
    # ``files`` as text, in the same order, when the walk has it (``str(path)`` of every
    # file of a large tree showed in one-file runs); empty otherwise.
    names: Tuple[str, ...] = ()

    def file_names(self) -> Sequence[str]:
        """``str(path)`` of every file, in order."""
        return self.names if len(self.names) == len(self.files) else [str(path) for path in self.files]

    def python_files_under(self, folder: PurePosixPath) -> List[PurePosixPath]:
        return self.files_under(folder)

    def files_under(self, folder: PurePosixPath, text_patterns: Sequence[str] = ()) -> List[PurePosixPath]:
        """Python files under ``folder``, and other files whose name matches ``text_patterns``
        (judged on the walk's text: a path turned back into text, and a glob matched per
        pattern, for each of a large tree's files showed in its warm runs)."""
        prefix = "" if str(folder) in ("", ".") else str(folder) + "/"
        matches = _name_matcher(tuple(text_patterns)) if text_patterns else None
        files = self.files
        return [
            files[index]
            for index, name in enumerate(self.file_names())
            if (not prefix or name.startswith(prefix))
            and (is_python_name(name) or (matches is not None and matches(name[name.rfind("/") + 1 :]) is not None))
        ]


_MATCHERS: Dict[Tuple[str, ...], "Callable[[str], object]"] = {}


def _name_matcher(patterns: Tuple[str, ...]):
    """``fnmatchcase`` of a name against any of ``patterns``, as one compiled pattern's
    ``match`` (fnmatch's own translation of each glob; kept per set of patterns)."""
    matcher = _MATCHERS.get(patterns)
    if matcher is None:
        import fnmatch
        import re

        matcher = _MATCHERS[patterns] = re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns)).match
    return matcher


class Walker:
    def __init__(self, settings: Settings, store: Optional[Callable[[Path, str], "WalkStore"]] = None) -> None:
        """``store(root, settings_key)``: where a root's walk is kept between runs (the
        cache's ``walks``; see ``poolcheck.walkcache``), or None to walk every time."""
        self.settings = settings
        self.store = store
        # Marker-less folders reached only through a named file (a script in $HOME, in
        # /tmp): their project is the files directly in them. Walking all of $HOME to check
        # one script would take seconds and read files that are not the user's project.
        self.shallow_roots: Set[Path] = set()
        self._trees: Dict[Tuple[Path, bool], ProjectTree] = {}

    def _config_excludes(self, root: Path) -> Tuple[_GlobSet, Optional[PurePosixPath]]:
        patterns = list(self.settings.exclude) + list(self.settings.extend_exclude)
        base = self.settings.base
        if base is None:
            return _GlobSet(patterns), PurePosixPath(".")
        try:
            return _GlobSet(patterns), PurePosixPath(os.path.relpath(base.resolve(), root).replace(os.sep, "/"))
        except ValueError:  # a different drive on Windows
            return _GlobSet(patterns), None

    def tree(self, root: Path) -> ProjectTree:
        root = root.resolve()
        deep = root not in self.shallow_roots
        if (root, deep) not in self._trees:
            self._trees[(root, deep)] = self._kept_or_walked(root, deep)
        return self._trees[(root, deep)]

    def _settings_key(self) -> str:
        """What of the settings decides a walk."""
        settings = self.settings
        return repr((settings.exclude, settings.extend_exclude, str(settings.base)))  # (the code: the cache's code stamp)

    def _kept_or_walked(self, root: Path, deep: bool) -> ProjectTree:
        if self.store is None:
            return self._walk(root, deep)
        from .walkcache import WalkRecorder

        store = self.store(root, self._settings_key())
        tree = store.lookup(root, deep)
        if tree is None:
            recorder = WalkRecorder()
            tree = self._walk(root, deep, recorder)
            store.remember(root, deep, tree, recorder)
        return tree

    def _excluded_by_config(self, globs: _GlobSet, base: Optional[PurePosixPath], relative: str, is_dir: bool) -> bool:
        if base is None:
            return False
        inner = _inside(relative, str(base))
        return inner is not None and bool(globs.matches(inner, is_dir))

    def _walk(self, root: Path, deep: bool = True, recorder: Optional["WalkRecorder"] = None) -> ProjectTree:
        """The walk; ``recorder`` notes what it looked at (what would change its result)."""
        # `exclude` replaces the default folder list (as in ruff); `extend-exclude` adds to it.
        defaults = () if self.settings.exclude else DEFAULT_EXCLUDES
        config_globs, config_base = self._config_excludes(root)
        unreadable: List[str] = []
        skipped: List[Tuple[PurePosixPath, str, bool]] = []
        layers: List[_IgnoreLayer] = []
        info_exclude = root / ".git" / "info" / "exclude"
        if recorder is not None:
            recorder.status(str(info_exclude))
        if info_exclude.is_file():
            layers.append(_IgnoreLayer("", _GlobSet(_read_lines(info_exclude))))
        # Relative paths are strings until the end ("" for the root): building a
        # PurePosixPath per entry was most of the walk's time. Ignore files and configured
        # globs see each entry as a path only when there are some.
        found: List[str] = []
        # Folders as strings: a Path per folder and per check in it was a third of the walk.
        stack: List[Tuple[str, str, List[_IgnoreLayer]]] = [(str(root), "", layers)]
        while stack:
            folder, folder_text, inherited = stack.pop()
            layers_here = list(inherited)
            if recorder is not None:
                # Before listing it: an entry made after the status was taken changes it.
                recorder.status(folder)
            gitignore = os.path.join(folder, ".gitignore")
            if os.path.isfile(gitignore):
                if recorder is not None:
                    recorder.status(gitignore)
                layers_here.append(_IgnoreLayer(folder_text, _GlobSet(_read_lines(Path(gitignore)))))
            try:
                entries = sorted(os.scandir(folder), key=lambda e: e.name)
            except OSError as exc:
                relative_folder = PurePosixPath(folder_text) if folder_text else PurePosixPath(".")
                unreadable.append(str(relative_folder))
                skipped.append((relative_folder, f"cannot read the folder: {exc.strerror or exc}", True))
                continue
            filtered = bool(layers_here) or (config_globs.spec is not None and config_base is not None)
            subfolders = []
            for entry in entries:
                text = f"{folder_text}/{entry.name}" if folder_text else entry.name
                try:
                    is_dir = entry.is_dir(follow_symlinks=False)
                    is_file = not is_dir and entry.is_file(follow_symlinks=True)
                except OSError:
                    is_dir = is_file = False
                if recorder is not None and entry.is_symlink():
                    recorder.kind(entry.path)
                if not (is_dir or is_file):
                    # FIFOs, sockets, devices, links to folders or to nothing: skipped; said so
                    # for a Python file (a dangling link is an editor's lock file: not said).
                    reason = _not_a_file(entry) if is_python_name(text) else None
                    if reason and not _ignored(layers_here, text, False) and not self._excluded_by_config(config_globs, config_base, text, False):
                        skipped.append((PurePosixPath(text), reason, False))
                    continue
                if is_dir and entry.name in defaults:
                    continue
                if is_dir and os.path.exists(os.path.join(entry.path, "pyvenv.cfg")):
                    if recorder is not None:
                        recorder.status(entry.path)  # removing pyvenv.cfg changes it
                    continue
                if filtered:
                    if _ignored(layers_here, text, is_dir):
                        continue
                    if self._excluded_by_config(config_globs, config_base, text, is_dir):
                        continue
                if is_dir:
                    if deep:
                        subfolders.append((entry.path, text, layers_here))
                else:
                    found.append(text)
            stack.extend(reversed(subfolders))
        found.sort(key=lambda text: text.split("/"))
        names = tuple(found)
        return ProjectTree(root, WalkedPaths(names), tuple(unreadable), tuple(skipped), names)


def _not_a_file(entry: "os.DirEntry") -> Optional[str]:
    """Why a directory entry is not a file to check, or None when there is nothing to say."""
    try:
        mode = os.stat(entry.path).st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "skipped: a symbolic link loop"
        if exc.errno == errno.ENOENT:
            return None  # a dangling link
        return f"skipped: {exc.strerror or exc}"
    if stat.S_ISDIR(mode):
        return None  # a link to a folder: links to folders are not followed
    if stat.S_ISFIFO(mode):
        return "skipped: a FIFO, not a regular file"
    if stat.S_ISSOCK(mode):
        return "skipped: a socket, not a regular file"
    return "skipped: not a regular file"


def _ignored(layers: Iterable[_IgnoreLayer], relative: str, is_dir: bool) -> bool:
    """Whether the ignore files' layers ignore ``relative`` (a path from the root, as text:
    a PurePosixPath per entry and layer was a fifth of the walk of a large project)."""
    verdict = None
    for layer in layers:  # outermost first: a deeper .gitignore may re-include
        inner = _inside(relative, layer.base)
        if inner is None:
            continue
        result = layer.globs.matches(inner, is_dir)
        if result is not None:
            verdict = result
    return bool(verdict)


def _inside(relative: str, folder: str) -> Optional[str]:
    """``relative`` from ``folder`` (both from the root, "" or "." for the root itself), or
    None when it is not inside it: the walk's paths are normalized, so this is
    ``PurePosixPath.relative_to`` without building paths."""
    if folder in ("", "."):
        return relative
    prefix = folder + "/"
    return relative[len(prefix):] if relative.startswith(prefix) else None


def _read_lines(path: Path) -> List[str]:
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []


def is_regular_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False


class Target(NamedTuple):
    """A file to check: where it is on disk, the project it belongs to, and how to name it."""

    path: Path  # as the user will see it in reports (relative to the current folder when possible)
    absolute: Path
    root: Path
    relative: PurePosixPath  # relative to the project root
    explicit: bool = False
    # False for a file checked as text by the rules whose ``file_patterns`` it matches.
    is_python: bool = True


def display_path(absolute: Path, cwd: Path) -> Path:
    try:
        return absolute.relative_to(cwd)
    except ValueError:
        return absolute


def collect_targets(
    paths: Sequence[Path],
    walker: Walker,
    cwd: Path,
    text_patterns: Sequence[str] = (),
    claimed_patterns: Sequence[str] = (),
    warnings: Optional[List[str]] = None,
) -> Tuple[List[Target], List[str]]:
    """The files to check for the given paths, and one-line errors for paths that do not
    exist or cannot be checked (a folder under them that cannot be listed, too). Python-named
    entries of the walked folders that are not files (a FIFO, a symbolic link loop) are
    skipped, with a line each added to ``warnings``.

    ``text_patterns``: the non-Python file names the enabled rules check; such files are
    targets too. ``claimed_patterns``: those of every loaded rule. A named file is Python
    unless its name matches one of them; a named non-Python file that only rules which are
    not enabled would check is skipped (it is not Python, and nothing is to be checked in it)."""
    targets: Dict[Path, Target] = {}
    errors: List[str] = []
    given_paths = [cwd / given for given in paths]
    named_folders = {find_project_root(path) for path in given_paths if path.is_dir()}
    walker.shallow_roots.update(
        root for root in (find_project_root(path) for path in given_paths if path.is_file()) if root not in named_folders and not has_root_marker(root)
    )
    for given in paths:
        if not os.path.lexists(cwd / given):
            errors.append(f"{given}: no such file or directory")
            continue
        try:
            absolute = (cwd / given).resolve()
        except (OSError, RuntimeError):  # RuntimeError: a symbolic link loop (Python < 3.13)
            errors.append(f"{given}: cannot be read: a symbolic link loop")
            continue
        root = find_project_root(absolute)
        relative = PurePosixPath(os.path.relpath(absolute, root).replace(os.sep, "/"))
        if absolute.is_dir():
            tree = walker.tree(root)
            for file in tree.files_under(relative, text_patterns):
                file_abs = root / file
                targets.setdefault(file_abs, Target(display_path(file_abs, cwd), file_abs, root, file, is_python=is_python_file(file)))
            for skipped, reason, is_folder in tree.skipped:
                if str(relative) in ("", ".") or skipped == relative or relative in skipped.parents:
                    shown = display_path(root / skipped, cwd)
                    if is_folder:
                        errors.append(f"{shown}/: {reason}")
                    elif warnings is not None:
                        warnings.append(f"{shown}: {reason}")
        else:
            # Named explicitly: always checked (even if excluded); a non-regular file
            # (a FIFO would block a reader) is reported rather than read.
            if not is_regular_file(absolute):
                errors.append(f"{given}: not a regular file")
                continue
            is_text = not is_python_file(relative) and matches_any(absolute.name, claimed_patterns)
            if is_text and not matches_any(absolute.name, text_patterns):
                continue
            targets[absolute] = Target(display_path(absolute, cwd), absolute, root, relative, explicit=True, is_python=not is_text)
    ordered = sorted(targets.values(), key=lambda t: t.path.as_posix())
    return ordered, errors
