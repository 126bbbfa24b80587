"""Loading rules from the ``poolcheck.rules`` entry-point group.

The built-in rules register there exactly like a third-party package does, so the engine
never names a rule. An entry point may point at a module (its ``RULES`` list, or else every
``Rule`` subclass defined in it), a ``Rule`` subclass, or an iterable of them.
"""

from __future__ import annotations

import inspect
import sys
from dataclasses import dataclass, field
from types import ModuleType
from typing import Dict, Iterable, List, Optional, Tuple, Type

from .rule import Rule

ENTRY_POINT_GROUP = "poolcheck.rules"


class RuleLoadError(Exception):
    """A rule package is broken in a way that makes the run meaningless (duplicate codes)."""


@dataclass
class RuleSet:
    rules: Tuple[Type[Rule], ...]
    warnings: List[str] = field(default_factory=list)

    def __post_init__(self) -> None:
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


def _entry_points(group: str):
    from importlib import metadata

    if sys.version_info >= (3, 10):
        return list(metadata.entry_points(group=group))
    return list(metadata.entry_points().get(group, ()))  # pragma: no cover - Python 3.9


def _rules_in(obj, origin: str) -> List[Type[Rule]]:
    if inspect.isclass(obj) and issubclass(obj, Rule):
        return [obj]
    if isinstance(obj, ModuleType):
        listed = getattr(obj, "RULES", None)
        if listed is not None:
            return _rules_in(listed, origin)
        return [
            value
            for value in vars(obj).values()
            if inspect.isclass(value)
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


def load_rules(entry_points: Optional[Iterable] = None) -> RuleSet:
    """Load every rule of the group. A plugin that fails to import is skipped with a warning
    (one broken plugin must not take the built-in rules down with it); two rules claiming one
    code or one name is an error, because selection and suppression would be ambiguous."""
    warnings: List[str] = []
    rules: List[Type[Rule]] = []
    origins: Dict[str, str] = {}
    names: Dict[str, str] = {}
    points = list(entry_points) if entry_points is not None else _entry_points(ENTRY_POINT_GROUP)
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
