"""A small static evaluator: what value does this expression certainly have?

``Evaluator.evaluate(expr, where)`` returns :class:`Known` (with the value and where it came
from) or :class:`Unknown`. Unknown is a normal answer: rules stay silent on it.

It resolves literals; arithmetic on numbers (``8 * 60 * 60``) and ``+`` on strings; names
bound once in the enclosing function, the module, or a class body; constants imported from
other project modules; ``int()``/``float()``/``str()``/``bool()``/``dict()`` of known values;
``os.environ.get("X", default)`` / ``os.getenv("X", default)`` (their defaults); f-strings,
``%`` and ``.format`` (fully, or as a template whose literal prefix, such as a URL scheme, is
known); ``URL.create("mysql+pymysql", ...)`` and ``make_url(...)``; subscripts of known
dicts; ``**`` splats. Names imported from outside the project evaluate to an
:class:`ImportedName` so callers can recognise ``NullPool`` however it was imported.
"""

from __future__ import annotations

import builtins
import operator
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import libcst as cst

from .walk import walk
from .syntax import Binding, ParsedFile, ScopeNode, dotted_name

MAX_DEPTH = 40
_BUILTIN_NAMES = frozenset(dir(builtins))


# --- values ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unknown:
    """A value the evaluator cannot know statically, and why (false in a boolean test)."""
    reason: str = "not statically known"

    def __bool__(self) -> bool:  # so `if value:` reads naturally at call sites
        return False


@dataclass(frozen=True)
class Known:
    """A value the evaluator knows, with the expression and file it was written in."""
    value: Any
    # Where the value was written: the expression and the file holding it. For a constant
    # imported from another module this is the other module's assignment.
    node: Optional[cst.CSTNode] = None
    file: Optional[ParsedFile] = field(default=None, compare=False)
    # True when the value is the default of an environment lookup (os.getenv("X", default)).
    from_env_default: bool = False


Value = Union[Known, Unknown]


@dataclass(frozen=True)
class ImportedName:
    """A name imported from outside the project, e.g. ``sqlalchemy.pool.NullPool``."""

    qualified: str


@dataclass(frozen=True)
class Template:
    """A string built at run time whose literal prefix is known: ``f"mysql+pymysql://{u}@{h}"``
    has the prefix ``mysql+pymysql://``."""

    prefix: str


@dataclass(frozen=True)
class UrlParts:
    """``URL.create(drivername, ...)``: the driver name and whatever parts are literal."""

    drivername: str
    database: Value = Unknown()


@dataclass(frozen=True)
class DictEntry:
    """One key of an evaluated dict, with where its key and value are written."""
    key: Any  # the key's value (usually a str)
    value: Value
    key_node: Optional[cst.CSTNode]
    value_node: Optional[cst.CSTNode]
    file: Optional[ParsedFile] = field(default=None, compare=False)
    # The scopes enclosing value_node, so callers can follow names in it (Evaluator.definition).
    scopes: Tuple[Any, ...] = field(default=(), compare=False)

    @property
    def where(self) -> Optional["Where"]:
        return Where(self.file, self.scopes) if self.file is not None else None


@dataclass(frozen=True)
class DictValue:
    """An evaluated dict: its entries, and whether they are all known."""
    entries: Tuple[DictEntry, ...]
    complete: bool  # False when part of it is unknown (a ``**splat`` of an unknown mapping)

    def get(self, key: Any) -> Optional[DictEntry]:
        found = None
        for entry in self.entries:
            if entry.key == key:
                found = entry  # the last one wins, as in a dict display
        return found

    def keys(self) -> List[Any]:
        seen: Dict[Any, None] = {}
        for entry in self.entries:
            seen[entry.key] = None
        return list(seen)


@dataclass(frozen=True)
class ModuleRef:
    """A project module (``import app.settings as settings``). Parsed only when one of its
    names is looked up: most imports are followed only to learn a qualified name."""

    project: Any = field(compare=False)
    path: Any
    module_name: str

    @property
    def file(self) -> Optional[ParsedFile]:
        return self.project.parsed(self.path)


@dataclass(frozen=True)
class ClassRef:
    """A class definition a name evaluates to, and the file holding it."""
    file: ParsedFile
    node: cst.ClassDef


# --- where an expression is ------------------------------------------------------------------


@dataclass(frozen=True)
class Where:
    """An expression's file and the scopes enclosing it, innermost last."""

    file: ParsedFile
    scopes: Tuple[ScopeNode, ...] = ()

    @classmethod
    def module_level(cls, file: ParsedFile) -> "Where":
        return cls(file, (file.module,))

    def inner(self, node: ScopeNode) -> "Where":
        return Where(self.file, self.scopes + (node,))


class ScopedVisitor(cst.CSTVisitor):
    """A visitor that knows where it is: ``self.where`` is the visited node's :class:`Where`
    (the module, then every enclosing function and class). Subclasses that override
    ``visit_FunctionDef``/``visit_ClassDef`` (or their ``leave_``) call ``super()``."""

    def __init__(self, file: ParsedFile) -> None:
        super().__init__()
        self.file = file
        self.scopes: List[ScopeNode] = [file.module]

    @property
    def where(self) -> Where:
        return Where(self.file, tuple(self.scopes))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> Optional[bool]:
        self.scopes.append(node)
        return None

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.scopes.pop()

    def visit_ClassDef(self, node: cst.ClassDef) -> Optional[bool]:
        self.scopes.append(node)
        return None

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.scopes.pop()


_BINOPS = {
    cst.Add: operator.add,
    cst.Subtract: operator.sub,
    cst.Multiply: operator.mul,
    cst.FloorDivide: operator.floordiv,
    cst.Divide: operator.truediv,
    cst.Modulo: operator.mod,
    cst.Power: operator.pow,
}

ENV_GETTERS = {"os.getenv", "os.environ.get", "os.environ.setdefault", "environ.get"}
URL_CREATORS_SUFFIX = (".URL.create", ".engine.URL.create", ".engine.url.URL.create")
MAKE_URL_SUFFIX = ("make_url",)


class Evaluator:
    def __init__(self, project) -> None:
        self.project = project
        self._active: set = set()
        self._mutations: Dict[int, Dict[str, str]] = {}

    # --- public -----------------------------------------------------------------------------
    def evaluate(self, expr: Optional[cst.BaseExpression], where: Where, depth: int = 0) -> Value:
        if expr is None:
            return Unknown("missing")
        if depth > MAX_DEPTH:
            return Unknown("too deep")
        try:
            return self._evaluate(expr, where, depth)
        except RecursionError:
            return Unknown("too deep")
        except (ArithmeticError, ValueError, TypeError, OverflowError, MemoryError):
            return Unknown("cannot compute")

    def qualified_name(self, expr: cst.BaseExpression, where: Where) -> Optional[str]:
        """The dotted name an expression refers to, following imports and re-exports:
        ``ce`` after ``from sqlalchemy import create_engine as ce`` is
        ``sqlalchemy.create_engine``. None for anything else."""
        value = self.evaluate(expr, where) if isinstance(expr, (cst.Name, cst.Attribute)) else Unknown()
        if isinstance(value, Unknown) and isinstance(expr, cst.Name) and value.reason.endswith("is not bound in this module"):
            return expr.value if expr.value in _BUILTIN_NAMES else None
        if isinstance(value, Known):
            if isinstance(value.value, ImportedName):
                return value.value.qualified
            if isinstance(value.value, ModuleRef):
                return value.value.module_name or None
            if isinstance(value.value, ClassRef):
                return f"{value.value.file.module_name}.{value.value.node.name.value}"
        return None

    def definition(self, expr: cst.BaseExpression, where: Where, depth: int = 0) -> Optional[Tuple[cst.BaseExpression, Where]]:
        """The expression a name, or an attribute of a project module or class, was assigned,
        and where it is written: ``DATABASE_URL`` after ``DATABASE_URL = os.environ["X"]`` is
        that subscript, in whichever project module assigned it. Lets callers follow a value
        the evaluator cannot know to where it comes from. None when the name is bound more
        than once, bound other than by an assignment, or defined outside the project."""
        if depth > MAX_DEPTH:
            return None
        if isinstance(expr, cst.Name):
            found = _lookup(expr.value, where)
            return self._binding_definition(expr.value, found[0], found[1], depth) if found else None
        if isinstance(expr, cst.Attribute):
            base = self.evaluate(expr.value, where, depth + 1)
            attr = expr.attr.value
            if isinstance(base, Known) and isinstance(base.value, ModuleRef):
                bindings = base.value.file.module_scope.bindings.get(attr, [])
                return self._binding_definition(attr, bindings, Where.module_level(base.value.file), depth + 1)
            if isinstance(base, Known) and isinstance(base.value, ClassRef):
                return self._class_attribute_definition(base.value, attr, depth + 1, set())
        return None

    def binding_scope(self, expr: cst.BaseExpression, where: Where, depth: int = 0) -> Optional[Tuple[ParsedFile, ScopeNode, str]]:
        """The module or class scope that binds a name (following imports), and the name:
        ``DATABASE_URL`` imported from ``app.conf``, where an ``if``/``else`` assigns it twice,
        is ``(app/conf.py, its module, "DATABASE_URL")``. Every read of one such name after
        import sees one value, even when the code cannot say which. None for function locals
        and names from outside the project."""
        if depth > MAX_DEPTH:
            return None
        if isinstance(expr, cst.Name):
            found = _lookup(expr.value, where)
            if found is None:
                return None
            bindings, scope_where = found
            return self._scope_of(expr.value, bindings, scope_where, depth)
        if isinstance(expr, cst.Attribute):
            base = self.evaluate(expr.value, where, depth + 1)
            attr = expr.attr.value
            if isinstance(base, Known) and isinstance(base.value, ModuleRef):
                module = base.value.file
                bindings = module.module_scope.bindings.get(attr)
                return self._scope_of(attr, bindings, Where.module_level(module), depth) if bindings else None
            if isinstance(base, Known) and isinstance(base.value, ClassRef):
                cls = base.value
                bindings = cls.file.scope(cls.node).bindings.get(attr)
                return self._scope_of(attr, bindings, Where.module_level(cls.file).inner(cls.node), depth) if bindings else None
        return None

    def _scope_of(self, name: str, bindings: Sequence[Binding], where: Where, depth: int) -> Optional[Tuple[ParsedFile, ScopeNode, str]]:
        scope = where.scopes[-1] if where.scopes else where.file.module
        if isinstance(scope, cst.FunctionDef) or any(b.kind in ("param", "other", "def", "literal") for b in bindings):
            return None
        if len(bindings) == 1 and bindings[0].kind == "from" and self.project is not None:
            binding = bindings[0]
            path = self.project.resolve_module(binding.module or "", where.file.relative)
            parsed = self.project.parsed(path) if path is not None else None
            imported = binding.imported or name
            inner = parsed.module_scope.bindings.get(imported) if parsed is not None else None
            if not inner:
                return None
            return self._scope_of(imported, inner, Where.module_level(parsed), depth + 1)
        if any(b.kind in ("import", "from") for b in bindings):
            return None
        return where.file, scope, name

    def _binding_definition(self, name: str, bindings: Sequence[Binding], where: Where, depth: int) -> Optional[Tuple[cst.BaseExpression, Where]]:
        bindings, where = self._restore_pruned(name, bindings, where)
        if len(bindings) != 1 or depth > MAX_DEPTH:
            return None
        binding = bindings[0]
        if binding.kind == "assign" and binding.value is not None:
            return binding.value, where
        if binding.kind == "from" and self.project is not None:
            path = self.project.resolve_module(binding.module or "", where.file.relative)
            parsed = self.project.parsed(path) if path is not None else None
            if parsed is None:
                return None
            imported = binding.imported or name
            inner = parsed.module_scope.bindings.get(imported, [])
            return self._binding_definition(imported, inner, Where.module_level(parsed), depth + 1)
        return None

    def class_attribute_definition(self, cls: ClassRef, attr: str) -> Optional[Tuple[cst.BaseExpression, Where]]:
        """The expression a class attribute was assigned in the class body (or the first of
        its resolvable bases defining it), and where; None when it cannot be said."""
        return self._class_attribute_definition(cls, attr, 0, set())

    def _class_attribute_definition(self, cls: ClassRef, attr: str, depth: int, seen: set) -> Optional[Tuple[cst.BaseExpression, Where]]:
        if id(cls.node) in seen or depth > MAX_DEPTH:
            return None
        seen.add(id(cls.node))
        bindings = cls.file.scope(cls.node).bindings.get(attr)
        module_where = Where.module_level(cls.file)
        if bindings:
            return self._binding_definition(attr, bindings, module_where.inner(cls.node), depth + 1)
        for base in cls.node.bases:
            if base.keyword is not None:
                continue
            base_value = self.evaluate(base.value, module_where, depth + 1)
            if not (isinstance(base_value, Known) and isinstance(base_value.value, ClassRef)):
                return None  # an unknown base could define it
            found = self._class_attribute_definition(base_value.value, attr, depth + 1, seen)
            if found is not None:
                return found
        return None

    # --- dispatch ---------------------------------------------------------------------------
    def _evaluate(self, expr: cst.BaseExpression, where: Where, depth: int) -> Value:
        if isinstance(expr, cst.Integer):
            return Known(int(expr.value, 0), expr, where.file)
        if isinstance(expr, cst.Float):
            return Known(float(expr.value.replace("_", "")), expr, where.file)
        if isinstance(expr, (cst.SimpleString, cst.ConcatenatedString)):
            return self._string(expr, where, depth)
        if isinstance(expr, cst.FormattedString):
            return self._fstring(expr, where, depth)
        if isinstance(expr, cst.Name):
            if expr.value in ("True", "False", "None"):
                return Known({"True": True, "False": False, "None": None}[expr.value], expr, where.file)
            return self._name(expr.value, expr, where, depth)
        if isinstance(expr, cst.Attribute):
            return self._attribute(expr, where, depth)
        if isinstance(expr, cst.UnaryOperation):
            operand = self.evaluate(expr.expression, where, depth + 1)
            if isinstance(operand, Known) and _is_number(operand.value):
                if isinstance(expr.operator, cst.Minus):
                    return Known(-operand.value, expr, where.file, operand.from_env_default)
                if isinstance(expr.operator, cst.Plus):
                    return Known(+operand.value, expr, where.file, operand.from_env_default)
            if isinstance(operand, Known) and isinstance(expr.operator, cst.Not):
                return Known(not operand.value, expr, where.file)
            return Unknown()
        if isinstance(expr, cst.BinaryOperation):
            return self._binary(expr, where, depth)
        if isinstance(expr, cst.Dict):
            return self._dict_display(expr, where, depth)
        if isinstance(expr, (cst.List, cst.Tuple, cst.Set)):
            items = []
            for element in expr.elements:
                if isinstance(element, cst.StarredElement):
                    return Unknown()
                value = self.evaluate(element.value, where, depth + 1)
                if not isinstance(value, Known):
                    return Unknown()
                items.append(value.value)
            return Known(tuple(items), expr, where.file)
        if isinstance(expr, cst.Call):
            return self._call(expr, where, depth)
        if isinstance(expr, cst.Subscript):
            return self._subscript(expr, where, depth)
        if isinstance(expr, cst.IfExp):
            return Unknown("conditional")
        if isinstance(expr, cst.BooleanOperation) and isinstance(expr.operator, cst.Or):
            return self._env_or_default(expr, where, depth)
        return Unknown()

    def _env_or_default(self, expr: cst.BooleanOperation, where: Where, depth: int) -> Value:
        """``os.environ.get("X") or "default"``: the same idiom as ``os.environ.get("X",
        "default")``, so the same answer (the default, marked as one). Any other ``or`` is
        unknown."""
        left = expr.left
        if not (isinstance(left, cst.Call) and not any(arg.keyword is not None or arg.star for arg in left.args) and len(left.args) == 1):
            return Unknown("or")
        func = self.qualified_name(left.func, where)
        if func is None or not (func in ENV_GETTERS or func.endswith(".environ.get")):
            return Unknown("or")
        default = self.evaluate(expr.right, where, depth + 1)
        if isinstance(default, Known):
            return Known(default.value, default.node, default.file, from_env_default=True)
        return default

    # --- strings ----------------------------------------------------------------------------
    def _string(self, expr, where: Where, depth: int) -> Value:
        if isinstance(expr, cst.SimpleString):
            if "b" in expr.prefix.lower():
                return Unknown("bytes")
            return Known(expr.evaluated_value, expr, where.file)
        left = self._evaluate(expr.left, where, depth + 1)
        right = self._evaluate(expr.right, where, depth + 1)
        return _concat(left, right, expr, where)

    def _fstring(self, expr: cst.FormattedString, where: Where, depth: int) -> Value:
        pieces: List[str] = []
        for part in expr.parts:
            if isinstance(part, cst.FormattedStringText):
                pieces.append(part.value.replace("{{", "{").replace("}}", "}"))
                continue
            value = self.evaluate(part.expression, where, depth + 1)
            if part.conversion is None and part.format_spec is None and isinstance(value, Known) and isinstance(value.value, (str, int, float)):
                pieces.append(str(value.value))
                continue
            return Known(Template("".join(pieces)), expr, where.file)
        return Known("".join(pieces), expr, where.file)

    # --- names ------------------------------------------------------------------------------
    def _name(self, name: str, node: cst.CSTNode, where: Where, depth: int) -> Value:
        found = _lookup(name, where)
        if found is None:
            return Unknown(f"{name} is not bound in this module")
        bindings, scope_where = found
        return self._binding_value(name, bindings, scope_where, depth)

    def _restore_pruned(self, name: str, bindings: Sequence[Binding], where: Where) -> Tuple[Sequence[Binding], Where]:
        """A top-level definition the pruned parse left out (it mentions no rule's token) is
        still what another module reads: look the name up in the whole file instead."""
        if self.project is None or not any(b.left_out for b in bindings):
            return bindings, where
        full = self.project.unpruned(where.file.relative)
        if full is None or full is where.file:
            return bindings, where
        return full.module_scope.bindings.get(name, bindings), Where.module_level(full)

    def _binding_value(self, name: str, bindings: Sequence[Binding], where: Where, depth: int) -> Value:
        bindings, where = self._restore_pruned(name, bindings, where)
        if len(bindings) != 1:
            return Unknown(f"{name} is bound more than once")
        binding = bindings[0]
        key = (id(where.file), id(binding.node), name)
        if key in self._active:
            return Unknown("circular")
        self._active.add(key)
        try:
            if binding.kind == "assign":
                value = self.evaluate(binding.value, where, depth + 1)
                if isinstance(value, Known) and isinstance(value.value, DictValue):
                    value = self._after_mutations(name, value, where.file)
                if isinstance(value, Known) and value.node is None:
                    return Known(value.value, binding.value, where.file, value.from_env_default)
                return value
            if binding.kind == "import":
                return self._module_value(binding.module or "", where.file, depth)
            if binding.kind == "from":
                return self._from_import(binding.module or "", binding.imported or name, where.file, depth)
            if binding.kind == "class" and isinstance(binding.node, cst.ClassDef):
                return Known(ClassRef(where.file, binding.node), binding.node, where.file)
            return Unknown(f"{name} is bound by a {binding.kind}")
        finally:
            self._active.discard(key)

    def _after_mutations(self, name: str, value: Known, file: ParsedFile) -> Value:
        """A dict bound once but changed in place somewhere in its file
        (``options["pool_pre_ping"] = True`` under an ``if``, ``options.update(...)``) is no
        longer known to be complete; one that loses keys (``pop``, ``del``) is unknown."""
        mutation = self._mutated_names(file).get(name)
        if mutation is None:
            return value
        if mutation == "removes":
            return Unknown(f"{name} loses keys after it is bound")
        dict_value = value.value
        return Known(DictValue(dict_value.entries, False), value.node, value.file, value.from_env_default)

    def _mutated_names(self, file: ParsedFile) -> Dict[str, str]:
        """Names the file changes in place: name -> "adds" or "removes" (the stronger)."""
        key = id(file)
        if key not in self._mutations:
            found: Dict[str, str] = {}

            def mark(node: Optional[cst.CSTNode], how: str) -> None:
                if isinstance(node, cst.Name) and found.get(node.value) != "removes":
                    found[node.value] = how

            class Finder(cst.CSTVisitor):
                def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
                    if isinstance(node.target, cst.Subscript):
                        mark(node.target.value, "adds")

                def visit_AugAssign(self, node: cst.AugAssign) -> None:
                    if isinstance(node.target, cst.Subscript):
                        mark(node.target.value, "adds")

                def visit_Del(self, node: cst.Del) -> None:
                    if isinstance(node.target, cst.Subscript):
                        mark(node.target.value, "removes")

                def visit_Call(self, node: cst.Call) -> None:
                    func = node.func
                    if isinstance(func, cst.Attribute):
                        if func.attr.value in ("update", "setdefault", "__setitem__"):
                            mark(func.value, "adds")
                        elif func.attr.value in ("pop", "popitem", "clear", "__delitem__"):
                            mark(func.value, "removes")

            walk(file.module, Finder())
            self._mutations[key] = found
        return self._mutations[key]

    def _module_value(self, dotted: str, importer: ParsedFile, depth: int) -> Value:
        path = self.project.resolve_module(dotted, importer.relative) if self.project else None
        if path is not None:
            return Known(ModuleRef(self.project, path, dotted))
        return Known(ImportedName(dotted))

    def _from_import(self, module: str, imported: str, importer: ParsedFile, depth: int) -> Value:
        path = self.project.resolve_module(module, importer.relative) if self.project else None
        if path is None:
            return Known(ImportedName(f"{module}.{imported}"))
        parsed = self.project.parsed(path)
        if parsed is None:
            return Unknown(f"{module} cannot be parsed")
        bindings = parsed.module_scope.bindings.get(imported)
        if not bindings:
            # Maybe a submodule: `from app import settings`.
            sub = self.project.resolve_module(f"{module}.{imported}", importer.relative)
            if sub is not None:
                return Known(ModuleRef(self.project, sub, f"{module}.{imported}"))
            return Unknown(f"{imported} is not defined in {module}")
        return self._binding_value(imported, bindings, Where.module_level(parsed), depth + 1)

    def _attribute(self, expr: cst.Attribute, where: Where, depth: int) -> Value:
        base = self.evaluate(expr.value, where, depth + 1)
        attr = expr.attr.value
        if not isinstance(base, Known):
            return Unknown()
        target = base.value
        if isinstance(target, ImportedName):
            return Known(ImportedName(f"{target.qualified}.{attr}"), expr, where.file)
        if isinstance(target, ModuleRef):
            module = target.file
            if module is None:
                return Unknown(f"{target.module_name} cannot be parsed")
            bindings = module.module_scope.bindings.get(attr)
            if bindings:
                return self._binding_value(attr, bindings, Where.module_level(module), depth + 1)
            sub = self.project.resolve_module(f"{target.module_name}.{attr}", module.relative)
            if sub is not None:
                return Known(ModuleRef(self.project, sub, f"{target.module_name}.{attr}"))
            return Unknown()
        if isinstance(target, ClassRef):
            return self.class_attribute(target, attr, depth + 1)
        return Unknown()

    def module_attribute(self, file: ParsedFile, name: str) -> Value:
        """The value a project module binds ``name`` to at its top level."""
        bindings = file.module_scope.bindings.get(name)
        if not bindings:
            return Unknown(f"{name} is not defined in {file.relative}")
        return self._binding_value(name, bindings, Where.module_level(file), 0)

    def class_attribute(self, cls: ClassRef, attr: str, depth: int = 0, _seen: Optional[set] = None) -> Value:
        """A class attribute, looked up through the class's (resolvable) bases in order."""
        seen = _seen if _seen is not None else set()
        if id(cls.node) in seen or depth > MAX_DEPTH:
            return Unknown()
        seen.add(id(cls.node))
        scope = cls.file.scope(cls.node)
        bindings = scope.bindings.get(attr)
        module_where = Where.module_level(cls.file)
        if bindings:
            return self._binding_value(attr, bindings, module_where.inner(cls.node), depth + 1)
        for base in cls.node.bases:
            if base.keyword is not None:
                continue
            base_value = self.evaluate(base.value, module_where, depth + 1)
            if isinstance(base_value, Known) and isinstance(base_value.value, ClassRef):
                found = self.class_attribute(base_value.value, attr, depth + 1, seen)
                if isinstance(found, Known):
                    return found
            elif not (isinstance(base_value, Known) and isinstance(base_value.value, ImportedName) and base_value.value.qualified == "object"):
                # An unknown base could define it: do not claim it is absent.
                return Unknown(f"{attr} may come from a base class")
        return Unknown(f"{attr} is not set on the class")

    # --- operators --------------------------------------------------------------------------
    def _binary(self, expr: cst.BinaryOperation, where: Where, depth: int) -> Value:
        left = self.evaluate(expr.left, where, depth + 1)
        if isinstance(expr.operator, cst.Modulo) and isinstance(left, Known) and isinstance(left.value, str):
            right = self.evaluate(expr.right, where, depth + 1)
            if isinstance(right, Known) and not isinstance(right.value, (DictValue, Template, ImportedName)):
                try:
                    return Known(left.value % right.value, expr, where.file)
                except (TypeError, ValueError, KeyError):
                    pass
            return Known(Template(_literal_prefix_percent(left.value)), expr, where.file)
        right = self.evaluate(expr.right, where, depth + 1)
        if isinstance(expr.operator, cst.Add) and (_is_str_like(left) or _is_str_like(right)):
            return _concat(left, right, expr, where)
        if not (isinstance(left, Known) and isinstance(right, Known)):
            return Unknown()
        if not (_is_number(left.value) and _is_number(right.value)):
            return Unknown()
        op = _BINOPS.get(type(expr.operator))
        if op is None:
            return Unknown()
        if op is operator.pow and abs(right.value) > 64:
            return Unknown("too large")
        return Known(op(left.value, right.value), expr, where.file, left.from_env_default or right.from_env_default)

    def _subscript(self, expr: cst.Subscript, where: Where, depth: int) -> Value:
        if len(expr.slice) != 1 or not isinstance(expr.slice[0].slice, cst.Index):
            return Unknown()
        base = self.evaluate(expr.value, where, depth + 1)
        key = self.evaluate(expr.slice[0].slice.value, where, depth + 1)
        if isinstance(base, Known) and isinstance(key, Known):
            if isinstance(base.value, DictValue):
                entry = base.value.get(key.value)
                if entry is not None:
                    return entry.value
                return Unknown()
            if isinstance(base.value, (tuple, str)) and isinstance(key.value, int):
                try:
                    return Known(base.value[key.value], expr, where.file)
                except IndexError:
                    return Unknown()
        return Unknown()

    # --- dicts ------------------------------------------------------------------------------
    def _dict_display(self, expr: cst.Dict, where: Where, depth: int) -> Value:
        entries: List[DictEntry] = []
        complete = True
        for element in expr.elements:
            if isinstance(element, cst.StarredDictElement):
                inner = self.evaluate(element.value, where, depth + 1)
                if isinstance(inner, Known) and isinstance(inner.value, DictValue):
                    entries.extend(inner.value.entries)
                    complete = complete and inner.value.complete
                else:
                    complete = False
                continue
            key = self.evaluate(element.key, where, depth + 1)
            if not isinstance(key, Known) or isinstance(key.value, (Template, DictValue, ImportedName)):
                complete = False
                continue
            value = self.evaluate(element.value, where, depth + 1)
            entries.append(DictEntry(key.value, value, element.key, element.value, where.file, where.scopes))
        return Known(DictValue(tuple(entries), complete), expr, where.file)

    def call_keywords(self, call: cst.Call, where: Where, depth: int = 0, skip_positional: bool = True) -> DictValue:
        """The keyword arguments of a call as a DictValue (``**splat``s merged in order)."""
        entries: List[DictEntry] = []
        complete = True
        for arg in call.args:
            if arg.star == "**":
                inner = self.evaluate(arg.value, where, depth + 1)
                if isinstance(inner, Known) and isinstance(inner.value, DictValue):
                    entries.extend(inner.value.entries)
                    complete = complete and inner.value.complete
                else:
                    complete = False
            elif arg.star == "*":
                complete = False
            elif arg.keyword is not None:
                value = self.evaluate(arg.value, where, depth + 1)
                entries.append(DictEntry(arg.keyword.value, value, arg.keyword, arg.value, where.file, where.scopes))
        return DictValue(tuple(entries), complete)

    # --- calls ------------------------------------------------------------------------------
    def _call(self, expr: cst.Call, where: Where, depth: int) -> Value:
        func = self.qualified_name(expr.func, where)
        positional = [arg for arg in expr.args if arg.keyword is None and not arg.star]
        if func in ("int", "float", "str", "bool") and len(positional) == 1 and len(expr.args) == 1:
            value = self.evaluate(positional[0].value, where, depth + 1)
            if isinstance(value, Known) and isinstance(value.value, (str, int, float, bool)):
                converted = _convert(func, value.value)
                if converted is not None:
                    return Known(converted, expr, where.file, value.from_env_default)
            return Unknown()
        if func == "dict":
            if positional:
                base = self.evaluate(positional[0].value, where, depth + 1) if len(positional) == 1 else Unknown()
                if not (isinstance(base, Known) and isinstance(base.value, DictValue)):
                    return Unknown()
                keywords = self.call_keywords(expr, where, depth)
                return Known(DictValue(base.value.entries + keywords.entries, base.value.complete and keywords.complete), expr, where.file)
            return Known(self.call_keywords(expr, where, depth), expr, where.file)
        if func is not None and (func in ENV_GETTERS or func.endswith(".environ.get")):
            default = positional[1].value if len(positional) >= 2 else _keyword(expr, "default")
            if default is None:
                return Unknown("environment variable without a default")
            value = self.evaluate(default, where, depth + 1)
            if isinstance(value, Known):
                return Known(value.value, value.node, value.file, from_env_default=True)
            return value
        if func is not None and func.startswith("sqlalchemy") and (func.endswith(".URL.create") or func.endswith(".URL")):
            return self._url_create(expr, positional, where, depth)
        if func is not None and func.startswith("sqlalchemy") and func.endswith("make_url") and positional:
            return self.evaluate(positional[0].value, where, depth + 1)
        if isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "format":
            template = self.evaluate(expr.func.value, where, depth + 1)
            if isinstance(template, Known) and isinstance(template.value, str):
                return self._format(template.value, expr, where, depth)
        return Unknown()

    def _url_create(self, expr: cst.Call, positional, where: Where, depth: int) -> Value:
        driver_node = positional[0].value if positional else _keyword(expr, "drivername")
        driver = self.evaluate(driver_node, where, depth + 1)
        if not (isinstance(driver, Known) and isinstance(driver.value, str)):
            return Unknown("URL with an unknown driver")
        database_node = _keyword(expr, "database")
        database = self.evaluate(database_node, where, depth + 1) if database_node is not None else Known(None)
        return Known(UrlParts(driver.value, database), expr, where.file)

    def _format(self, template: str, expr: cst.Call, where: Where, depth: int) -> Value:
        args = []
        kwargs = {}
        for arg in expr.args:
            value = self.evaluate(arg.value, where, depth + 1)
            if arg.star or not isinstance(value, Known) or not isinstance(value.value, (str, int, float)):
                return Known(Template(template.split("{", 1)[0]), expr, where.file)
            if arg.keyword is not None:
                kwargs[arg.keyword.value] = value.value
            else:
                args.append(value.value)
        try:
            return Known(template.format(*args, **kwargs), expr, where.file)
        except (IndexError, KeyError, ValueError):
            return Known(Template(template.split("{", 1)[0]), expr, where.file)


# --- helpers ---------------------------------------------------------------------------------


def _lookup(name: str, where: Where) -> Optional[Tuple[Sequence[Binding], Where]]:
    """The bindings of ``name`` in the innermost enclosing scope that binds it (Python's rules:
    ``global`` declarations, and class bodies not enclosing their methods), and that scope."""
    scopes = where.scopes if where.scopes and isinstance(where.scopes[0], cst.Module) else (where.file.module,) + tuple(where.scopes)
    innermost = len(scopes) - 1
    for index in range(innermost, -1, -1):
        scope_node = scopes[index]
        if isinstance(scope_node, cst.ClassDef) and index != innermost:
            continue
        scope = where.file.scope(scope_node)
        if name in scope.global_names and not isinstance(scope_node, cst.Module):
            return where.file.module_scope.bindings.get(name, []), Where.module_level(where.file)
        bindings = scope.bindings.get(name)
        if bindings:
            return bindings, Where(where.file, scopes[: index + 1])
    return None


def _keyword(call: cst.Call, name: str) -> Optional[cst.BaseExpression]:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg.value
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_str_like(value: Value) -> bool:
    return isinstance(value, Known) and isinstance(value.value, (str, Template))


def _concat(left: Value, right: Value, expr, where: Where) -> Value:
    if isinstance(left, Known) and isinstance(left.value, str):
        if isinstance(right, Known) and isinstance(right.value, str):
            return Known(left.value + right.value, expr, where.file, left.from_env_default or right.from_env_default)
        if isinstance(right, Known) and isinstance(right.value, Template):
            return Known(Template(left.value + right.value.prefix), expr, where.file)
        return Known(Template(left.value), expr, where.file)
    if isinstance(left, Known) and isinstance(left.value, Template):
        return Known(left.value, expr, where.file)
    return Unknown()


def _literal_prefix_percent(template: str) -> str:
    index = template.find("%")
    while index != -1 and template[index : index + 2] == "%%":
        index = template.find("%", index + 2)
    return template if index == -1 else template[:index].replace("%%", "%")


def _convert(func: str, value: Any) -> Any:
    try:
        if func == "int":
            if isinstance(value, str):
                return int(value.strip(), 10)
            return int(value)
        if func == "float":
            return float(value)
        if func == "str":
            return str(value)
        if func == "bool":
            return bool(value)
    except (ValueError, OverflowError):
        return None
    return None


def string_of(value: Value) -> Optional[str]:
    return value.value if isinstance(value, Known) and isinstance(value.value, str) else None


def name_of_literal(node: cst.CSTNode) -> Optional[str]:
    return dotted_name(node)


def lookup(name: str, where: Where) -> Optional[Tuple[Sequence[Binding], Where]]:
    """The bindings of ``name`` in the innermost scope of ``where`` that binds it, and that
    scope (Python's rules: ``global`` declarations, class bodies not enclosing methods)."""
    return _lookup(name, where)
