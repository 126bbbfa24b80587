"""poolcheck: a static linter for SQLAlchemy engine, pool and session configuration.

This module stays import-light on purpose: the command line starts here on every commit
and every editor keystroke, so nothing heavy (libcst, SQLAlchemy) is imported until a file
actually needs to be parsed.
"""

__version__ = "0.1.0"
