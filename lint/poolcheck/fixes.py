"""Applying fixes to text, and writing fixed files without ever losing data.

- Edits are applied back to front; overlapping edits are left for the next round (the
  runner re-checks the fixed text and tries again, as ruff does).
- A fixed text is accepted only if it still parses (Python), or still loads (JSON, TOML).
- Findings whose fixes are the very same edits (several keys moved by one rewrite) are
  fixed together: the edits are applied once and every one of them counts as fixed.
- Files are written atomically (a temporary file in the same folder, fsynced, then renamed
  over the original), keep their permissions, encoding, BOM and newlines, and are skipped if
  they changed on disk since they were read.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
from pathlib import Path
from typing import Iterable, List, Sequence, Tuple

from .findings import Edit, Finding, applicable
from .source import SourceFile, split_lines_keepends

MAX_ROUNDS = 10


class FileChanged(Exception):
    """The file on disk is no longer what was read: someone else is editing it."""


def apply_fixes(source: SourceFile, findings: Sequence[Finding], unsafe: bool) -> Tuple[str, List[Finding]]:
    """Apply every applicable, non-overlapping fix; return the new text and the findings
    whose fixes were applied."""
    chosen: List[Finding] = []
    taken: List[Tuple[int, int]] = []
    edits: List[Tuple[int, int, str]] = []
    applied_sets = set()
    for finding in sorted((f for f in findings if applicable(f.fix, unsafe)), key=lambda f: f.sort_key()):
        mine = [
            (source.offset(e.start.line, e.start.column), source.offset(e.end.line, e.end.column), e.content)
            for e in finding.fix.edits
        ]
        if frozenset(mine) in applied_sets:
            chosen.append(finding)  # the same rewrite as one already chosen: fixed by it
            continue
        ranges = [(start, end) for start, end, _ in mine]
        clashes = any(_overlaps(r, t) for r in ranges for t in taken)
        self_clashes = any(_overlaps(a, b) for i, a in enumerate(ranges) for b in ranges[i + 1 :])
        if clashes or self_clashes:
            continue  # left for the next round, on the re-checked text
        taken.extend(ranges)
        edits.extend(mine)
        applied_sets.add(frozenset(mine))
        chosen.append(finding)
    text = source.text
    for start, end, content in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        text = text[:start] + content + text[end:]
    return text, chosen


def _overlaps(a: Tuple[int, int], b: Tuple[int, int]) -> bool:
    # Two insertions at the same point also conflict: their order would be arbitrary.
    return a[0] < b[1] and b[0] < a[1] or a == b or (a[0] == a[1] == b[0]) or (b[0] == b[1] == a[0])


def still_parses(text: str) -> bool:
    import libcst as cst

    try:
        cst.parse_module(text)
    except Exception:
        return False
    return True


def still_valid(text: str, name: str, is_python: bool) -> bool:
    """Whether a fixed file is still what it was: Python that parses, JSON or TOML that
    loads. Other text formats (``.env``) have no syntax to break."""
    if is_python:
        return still_parses(text)
    if name.endswith(".json"):
        import json

        try:
            json.loads(text)
        except ValueError:
            return False
        return True
    if name.endswith(".toml"):
        from .config import load_toml_text

        return load_toml_text(text) is not None
    return True


TEMPORARY_SUFFIX = ".poolcheck-tmp"
_TEMPORARY_PART = re.compile(r"[a-z0-9_]{8}")  # tempfile.mkstemp's random part


def write_atomically(path: Path, source: SourceFile, new_text: str) -> None:
    """Write ``new_text`` over ``path`` in the file's own encoding, BOM and permissions.

    The bytes go to a temporary file in the same folder (``.NAME.XXXX.poolcheck-tmp``), are
    fsynced, and the temporary file is renamed over the original: a run killed at any moment
    leaves the old file or the new one, never a partial one (a temporary file left by a kill
    is never checked, its name ends in ``.poolcheck-tmp``). A symbolic link is followed: its
    target is written and the link stays a link.

    Raises FileChanged (and writes nothing) if the file is not what was read, and OSError
    (writes nothing) if it cannot be written: read-only, or the fixed text cannot be encoded
    in the file's encoding."""
    target = Path(os.path.realpath(path))
    try:
        current = target.read_bytes()
    except OSError as exc:
        raise FileChanged(f"cannot re-read before writing: {exc.strerror or exc}") from None
    if current != source.raw:
        raise FileChanged("it changed on disk since it was read")
    try:
        data = source.encode(new_text)
    except UnicodeEncodeError as exc:
        raise OSError(f"the fix needs a character {source.encoding} cannot encode ({exc.object[exc.start:exc.end]!r})") from None
    status = os.stat(target)
    mode = stat.S_IMODE(status.st_mode)
    if not mode & 0o222 or not os.access(target, os.W_OK):
        # Renaming over a read-only file would succeed where writing to it would not (and
        # root may write anything): a file nobody may write is not ours to fix.
        raise PermissionError(13, "Permission denied (the file is read-only)")
    directory = target.parent
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=TEMPORARY_SUFFIX, dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        _keep_owner(temporary, status)
        # Last look: an editor that saved while the temporary file was being written wins.
        if target.read_bytes() != source.raw:
            raise FileChanged("it changed on disk since it was read")
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    _fsync_directory(directory)
    _remove_leftovers(target)


def _remove_leftovers(target: Path) -> None:
    """Delete the temporary files an earlier run killed mid-write left for this file (the
    new content is in place now, so they hold nothing anyone needs). A concurrent run whose
    temporary file this removes fails to rename it and reports an error: nothing is lost."""
    prefix = f".{target.name}."
    try:
        names = os.listdir(target.parent)
    except OSError:
        return
    for name in names:
        middle = name[len(prefix) : -len(TEMPORARY_SUFFIX)]
        if name.startswith(prefix) and name.endswith(TEMPORARY_SUFFIX) and _TEMPORARY_PART.fullmatch(middle):
            try:
                os.unlink(target.parent / name)
            except OSError:
                pass


def _keep_owner(temporary: str, status: os.stat_result) -> None:
    """Give the new file the old one's owner and group where allowed (root fixing a user's
    file; a user in the file's group). Not allowed is not an error: the new file is ours."""
    if not hasattr(os, "chown"):
        return
    if (status.st_uid, status.st_gid) == (os.getuid(), os.getgid()):
        return
    try:
        os.chown(temporary, status.st_uid, status.st_gid)
    except OSError:
        try:
            os.chown(temporary, -1, status.st_gid)
        except OSError:
            pass


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def unified_diff(path: Path, old: str, new: str) -> str:
    import difflib

    lines = difflib.unified_diff(
        split_lines_keepends(old), split_lines_keepends(new), fromfile=f"a/{path.as_posix()}", tofile=f"b/{path.as_posix()}"
    )
    out = []
    for line in lines:
        out.append(line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def describe_edits(edits: Iterable[Edit]) -> List[dict]:
    return [
        {"content": e.content, "location": {"row": e.start.line, "column": e.start.column + 1}, "end_location": {"row": e.end.line, "column": e.end.column + 1}}
        for e in edits
    ]
