"""Baselines: adopt poolcheck on an existing codebase and fail only on new problems.

``--write-baseline FILE`` records the findings of today; ``--baseline FILE`` hides the
findings recorded there (matched by fingerprint, see ``fingerprints.py``) the way ``# noqa``
would: they are neither reported nor fixed. Giving both files ratchets: the file is rewritten
with the recorded findings that still occur, so fixed ones drop out and new ones never get in.

The file is JSON with one finding per line, sorted, so that reviews show exactly which findings
were fixed and merges rarely conflict::

    {
      "poolcheck-baseline": 1,
      "findings": [
        {"code": "PC101", "path": "app/db.py", "fingerprint": "…", "message": "…"}
      ]
    }

Only ``fingerprint`` is used for matching; ``code`` and ``path`` decide whether an entry is in
the scope of a run (a run over ``app/`` with ``--select PC1`` says nothing about other files or
rules, and must not drop their entries); ``message`` is for the reader (passwords masked).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Collection, FrozenSet, Iterable, List, Sequence

from .findings import Finding
from .masking import mask_secrets

FORMAT_KEY = "poolcheck-baseline"
FORMAT_VERSION = 1


class BaselineError(Exception):
    """A baseline file that cannot be read or is not a poolcheck baseline (one line)."""


@dataclass(frozen=True)
class BaselineEntry:
    """One finding recorded in a baseline file, known by its fingerprint."""
    code: str
    path: str  # relative to the repository root, POSIX
    fingerprint: str
    message: str = ""

    @classmethod
    def of(cls, finding: Finding, path: str) -> "BaselineEntry":
        if finding.fingerprint is None:
            raise ValueError(f"finding without a fingerprint: {finding.code} at {finding.path}:{finding.line}")
        return cls(finding.code, path, finding.fingerprint, mask_secrets(finding.message))

    def sort_key(self) -> tuple:
        return (self.path, self.code, self.fingerprint)


@dataclass(frozen=True)
class Baseline:
    """The findings a baseline file records, to be left out of a run's report."""
    entries: Sequence[BaselineEntry]

    def __post_init__(self) -> None:
        object.__setattr__(self, "_fingerprints", frozenset(e.fingerprint for e in self.entries))

    def __contains__(self, finding: object) -> bool:
        return isinstance(finding, Finding) and finding.fingerprint in self._fingerprints  # type: ignore[attr-defined]

    def __len__(self) -> int:
        return len(self.entries)

    def resolved(self, matched: Collection[str], scope: Sequence[str], codes: FrozenSet[str]) -> List[BaselineEntry]:
        """Entries this run was in a position to see (their rule enabled, their file under a
        checked path) that no finding matched: the problems fixed since the baseline."""
        return [e for e in self.entries if e.fingerprint not in matched and e.code in codes and in_scope(e.path, scope)]

    def ratcheted(self, still_present: Iterable[BaselineEntry], resolved: Iterable[BaselineEntry]) -> List[BaselineEntry]:
        """The baseline without its resolved entries, with fresh entries for the findings it
        still hides (their messages may have changed) and nothing new."""
        gone = {e.fingerprint for e in resolved}
        fresh = {e.fingerprint: e for e in still_present}
        kept = [fresh.get(e.fingerprint, e) for e in self.entries if e.fingerprint not in gone]
        return sorted(set(kept), key=BaselineEntry.sort_key)


def in_scope(path: str, scope: Sequence[str]) -> bool:
    """Whether ``path`` lies under one of the ``scope`` paths (all relative to the root)."""
    for folder in scope:
        if folder in ("", ".") or path == folder or path.startswith(folder.rstrip("/") + "/"):
            return True
    return False


def render(entries: Iterable[BaselineEntry]) -> str:
    lines = [json.dumps(_entry_dict(e), ensure_ascii=False) for e in sorted(set(entries), key=BaselineEntry.sort_key)]
    body = ",\n".join(f"    {line}" for line in lines)
    findings = f"[\n{body}\n  ]" if lines else "[]"
    return f'{{\n  "{FORMAT_KEY}": {FORMAT_VERSION},\n  "findings": {findings}\n}}\n'


def _entry_dict(entry: BaselineEntry) -> dict:
    return {"code": entry.code, "path": entry.path, "fingerprint": entry.fingerprint, "message": entry.message}


def write(path: Path, entries: Iterable[BaselineEntry]) -> None:
    """Write the baseline atomically (a half-written baseline would un-hide everything)."""
    text = render(entries)
    directory = path.parent if str(path.parent) else Path(".")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
            os.replace(temporary, path)
        except BaseException:
            try:
                os.unlink(temporary)
            except OSError:
                pass
            raise
    except OSError as exc:
        raise BaselineError(f"{path}: cannot write the baseline: {exc.strerror or exc}") from None


def load(path: Path) -> Baseline:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BaselineError(f"{path}: no such file (record one with --write-baseline {path})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{path}: cannot read the baseline: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BaselineError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    return parse(data, str(path))


def parse(data: Any, where: str) -> Baseline:
    if not isinstance(data, dict) or FORMAT_KEY not in data:
        raise BaselineError(f"{where}: not a poolcheck baseline (no {FORMAT_KEY!r} key; write one with --write-baseline)")
    if data[FORMAT_KEY] != FORMAT_VERSION:
        raise BaselineError(f"{where}: baseline format {data[FORMAT_KEY]!r} is not supported (expected {FORMAT_VERSION}); rewrite it with --write-baseline")
    items = data.get("findings")
    if not isinstance(items, list):
        raise BaselineError(f"{where}: 'findings' must be a list")
    entries = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in ("code", "path", "fingerprint")):
            raise BaselineError(f"{where}: finding {number} needs string 'code', 'path' and 'fingerprint'")
        message = item.get("message", "")
        entries.append(BaselineEntry(item["code"], item["path"], item["fingerprint"], message if isinstance(message, str) else ""))
    return Baseline(tuple(entries))
