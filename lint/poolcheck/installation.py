"""What poolcheck learns about the installed SQLAlchemy, kept per installation.

The answers ``poolcheck.sqla`` works out (default pool classes, the keywords a pool or a
dialect accepts, how a URL parses) depend on the installed SQLAlchemy alone, not on the
project checked. They are kept in the user's cache folder (``$XDG_CACHE_HOME/poolcheck``,
else ``~/.cache/poolcheck``), keyed by where SQLAlchemy is installed and when, and every run
uses them, ``--no-cache`` runs too (``--no-cache`` is about results): a run that asks only
questions answered before never imports SQLAlchemy, some 0.3 s in every process that would.

Set ``POOLCHECK_SQLALCHEMY_TABLE=0`` to neither read nor write it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional


def table_path() -> Optional[Path]:
    """Where this installation's table is kept; None when keeping it is switched off or no
    cache folder can be named."""
    if os.environ.get("POOLCHECK_SQLALCHEMY_TABLE", "1") == "0":
        return None
    base = os.environ.get("XDG_CACHE_HOME")
    if base:
        folder = Path(base)
    else:
        try:
            folder = Path.home() / ".cache"
        except (RuntimeError, KeyError, OSError):  # no home folder to be found
            return None
    from .cache import FORMAT, _digest, _installed_stamp

    return folder / "poolcheck" / f"v{FORMAT}" / f"sqlalchemy-{_digest(_installed_stamp('sqlalchemy'))[:16]}.json"


def use_saved_table() -> None:
    """Answer SQLAlchemy questions from the saved table, read the first time one is asked."""
    from . import sqla

    path = table_path()
    if path is None:
        return

    def load():
        from .cache import _read_json

        return (_read_json(path) or {}).get("table")

    sqla.table_loader(load)


def save_table() -> None:
    """Write the table when this run learnt answers it lacked; a folder that cannot be
    written costs the next run an import, nothing more."""
    import sys

    if "poolcheck.sqla" not in sys.modules:
        return  # nothing was asked
    from . import sqla

    path = table_path()
    if path is None:
        return
    table = sqla.table_to_save()
    if table is None:
        return
    from .cache import FORMAT, _write_json

    _write_json(path, {"format": FORMAT, "table": table})  # never raises
