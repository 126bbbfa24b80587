"""Server facts: the ``wait_timeout``, ``max_connections`` and web worker count a project states.

PC102 compares ``pool_recycle`` with the server's ``wait_timeout``; PC106 compares
``(pool_size + max_overflow) * workers`` with ``max_connections``. Both need the values the
project itself configures, and where: ``wait_timeout = 600 (deploy/my.cnf:4)``.

One module per kind of source, each a function from a file's text to :class:`Setting` values:

- ``option_files``: my.cnf / mariadb.cnf / conf.d (groups, includes, suffixes);
- ``compose``: docker compose services (database command, web workers);
- ``sql``: ``SET GLOBAL`` in ``*.sql`` files and Python strings;
- ``app_servers``: gunicorn / uvicorn / hypercorn workers, gunicorn config files;
- ``dockerfile`` and ``procfile``: commands and environment there;

``collect`` picks the files and the reader; ``model`` holds the data and the defaults.
"""

from poolcheck.facts.server.collect import collect_server_settings
from poolcheck.facts.server.model import (
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_WAIT_TIMEOUT,
    IDLE_SESSION_TIMEOUT,
    MAX_CONNECTIONS,
    WAIT_TIMEOUT,
    WORKERS,
    ServerOverrides,
    ServerSettings,
    Setting,
)

__all__ = [
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_WAIT_TIMEOUT",
    "IDLE_SESSION_TIMEOUT",
    "MAX_CONNECTIONS",
    "WAIT_TIMEOUT",
    "WORKERS",
    "ServerOverrides",
    "ServerSettings",
    "Setting",
    "collect_server_settings",
]
