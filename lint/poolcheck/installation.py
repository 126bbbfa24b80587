"""What poolcheck learns about the installed SQLAlchemy, kept per installation.

The answers ``poolcheck.sqla`` works out (default pool classes, the keywords a pool or a
dialect accepts, how a URL parses) depend on the installed SQLAlchemy alone, not on the
project checked. They are kept in the user's cache folder (``$XDG_CACHE_HOME/poolcheck``,
else ``~/.cache/poolcheck``), keyed by where SQLAlchemy is installed and when, and every run
uses them, ``--no-cache`` runs too (``--no-cache`` is about results): a run that asks only
questions answered before never imports SQLAlchemy, some 0.3 s in every process that would.

Set ``POOLCHECK_SQLALCHEMY_TABLE=0`` to neither read nor write it.

The entry points of the ``poolcheck.rules`` group are kept there too (``registry.INDEX``,
keyed by everything ``importlib.metadata`` reads to list them), so that a one-file run need
not import it; ``POOLCHECK_RULE_INDEX=0`` switches that off.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional


def _user_folder() -> Optional[Path]:
    """``$XDG_CACHE_HOME/poolcheck/v<format>`` (else under ``~/.cache``); None when no cache
    folder can be named."""
    base = os.environ.get("XDG_CACHE_HOME")
    if base:
        folder = Path(base)
    else:
        try:
            folder = Path.home() / ".cache"
        except (RuntimeError, KeyError, OSError):  # no home folder to be found
            return None
    from .cache import FORMAT

    return folder / "poolcheck" / f"v{FORMAT}"


def _switched_on(variable: str) -> Optional[Path]:
    """The user's cache folder, unless ``variable`` is set to ``0`` (or none can be named)."""
    if os.environ.get(variable, "1") == "0":
        return None
    return _user_folder()


def table_path() -> Optional[Path]:
    """Where this installation's table is kept; None when keeping it is switched off
    (``POOLCHECK_SQLALCHEMY_TABLE=0``) or no cache folder can be named."""
    folder = _switched_on("POOLCHECK_SQLALCHEMY_TABLE")
    if folder is None:
        return None
    from .cache import _digest, _installed_stamp

    return folder / f"sqlalchemy-{_digest(_installed_stamp('sqlalchemy'))[:16]}.json"


def rule_index_path() -> Optional[Path]:
    """Where this Python environment's rule entry points are kept (``registry.INDEX``: a
    one-file run then does not import ``importlib.metadata``); None when switched off
    (``POOLCHECK_RULE_INDEX=0``) or no cache folder can be named. One file per environment,
    so that two virtual environments do not overwrite each other's."""
    folder = _switched_on("POOLCHECK_RULE_INDEX")
    if folder is None:
        return None
    import sys

    from .cache import _digest

    return folder / f"rules-{_digest(sys.prefix + chr(10) + sys.executable)[:16]}.json"


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
