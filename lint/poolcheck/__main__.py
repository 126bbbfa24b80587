"""``python -m poolcheck``."""

import os
import sys


def _forget_the_working_folder() -> None:
    """``python -m`` puts the working folder first on ``sys.path``: run from a project holding
    a ``libcst.py``, ``pathspec.py`` or ``sqlalchemy/`` of its own, poolcheck would import (run)
    the project's module instead of the library. The checked code is never run: poolcheck
    itself is imported already, and nothing else it needs lives in the working folder."""
    if sys.flags.safe_path or not sys.path:  # python -P / PYTHONSAFEPATH: nothing was added
        return
    try:
        first = os.path.realpath(sys.path[0] or os.curdir)
        here = os.path.realpath(os.getcwd())
    except OSError:
        return
    if first == here:
        del sys.path[0]


_forget_the_working_folder()

from .cli import run  # noqa: E402

run()
