"""The analysis behind PC405 (``poolcheck_rules.before_request``): which functions run before
every Flask request, and where they use the database. Kept apart from the rule module so
that one stays cheap to import; this one loads libcst and the lifecycle model.

- :func:`hook_of`: why a function of the checked file runs before every request: a
  ``@app.before_request`` / ``@bp.before_app_request`` decorator, or an
  ``app.before_request(fn)`` registration anywhere in the project (a project fact).
- :class:`DatabaseUse`: where a function body uses the database: a connection checked out
  of an engine, a query through a session (Flask-SQLAlchemy's ``db.session``, a
  ``scoped_session`` registry, a session instance), a Flask-SQLAlchemy model's ``.query``,
  or a project function that queries on every path. Creating a session is no use: a session
  checks a connection out only when it first runs a statement.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Dict, FrozenSet, List, Optional, Sequence, Tuple

import libcst as cst

from poolcheck.flask_config.python_scan import FLASK_SQLALCHEMY_CLASSES, derives_from_sqlalchemy
from poolcheck.lifecycle import CONNECTION, REGISTRY, SESSION, function_named, resolver
from poolcheck.syntax import python_ast
from poolcheck.values import ClassRef, Known, Where
from poolcheck.walk import walk

from .before_request import REGISTRATION_TOKENS  # (declared where importing it is cheap)

HOOKS = ("before_request", "before_app_request")
HOOK_TOKENS: Tuple[bytes, ...] = tuple(name.encode("ascii") for name in HOOKS)
FRAMEWORK_TOKENS: Tuple[bytes, ...] = (b"flask", b"quart")

# Session methods that run a statement (and so check a connection out). `commit()` / `flush()`
# connect only when there is something to write, which is why a hook calls them.
SESSION_QUERIES = frozenset({"execute", "scalar", "scalars", "get", "get_one", "connection", "refresh", "merge", "commit", "flush"})
# Methods that run a legacy Query (`session.query(User).filter_by(...).first()`, `User.query.get(1)`).
QUERY_TERMINALS = frozenset(
    {
        "all", "first", "one", "one_or_none", "scalar", "count", "get", "delete", "update",
        "get_or_404", "first_or_404", "one_or_404", "paginate", "exists",
    }
)  # fmt: skip
# Flask-SQLAlchemy's own query helpers: `db.get_or_404(User, 1)`.
EXTENSION_QUERIES = frozenset({"get_or_404", "first_or_404", "one_or_404", "paginate"})
# Engine methods that check a connection out at once (1.x's engine.execute too).
ENGINE_USES = frozenset({"connect", "begin", "raw_connection", "execute", "scalar"})
# `if request.endpoint == "static": return`: the hook chooses its requests itself.
REQUEST_FILTERS = frozenset({"endpoint", "path", "url_rule", "blueprint", "full_path", "url", "base_url", "method"})
MAX_DEPTH = 4


@dataclass(frozen=True)
class Hook:
    """Why a function runs before every request: "`@app.before_request`", or a
    registration "`app.before_request(load_user)` at app/__init__.py:12"."""

    evidence: str


@dataclass(frozen=True)
class Use:
    """Where a function uses the database: the node to report and what it does."""

    node: cst.CSTNode
    what: str  # "runs `get()` on `db.session`", "calls `load_user()` (app/auth.py:8), which ..."
    conditional: bool = False  # only on some paths of the hook


# --- which functions are hooks ---------------------------------------------------------------


def project_uses_flask(project) -> bool:
    return bool(project.python_files_containing(FRAMEWORK_TOKENS))


def hook_of(ctx, function: cst.FunctionDef) -> Optional[Hook]:
    """Why ``function`` (of the checked file) runs before every request, or None."""
    for decorator in function.decorators:
        expression = decorator.decorator
        if isinstance(expression, cst.Attribute) and expression.attr.value in HOOKS:
            return Hook(f"`@{ctx.parsed.code(expression)}`")
    path = ctx.parsed.relative.as_posix()
    if path not in _registered_paths(ctx.project):
        return None  # no registration names a function of this file: spare the position
    key = (path, ctx.parsed.span(function).start.line)
    return registrations(ctx.project).get(key)


def _registered_paths(project) -> FrozenSet[str]:
    return project.fact("pc405-registered-paths", lambda project: frozenset(path for path, _ in registrations(project)))


def registered_names(project) -> Tuple[bytes, ...]:
    """For ``ProjectTokens``: the names handed to ``before_request(...)`` anywhere in the
    project (bytes only: an ``ast`` scan), so the file defining such a function is parsed
    although it never says ``before_request`` itself."""

    def scan(project) -> Tuple[bytes, ...]:
        names = set()
        for path in project.python_files_containing(REGISTRATION_TOKENS):
            for call in _ast_calls(project.read_bytes(path)):
                if isinstance(call.func, ast.Attribute) and call.func.attr in HOOKS and call.args:
                    argument = call.args[0]
                    if isinstance(argument, ast.Name):
                        names.add(argument.id)
                    elif isinstance(argument, ast.Attribute):
                        names.add(argument.attr)
        return tuple(sorted(name.encode("utf-8") for name in names))

    return project.fact("pc405-registered-names", scan)


def _ast_calls(data: Optional[bytes]) -> List[ast.Call]:
    tree = python_ast(data)
    if tree is None:
        return []
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)]


def registrations(project) -> Dict[Tuple[str, int], Hook]:
    """``app.before_request(fn)`` anywhere in the project: (path of fn's file, line of its
    ``def``) -> the registration."""
    return project.fact("pc405-registrations", _gather_registrations)


def _gather_registrations(project) -> Dict[Tuple[str, int], Hook]:
    found: Dict[Tuple[str, int], Hook] = {}
    evaluator = resolver(project).evaluator
    for path in sorted(project.python_files_containing(REGISTRATION_TOKENS)):
        parsed = project.unpruned(PurePosixPath(path))
        if parsed is None:
            continue

        class Finder(cst.CSTVisitor):
            def __init__(self) -> None:
                self.scopes: list = [parsed.module]

            def on_visit(self, node: cst.CSTNode) -> bool:
                if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
                    self.scopes.append(node)
                elif isinstance(node, cst.Call):
                    self._call(node)
                return True

            def on_leave(self, original_node: cst.CSTNode) -> None:
                if isinstance(original_node, (cst.FunctionDef, cst.ClassDef)):
                    self.scopes.pop()

            def _call(self, call: cst.Call) -> None:
                func = call.func
                positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
                if not (isinstance(func, cst.Attribute) and func.attr.value in HOOKS and len(positional) == 1):
                    return
                target = function_named(evaluator, positional[0].value, Where(parsed, tuple(self.scopes)))
                if target is None:
                    return
                key = (target.file.relative.as_posix(), target.file.span(target.node).start.line)
                line = parsed.span(call).start.line
                found.setdefault(key, Hook(f"`{parsed.code(call)}` at {parsed.relative.as_posix()}:{line}"))

        walk(parsed.module, Finder())
    return found


# --- where a function uses the database ------------------------------------------------------


class DatabaseUse:
    """Answers "where does this function use the database?" for the checked file, following
    calls into project functions (memoised per function)."""

    def __init__(self, ctx) -> None:
        self.ctx = ctx
        self.resolver = resolver(ctx.project)
        self.evaluator = self.resolver.evaluator
        self._always: Dict[int, Optional[str]] = {}

    # The hook itself: any use, conditional or not.
    def first_use(self, function: cst.FunctionDef, where: Where) -> Optional[Use]:
        if _filters_requests(function):
            return None
        always = {id(call) for statement in _always_run(function.body) for call in _calls_in(statement)}
        uses: List[Tuple[Tuple[int, int], Use]] = []
        for node in _calls_in(function):
            use = self._use(node, where, function, depth=0)
            if use is not None:
                start = where.file.span(node).start
                uses.append(((id(node) not in always, start.line, start.column), Use(use.node, use.what, id(node) not in always)))
        return min(uses, key=lambda item: item[0])[1] if uses else None

    def _use(self, call: cst.Call, where: Where, function, depth: int) -> Optional[Use]:
        try:
            return self._resolved_use(call, where, function, depth)
        except RecursionError:  # an import cycle the resolution does not survive: say nothing
            return None

    def _resolved_use(self, call: cst.Call, where: Where, function, depth: int) -> Optional[Use]:
        creation = self.resolver.creation_of(call, where)
        if creation is not None and creation.kind == CONNECTION:
            return Use(call, f"checks out a {creation.noun} (`{_short(None, call.func, where)}()`)")
        func = call.func
        if isinstance(func, cst.Attribute):
            what = self._method_use(func, where, function)
            if what is not None:
                return Use(call, what)
        if depth < MAX_DEPTH and isinstance(func, (cst.Name, cst.Attribute)):
            target = function_named(self.evaluator, func, where)
            if target is not None and target.node is not function:
                reason = self.always_queries(target, depth + 1)
                if reason is not None:
                    location = f"{target.file.relative.as_posix()}:{target.file.span(target.node).start.line}"
                    return Use(call, f"calls `{target.name}()` ({location}), which {reason}")
        return None

    def _method_use(self, func: cst.Attribute, where: Where, function) -> Optional[str]:
        method = func.attr.value
        receiver = func.value
        if method in SESSION_QUERIES:
            session = self._session_like(receiver, where, function)
            if session is not None:
                return f"runs `{method}()` on {session}"
        if method in QUERY_TERMINALS:
            query_root = _query_root(receiver)
            if query_root is not None:
                owner, kind = query_root
                if kind == "session-query":
                    session = self._session_like(owner, where, function)
                    if session is not None:
                        return f"runs a query on {session}"
                elif self._query_model(owner, where):
                    return f"runs a query through `{_short(self.ctx.parsed, owner, where)}.query`"
        if method in EXTENSION_QUERIES and self._flask_sqlalchemy(receiver, where):
            return f"runs `{where.file.code(func)}()`"
        if method in ENGINE_USES and isinstance(receiver, cst.Attribute) and receiver.attr.value == "engine":
            if self._flask_sqlalchemy(receiver.value, where):
                return f"uses `{where.file.code(receiver)}.{method}()`"
        if method in ("execute", "scalar"):
            origin = self.resolver.origin_of(receiver, where)
            if origin is not None and origin.kind == "engine":
                return f"runs `{method}()` on the engine"
        return None

    def _session_like(self, expr, where: Where, function) -> Optional[str]:
        """How messages name a session ``expr`` certainly is, or None."""
        code = where.file.code(expr)
        if isinstance(expr, cst.Attribute) and expr.attr.value == "session" and self._flask_sqlalchemy(expr.value, where):
            return f"`{code}`"
        origin = self.resolver.origin_of(expr, where)
        if origin is not None and origin.kind == REGISTRY:
            return f"the scoped_session `{code}`"
        if isinstance(expr, cst.Call):
            inner = self.resolver.origin_of(expr.func, where)
            if inner is not None and inner.kind == REGISTRY:
                return f"the scoped_session's session `{code}`"
            creation = self.resolver.creation_of(expr, where)
            if creation is not None and creation.kind == SESSION and not creation.context_only:
                return f"a new session `{code}`"
        if isinstance(expr, cst.Name):
            bound = self._session_name(expr, where, function)
            if bound is not None:
                return f"the session `{code}`"
        return None

    def _session_name(self, name: cst.Name, where: Where, function) -> Optional[bool]:
        """``name`` is bound to a session: in ``function`` (``s = SessionLocal()``, ``with
        SessionLocal() as s``) or at module level (a module-level session)."""
        for statement_value in _local_values(function, name.value):
            call = statement_value[0]
            if isinstance(call, cst.Await):
                call = call.expression
            if isinstance(call, cst.Call):
                creation = self.resolver.creation_of(call, where)
                if creation is not None and creation.kind == SESSION:
                    return True
                inner = self.resolver.origin_of(call.func, where)
                if inner is not None and inner.kind == REGISTRY:
                    return True
            return None
        defined = self.evaluator.definition(name, where)
        if defined is not None and isinstance(defined[0], cst.Call):
            creation = self.resolver.creation_of(defined[0], defined[1])
            if creation is not None and creation.kind == SESSION and not creation.context_only:
                return True
        return None

    def _flask_sqlalchemy(self, expr, where: Where) -> bool:
        """``expr`` is a Flask-SQLAlchemy extension object (``db = SQLAlchemy()``, imported
        from wherever the project makes it, or a subclass's instance)."""
        if not isinstance(expr, (cst.Name, cst.Attribute)):
            return False
        defined = self.evaluator.definition(expr, where)
        if defined is None or not isinstance(defined[0], cst.Call):
            return False
        func = defined[0].func
        if not isinstance(func, (cst.Name, cst.Attribute)):
            return False
        if self.evaluator.qualified_name(func, defined[1]) in FLASK_SQLALCHEMY_CLASSES:
            return True
        value = self.evaluator.evaluate(func, defined[1])
        return isinstance(value, Known) and isinstance(value.value, ClassRef) and derives_from_sqlalchemy(value.value, self.evaluator)

    def _query_model(self, expr, where: Where, depth: int = 0) -> bool:
        """``expr`` is a model class whose ``.query`` runs through a session: a subclass of
        Flask-SQLAlchemy's ``db.Model``, or of a base given ``query =
        registry.query_property()`` (in its body, or ``Base.query = ...`` in its module)."""
        if not isinstance(expr, (cst.Name, cst.Attribute)) or depth > 8:
            return False
        value = self.evaluator.evaluate(expr, where)
        if not (isinstance(value, Known) and isinstance(value.value, ClassRef)):
            return self._query_property_assigned(expr, where)
        cls = value.value
        defined = self.evaluator.class_attribute_definition(cls, "query")
        if defined is not None and self._is_query_property(defined[0], defined[1]):
            return True
        module_where = Where.module_level(cls.file)
        if self._query_property_assigned(cls.node.name, module_where):
            return True
        for base in cls.node.bases:
            if base.keyword is not None:
                continue
            base_expr = base.value
            if isinstance(base_expr, cst.Attribute) and base_expr.attr.value == "Model" and self._flask_sqlalchemy(base_expr.value, module_where):
                return True
            if self._query_model(base_expr, module_where, depth + 1):
                return True
        return False

    def _query_property_assigned(self, expr, where: Where) -> bool:
        """``Base.query = registry.query_property()`` at the top level of the module binding
        ``expr`` (``Base = declarative_base()``, imported or not)."""
        scope = self.evaluator.binding_scope(expr, where)
        if scope is None or not isinstance(scope[1], cst.Module):
            return False
        file = self.ctx.project.unpruned(scope[0].relative) or scope[0]
        name = scope[2]
        module_where = Where.module_level(file)
        for statement in file.module.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if not isinstance(small, cst.Assign):
                    continue
                for target in small.targets:
                    written = target.target
                    if (
                        isinstance(written, cst.Attribute)
                        and written.attr.value == "query"
                        and isinstance(written.value, cst.Name)
                        and written.value.value == name
                        and self._is_query_property(small.value, module_where)
                    ):
                        return True
        return False

    def _is_query_property(self, value, where: Where) -> bool:
        if not (isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and value.func.attr.value == "query_property"):
            return False
        origin = self.resolver.origin_of(value.func.value, where)
        return origin is not None and origin.kind == REGISTRY

    # A project function the hook calls: a use on every path of its body.
    def always_queries(self, target, depth: int) -> Optional[str]:
        key = id(target.node)
        if key not in self._always:
            self._always[key] = None  # recursion resolves to "no"
            self._always[key] = self._always_queries(target, depth)
        return self._always[key]

    def _always_queries(self, target, depth: int) -> Optional[str]:
        if _is_generator(target.node) or _filters_requests(target.node):
            return None
        for statement in _always_run(target.node.body):
            for call in _calls_in(statement):
                use = self._use(call, target.where, target.node, depth)
                if use is not None:
                    return "always queries the database" if use.what.startswith("calls") else use.what
        return None


def _filters_requests(function: cst.FunctionDef) -> bool:
    """The function tests ``request.endpoint`` / ``request.path`` / ... in an ``if``: it
    chooses the requests it works for (skipping static files, say)."""
    found: List[bool] = []

    class Finder(cst.CSTVisitor):
        def visit_If(self, node: cst.If) -> None:
            for inner in _walk(node.test):
                if (
                    isinstance(inner, cst.Attribute)
                    and inner.attr.value in REQUEST_FILTERS
                    and isinstance(inner.value, cst.Name)
                    and inner.value.value == "request"
                ):
                    found.append(True)

    walk(function, Finder())
    return bool(found)


def _walk(node: cst.CSTNode):
    yield node
    for child in node.children:
        yield from _walk(child)


def _calls_in(node: cst.CSTNode) -> List[cst.Call]:
    """The calls written in ``node``, not in nested functions, lambdas or classes, in order."""
    found: List[cst.Call] = []
    root = node

    class Finder(cst.CSTVisitor):
        def on_visit(self, inner: cst.CSTNode) -> bool:
            if inner is not root and isinstance(inner, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
                return False
            if isinstance(inner, cst.Call):
                found.append(inner)
            return True

    walk(node, Finder())
    return found


def _always_run(body: cst.BaseSuite) -> List[cst.CSTNode]:
    """The statements of a body that run whenever the function does, up to the first one
    that may leave early: top-level statements, and the bodies of ``with`` and ``try``."""
    statements: List[cst.CSTNode] = []
    if not isinstance(body, cst.IndentedBlock):
        return list(body.body) if isinstance(body, cst.SimpleStatementSuite) else []
    for statement in body.body:
        if isinstance(statement, cst.SimpleStatementLine):
            statements.append(statement)
            if any(isinstance(small, (cst.Return, cst.Raise)) for small in statement.body):
                break
        elif isinstance(statement, cst.With):
            statements.extend(statement.items)  # `with engine.connect() as conn:` itself
            inner = _always_run(statement.body)
            statements.extend(inner)
            if _leaves_early(statement.body):
                break
        elif isinstance(statement, cst.Try):
            statements.extend(_always_run(statement.body))
            break  # an exception may skip the rest
        elif _leaves_early(statement):
            break
    return statements


def _leaves_early(node: cst.CSTNode) -> bool:
    return any(isinstance(inner, (cst.Return, cst.Raise)) for inner in _walk(node))


def _is_generator(function: cst.FunctionDef) -> bool:
    return any(isinstance(inner, cst.Yield) for inner in _walk(function.body))


def _query_root(expr) -> Optional[Tuple[cst.BaseExpression, str]]:
    """For a legacy query chain, what it starts from: ``session.query(User).filter(...)``
    -> (session, "session-query"); ``User.query.filter_by(...)`` -> (User, "model-query")."""
    node = expr
    for _ in range(32):
        if isinstance(node, cst.Call):
            func = node.func
            if isinstance(func, cst.Attribute) and func.attr.value == "query":
                return func.value, "session-query"
            node = func
        elif isinstance(node, cst.Attribute):
            if node.attr.value == "query":
                return node.value, "model-query"
            node = node.value
        else:
            return None
    return None


def _local_values(function: Optional[cst.FunctionDef], name: str) -> List[Tuple[cst.BaseExpression]]:
    """What ``name`` is bound to in ``function``'s own body: ``name = X`` and ``with X as name``."""
    if function is None:
        return []
    found: List[Tuple[cst.BaseExpression]] = []

    class Finder(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            if node is not function and isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
                return False
            if isinstance(node, cst.Assign):
                if any(isinstance(t.target, cst.Name) and t.target.value == name for t in node.targets):
                    found.append((node.value,))
            elif isinstance(node, cst.WithItem) and node.asname is not None:
                target = node.asname.name
                if isinstance(target, cst.Name) and target.value == name:
                    found.append((node.item,))
            return True

    walk(function, Finder())
    return found


def _short(parsed, node, where: Where) -> str:
    code = " ".join(where.file.code(node).split())
    return code if len(code) <= 40 else code[:37] + "..."


def functions_of(module: cst.Module) -> Sequence[Tuple[cst.FunctionDef, Tuple]]:
    """Every function definition of a module with the scopes around it (module first)."""
    found: List[Tuple[cst.FunctionDef, Tuple]] = []

    class Finder(cst.CSTVisitor):
        def __init__(self) -> None:
            self.scopes: list = [module]

        def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
            found.append((node, tuple(self.scopes)))
            self.scopes.append(node)

        def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
            self.scopes.pop()

        def visit_ClassDef(self, node: cst.ClassDef) -> None:
            self.scopes.append(node)

        def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
            self.scopes.pop()

    walk(module, Finder())
    return found
