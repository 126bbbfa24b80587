"""What poolcheck knows about one SQLAlchemy job store (APScheduler 3) or data store (4).

However a store is configured (a constructor call, ``add_jobstore("sqlalchemy", ...)``, a
``{"type": "sqlalchemy", ...}`` mapping, flat ``apscheduler.jobstores.*`` keys), it ends up
as the keyword arguments of one constructor. A :class:`JobStoreSite` holds those arguments
with where each was written, and where the store itself is defined (where findings go).

APScheduler 3.11's ``SQLAlchemyJobStore(url=None, engine=None, ..., engine_options=None)``
uses ``engine`` when it is truthy, else builds ``create_engine(url, **(engine_options or
{}))``: nothing else, so SQLAlchemy's defaults. APScheduler 4's
``SQLAlchemyDataStore(engine_or_url)`` builds ``create_async_engine(url)`` (falling back to
``create_engine(url)``) from a URL and takes no engine options at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import libcst as cst

from ..syntax import ParsedFile
from ..values import DictEntry, DictValue, Known, Template, UrlParts

from .tokens import DATASTORE_CLASS, JOBSTORE_CLASS  # noqa: E402,F401
PLUGIN_NAME = "sqlalchemy"  # the "apscheduler.jobstores" entry point of SQLAlchemyJobStore
CLASS_REFERENCE = "apscheduler.jobstores.sqlalchemy:SQLAlchemyJobStore"
# SQLAlchemyJobStore's parameters in order, for positional arguments.
JOBSTORE_PARAMETERS = ("url", "engine", "tablename", "metadata", "pickle_protocol", "tableschema", "engine_options")
LIVENESS_OPTIONS = ("pool_pre_ping", "pool_recycle")

# How a store was configured (JobStoreSite.form).
CALL = "call"  # SQLAlchemyJobStore(...)
ADD_JOBSTORE = "add_jobstore"  # scheduler.add_jobstore("sqlalchemy", ...)
SPEC = "spec"  # {"type": "sqlalchemy", ...} / {"class": "...:SQLAlchemyJobStore", ...}
FLAT = "flat"  # "apscheduler.jobstores.default.url": ... keys of a gconfig mapping
DATA_STORE = "data_store"  # SQLAlchemyDataStore(...) (APScheduler 4)


@dataclass
class JobStoreSite:
    """An APScheduler job store defined in the project, with its configured arguments."""
    form: str
    file: ParsedFile  # where the store is defined
    node: cst.CSTNode  # what findings about the store point at
    arguments: DictValue  # the constructor's arguments by name, as configured
    alias: Optional[str] = None  # the scheduler's name for it ("default"), where known
    prefix: str = "apscheduler."  # FLAT: the gconfig prefix its keys start with

    @property
    def api(self) -> int:
        return 4 if self.form == DATA_STORE else 3

    def argument(self, name: str) -> Optional[DictEntry]:
        return self.arguments.get(name)

    @property
    def url(self) -> Optional[DictEntry]:
        return self.argument("engine_or_url" if self.api == 4 else "url")

    def engine_given(self) -> Optional[bool]:
        """APScheduler 3: whether an ``engine`` (which wins over ``url``) is given. None when
        unknown: an engine might hide in a ``**`` of unknown content."""
        entry = self.argument("engine")
        if entry is None:
            return False if self.arguments.complete else None
        value = entry.value
        if isinstance(value, Known) and value.value in (None, "", False):
            return False  # `if engine:` is false: the URL is used
        return True

    def engine_options(self) -> "Optional[EngineOptions]":
        """The ``engine_options`` as known: absent, a known mapping, or None (unknown)."""
        entry = self.argument("engine_options")
        if entry is None:
            return EngineOptions(None, None) if self.arguments.complete else None
        value = entry.value
        if isinstance(value, Known) and value.value is None:
            return EngineOptions(None, entry)
        if isinstance(value, Known) and isinstance(value.value, DictValue):
            return EngineOptions(value.value, entry)
        return None

    def label(self) -> str:
        """How messages name the store."""
        if self.form == DATA_STORE:
            return "This `SQLAlchemyDataStore`"
        form = {
            CALL: "`SQLAlchemyJobStore`",
            ADD_JOBSTORE: "`add_jobstore('sqlalchemy', ...)`",
            FLAT: f"`{self.prefix}jobstores.{self.alias}.*` keys",
        }.get(self.form, "a `sqlalchemy` job store mapping")
        if self.alias:
            return f"Job store {self.alias!r} ({form})"
        return f"This job store ({form})"


@dataclass(frozen=True)
class EngineOptions:
    """``engine_options`` of a store: ``options`` None when absent (or ``None``)."""

    options: Optional[DictValue]
    entry: Optional[DictEntry]

    def names_any(self, names) -> Optional[bool]:
        """Whether any of ``names`` is set; None when the mapping is partly unknown."""
        if self.options is None:
            return False
        if any(self.options.get(name) is not None for name in names):
            return True
        return False if self.options.complete else None


def is_url_value(value) -> bool:
    """A value that is certainly a URL (a string, a string template, ``URL.create``)."""
    return isinstance(value, Known) and isinstance(value.value, (str, Template, UrlParts)) and value.value != ""
