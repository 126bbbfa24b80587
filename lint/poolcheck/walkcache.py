"""A project's walk kept in the cache, and judged by the status of what it looked at.

Walking a real project (a front end's folders, a 100-line ``.gitignore`` asked about every
entry, pathspec's import) was half of a one-file run on a warm cache. The walk's result is a
function of a few things on disk, each of which changes its status when the result could
change:

- every folder it listed: creating, deleting or renaming an entry in a folder changes the
  folder's modification time (a folder created or removed inside it, a `pyvenv.cfg` added,
  a `.gitignore` created), and a `chmod` its change time;
- every folder it could not list, and every folder it left out as a virtual environment
  (removing `pyvenv.cfg` changes that folder's times);
- the ignore files it read (`.gitignore`, `.git/info/exclude`, present or absent): editing
  one changes its own times, not its folder's;
- the symbolic links it met (a link's target can change kind where no listed folder sees
  it): their targets' kind;
- the walk's own code and settings (poolcheck's code, pathspec's, the excludes): the key.

A kept walk is served when every such status is the one recorded. As with the file stamps, a
status younger than ``RACY_NS`` when the walk began is not trusted (a change in the same
clock tick keeps the same times): such a walk is not kept.
"""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path, PurePosixPath
from typing import Any, List, Optional, Tuple

FORMAT = 1
RACY_NS = 2_000_000_000

# What is watched: a path's full status, or only the kind of what a link points to.
STATUS = "s"
KIND = "k"

Watch = Tuple[str, str, Any]  # (absolute path, STATUS or KIND, what was seen)


def now_ns() -> int:
    return time.time_ns()  # (a module function: tests move the clock)


def status_of(path: str) -> Any:
    """[modification ns, change ns, inode, size, kind] of ``path`` (links followed), None
    when it does not exist, ["error", errno] when it cannot be asked."""
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        return ["error", exc.errno]
    return [info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_size, stat.S_IFMT(info.st_mode)]


def kind_of(path: str) -> Any:
    """The kind of what ``path`` points to: a link's target changing from a file to nothing
    or to a folder changes the walk; its content does not."""
    status = status_of(path)
    return status if status is None or status[0] == "error" else status[4]


def _seen(how: str, path: str) -> Any:
    return status_of(path) if how == STATUS else kind_of(path)


class WalkRecorder:
    """What one walk looked at, in the order it looked."""

    def __init__(self) -> None:
        self.started = now_ns()
        self.watches: List[Watch] = []

    def status(self, path: str) -> Any:
        seen = status_of(path)
        self.watches.append((path, STATUS, seen))
        return seen

    def kind(self, path: str) -> None:
        self.watches.append((path, KIND, kind_of(path)))

    def trustworthy(self) -> bool:
        """No status this walk saw is younger than ``RACY_NS`` at its start."""
        limit = self.started - RACY_NS
        for _, how, seen in self.watches:
            if how == STATUS and seen is not None and seen[0] != "error" and (seen[0] >= limit or seen[1] >= limit):
                return False
        return True


class WalkStore:
    """The kept walk of one project root (``v1/walk-<root>.json`` in the cache folder)."""

    def __init__(self, path: Path, key: str) -> None:
        self.path = path
        self.key = key
        self._data: Optional[dict] = None
        self._read = False
        self._changed = False

    def _load(self) -> Optional[dict]:
        if not self._read:
            self._read = True
            from .cache import _read_json

            data = _read_json(self.path)
            self._data = data if data is not None and data.get("walk") == FORMAT else None
        return self._data

    def lookup(self, root: Path, deep: bool):
        """The ``ProjectTree`` kept for ``root``, if everything it was judged by is as it
        was; else None (walk again)."""
        from .discovery import ProjectTree, WalkedPaths

        data = self._load()
        if data is None or data.get("key") != self.key or data.get("root") != str(root) or data.get("deep") is not deep:
            return None
        try:
            for path, how, seen in data["watches"]:
                if type(path) is not str or how not in (STATUS, KIND) or _seen(how, path) != seen:
                    return None
            names = tuple(str(name) for name in data["files"])
            skipped = tuple((PurePosixPath(p), str(reason), bool(folder)) for p, reason, folder in data["skipped"])
            unreadable = tuple(str(folder) for folder in data["unreadable"])
        except (KeyError, TypeError, ValueError):
            return None
        return ProjectTree(root, WalkedPaths(names), unreadable, skipped, names)

    def remember(self, root: Path, deep: bool, tree, recorder: WalkRecorder) -> None:
        if not recorder.trustworthy():
            return
        from .cache import FORMAT as CACHE_FORMAT

        self._data = {
            "format": CACHE_FORMAT,
            "walk": FORMAT,
            "key": self.key,
            "root": str(root),
            "deep": deep,
            "files": list(tree.file_names()),
            "unreadable": list(tree.unreadable_dirs),
            "skipped": [[str(path), reason, folder] for path, reason, folder in tree.skipped],
            "watches": [list(watch) for watch in recorder.watches],
        }
        self._read = True
        self._changed = True

    def needs_saving(self) -> bool:
        return self._changed

    def write(self) -> None:
        from .cache import _write_json

        if self._data is not None:
            _write_json(self.path, self._data)
        self._changed = False
