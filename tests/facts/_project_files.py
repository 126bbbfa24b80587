"""A :class:`poolcheck.facts.ProjectFiles` over a temporary directory, for facts tests.

Every file under the root is a project file (no gitignore here), and reads are counted so
tests can check that collectors read only what they need, once.
"""

from __future__ import annotations

import textwrap
from collections import Counter
from pathlib import Path, PurePosixPath
from typing import Dict, List, Optional, Union


class DirectoryFiles:
    def __init__(self, root: Path) -> None:
        self._root = root.resolve()
        self.reads: Counter = Counter()

    @property
    def root(self) -> Path:
        return self._root

    def paths(self) -> List[PurePosixPath]:
        return sorted(
            PurePosixPath(path.relative_to(self._root).as_posix()) for path in self._root.rglob("*") if path.is_file()
        )

    def read_bytes(self, path: PurePosixPath) -> Optional[bytes]:
        self.reads[PurePosixPath(path)] += 1
        absolute = (self._root / path).resolve()
        if self._root not in absolute.parents:  # like the real one, never reads outside the project
            return None
        try:
            return absolute.read_bytes()
        except OSError:
            return None

    def read_text(self, path: PurePosixPath) -> Optional[str]:
        data = self.read_bytes(path)
        return None if data is None else data.decode("utf-8-sig", errors="replace")


def make_project(root: Path, files: Dict[str, Union[str, bytes]]) -> DirectoryFiles:
    """Write ``files`` (text is dedented and stripped of its first newline) under ``root``."""
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    return DirectoryFiles(root)
