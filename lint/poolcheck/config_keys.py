"""Where a Flask configuration key is given a value, in the forms written directly in Python.

``SCHEDULER_JOBSTORES`` and ``SQLALCHEMY_DATABASE_URI`` are read by extensions from
``app.config``; a project sets them in one of a few direct ways:

- ``KEY = value`` at module level (a settings module for ``from_object`` / ``from_pyfile``)
  or in a class body (a config class);
- ``app.config["KEY"] = value`` (any subscript assignment with that key);
- ``KEY=value`` as a keyword of any call (``app.config.update``, ``from_mapping``, ``dict``);
- ``{"KEY": value}`` in any dict display (``app.config.update({...})``, a config mapping);
- ``app.config.setdefault("KEY", value)``.

The keys are specific enough to these extensions that the receiver need not be proven to be
a Flask config. Configuration loaded from files (``from_file``, ``.env``, TOML, JSON) is the
Flask configuration model's business, not this module's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional

import libcst as cst

from .walk import walk
from .syntax import ParsedFile
from .values import ScopedVisitor, Where


@dataclass(frozen=True)
class ConfigAssignment:
    """A Flask configuration key given a value in one of the direct forms above, and that value."""
    key: str
    key_node: cst.CSTNode  # the name, keyword or string that names the key
    value: cst.BaseExpression
    where: Where


class _Finder(ScopedVisitor):
    def __init__(self, file: ParsedFile, key: str) -> None:
        super().__init__(file)
        self.key = key
        self.found: List[ConfigAssignment] = []

    def _add(self, key_node: cst.CSTNode, value: Optional[cst.BaseExpression]) -> None:
        if value is not None:
            self.found.append(ConfigAssignment(self.key, key_node, value, self.where))

    def _is_key(self, node: cst.CSTNode) -> bool:
        if not isinstance(node, cst.SimpleString) or "b" in node.prefix.lower():
            return False
        return node.evaluated_value == self.key

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._target(target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._target(node.target, node.value)

    def _target(self, target: cst.BaseExpression, value: Optional[cst.BaseExpression]) -> None:
        if isinstance(target, cst.Name) and target.value == self.key:
            # A local variable of a function is not configuration by itself (it reaches the
            # config through one of the other forms, which are found on their own).
            if not isinstance(self.scopes[-1], cst.FunctionDef):
                self._add(target, value)
        elif isinstance(target, cst.Subscript) and len(target.slice) == 1:
            index = target.slice[0].slice
            if isinstance(index, cst.Index) and self._is_key(index.value):
                self._add(index.value, value)

    def visit_Call(self, node: cst.Call) -> None:
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value == self.key:
                self._add(arg.keyword, arg.value)
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "setdefault":
            positional = [arg.value for arg in node.args if arg.keyword is None and not arg.star]
            if len(positional) == 2 and self._is_key(positional[0]):
                self._add(positional[0], positional[1])

    def visit_DictElement(self, node: cst.DictElement) -> None:
        if self._is_key(node.key):
            self._add(node.key, node.value)


def config_assignments(file: ParsedFile, key: str) -> List[ConfigAssignment]:
    """Every direct assignment of the Flask config ``key`` in ``file``, in source order."""
    if key.encode() not in file.source.raw:
        return []
    finder = _Finder(file, key)
    walk(file.module, finder)
    return finder.found
