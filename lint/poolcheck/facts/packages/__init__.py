"""Which version of a package the project uses, from its own dependency files.

Some rules depend on it: Flask-SQLAlchemy 3.x silently ignores ``SQLALCHEMY_POOL_RECYCLE``,
2.4 and 2.5 read it with a deprecation warning. ``PackageIndex(files).version_of(name,
releases)`` answers for any package; the caller supplies the package's known releases (a range
picks the newest it admits) and decides what no answer means (usually: the newest release).

Where the answer comes from (details in index.py and choose.py):

- the shallowest folder whose dependency files mention the package speaks for the project;
- there, a lock file wins: ``poetry.lock``, ``uv.lock``, ``Pipfile.lock``, ``pdm.lock``;
- otherwise every requirement there (requirements and constraints files with their includes,
  ``Pipfile``, ``pyproject.toml`` PEP 621 / PEP 735 / Poetry, ``setup.cfg``, ``setup.py``)
  must hold at once, and the newest release they all admit is the answer; requirements that
  contradict each other leave the strongest one (an ``==`` pin) to answer alone;
- a requirement whose marker excludes every Python 3 is ignored; a URL requirement
  (``name @ git+https://...``) names no version and gives none.

Malformed files never raise: they contribute nothing.
"""

from __future__ import annotations

from .index import PackageIndex, find_package_version
from .model import PackageVersion, RequirementSite

__all__ = ["PackageIndex", "PackageVersion", "RequirementSite", "find_package_version"]
