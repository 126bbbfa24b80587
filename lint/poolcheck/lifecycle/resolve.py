"""What an expression is, traced to SQLAlchemy, and what a call creates.

:class:`Resolver` (one per project: :func:`resolver`) answers two questions with the
project's evaluator, so names are followed through imports, aliases, module and class
attributes exactly as constants are:

- :meth:`Resolver.origin_of`: is this expression an engine, a session factory or a
  ``scoped_session`` registry, and which (:class:`~.model.Origin`)? Followed: names bound
  once (function locals, module constants, imports under any name, ``module.attr``),
  class attributes (``Config.SessionLocal``, ``self.Session`` / ``cls.Session``),
  ``self.x = ...`` set in a method of the class, attributes of a module-level instance of
  a project class (``db = Database(); db.SessionLocal``), getters returning one
  (``@lru_cache def get_engine(): return create_engine(...)``), ``functools.partial``,
  and Flask-SQLAlchemy's ``db.engine``.
- :meth:`Resolver.creation_of`: does this call create a session, a connection or a
  registry (:class:`~.model.Creation`)?

Only what is traced to SQLAlchemy (or SQLModel, which re-exports it) counts: Flask-SQLAlchemy's
``db.session``, ``requests.Session()``, Flask-Session's ``Session(app)``, a model class named
``Session``, and anything whose origin is unknown resolve to None.
"""

from __future__ import annotations

from typing import Dict, Optional

import libcst as cst

from ..engines import factory_of
from ..values import ClassRef, Known, Where, lookup
from .code import FunctionRef, enclosing_class_of_self, function_named, self_assignments
from .model import CONNECTION, ENGINE, REGISTRY, SESSION, SESSION_FACTORY, Creation, Origin
from ..walk import walk

MAX_DEPTH = 16
PACKAGES = ("sqlalchemy", "sqlmodel")
SESSION_CLASSES = {"Session": False, "AsyncSession": True}
SESSION_FUNCTIONS = {"create_session": False}  # sqlalchemy.orm.create_session (legacy)
FACTORY_FUNCTIONS = {"sessionmaker": False, "async_sessionmaker": True}
REGISTRY_FUNCTIONS = {"scoped_session": False, "async_scoped_session": True}
PARTIAL = frozenset({"functools.partial"})
FLASK_SQLALCHEMY = frozenset({"flask_sqlalchemy.SQLAlchemy", "flask_sqlalchemy.extension.SQLAlchemy"})
# Methods of an engine that give a connection, and of a session factory that give a session.
ENGINE_METHODS = ("connect", "raw_connection", "begin")
CONTEXT_MANAGER_DECORATORS = ("contextmanager", "asynccontextmanager", "fixture", "pytest_asyncio.fixture")


def resolver(project) -> "Resolver":
    """The project's resolver (a project fact: computed once, shared by every rule)."""
    return project.fact("lifecycle-resolver", Resolver)


def sqlalchemy_name(qualified: Optional[str]) -> Optional[str]:
    """The last part of a qualified name under ``sqlalchemy.`` / ``sqlmodel.``, else None."""
    if not qualified or "." not in qualified:
        return None
    if qualified.split(".", 1)[0] not in PACKAGES:
        return None
    return qualified.rsplit(".", 1)[1]


class Resolver:
    def __init__(self, project) -> None:
        from ..values import Evaluator

        self.project = project
        self.evaluator: Evaluator = project.fact("evaluator", Evaluator)
        # Derived from a class's own nodes only (no reads): a plain cache is enough.
        self._self_attributes: Dict = {}

    # --- what an expression is --------------------------------------------------------------
    def origin_of(self, expr: Optional[cst.BaseExpression], where: Where, depth: int = 0) -> Optional[Origin]:
        """The engine, session factory or registry ``expr`` certainly is; None when unknown."""
        if expr is None or depth > MAX_DEPTH:
            return None
        key = (expr, tuple(id(s) for s in where.scopes))
        # Through the project's memo: a file served an answer another file's check worked out
        # depends on what working it out read (the result cache relies on it).
        return self.project.memo("lifecycle-origins", key, lambda: self._origin_of(expr, where, depth))

    def _origin_of(self, expr: cst.BaseExpression, where: Where, depth: int) -> Optional[Origin]:
        if isinstance(expr, cst.Await):
            return self.origin_of(expr.expression, where, depth + 1)
        if isinstance(expr, cst.Call):
            return self._origin_of_call(expr, where, depth)
        if not isinstance(expr, (cst.Name, cst.Attribute)):
            return None
        defined = self.evaluator.definition(expr, where)
        if defined is not None:
            found = self.origin_of(defined[0], defined[1], depth + 1)
            return _named(found, _last_name(expr)) if found is not None else None
        if isinstance(expr, cst.Name):
            return self._several_bindings(expr, where, depth)
        extension = self._flask_sqlalchemy_engine(expr, where)
        if extension is not None:
            return extension
        cls = self.instance_class(expr.value, where, depth)
        if cls is not None:
            return self._instance_attribute(cls, expr.attr.value, depth)
        return None

    def _flask_sqlalchemy_engine(self, expr: cst.Attribute, where: Where) -> Optional[Origin]:
        """``db.engine`` of a Flask-SQLAlchemy extension ``db = SQLAlchemy(...)``: the engine
        the extension builds from the app's configuration. (``db.session`` is the
        extension's scoped session, removed by it: never an origin here.)"""
        if expr.attr.value != "engine":
            return None
        defined = self.evaluator.definition(expr.value, where)
        if defined is None or not isinstance(defined[0], cst.Call):
            return None
        qualified = self.evaluator.qualified_name(defined[0].func, defined[1])
        if qualified in FLASK_SQLALCHEMY:
            return Origin(ENGINE, False, defined[0], defined[1].file, f"{_last_name(expr.value)}.engine")
        return None

    def _several_bindings(self, expr: cst.Name, where: Where, depth: int) -> Optional[Origin]:
        """A name assigned more than once at module or class level (``if TESTING: engine =
        ... else: engine = ...``): an origin only if every assignment gives the same kind."""
        found = lookup(expr.value, where)
        if found is None:
            return None
        bindings, scope_where = found
        scope = scope_where.scopes[-1] if scope_where.scopes else scope_where.file.module
        if len(bindings) < 2 or isinstance(scope, cst.FunctionDef) or any(b.kind != "assign" for b in bindings):
            return None
        origins = [self.origin_of(b.value, scope_where, depth + 1) for b in bindings]
        if any(o is None for o in origins) or len({(o.kind, o.is_async) for o in origins}) != 1:
            return None
        return _named(origins[0], expr.value)

    def _origin_of_call(self, call: cst.Call, where: Where, depth: int) -> Optional[Origin]:
        return _named(self._built_by(call, where, depth), _bound_name(call, where))

    def _built_by(self, call: cst.Call, where: Where, depth: int) -> Optional[Origin]:
        qualified = self.evaluator.qualified_name(call.func, where) if isinstance(call.func, (cst.Name, cst.Attribute)) else None
        factory = factory_of(qualified)
        if factory is not None:
            return Origin(ENGINE, factory[1], call, where.file)
        last = sqlalchemy_name(qualified)
        if last in FACTORY_FUNCTIONS:
            return Origin(SESSION_FACTORY, FACTORY_FUNCTIONS[last] or self._makes_async_sessions(call, where), call, where.file)
        if last in REGISTRY_FUNCTIONS:
            return Origin(REGISTRY, REGISTRY_FUNCTIONS[last], call, where.file)
        if qualified in PARTIAL:
            positional = [arg.value for arg in call.args if arg.keyword is None and not arg.star]
            if positional:
                session_class = self.session_class(positional[0], where)
                if session_class is not None:
                    return Origin(SESSION_FACTORY, session_class, call, where.file)
                inner = self.origin_of(positional[0], where, depth + 1)
                if inner is not None and inner.kind == SESSION_FACTORY:
                    return Origin(SESSION_FACTORY, inner.is_async, call, where.file)
            return None
        if qualified is not None and qualified.split(".", 1)[0] in PACKAGES:
            return None
        function = function_named(self.evaluator, call.func, where)
        if function is not None:
            returned = self.returned_by(function, depth)
            return returned if isinstance(returned, Origin) else None
        return None

    def _makes_async_sessions(self, call: cst.Call, where: Where) -> bool:
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value == "class_":
                return self.session_class(arg.value, where) is True
        return False

    def session_class(self, expr: cst.BaseExpression, where: Where, depth: int = 0) -> Optional[bool]:
        """Whether ``expr`` is SQLAlchemy's ``Session`` / ``AsyncSession`` (or SQLModel's, or
        a project subclass of one): None if not, else whether it is the async one."""
        if depth > MAX_DEPTH or not isinstance(expr, (cst.Name, cst.Attribute)):
            return None
        value = self.evaluator.evaluate(expr, where)
        if isinstance(value, Known) and isinstance(value.value, ClassRef):
            cls = value.value
            module_where = Where.module_level(cls.file)
            for base in cls.node.bases:
                if base.keyword is None:
                    found = self.session_class(base.value, module_where, depth + 1)
                    if found is not None:
                        return found
            return None
        last = sqlalchemy_name(self.evaluator.qualified_name(expr, where))
        return SESSION_CLASSES.get(last) if last is not None else None

    # --- instances of project classes -------------------------------------------------------
    def instance_class(self, expr: cst.BaseExpression, where: Where, depth: int = 0) -> Optional[ClassRef]:
        """The project class ``expr`` is an instance (or the class) of: ``self`` / ``cls`` in
        a method, or a name bound once to ``SomeProjectClass(...)``."""
        owner = enclosing_class_of_self(expr, where)
        if owner is not None:
            return ClassRef(where.file, owner)
        if not isinstance(expr, (cst.Name, cst.Attribute)) or depth > MAX_DEPTH:
            return None
        defined = self.evaluator.definition(expr, where)
        if defined is not None and isinstance(defined[0], cst.Call):
            value = self.evaluator.evaluate(defined[0].func, defined[1])
            if isinstance(value, Known) and isinstance(value.value, ClassRef):
                return value.value
        return None

    def _instance_attribute(self, cls: ClassRef, attr: str, depth: int) -> Optional[Origin]:
        defined = self.evaluator.class_attribute_definition(cls, attr)
        if defined is not None:
            found = self.origin_of(defined[0], defined[1], depth + 1)
            return _named(found, attr) if found is not None else None
        assigned = self._self_assigned(cls, attr)
        origins = [self.origin_of(value, where, depth + 1) for value, where in assigned]
        if not origins or any(o is None for o in origins) or len({(o.kind, o.is_async) for o in origins}) != 1:
            return None
        return _named(origins[0], f"self.{attr}")

    def _self_assigned(self, cls: ClassRef, attr: str, _seen: Optional[set] = None):
        """``self.<attr> = ...`` in ``cls`` or, when it sets none, its project bases."""
        seen = _seen if _seen is not None else set()
        if cls.node in seen or len(seen) > MAX_DEPTH:
            return []
        seen.add(cls.node)
        found = self_assignments(cls, attr, self._self_attributes)
        if found:
            return found
        for base in cls.node.bases:
            value = self.evaluator.evaluate(base.value, Where.module_level(cls.file))
            if isinstance(value, Known) and isinstance(value.value, ClassRef):
                found = self._self_assigned(value.value, attr, seen)
                if found:
                    return found
        return []

    # --- getters ---------------------------------------------------------------------------
    def returned_by(self, function: FunctionRef, depth: int = 0):
        """What every ``return`` of a plain (non-generator) project function gives, when they
        agree: an :class:`Origin` (a getter of an engine / factory) or a :class:`Creation`
        of a session (a function handing out a fresh session); else None."""
        # Cycles resolve to nothing (the memo's in-progress answer).
        return self.project.memo("lifecycle-returned", function.node, lambda: self._returned_by(function, depth))

    def _returned_by(self, function: FunctionRef, depth: int):
        if depth > MAX_DEPTH or any(_decorator_last(d.decorator) in CONTEXT_MANAGER_DECORATORS for d in function.node.decorators):
            return None
        returns, is_generator = _returns(function.node)
        if is_generator or not returns:
            return None
        results = []
        for value in returns:
            if isinstance(value, cst.Name) and value.value == "None":
                continue
            origin = self.origin_of(value, function.where, depth + 1)
            if origin is not None:
                results.append(origin)
                continue
            call = value.expression if isinstance(value, cst.Await) else value
            creation = self.creation_of(call, function.where, depth + 1) if isinstance(call, cst.Call) else None
            if creation is None or creation.kind != SESSION or creation.context_only:
                return None
            results.append(creation)
        if not results:
            return None
        first = results[0]
        if isinstance(first, Origin):
            same = all(isinstance(r, Origin) and (r.kind, r.is_async) == (first.kind, first.is_async) for r in results)
            return first if same else None
        same = all(isinstance(r, Creation) and r.is_async == first.is_async for r in results)
        return first if same else None

    def _bind_of(self, call: cst.Call, where: Where, depth: int) -> Optional[str]:
        """What a direct ``Session(...)`` is bound to (see ``Creation.bind``)."""
        bind = next((a.value for a in call.args if a.keyword is not None and a.keyword.value == "bind"), None)
        if bind is None:
            positional = [a.value for a in call.args if a.keyword is None and not a.star]
            bind = positional[0] if positional else None
        if bind is None:
            return None if any(a.keyword is not None and a.keyword.value == "binds" or a.star for a in call.args) else "unbound"
        origin = self.origin_of(bind, where, depth + 1)
        if origin is not None and origin.kind == ENGINE:
            return "engine"
        inner = bind.expression if isinstance(bind, cst.Await) else bind
        if isinstance(inner, cst.Call):
            creation = self.creation_of(inner, where, depth + 1)
            if creation is not None and creation.kind == CONNECTION:
                return "connection"
        return None

    # --- what a call creates ----------------------------------------------------------------
    def creation_of(self, call: cst.Call, where: Where, depth: int = 0) -> Optional[Creation]:
        """The session, connection or registry ``call`` certainly creates; None otherwise."""
        func = call.func
        if depth > MAX_DEPTH:
            return None
        if isinstance(func, cst.Attribute) and func.attr.value in ENGINE_METHODS:
            base = self.origin_of(func.value, where, depth + 1)
            method = func.attr.value
            if base is not None and base.kind == ENGINE:
                return Creation(
                    CONNECTION, base.is_async, call, base, method,
                    context_only=method == "begin", needs_await=base.is_async and method != "begin",
                )
            if base is not None and base.kind == SESSION_FACTORY and method == "begin":
                return Creation(SESSION, base.is_async, call, base, method, context_only=True)
            if base is not None:
                return None
        if isinstance(func, (cst.Name, cst.Attribute)):
            session_class = self.session_class(func, where)
            if session_class is not None:
                return Creation(SESSION, session_class, call, bind=self._bind_of(call, where, depth))
            qualified = self.evaluator.qualified_name(func, where)
            last = sqlalchemy_name(qualified)
            if last in SESSION_FUNCTIONS:
                return Creation(SESSION, False, call)
            if last in REGISTRY_FUNCTIONS:
                return Creation(REGISTRY, REGISTRY_FUNCTIONS[last], call, Origin(REGISTRY, REGISTRY_FUNCTIONS[last], call, where.file))
            if last is not None:
                return None
        origin = self.origin_of(func, where, depth + 1)
        if origin is not None:
            if origin.kind == SESSION_FACTORY:
                return Creation(SESSION, origin.is_async, call, origin)
            return None
        if isinstance(func, (cst.Name, cst.Attribute)):
            function = function_named(self.evaluator, func, where)
            if function is not None:
                returned = self.returned_by(function, depth + 1)
                if isinstance(returned, Creation):
                    return Creation(SESSION, returned.is_async, call, returned.origin, via=function.name)
        return None


def _named(origin: Optional[Origin], name: Optional[str]) -> Optional[Origin]:
    """The origin, named after the first name it was reached through where it had none."""
    if origin is None or origin.name is not None or not name:
        return origin
    return Origin(origin.kind, origin.is_async, origin.node, origin.file, name)


def _bound_name(call: cst.Call, where: Where) -> Optional[str]:
    """The name the innermost scope binds to ``call`` (``SessionLocal = sessionmaker()``)."""
    scope = where.scopes[-1] if where.scopes else where.file.module
    for name, bindings in where.file.scope(scope).bindings.items():
        if any(b.value is call for b in bindings):
            return name
    return None


def _last_name(expr: cst.BaseExpression) -> Optional[str]:
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        return expr.attr.value
    return None


def _decorator_last(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Call):
        node = node.func
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return ""


def _returns(function: cst.FunctionDef):
    """The values of the function's own ``return`` statements, and whether it yields."""
    values = []
    flags = {"yield": False}

    class Finder(cst.CSTVisitor):
        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return node is function

        def visit_ClassDef(self, node: cst.ClassDef) -> bool:
            return False

        def visit_Lambda(self, node: cst.Lambda) -> bool:
            return False

        def visit_Return(self, node: cst.Return) -> None:
            values.append(node.value if node.value is not None else cst.Name("None"))

        def visit_Yield(self, node: cst.Yield) -> None:
            flags["yield"] = True

    walk(function, Finder())
    return values, flags["yield"]
