"""Procfiles (Heroku, Dokku, honcho, foreman): ``web: gunicorn app:app -w 4``.

Each line is a process type and a shell command; every process type that runs an app server
with a stated worker count contributes it (``WEB_CONCURRENCY=4 gunicorn ...`` included).
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import List

from poolcheck.facts.server.app_servers import workers_from_args
from poolcheck.facts.server.commands import expand_shell_strings, shell_args
from poolcheck.facts.server.model import WORKERS, Setting
from poolcheck.findings import Location

_PROCESS = re.compile(r"\s*([A-Za-z0-9_-]+)\s*:(.*)")


def read_procfile(text: str, path: PurePosixPath) -> List[Setting]:
    settings = []
    for number, line in enumerate(text.split("\n"), start=1):
        process = _PROCESS.fullmatch(line)
        if process is None:
            continue
        args = expand_shell_strings(shell_args(process.group(2), line, number))
        for count, count_line in workers_from_args(args):
            settings.append(Setting(WORKERS, count, Location(Path(path.as_posix()), count_line),
                                    f"{path.name}: {process.group(1)}"))
    return settings
