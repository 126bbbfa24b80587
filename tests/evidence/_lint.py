"""Run poolcheck on the configuration an evidence test has just run for real.

Each evidence test states an engine configuration once, runs it against the real library
(and server), and hands the same configuration to :func:`findings` so the rule's verdict and
the observed failure are tied together: flagged where it fails, clean where it survives.
"""

from __future__ import annotations

import re
import uuid
from typing import Dict, List, Mapping, Optional

from poolcheck.findings import Finding
from poolcheck.rule import Example
from poolcheck.testing import check_example

# The placeholder URL the linted source uses: statically a MySQL URL with a password (so the
# messages' masking is exercised), never connected to.
LINTED_MYSQL_URL = "mysql+pymysql://app:secret@db/app"


def keyword_source(options: Mapping[str, object]) -> str:
    """``pool_size=1, poolclass=NullPool`` for a dict of options (classes by name)."""
    return ", ".join(f"{name}={value.__name__ if isinstance(value, type) else repr(value)}" for name, value in options.items())


def engine_module(options: Mapping[str, object], url: str = LINTED_MYSQL_URL, factory: str = "create_engine") -> str:
    """A module building one engine with exactly ``options`` (pool classes imported)."""
    module = "sqlalchemy.ext.asyncio" if "async" in factory else "sqlalchemy"
    imports = [f"from {module} import {factory}"]
    imports += [f"from sqlalchemy.pool import {value.__name__}" for value in options.values() if isinstance(value, type)]
    arguments = ", ".join(part for part in (repr(url), keyword_source(options)) if part)
    return "\n".join(imports) + f"\n\nengine = {factory}({arguments})\n"


def findings(code: str, source: str, files: Optional[Dict[str, str]] = None, settings: Optional[dict] = None) -> List[Finding]:
    """The findings of rule ``code`` on ``source`` (as ``app.py`` in a project with ``files``
    and ``[tool.poolcheck]`` ``settings``), all rules enabled as in real use."""
    example = Example(source, files=files or {}, settings=settings or {})
    return [finding for finding in check_example(example, ["ALL"]) if finding.code == code]


def quoted_errors(message: str) -> List[str]:
    """The backticked texts of a message (where poolcheck quotes the runtime error)."""
    return re.findall(r"`([^`]+)`", message)


def unique_name(prefix: str) -> str:
    """A database user name no other test run (or engineer sharing the server) uses."""
    return f"{prefix}_{uuid.uuid4().hex[:10]}"
