"""A long-lived checker for editors and plugins: the language server and the flake8 plugin.

It checks one file at a time, configured exactly as ``poolcheck check PATH`` would be for that
file (settings discovered from the file's folder upward, the configured selection), with the
project around the file: either as it is on disk, or with the file's content given (an editor
buffer, the lines flake8 read). It keeps one :class:`~poolcheck.runner.Runner` per
configuration file, so the project walk is done once, until :meth:`Session.forget` is called
because files were created, deleted or changed.

A session is not thread-safe: use it from one thread.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, Optional, Sequence, Tuple

from .config import Settings, find_config, load_settings
from .registry import RuleSet, load_rules
from .runner import RunOptions, Runner, RunResult
from .selection import configured_selection


class Session:
    def __init__(
        self, rules: Optional[RuleSet] = None, *, extend_select: Sequence[str] = (), cwd: Optional[Path] = None, cache: bool = True
    ) -> None:
        """``extend_select``: selectors enabled on top of each configuration's selection, as
        ``--extend-select`` does on the command line. ``cache``: use the project's cache
        (``.poolcheck_cache`` at its root, or ``POOLCHECK_CACHE_DIR``) as ``poolcheck check``
        does: a buffer checked on every keystroke then reads and parses no unchanged file of
        its project (only what the cache keeps per file content is used for a buffer)."""
        self.rules = rules if rules is not None else load_rules()
        self.extend_select = tuple(extend_select)
        self.cwd = (cwd or Path.cwd()).resolve()
        self.use_cache = cache
        # Per folder: its configuration file, with its TOML when finding it took a parse.
        self._config_of_folder: Dict[Path, Optional[Tuple[Path, Optional[dict]]]] = {}
        self._runners: Dict[Optional[Path], Runner] = {}

    def runner_for(self, path: Path) -> Runner:
        """The runner configured for ``path``. Raises ConfigError or SelectionError when the
        configuration that applies is broken."""
        folder = (self.cwd / path).resolve().parent
        if folder not in self._config_of_folder:
            self._config_of_folder[folder] = find_config(folder)
        found = self._config_of_folder[folder]
        config = found[0] if found is not None else None
        if config not in self._runners:
            # (A pyproject.toml parsed to find it is not parsed again.)
            settings = load_settings(*found) if found is not None else Settings()
            selection = configured_selection(settings, self.rules, extend_select=self.extend_select)
            enabled = selection.enabled_codes(self.rules)
            self._runners[config] = Runner(settings, self.rules, enabled, cwd=self.cwd, cache=self._cache(folder, settings, enabled))
        return self._runners[config]

    def _cache(self, folder: Path, settings: Settings, enabled):
        if not self.use_cache or settings.database.live:
            return None
        from .cache import cache_in, default_directory

        return cache_in(default_directory(folder), settings, self.rules, enabled, self.cwd)

    def check(self, path: Path, data: Optional[bytes] = None, *, fix: bool = False, unsafe_fixes: bool = False) -> RunResult:
        """Check ``path``: its content on disk (``data`` None; the project's facts are then
        shared with the next file checked), or ``data`` as its content (the project is read
        afresh around it). With ``fix`` and ``data``, ``result.fixed`` holds the fixed text;
        nothing is ever written."""
        runner = self.runner_for(path)
        if data is None:
            return runner.run(RunOptions(paths=[path]))
        return runner.check_buffer(path, data, fix=fix, unsafe_fixes=unsafe_fixes)

    def forget(self) -> None:
        """Files changed: re-read configurations and re-walk projects on the next check."""
        self._config_of_folder.clear()
        self._runners.clear()
