"""The bytes that reveal a file may hold Flask configuration, kept free of libcst so rule
modules can import them cheaply.

They are the facts' scan prefilter, and the PC2xx rules declare them as tokens too: the
runner's pruned parse keeps only top-level definitions mentioning a rule's token, and an app
factory whose only Flask-config line is ``app.config.from_object(...)`` must survive it.
"""

from __future__ import annotations

SCAN_TOKENS = (
    b"SQLALCHEM",  # SQLALCHEMY_*, and its misspellings SQLALCHEMEY_, SQLALCHEMI_
    b"SQL_ALCHEMY",
    b"flask_sqlalchemy",
    b".config[",
    b".config.update",
    b".config.from_",
    b".config.setdefault",
    b"engine_options",
)

# What the "does the project use Flask-SQLAlchemy" fact (fact.imports_flask_sqlalchemy) asks
# of every Python file.
IMPORT_TOKENS = (b"flask_sqlalchemy",)

# The names of the dotenv files Flask reads (``flask.cli.load_dotenv``), and ``*.env``.
ENV_FILE_PATTERNS = (".env", ".flaskenv", "*.env")
