"""Running a rule on its own examples: used by poolcheck's test suite and available to
third-party rule authors (``from poolcheck.testing import check_example``).

Each example becomes a small project in a temporary folder (its code, its other files, and
a ``pyproject.toml`` with its settings), checked by the real runner with only that rule
selected, exactly as the command line would check it.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Iterable, List, Mapping, Type

from .findings import Finding
from .rule import Example, Invalid, Rule


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return str(value)


def pyproject_for(settings: Mapping) -> str:
    lines = ["[tool.poolcheck]"]
    tables = {}
    for key, value in settings.items():
        if isinstance(value, Mapping):
            tables[key] = value
        else:
            lines.append(f"{key} = {_toml_value(value)}")
    for name, table in tables.items():
        lines.append(f"[tool.poolcheck.{name}]")
        lines.extend(f'"{k}" = {_toml_value(v)}' for k, v in table.items())
    return "\n".join(lines) + "\n"


def write_project(folder: Path, example: Example) -> Path:
    for name, content in example.files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8", newline="")
    if "pyproject.toml" not in example.files:
        (folder / "pyproject.toml").write_text(pyproject_for(example.settings), encoding="utf-8")
    target = folder / example.path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(example.code.encode("utf-8"))
    return target


def check_example(example: Example, codes: Iterable[str], rules=None) -> List[Finding]:
    """The findings of the selected ``codes`` for ``example``'s main file."""
    from .config import load_settings
    from .registry import load_rules
    from .runner import RunOptions, Runner
    from .selection import Selection

    rules = rules or load_rules()
    with tempfile.TemporaryDirectory(prefix="poolcheck-example-") as tmp:
        folder = Path(tmp).resolve()
        target = write_project(folder, example)
        settings = load_settings(folder / "pyproject.toml")
        enabled = Selection(tuple(codes)).enabled_codes(rules)
        result = Runner(settings, rules, enabled, cwd=folder).run(RunOptions(paths=[target]))
        if result.errors:
            raise AssertionError("; ".join(result.errors))
        return result.findings


def example_failures(rule: Type[Rule], rules=None) -> List[str]:
    """Every way ``rule``'s own examples are not honoured (empty when all pass)."""
    failures = []
    # Every rule runs, as in real use (PC002 needs the others to know which `noqa` is used);
    # only the rule's own findings are judged.
    for example in rule.all_invalid():
        found = [f for f in check_example(example, ["ALL"], rules) if f.code == rule.code]
        label = example.note or example.code.strip().splitlines()[-1][:60]
        if not found:
            failures.append(f"{rule.code}: not flagged: {label}")
            continue
        if isinstance(example, Invalid) and example.line is not None and example.line not in {f.line for f in found}:
            failures.append(f"{rule.code}: flagged at line(s) {sorted({f.line for f in found})}, expected {example.line}: {label}")
        if isinstance(example, Invalid) and example.message and not any(example.message in f.message for f in found):
            failures.append(f"{rule.code}: no message contains {example.message!r}: {[f.message for f in found]}")
    for example in rule.all_valid():
        found = [f for f in check_example(example, ["ALL"], rules) if f.code == rule.code]
        if found:
            label = example.note or example.code.strip().splitlines()[-1][:60]
            failures.append(f"{rule.code}: flagged but should not be: {label}: {found[0].message}")
    return failures
