"""Finding the project code an expression names: the function a call calls, the class a
method belongs to, the ``self.`` attributes a class sets. Built on the evaluator's import
resolution (``values.lookup``, ``Evaluator.evaluate``), so a helper imported from another
module, or under another name, is found the same way a constant is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import libcst as cst

from ..syntax import ParsedFile
from ..values import ClassRef, Evaluator, Known, ModuleRef, Where, lookup
from ..walk import walk

MAX_DEPTH = 12


@dataclass(frozen=True)
class FunctionRef:
    """A project function and where its body is: ``where.scopes`` ends with the function."""

    node: cst.FunctionDef
    where: Where
    owner: Optional[cst.ClassDef] = None  # the class of a method

    @property
    def file(self) -> ParsedFile:
        return self.where.file

    @property
    def name(self) -> str:
        return self.node.name.value


def function_named(evaluator: Evaluator, expr: cst.BaseExpression, where: Where, depth: int = 0) -> Optional[FunctionRef]:
    """The project function ``expr`` names: a function of this module or of a project
    module (imported, under any name, or ``module.function``), or ``self.method`` /
    ``cls.method`` of the enclosing class. None for anything else."""
    if depth > MAX_DEPTH:
        return None
    if isinstance(expr, cst.Name):
        found = lookup(expr.value, where)
        if found is None:
            return None
        bindings, scope_where = found
        return _from_bindings(evaluator, expr.value, bindings, scope_where, depth)
    if isinstance(expr, cst.Attribute):
        attr = expr.attr.value
        owner = enclosing_class_of_self(expr.value, where)
        if owner is not None:
            return method_of(evaluator, ClassRef(where.file, owner), attr)
        base = evaluator.evaluate(expr.value, where)
        if isinstance(base, Known) and isinstance(base.value, ModuleRef):
            module = base.value.file
            if module is None:
                return None
            bindings = module.module_scope.bindings.get(attr)
            return _from_bindings(evaluator, attr, bindings or [], Where.module_level(module), depth + 1) if bindings else None
        if isinstance(base, Known) and isinstance(base.value, ClassRef):
            return method_of(evaluator, base.value, attr)
    return None


def _from_bindings(evaluator: Evaluator, name: str, bindings, where: Where, depth: int) -> Optional[FunctionRef]:
    # Each re-export followed is one level: a module importing a name from itself, or two
    # modules importing it from each other, end here instead of in a RecursionError.
    if depth > MAX_DEPTH:
        return None
    project = evaluator.project
    if len(bindings) == 1 and bindings[0].left_out and project is not None:
        full = project.unpruned(where.file.relative)  # left out of the pruned parse
        if full is None:
            return None
        where = Where.module_level(full)
        bindings = full.module_scope.bindings.get(name, [])
    if len(bindings) != 1:
        return None
    binding = bindings[0]
    if binding.kind == "def" and isinstance(binding.node, cst.FunctionDef):
        scopes = where.scopes if where.scopes else (where.file.module,)
        owner = scopes[-1] if isinstance(scopes[-1], cst.ClassDef) else None
        return FunctionRef(binding.node, Where(where.file, tuple(scopes) + (binding.node,)), owner)
    if binding.kind == "from" and project is not None:
        path = project.resolve_module(binding.module or "", where.file.relative)
        parsed = project.parsed(path) if path is not None else None
        if parsed is None:
            return None
        imported = binding.imported or name
        inner = parsed.module_scope.bindings.get(imported, [])
        return _from_bindings(evaluator, imported, inner, Where.module_level(parsed), depth + 1) if inner else None
    return None


def method_of(evaluator: Evaluator, cls: ClassRef, name: str, _seen: Optional[set] = None) -> Optional[FunctionRef]:
    """A method defined in ``cls`` or its resolvable project bases."""
    seen = _seen if _seen is not None else set()
    if cls.node in seen or len(seen) > MAX_DEPTH:
        return None
    seen.add(cls.node)
    bindings = cls.file.scope(cls.node).bindings.get(name)
    module_where = Where.module_level(cls.file)
    if bindings:
        if len(bindings) == 1 and bindings[0].kind == "def" and isinstance(bindings[0].node, cst.FunctionDef):
            node = bindings[0].node
            return FunctionRef(node, module_where.inner(cls.node).inner(node), cls.node)
        return None
    for base in cls.node.bases:
        value = evaluator.evaluate(base.value, module_where)
        if isinstance(value, Known) and isinstance(value.value, ClassRef):
            found = method_of(evaluator, value.value, name, seen)
            if found is not None:
                return found
    return None


def enclosing_class_of_self(expr: cst.BaseExpression, where: Where) -> Optional[cst.ClassDef]:
    """The class whose instance (or class) ``expr`` is, when ``expr`` is the first parameter
    of a method written directly in a class body (``self``, ``cls``); not of a
    ``staticmethod``."""
    if not isinstance(expr, cst.Name) or len(where.scopes) < 2:
        return None
    function, owner = where.scopes[-1], where.scopes[-2]
    if not isinstance(function, cst.FunctionDef) or not isinstance(owner, cst.ClassDef):
        return None
    if any(_decorator_name(d.decorator) == "staticmethod" for d in function.decorators):
        return None
    params = list(function.params.posonly_params) + list(function.params.params)
    if not params or params[0].name.value != expr.value:
        return None
    return owner


def _decorator_name(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return ""


def self_assignments(cls: ClassRef, attr: str, cache: Dict) -> List[Tuple[cst.BaseExpression, Where]]:
    """Every ``self.<attr> = value`` in the methods written in ``cls``'s body, with where
    each value is written (its method's scope)."""
    key = cls.node
    if key not in cache:
        found: Dict[str, List[Tuple[cst.BaseExpression, Where]]] = {}
        module_where = Where.module_level(cls.file)
        for statement in _body(cls.node):
            if not isinstance(statement, cst.FunctionDef):
                continue
            where = module_where.inner(cls.node).inner(statement)
            params = list(statement.params.posonly_params) + list(statement.params.params)
            if not params:
                continue
            receiver = params[0].name.value
            for target, value in _assignments(statement):
                if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and target.value.value == receiver:
                    found.setdefault(target.attr.value, []).append((value, where))
        cache[key] = found
    return cache[key].get(attr, [])


def _body(node) -> List[cst.CSTNode]:
    body = node.body
    return list(body.body) if isinstance(body, cst.IndentedBlock) else []


def _assignments(function: cst.FunctionDef) -> List[Tuple[cst.BaseExpression, cst.BaseExpression]]:
    """(target, value) of the assignments in a function, nested blocks included, nested
    functions and classes not."""
    found: List[Tuple[cst.BaseExpression, cst.BaseExpression]] = []

    class Finder(cst.CSTVisitor):
        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return node is function

        def visit_ClassDef(self, node: cst.ClassDef) -> bool:
            return False

        def visit_Lambda(self, node: cst.Lambda) -> bool:
            return False

        def visit_Assign(self, node: cst.Assign) -> None:
            for target in node.targets:
                found.append((target.target, node.value))

        def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
            if node.value is not None:
                found.append((node.target, node.value))

    walk(function, Finder())
    return found
