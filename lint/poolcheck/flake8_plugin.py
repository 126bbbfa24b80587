"""The flake8 plugin: ``flake8 --select PC`` runs poolcheck's rules, through the same engine
and configuration as ``poolcheck check``.

- Which rules run: the ones ``[tool.poolcheck]`` enables for the file (select,
  extend-select, ignore, per-file-ignores), plus any opt-in rule flake8's ``--select`` or
  ``--extend-select`` names by its full code (``--extend-select PC002``). flake8's own
  select, ignore, per-file-ignores and ``# noqa`` then apply on top, as for any plugin.
- What is checked: the text flake8 read (a file, or standard input with
  ``--stdin-display-name``) as that file, with the project around it; findings that depend
  on other files (a ``my.cnf``) are the same as ``poolcheck check`` reports.
- A broken poolcheck configuration stops flake8 with the one-line reason (a silently
  ignored configuration would let CI pass without checking anything).

flake8 runs one plugin instance per file, in several processes: each process keeps one
:class:`~poolcheck.session.Session`, so a project's facts are gathered once per process.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, Optional, Sequence, Tuple, Type

from . import __version__

try:
    # flake8 prints an ExecutionError as "There was a critical error during execution of
    # Flake8:" and its message, and exits 1; any other exception as a traceback.
    from flake8.exceptions import ExecutionError as _FatalError
except ImportError:  # pragma: no cover - the plugin is loaded by flake8
    _FatalError = Exception  # type: ignore[misc,assignment]

_SESSIONS: Dict[Tuple[str, ...], Any] = {}


class PoolcheckConfigurationError(_FatalError):  # type: ignore[misc,valid-type]
    """poolcheck cannot run: its configuration is broken (the message says where)."""


class Poolcheck:
    name = "poolcheck"
    version = __version__
    # Codes named in flake8's --select / --extend-select (set by parse_options).
    explicit_codes: Tuple[str, ...] = ()

    def __init__(self, tree: ast.AST, filename: str, lines: Sequence[str]) -> None:
        # `tree` is asked for only because flake8 runs a plugin once per file when it does;
        # poolcheck parses the file itself (with libcst, and only if a rule needs it).
        self.filename = filename
        self.lines = lines

    @classmethod
    def parse_options(cls, options: Any) -> None:
        named = list(getattr(options, "select", None) or ()) + list(getattr(options, "extend_select", None) or ())
        cls.explicit_codes = tuple(sorted({code.strip().upper() for code in named if code.strip()}))

    def run(self) -> Iterator[Tuple[int, int, str, Type["Poolcheck"]]]:
        from .config import ConfigError
        from .masking import mask_secrets
        from .registry import RuleLoadError
        from .selection import SelectionError

        try:
            session = _session(self.explicit_codes)
            path = Path(self.filename)
            result = session.check(path, _content_unless_on_disk(path, "".join(self.lines)))
        except (ConfigError, SelectionError, RuleLoadError) as exc:
            raise PoolcheckConfigurationError(mask_secrets(f"poolcheck: {exc}")) from None
        for message in result.errors + result.warnings:
            sys.stderr.write(f"poolcheck: {mask_secrets(message)}\n")
        for finding in result.findings:
            yield finding.line, finding.column, f"{finding.code} {mask_secrets(finding.message)}", type(self)


def _session(explicit_codes: Tuple[str, ...]):
    from .registry import load_rules
    from .session import Session

    if explicit_codes not in _SESSIONS:
        rules = load_rules()
        for warning in rules.warnings:
            sys.stderr.write(f"poolcheck: warning: {warning}\n")
        # Only full codes enable opt-in rules: `--select PC` keeps them off, as the
        # configuration's default selection does.
        opted_in = [code for code in explicit_codes if code in set(rules.codes)]
        _SESSIONS[explicit_codes] = Session(rules, extend_select=opted_in)
    return _SESSIONS[explicit_codes]


def _content_unless_on_disk(path: Path, text: str) -> Optional[bytes]:
    """None when ``text`` is what the file on disk holds (the session then shares the
    project's facts across files), else the text as the file's bytes (standard input, or a
    file that changed since flake8 read it)."""
    from .source import SourceFile, decode_source, encode_text

    try:
        data = path.read_bytes() if path.is_file() else None
    except OSError:
        data = None
    if data is not None:
        source = decode_source(path, data)
        # flake8 reads files with universal newlines; compare the text, not the line endings.
        if isinstance(source, SourceFile) and _newlines_as_lf(source.text) == _newlines_as_lf(text):
            return None
    return encode_text(text)


def _newlines_as_lf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")
