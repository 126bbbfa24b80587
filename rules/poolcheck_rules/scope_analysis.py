"""The analyses behind PC402 and PC403 (``poolcheck_rules.session_scope``), kept apart so
the rule module stays cheap to import: this one loads libcst and the lifecycle model.

- :func:`releases`: a project fact, gathered from every file of the root, of what releases
  ``scoped_session`` registries: ``.remove()`` / ``.close()`` on the registry (under any
  name), ``registry().close()``, ``with registry() as session:``, the registry handed to
  other code, ``close_all_sessions()``.
- :func:`used_later`: whether a module-level name is used by code that runs after import.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import FrozenSet, List, Optional, Set, Tuple

import libcst as cst

from poolcheck.api import RuleContext
from poolcheck.lifecycle import ASSIGNED, REGISTRY, resolver
from poolcheck.lifecycle.resolve import sqlalchemy_name
from poolcheck.lifecycle.tokens import REGISTRY_TOKENS, project_names
from poolcheck.source import split_lines_keepends
from poolcheck.outline import top_level_groups
from poolcheck.syntax import module_name_for, python_ast
from poolcheck.values import Where
from poolcheck.walk import walk

RELEASE_ATTRIBUTES = frozenset({"remove", "close", "close_all"})
CLOSE_ALL_SESSIONS = frozenset({"sqlalchemy.orm.close_all_sessions", "sqlalchemy.orm.session.close_all_sessions"})


# --- PC402 -------------------------------------------------------------------------------------


def registry_names(ctx: RuleContext, site) -> Optional[Set[str]]:
    """The names a registry is bound to where it is created, or None when it is created in a
    function and may be handed on (returned, passed, stored under another name)."""
    if site.holding != ASSIGNED:
        target = _stored_target(site)
        return {target} if target else set()
    names = set(site.names)
    function = site.function
    if function is None:
        return names
    if names & set(ctx.parsed.scope(function).global_names):
        return names
    # A local of a function: tracked only while every use is `name.attr` / `name(...)`.
    escapes: List[bool] = []

    class Uses(cst.CSTVisitor):
        def __init__(self) -> None:
            self.stack: List[cst.CSTNode] = []

        def on_visit(self, node: cst.CSTNode) -> bool:
            parent = self.stack[-1] if self.stack else None
            self.stack.append(node)
            if isinstance(node, cst.Name) and node.value in names:
                used_as_receiver = isinstance(parent, cst.Attribute) and parent.value is node
                called = isinstance(parent, cst.Call) and parent.func is node
                bound = isinstance(parent, (cst.AssignTarget, cst.Param, cst.Global, cst.Nonlocal)) or (
                    isinstance(parent, cst.NameItem)
                )
                if not (used_as_receiver or called or bound):
                    escapes.append(True)
            return True

        def on_leave(self, original_node: cst.CSTNode) -> None:
            self.stack.pop()

    walk(function.body, Uses())
    return None if escapes else names


def _stored_target(site) -> Optional[str]:
    """``self.session = scoped_session(...)``: "session"."""
    statement = site.statement
    if isinstance(statement, cst.Assign):
        for target in statement.targets:
            if isinstance(target.target, cst.Attribute):
                return target.target.attr.value
    if isinstance(statement, cst.AnnAssign) and isinstance(statement.target, cst.Attribute):
        return statement.target.attr.value
    return None


@dataclass(frozen=True)
class Releases:
    """What the whole project does that releases registries' sessions."""

    keys: FrozenSet[Tuple[str, int, int]]  # registries (Origin.key) removed, closed or handed on
    names: FrozenSet[str]  # unresolved receivers of .remove()/.close(): their last names
    close_all: bool  # sqlalchemy.orm.close_all_sessions() is called somewhere


def releases(project) -> Releases:
    return project.fact("pc402-registry-releases", _gather_releases)


def _gather_releases(project) -> Releases:
    names = project_names(project)
    candidates = frozenset(names.registries)
    tokens = tuple(REGISTRY_TOKENS) + names.tokens("registries") + (b"close_all_sessions",)
    worth = _worth_reading(candidates)
    keys: Set[Tuple[str, int, int]] = set()
    unresolved: Set[str] = set()
    close_all = False
    for path in sorted(project.python_files_containing(tokens)):
        path = PurePosixPath(path)
        data = project.read_bytes(path) or b""
        if not worth(data):
            continue
        releasing = _releasing_segments(data, candidates)
        if releasing is not None and not any(may for _, may in releasing):
            continue  # nothing in it the finder could act on: not even parsed
        parsed = project.parsed(path)
        if parsed is None:
            continue
        chosen = _statements_releasing(parsed, releasing)
        if chosen is None:
            # A removal may sit in a definition the pruned parse left out (a teardown
            # function naming the registry only through an alias): the whole file then.
            parsed = project.unpruned(path)
            if parsed is None:
                continue
            chosen = _statements_releasing(parsed, releasing)
        finder = ReleaseFinder(project, parsed, candidates)
        if chosen is None:
            walk(parsed.module, finder)
        else:
            for statement in chosen:
                walk(statement, finder)
        keys |= finder.keys
        unresolved |= finder.unresolved
        close_all = close_all or finder.close_all
    return Releases(frozenset(keys), frozenset(unresolved), close_all)


def _releasing_segments(data: bytes, candidates: FrozenSet[str]) -> Optional[List[Tuple[int, bool]]]:
    """Per top-level statement of the file (``outline.top_level_groups``), its first line
    and whether :class:`ReleaseFinder` may find something in it (:func:`_may_release`;
    statements sharing a line are walked), from CPython's parser: a libcst parse and walk
    of a whole large module cost far more. None when CPython cannot parse it."""
    tree = python_ast(data)
    if tree is None:
        return None
    # `from app.db import Session as S`: a name imported under another name (anywhere in the
    # file), read from the bytes; a plain import adds no name the candidates lack.
    aliases = _imported_as(data, candidates)
    spelled = _SpelledLikeRegistry(frozenset(candidates), frozenset(aliases))
    # A statement whose text names no registry and says neither "close" nor "remove" can
    # release nothing (every shape _may_release accepts needs one): not walked.
    words = re.compile(r"close|remove|\b(?:" + "|".join(re.escape(n) for n in sorted(spelled.names)) + r")\b") if spelled.names else re.compile(r"close|remove")
    lines = split_lines_keepends(data.decode("utf-8", "replace"))
    return [
        (first, bool(words.search("".join(lines[first - 1 : last]))) and (len(nodes) > 1 or _may_release(nodes[0], spelled)))
        for first, last, nodes in top_level_groups(tree)
    ]


def _imported_as(data: bytes, candidates: FrozenSet[str]) -> Set[str]:
    """Names the file binds to a candidate with ``import ... as``: a superset (the pattern
    also matches ``with X as s``, which only makes more statements worth walking)."""
    if not candidates:
        return set()
    alternatives = "|".join(re.escape(name) for name in sorted(candidates, key=len, reverse=True))
    pattern = re.compile(rb"\b(?:" + alternatives.encode("utf-8") + rb")\s+as\s+(\w+)")
    return {match.decode("utf-8", "replace") for match in pattern.findall(data)}


def _statements_releasing(parsed, releasing: Optional[List[Tuple[int, bool]]]) -> Optional[List[cst.CSTNode]]:
    """The statements of ``parsed`` (pruned or not) whose segment may release; every other
    statement is certain to give the finder nothing. None when one of them is a definition
    the pruned parse left out, or when the statements cannot be matched with the parse's
    (then the whole file is walked)."""
    if releasing is None:
        return None
    if parsed.line_map is not None:
        runs = parsed.line_map.runs
        kept = [any(start <= first < start + length for _, start, length in runs) for first, _ in releasing]
    else:
        kept = [True] * len(releasing)
    if sum(kept) != len(parsed.module.body):
        return None
    body = iter(parsed.module.body)
    chosen: List[cst.CSTNode] = []
    for (_, may_release), is_kept in zip(releasing, kept):
        statement = next(body) if is_kept else None
        if not may_release:
            continue
        if statement is None:
            return None  # left out of the pruned parse
        chosen.append(statement)
    return chosen


class _SpelledLikeRegistry:
    """The ``ast`` twin of :meth:`ReleaseFinder._spelled_like_registry` (with every alias
    the file imports, a superset of the module-level ones the finder knows)."""

    def __init__(self, candidates: FrozenSet[str], aliases: FrozenSet[str]) -> None:
        self.candidates = candidates
        self.names = candidates | aliases

    def __call__(self, expr) -> bool:
        if isinstance(expr, ast.Await):
            expr = expr.value
        if isinstance(expr, ast.Call):
            expr = expr.func
        if isinstance(expr, ast.Name):
            return expr.id in self.names
        if isinstance(expr, ast.Attribute):
            return expr.attr in self.candidates
        return False


def _may_release(statement, spelled: _SpelledLikeRegistry) -> bool:
    """Whether a top-level statement (``ast``) holds anything :class:`ReleaseFinder` acts on:
    ``.remove`` / ``.close`` / ``.close_all`` of something spelled like a registry (or of a
    local, when the statement also calls something so spelled: ``s = registry(); s.close()``;
    any local at module level, whose binding may be another statement), ``with registry()``
    / ``with registry.begin()``, ``close_all_sessions(...)``, a registry handed to a call.
    A superset: the finder still decides."""
    is_definition = isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    local_release = False
    spelled_call = False
    for node in ast.walk(statement):
        if isinstance(node, ast.Attribute) and node.attr in RELEASE_ATTRIBUTES:
            if spelled(node.value):
                return True
            if isinstance(node.value, ast.Name):
                if not is_definition:
                    return True
                local_release = True
        elif isinstance(node, ast.withitem):
            item = node.context_expr
            if isinstance(item, ast.Call) and (
                spelled(item.func) or (isinstance(item.func, ast.Attribute) and item.func.attr == "begin" and spelled(item.func.value))
            ):
                return True
        elif isinstance(node, ast.Call):
            func = node.func
            last = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            if last == "close_all_sessions":
                return True
            if spelled(func):
                spelled_call = True
            for value in [a.value if isinstance(a, ast.Starred) else a for a in node.args] + [k.value for k in node.keywords]:
                if not isinstance(value, ast.Call) and spelled(value):
                    return True
        if local_release and spelled_call:
            return True
    return False


def _worth_reading(candidates: FrozenSet[str]):
    """A bytes test: may this file release a registry? It must spell one of the shapes
    :class:`ReleaseFinder` resolves, with a registry's name (``X.remove``, ``X().close``,
    ``with X()``, ``with X.begin()``, ``f(X)``, ``s = X()``...), import one under another name,
    or call ``close_all_sessions``. Most files mentioning a registry's name (``Session``
    in type hints) do none of that and are never parsed for this fact."""
    import re

    if not candidates:
        return lambda data: b"close_all_sessions" in data
    alternatives = b"|".join(re.escape(name.encode("utf-8")) for name in sorted(candidates, key=len, reverse=True))
    shapes = re.compile(
        rb"\b(?:" + alternatives + rb")\b\s*(?:\(\s*\))?\s*\.\s*(?:remove|close|close_all|begin)\b"  # X.remove(), X().close()
        rb"|with\s+(?:[\w.]+\.)?(?:" + alternatives + rb")\s*\("  # with X() as s
        rb"|[(,=]\s*(?:[\w.]+\.)?(?:" + alternatives + rb")\s*[,)]"  # handed on: f(X), f(session=X)
        rb"|=\s*(?:[\w.]+\.)?(?:" + alternatives + rb")\s*\(\s*\)"  # s = X(); s.close()
        rb"|\b(?:" + alternatives + rb")\s+as\s+\w"  # from m import X as Y
        rb"|close_all_sessions"
    )
    return lambda data: shapes.search(data) is not None


def _last_name(node) -> Optional[str]:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return None


class ReleaseFinder(cst.CSTVisitor):
    """Everything in one file that releases a registry's sessions (see :class:`Releases`).

    Only expressions spelled like a registry are resolved (a name the project binds to a
    registry, or a local alias importing one): the syntactic test is cheap, the resolution
    is not, and files mentioning a registry's name (``Session`` is a common one) are many."""

    def __init__(self, project, parsed, candidates: FrozenSet[str]) -> None:
        self.parsed = parsed
        self.resolver = resolver(project)
        self.evaluator = self.resolver.evaluator
        self.scopes: list = [parsed.module]
        self.candidates = candidates
        self.aliases = frozenset(
            name
            for name, bindings in parsed.module_scope.bindings.items()
            if any(b.kind == "from" and b.imported in candidates for b in bindings)
        )
        self.keys: Set[Tuple[str, int, int]] = set()
        self.unresolved: Set[str] = set()
        self.close_all = False

    def where(self) -> Where:
        return Where(self.parsed, tuple(self.scopes))

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            self.scopes.append(node)
        elif isinstance(node, cst.Attribute) and node.attr.value in RELEASE_ATTRIBUTES:
            self._guarded(self._released, node.value)
        elif isinstance(node, cst.WithItem) and isinstance(node.item, cst.Call):
            self._guarded(self._with, node.item)
        elif isinstance(node, cst.Call):
            self._guarded(self._call, node)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        if isinstance(original_node, (cst.FunctionDef, cst.ClassDef)):
            self.scopes.pop()

    def _guarded(self, method, node) -> None:
        try:
            method(node)
        except RecursionError:  # an import cycle the resolution does not survive: say nothing
            name = _last_name(node.value if isinstance(node, cst.Attribute) else node)
            if name is not None:
                self.unresolved.add(name)

    def _spelled_like_registry(self, expr) -> bool:
        if isinstance(expr, cst.Await):
            expr = expr.expression
        if isinstance(expr, cst.Call):
            expr = expr.func
        if isinstance(expr, cst.Name):
            return expr.value in self.candidates or expr.value in self.aliases
        if isinstance(expr, cst.Attribute):
            return expr.attr.value in self.candidates
        return False

    def _registry(self, expr):
        if not self._spelled_like_registry(expr):
            return None
        origin = self.resolver.origin_of(expr, self.where())
        return origin if origin is not None and origin.kind == REGISTRY else None

    def _released(self, receiver) -> None:
        if isinstance(receiver, cst.Name) and not self._spelled_like_registry(receiver):
            self._released_local(receiver)  # s = registry(); s.close()
            return
        if not self._spelled_like_registry(receiver):
            return
        registry = self._registry(receiver)
        if registry is None and isinstance(receiver, cst.Call):
            registry = self._registry(receiver.func)  # registry().close()
        if registry is not None:
            self.keys.add(registry.key)
            return
        name = _last_name(receiver.func if isinstance(receiver, cst.Call) else receiver)
        if name is not None:
            self.unresolved.add(name)  # current_app.db_session.remove(), a parameter: may be one

    def _released_local(self, receiver: cst.Name) -> None:
        scope = self.scopes[-1]
        bindings = self.parsed.scope(scope).bindings.get(receiver.value, [])
        if len(bindings) != 1 or bindings[0].kind != "assign" or not isinstance(bindings[0].value, cst.Call):
            return
        registry = self._registry(bindings[0].value.func)
        if registry is not None:
            self.keys.add(registry.key)

    def _with(self, call: cst.Call) -> None:
        func = call.func
        registry = self._registry(func)  # with registry() as session: closes it
        if registry is None and isinstance(func, cst.Attribute) and func.attr.value == "begin":
            registry = self._registry(func.value)  # with registry.begin(): commits, returns the connection
        if registry is not None:
            self.keys.add(registry.key)

    def _call(self, call: cst.Call) -> None:
        func = call.func
        if _last_name(func) == "close_all_sessions":
            if self.evaluator.qualified_name(func, self.where()) in CLOSE_ALL_SESSIONS:
                self.close_all = True
            return
        for arg in call.args:
            if not self._spelled_like_registry(arg.value) or isinstance(arg.value, cst.Call):
                continue
            registry = self._registry(arg.value)
            if registry is None:
                continue
            if isinstance(func, (cst.Name, cst.Attribute)) and sqlalchemy_name(self.evaluator.qualified_name(func, self.where())):
                continue  # handed to SQLAlchemy itself (sessionmaker(class_=...)): no release
            self.keys.add(registry.key)  # handed to other code, which may remove it


# --- PC403 ---

def shown_name(ctx: RuleContext, site) -> Optional[str]:
    if site.names:
        return site.names[0]
    target = _stored_target(site)
    return target


def in_main_guard(parents) -> bool:
    for index, node in enumerate(parents[:-1]):
        if isinstance(node, cst.If) and _is_main_test(node.test) and parents[index + 1] is node.body:
            return True
    return False


def _is_main_test(test) -> bool:
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    target = test.comparisons[0]
    if not isinstance(target.operator, cst.Equal):
        return False
    sides = [test.left, target.comparator]
    names = [s for s in sides if isinstance(s, cst.Name) and s.value == "__name__"]
    strings = [s for s in sides if isinstance(s, cst.SimpleString) and s.evaluated_value == "__main__"]
    return len(names) == 1 and len(strings) == 1


def registry_calls_at_module_level(ctx: RuleContext) -> List[Tuple[object, Set[str]]]:
    """``session = db_session()`` at module level, ``db_session`` a registry: (call, names)."""
    found: List[Tuple[object, Set[str]]] = []
    resolve = resolver(ctx.project)
    where = Where.module_level(ctx.parsed)
    candidates = frozenset(project_names(ctx.project).registries)

    def statements(body) -> None:
        for statement in body:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    if isinstance(small, cst.Assign) and isinstance(small.value, cst.Call) and not small.value.args:
                        targets = [t.target for t in small.targets]
                        if all(isinstance(t, cst.Name) for t in targets) and ctx.parsed.callee_may_be(small.value.func, candidates):
                            try:
                                origin = resolve.origin_of(small.value.func, where)
                            except RecursionError:  # an import cycle: say nothing
                                origin = None
                            if origin is not None and origin.kind == REGISTRY:
                                found.append((small.value, {t.value for t in targets}))
            elif isinstance(statement, cst.If) and not _is_main_test(statement.test):
                statements(_block(statement.body))
            elif isinstance(statement, (cst.Try,)):
                statements(_block(statement.body))

    statements(ctx.module.body)
    return found


def _block(suite) -> list:
    return list(suite.body) if isinstance(suite, cst.IndentedBlock) else []


def used_later(ctx: RuleContext, names, loops: bool = True) -> bool:
    """Whether a module-level name is used by code that runs after import: a function or
    class body of the module, a loop at module level (unless ``loops`` is false: a session
    created in a module-level loop is that loop's own, made again each time round), or
    another project module importing it (``from m import name``, ``m.name``)."""
    names = set(names)
    whole = ctx.project.unpruned(ctx.parsed.relative) or ctx.parsed
    if _used_in_deferred_code(whole, names, loops):
        return True
    return any(_imported_elsewhere(ctx.project, ctx.parsed.relative, name) for name in names)


def _used_in_deferred_code(parsed, names: Set[str], loops: bool = True) -> bool:
    """A read of the module's global ``names`` inside a function, lambda or class body (not
    shadowed by a local of the same name: a parameter, an assignment), or inside a loop at
    module level (when ``loops``)."""
    found: List[bool] = []

    class Finder(cst.CSTVisitor):
        def __init__(self) -> None:
            self.functions: List[object] = []  # FunctionDef / Lambda around the node
            self.classes = 0
            self.loops = 0

        def on_visit(self, node: cst.CSTNode) -> bool:
            if found:
                return False
            if isinstance(node, (cst.FunctionDef, cst.Lambda)):
                self.functions.append(node)
            elif isinstance(node, cst.ClassDef):
                self.classes += 1
            elif isinstance(node, (cst.For, cst.While)):
                self.loops += 1
            elif isinstance(node, cst.Attribute):
                walk(node.value, self)  # `x.session`: the attribute's name is no read of `session`
                return False
            elif isinstance(node, cst.Arg) and node.keyword is not None:
                walk(node.value, self)  # f(session=...): the keyword is no read either
                return False
            elif isinstance(node, cst.Name) and node.value in names and self._global_read(node.value):
                found.append(True)
            return True

        def on_leave(self, original_node: cst.CSTNode) -> None:
            if found:
                return  # on_visit stopped pushing once a read was found; leaves still come
            if isinstance(original_node, (cst.FunctionDef, cst.Lambda)):
                self.functions.pop()
            elif isinstance(original_node, cst.ClassDef):
                self.classes -= 1
            elif isinstance(original_node, (cst.For, cst.While)):
                self.loops -= 1

        def _global_read(self, name: str) -> bool:
            if not self.functions:
                return bool(self.classes or (self.loops and loops))
            for function in reversed(self.functions):
                if isinstance(function, cst.Lambda):
                    if any(p.name.value == name for p in _lambda_params(function)):
                        return False
                    continue
                scope = parsed.scope(function)
                if name in scope.global_names:
                    return True
                if name in scope.bindings:
                    return False
            return True

    walk(parsed.module, Finder())
    return bool(found)


def _lambda_params(function: cst.Lambda) -> List[cst.Param]:
    params = function.params
    found = list(params.posonly_params) + list(params.params) + list(params.kwonly_params)
    if isinstance(params.star_arg, cst.Param):
        found.append(params.star_arg)
    if params.star_kwarg is not None:
        found.append(params.star_kwarg)
    return found


def _imported_elsewhere(project, relative: PurePosixPath, name: str) -> bool:
    key = f"pc403-imported:{relative.as_posix()}:{name}"
    return project.fact(key, lambda project: _scan_imports(project, relative, name))


def _scan_imports(project, relative: PurePosixPath, name: str) -> bool:
    for path in project.python_files_containing((name.encode("utf-8"),)):
        if PurePosixPath(path) == relative:
            continue
        tree = python_ast(project.read_bytes(path))
        if tree is None:
            continue
        importer, is_package = module_name_for(PurePosixPath(path))
        module_names: Set[str] = set()  # local dotted names bound to the defining module
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                absolute = _absolute(node, importer, is_package)
                if absolute is None:
                    continue
                for alias in node.names:
                    if alias.name == name and project.resolve_module(absolute, PurePosixPath(path)) == relative:
                        return True
                    submodule = f"{absolute}.{alias.name}" if absolute else alias.name
                    if project.resolve_module(submodule, PurePosixPath(path)) == relative:
                        module_names.add(alias.asname or alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if project.resolve_module(alias.name, PurePosixPath(path)) == relative:
                        module_names.add(alias.asname or alias.name)
        if not module_names:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == name and _dotted(node.value) in module_names:
                return True
    return False


def _absolute(node, importer: str, is_package: bool) -> Optional[str]:
    if not node.level:
        return node.module or ""
    parts = importer.split(".") if importer else []
    package = parts if is_package else parts[:-1]
    if node.level - 1 > len(package):
        return None
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _dotted(node) -> Optional[str]:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = _dotted(node.value)
        return f"{head}.{node.attr}" if head else None
    return None
