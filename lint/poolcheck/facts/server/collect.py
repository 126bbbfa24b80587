"""Find every file that can state a server setting, read it with the reader for its kind.

Which reader applies is decided from the path alone, and Python and SQL files are read only
when their bytes hold the variable names, so a run over a large project reads a handful of
files. PyYAML is imported only when the project has a compose file.
"""

from __future__ import annotations

import fnmatch
from pathlib import PurePosixPath
from typing import Any, Callable, Dict, List, Optional, Sequence

from poolcheck.facts import ProjectFiles
from poolcheck.facts.server.app_servers import read_gunicorn_config
from poolcheck.facts.server.dockerfile import read_dockerfile
from poolcheck.facts.server.model import ServerOverrides, ServerSettings, Setting
from poolcheck.facts.server.option_files import read_option_files
from poolcheck.facts.server.procfile import read_procfile
from poolcheck.facts.server.sql import might_set_global, read_python_file, read_sql_file

_COMPOSE_PATTERNS = ("docker-compose*.yml", "docker-compose*.yaml", "compose*.yml", "compose*.yaml")


def is_option_file(path: PurePosixPath) -> bool:
    # my.cnf, mariadb.cnf, conf.d/*.cnf, mysql.conf.d/*.cnf ...; my.ini is the Windows name.
    name = path.name.lower()
    return name.endswith(".cnf") or name == "my.ini"


def is_compose_file(path: PurePosixPath) -> bool:
    name = path.name.lower()
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in _COMPOSE_PATTERNS)


def is_gunicorn_config(path: PurePosixPath) -> bool:
    # gunicorn.conf.py (gunicorn's default name), gunicorn_config.py, config/gunicorn-prod.py ...
    name = path.name.lower()
    return name.endswith(".py") and "gunicorn" in name


def is_procfile(path: PurePosixPath) -> bool:
    return path.name == "Procfile" or path.name.startswith("Procfile.")


def is_dockerfile(path: PurePosixPath) -> bool:
    name = path.name.lower()
    return (name in ("dockerfile", "containerfile") or name.startswith(("dockerfile.", "containerfile."))
            or name.endswith(".dockerfile"))


_Reader = Callable[[str, PurePosixPath], List[Setting]]


def _read_text(files: ProjectFiles, path: PurePosixPath, reader: _Reader) -> List[Setting]:
    text = files.read_text(path)
    return reader(text, path) if text is not None else []


def _decode(data: bytes) -> str:
    # As ProjectFiles.read_text does: UTF-8, BOM stripped, undecodable bytes replaced.
    return data.decode("utf-8", errors="replace").lstrip("\ufeff")


def _read_sql_file(files: ProjectFiles, path: PurePosixPath) -> List[Setting]:
    data = files.read_bytes(path)
    return read_sql_file(_decode(data), path) if data is not None and might_set_global(data) else []


def _read_python_file(files: ProjectFiles, path: PurePosixPath) -> List[Setting]:
    """SET GLOBAL in its strings, and ``workers`` if it is a gunicorn configuration file."""
    data = files.read_bytes(path)
    if data is None:
        return []
    settings = read_python_file(_decode(data), path) if might_set_global(data) else []
    if is_gunicorn_config(path) and b"workers" in data:
        settings += read_gunicorn_config(_decode(data), path)
    return settings


def _files_naming_variables(files: ProjectFiles, paths: Sequence[PurePosixPath]) -> Optional[set]:
    """The .py and .sql files whose bytes name wait_timeout or max_connections (any case);
    None when ``files`` cannot say without reading them all."""
    containing = getattr(files, "files_containing", None)
    suffixes = tuple(sorted({p.suffix for p in paths if p.suffix.lower() in (".py", ".sql")}))
    if containing is not None:
        from poolcheck.facts.tokens import SERVER_VARIABLE_TOKENS

        found = set()
        for suffix in suffixes:
            found.update(containing(SERVER_VARIABLE_TOKENS, (suffix,)))
        return found
    return None  # every .py and .sql file is read (and tested by might_set_global)


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
    compose_paths = [path for path in paths if is_compose_file(path)]
    if compose_paths:
        from poolcheck.facts.server.compose import read_compose_file  # imports PyYAML

        for path in compose_paths:
            found += _guarded(_read_text, files, path, read_compose_file)
    # Only files that name a variable can set it: asking the project which those are (rather
    # than reading every file) also makes the settings depend on those files alone.
    naming = _files_naming_variables(files, paths)
    for path in paths:
        suffix = path.suffix.lower()
        if suffix == ".sql":
            if naming is None or path in naming:
                found += _guarded(_read_sql_file, files, path)
        elif suffix == ".py":
            if naming is None or path in naming or is_gunicorn_config(path):
                found += _guarded(_read_python_file, files, path)
        elif is_procfile(path):
            found += _guarded(_read_text, files, path, read_procfile)
        elif is_dockerfile(path):
            found += _guarded(_read_text, files, path, read_dockerfile)
    return ServerSettings(
        found=tuple(_unique(found)),
        overrides=overrides.as_settings() if overrides is not None else (),
    )
