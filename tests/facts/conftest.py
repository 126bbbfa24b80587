"""A ProjectFiles over a temporary directory, and a fixture to write small projects into it."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from typing import List, Optional, Sequence, Union

import pytest


class DirectoryProjectFiles:
    """Every file under ``root`` (no gitignore handling: the test projects have none).

    Records what was read, so tests can check that files which cannot contribute are not.
    """

    def __init__(self, root: Path):
        self._root = root.resolve()
        self.read_log: List[PurePosixPath] = []

    @property
    def root(self) -> Path:
        return self._root

    def paths(self) -> Sequence[PurePosixPath]:
        found = []
        for directory, _, names in os.walk(self._root):
            for name in names:
                found.append(PurePosixPath((Path(directory) / name).relative_to(self._root).as_posix()))
        return sorted(found)

    def read_bytes(self, path: PurePosixPath) -> Optional[bytes]:
        self.read_log.append(path)
        try:
            return (self._root / path).read_bytes()
        except OSError:
            return None

    def read_text(self, path: PurePosixPath) -> Optional[str]:
        data = self.read_bytes(path)
        if data is None:
            return None
        return data.decode("utf-8", errors="replace").lstrip("\ufeff")


class Project:
    def __init__(self, root: Path):
        self.root = root

    def write(self, relative: str, content: Union[str, bytes]) -> Path:
        target = self.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
        return target

    def files(self) -> DirectoryProjectFiles:
        return DirectoryProjectFiles(self.root)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    root = tmp_path / "project"
    root.mkdir()
    return Project(root)
