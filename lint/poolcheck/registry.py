"""Loading rules from the ``poolcheck.rules`` entry-point group.

The built-in rules register there exactly like a third-party package does, so the engine
never names a rule. An entry point may point at a module (its ``RULES`` list, or else every
``Rule`` subclass defined in it), a ``Rule`` subclass, or an iterable of them.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType
from typing import Dict, Iterable, List, Optional, Tuple, Type

from .rule import Rule

ENTRY_POINT_GROUP = "poolcheck.rules"


class RuleLoadError(Exception):
    """A rule package is broken in a way that makes the run meaningless (duplicate codes)."""


class RuleSet:
    """The loaded rules, and the warnings loading them gave."""

    def __init__(self, rules: Tuple[Type[Rule], ...], warnings: Optional[List[str]] = None) -> None:
        self.rules = rules
        self.warnings: List[str] = warnings if warnings is not None else []
        self._by_code: Dict[str, Type[Rule]] = {r.code: r for r in self.rules}
        self._by_name: Dict[str, Type[Rule]] = {r.name: r for r in self.rules}

    def get(self, code_or_name: str) -> Optional[Type[Rule]]:
        key = code_or_name.strip()
        return self._by_code.get(key.upper()) or self._by_name.get(key.lower())

    @property
    def codes(self) -> List[str]:
        return [r.code for r in self.rules]

    def __iter__(self):
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)


def _entry_points(group: str, index: Optional[Path] = None):
    """The group's entry points; with ``index`` (a file in the user's cache folder), as saved
    there by an earlier run in this very installation (see :func:`installation_key`), so a
    one-file run does not import ``importlib.metadata`` (with ``email``, ``zipfile``...)."""
    key = installation_key() if index is not None else None
    if key is not None:
        saved = _read_index(index, key, group)
        if saved is not None:
            return saved
    from importlib import metadata

    if sys.version_info >= (3, 10):
        points = list(metadata.entry_points(group=group))
    else:  # pragma: no cover - Python 3.9
        points = list(metadata.entry_points().get(group, ()))
    if key is not None:
        _write_index(index, key, group, points)
    return points


# --- the saved index of entry points ------------------------------------------------------------

_METADATA_SUFFIXES = (".dist-info", ".egg-info")


def installation_key() -> Optional[str]:
    """A digest of everything ``importlib.metadata`` reads to list entry points: the Python,
    ``sys.path``, and in each of its folders the names of the distributions' metadata folders
    with the status of their ``entry_points.txt`` (a package installed, removed, upgraded or
    reinstalled changes it). None when distributions may come from elsewhere (a zip or egg
    on the path, a custom finder of distributions): then the index is not used."""
    import os
    from importlib.machinery import PathFinder

    if any(getattr(f, "find_distributions", None) is not None and f is not PathFinder for f in sys.meta_path):
        return None
    parts = [sys.version, sys.prefix, repr(sys.path)]
    for entry in sys.path:
        folder = os.path.abspath(entry or ".")
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except NotADirectoryError:
            return None  # a zip file on the path
        except OSError:
            parts.append(f"{folder}: -")
            continue
        parts.append(folder)
        for item in entries:
            lowered = item.name.lower()
            if lowered.endswith(".egg") or lowered.endswith(".egg-link"):
                return None
            if not lowered.endswith(_METADATA_SUFFIXES):
                continue
            try:
                info = os.stat(os.path.join(item.path, "entry_points.txt"))
                parts.append(f"{item.name}:{info.st_size}:{info.st_mtime_ns}:{info.st_ctime_ns}:{info.st_ino}")
            except OSError:
                parts.append(f"{item.name}:-")
    from .digests import sha1_hex

    return sha1_hex("\n".join(parts).encode("utf-8", "surrogateescape"))


class SavedEntryPoint:
    """An entry point read from the index: ``name``, ``value`` and ``load()``, as
    ``importlib.metadata.EntryPoint`` has them."""

    def __init__(self, name: str, value: str) -> None:
        self.name = name
        self.value = value

    def load(self):
        import functools
        import importlib
        import re

        match = re.match(r"(?P<module>[\w.]+)\s*(:\s*(?P<attr>[\w.]+)\s*)?((?P<extras>\[.*\])\s*)?$", self.value)
        if match is None:
            raise ValueError(f"not an entry point reference: {self.value!r}")
        module = importlib.import_module(match.group("module"))
        attrs = filter(None, (match.group("attr") or "").split("."))
        return functools.reduce(getattr, attrs, module)

    def __repr__(self) -> str:
        return f"SavedEntryPoint({self.name!r}, {self.value!r})"


def _read_index(index: Path, key: str, group: str) -> Optional[List[SavedEntryPoint]]:
    import json

    try:
        with open(index, "rb") as handle:
            data = json.loads(handle.read())
        if data.get("key") != key:
            return None
        return [SavedEntryPoint(str(name), str(value)) for name, value in data["groups"][group]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _write_index(index: Path, key: str, group: str, points) -> None:
    import json
    import os
    import tempfile

    try:
        index.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(prefix=".tmp-", dir=index.parent)
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(json.dumps({"key": key, "groups": {group: [[p.name, p.value] for p in points]}}))
            os.replace(temporary, index)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError:
        pass  # an unwritable folder costs the next run the metadata import, nothing more


def _rules_in(obj, origin: str) -> List[Type[Rule]]:
    if isinstance(obj, type) and issubclass(obj, Rule):
        return [obj]
    if isinstance(obj, ModuleType):
        listed = getattr(obj, "RULES", None)
        if listed is not None:
            return _rules_in(listed, origin)
        return [
            value
            for value in vars(obj).values()
            if isinstance(value, type)
            and issubclass(value, Rule)
            and value is not Rule
            and value.__module__ == obj.__name__
            and getattr(value, "code", None)
        ]
    if isinstance(obj, Iterable) and not isinstance(obj, (str, bytes)):
        found: List[Type[Rule]] = []
        for item in obj:
            found.extend(_rules_in(item, origin))
        return found
    raise TypeError(f"{origin} is neither a module, a Rule subclass nor a list of them")


# Where `load_rules` keeps the group's entry points between runs (see `_entry_points`): set
# by `poolcheck check` while it loads the rules (installation.rule_index_path).
INDEX: Optional[Path] = None


def load_rules(entry_points: Optional[Iterable] = None) -> RuleSet:
    """Load every rule of the group (through the saved ``INDEX`` when set). A plugin that fails to import is skipped with a warning
    (one broken plugin must not take the built-in rules down with it); two rules claiming one
    code or one name is an error, because selection and suppression would be ambiguous."""
    warnings: List[str] = []
    rules: List[Type[Rule]] = []
    origins: Dict[str, str] = {}
    names: Dict[str, str] = {}
    points = list(entry_points) if entry_points is not None else _entry_points(ENTRY_POINT_GROUP, INDEX)
    for point in sorted(points, key=lambda p: (p.name, p.value)):
        origin = f"rule plugin {point.name!r} ({point.value})"
        try:
            found = _rules_in(point.load(), origin)
        except Exception as exc:  # a broken third-party package: report, keep going
            warnings.append(f"could not load {origin}: {type(exc).__name__}: {exc}")
            continue
        for rule in found:
            problems = rule.metadata_problems()
            if problems:
                warnings.append(f"skipping rule {rule.__qualname__} from {origin}: {'; '.join(problems)}")
                continue
            if rule.code in origins:
                if origins[rule.code] == origin:
                    continue  # the same rule listed twice by one package
                raise RuleLoadError(f"rule code {rule.code} is defined twice: by {origins[rule.code]} and by {origin}")
            if rule.name in names:
                raise RuleLoadError(f"rule name {rule.name} is defined twice: by {names[rule.name]} and by {origin}")
            origins[rule.code] = origin
            names[rule.name] = origin
            rules.append(rule)
    rules.sort(key=lambda r: r.code)
    return RuleSet(tuple(rules), warnings)
