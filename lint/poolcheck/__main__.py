"""``python -m poolcheck``."""

import os
import sys

# `python -m` puts the working folder first on sys.path: the folder being checked. A module
# of the project named like one poolcheck imports later (sqlalchemy.py, yaml.py, libcst/) would
# be imported, and run, in its place. poolcheck never runs the code it checks: the folder goes.
if sys.path and not getattr(sys.flags, "safe_path", False) and os.path.abspath(sys.path[0] or os.curdir) == os.getcwd():
    del sys.path[0]

from .cli import main  # noqa: E402

sys.exit(main())
