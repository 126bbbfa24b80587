"""The bytes that reveal a file may define or consume a job store: the prefilters, kept in a
module without libcst so that the rule module loading them stays cheap to import."""

from __future__ import annotations

from typing import List

JOBSTORE_CLASS = "SQLAlchemyJobStore"  # apscheduler.jobstores.sqlalchemy (3.x)
DATASTORE_CLASS = "SQLAlchemyDataStore"  # apscheduler.datastores.sqlalchemy (4.x)
FLASK_KEY = "SCHEDULER_JOBSTORES"  # Flask-APScheduler

# A file can define a store only if it contains one of these (the rule's prefilter).
STORE_TOKENS = (
    JOBSTORE_CLASS.encode(),
    DATASTORE_CLASS.encode(),
    b"add_jobstore",
    b"'sqlalchemy'",
    b'"sqlalchemy"',
    b"jobstores",
)

# A file can hold a consumer of job store mappings only if it contains one of these (sources
# registered with find.register_consumer_source add theirs).
CONSUMER_TOKENS: List[bytes] = [
    b"apscheduler",
    b"jobstores",
    FLASK_KEY.encode(),
    b"Scheduler",  # a scheduler class, however imported
    b".configure(",
    b"gconfig",
    b"add_jobstore",
]

# A project can define a job store only if one of its files says one of these: every store
# is an APScheduler class (imported from `apscheduler`), an `add_jobstore()` call, or a
# mapping under a `jobstores` key (a scheduler's or configure()'s keyword, a gconfig key
# `apscheduler.jobstores.*`, whatever its prefix, or `{"jobstores": ...}` passed on) or
# Flask-APScheduler's key. `.configure(` and `Scheduler`, which say nothing of stores, are
# not among them; tokens a registered consumer source adds are (see `find.store_words`).
STORE_WORDS = (b"apscheduler", b"jobstores", b"add_jobstore", FLASK_KEY.encode(), JOBSTORE_CLASS.encode(), DATASTORE_CLASS.encode())
BUILT_IN_CONSUMER_TOKENS = tuple(CONSUMER_TOKENS)
