"""Project facts: what the whole project says, gathered once per run (pass 1).

A finding in one file can depend on another file: ``wait_timeout`` in a ``my.cnf``, the
Flask-SQLAlchemy version pinned in ``requirements.txt``, an engine defined in ``db.py``.
These facts are always gathered from the whole project root, whichever files were named on
the command line, so that ``poolcheck check app/db.py`` reports exactly what a full run
reports for ``app/db.py``.

Collectors read files only through a :class:`ProjectFiles`: the list of the project's files
(after ``.gitignore`` and excludes) and a reader that never raises.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Optional, Protocol, Sequence


class ProjectFiles(Protocol):
    """The project's files as facts collectors see them."""

    @property
    def root(self) -> Path:
        """The project root (absolute)."""

    def paths(self) -> Sequence[PurePosixPath]:
        """Every file of the project, relative to the root, in a stable (sorted) order."""

    def read_bytes(self, path: PurePosixPath) -> Optional[bytes]:
        """The file's content, or None when it cannot be read (never raises)."""

    def read_text(self, path: PurePosixPath) -> Optional[str]:
        """The file decoded as UTF-8 (BOM stripped, undecodable bytes replaced), or None."""
