"""Find every file that can state a server setting, read it with the reader for its kind.

Which reader applies is decided from the path alone, so a run over a large project reads a
handful of files.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any, Callable, Dict, List, Optional, Sequence

from poolcheck.facts import ProjectFiles
from poolcheck.facts.server.model import ServerOverrides, ServerSettings, Setting
from poolcheck.facts.server.option_files import read_option_files


def is_option_file(path: PurePosixPath) -> bool:
    # my.cnf, mariadb.cnf, conf.d/*.cnf, mysql.conf.d/*.cnf ...; my.ini is the Windows name.
    name = path.name.lower()
    return name.endswith(".cnf") or name == "my.ini"


def _guarded(read: Callable[..., List[Setting]], *arguments: Any) -> List[Setting]:
    # The readers are written not to raise on any input; this is the last line of defence,
    # so that a reader's bug on one odd file costs that file's facts, not the lint run.
    try:
        return read(*arguments)
    except Exception:  # noqa: BLE001
        return []


def _unique(settings: Sequence[Setting]) -> List[Setting]:
    """One candidate per (setting, value, place): a file two option files include is read with each."""
    seen: Dict[tuple, Setting] = {}
    for setting in settings:
        seen.setdefault((setting.name, setting.value, setting.location), setting)
    # Stable: settings written on one line keep the order they are written in.
    return sorted(seen.values(), key=lambda s: (s.location.path.as_posix(), s.location.line)
                  if s.location is not None else ("", 0))


def collect_server_settings(files: ProjectFiles, overrides: Optional[ServerOverrides] = None) -> ServerSettings:
    """Every wait_timeout, max_connections and worker count the project states, with its place."""
    paths = list(files.paths())
    found: List[Setting] = []
    option_paths = [path for path in paths if is_option_file(path)]
    if option_paths:
        found += _guarded(read_option_files, files, option_paths, paths)
    return ServerSettings(
        found=tuple(_unique(found)),
        overrides=overrides.as_settings() if overrides is not None else (),
    )
