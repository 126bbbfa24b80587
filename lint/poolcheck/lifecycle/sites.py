"""Every session, connection and registry created in one file, and how each is held.

:func:`creation_sites` walks the checked file once (memoised per file, shared by every
lifecycle rule) and returns a :class:`CreationSite` per creating call: what it creates
(:class:`~.model.Creation`), the scopes around it, the function it is created in (None at
module or class level), and its *holding*: how the code holds the new object (bound to
names, entered by ``with``, returned, stored on an object, used on the spot...).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, List, Optional, Tuple, Union

import libcst as cst

from ..values import Where
from .model import CONNECTION, Creation
from .patterns import RELEASE_METHODS
from .resolve import resolver
from .tokens import candidate_lines, project_names
from ..walk import walk

if TYPE_CHECKING:  # pragma: no cover
    from ..context import FileContext, RuleContext

# How a created object is held (CreationSite.holding).
WITH = "with"  # `with X as s:` / `async with` (also through contextlib.closing)
MANAGED = "managed"  # handed to ExitStack.enter_context / closing(...) outside a with
ASSIGNED = "assigned"  # `s = X` / `s = await X`: CreationSite.names
STORED = "stored"  # `self.s = X`, `g.db = X`, `cache[k] = X`
RETURNED = "returned"  # `return X` (also inside a tuple, a wrapper call)
YIELDED = "yielded"  # `yield X`
ARGUMENT = "argument"  # passed to another call: `Repository(Session(engine))`
ON_THE_SPOT = "on-the-spot"  # `Session(engine).execute(q)`: used and dropped
CLOSED = "closed"  # `engine.connect().close()`: released where it is made (a probe of the server)
OTHER = "other"  # anything else (a comprehension, a lambda, a conditional...)

STORE_METHODS = frozenset({"append", "appendleft", "add", "insert", "extend", "setdefault", "put", "put_nowait", "push", "register"})
CONTEXT_METHODS = frozenset({"enter_context", "enter_async_context"})
CLOSING = frozenset({"contextlib.closing", "contextlib.aclosing"})
_CALLEE_NAMES = frozenset({"Session", "AsyncSession", "create_session", "scoped_session", "async_scoped_session"})
_METHODS = frozenset({"connect", "raw_connection", "begin"})

Scope = Union[cst.Module, cst.FunctionDef, cst.ClassDef]


@dataclass
class CreationSite:
    """A call that creates a session, registry or connection, and how its result is held."""
    creation: Creation
    where: Where  # the scopes around the call (module first)
    function: Optional[cst.FunctionDef]  # the innermost enclosing function; None at module/class level
    holding: str
    names: Tuple[str, ...] = ()  # ASSIGNED: the names bound; WITH: the `as` name
    statement: Optional[cst.CSTNode] = None  # the innermost statement holding the call
    awaited: bool = False  # the call is awaited where it is written (`await engine.connect()`)
    parents: Tuple[cst.CSTNode, ...] = field(default=(), repr=False)  # outermost first, the call last

    @property
    def call(self) -> cst.Call:
        return self.creation.call

    @property
    def kind(self) -> str:
        return self.creation.kind

    @property
    def in_lambda(self) -> bool:
        """Written inside a lambda: it runs when the lambda is called, not where it is."""
        return any(isinstance(node, cst.Lambda) for node in self.parents)

    @property
    def at_module_level(self) -> bool:
        """Runs once, at import: module or class level, not in a function or lambda."""
        return self.function is None and not self.in_lambda

    @property
    def holds_something(self) -> bool:
        """Whether the call gives something to release where it is written: a context-only
        call (``engine.begin()``) holds nothing unless entered, an async engine's
        ``connect()`` nothing until awaited."""
        if self.creation.context_only:
            return False
        if self.creation.needs_await and not self.awaited and self.holding != WITH:
            return False
        return True


def creation_sites(ctx: Union["FileContext", "RuleContext"]) -> List[CreationSite]:
    """Every creating call in the file, in source order (memoised per file)."""
    file_ctx = ctx.file if hasattr(ctx, "rule") else ctx
    return file_ctx.memo("lifecycle-creation-sites", _compute)


def _compute(ctx: "FileContext") -> List[CreationSite]:
    parsed = ctx.parsed
    if parsed is None:
        return []
    lines = candidate_lines(ctx.project, parsed.source.text)
    if not lines:
        return []  # no call in the file could create anything: skip the (costly) libcst walk
    names = project_names(ctx.project)
    candidates = _CALLEE_NAMES | names.factories | names.registries
    finder = _Finder(parsed, resolver(ctx.project), frozenset(candidates))
    statements = _statements_at(parsed, lines)
    if statements is None:
        walk(parsed.module, finder)
    else:
        for statement in statements:
            walk(statement, finder)
    return finder.sites


def _statements_at(parsed, lines: List[int]) -> Optional[List[cst.CSTNode]]:
    """The top-level statements of the parse holding one of ``lines`` (original line
    numbers), found without libcst positions: the statements' line ranges come from
    CPython's parser (recorded by parse_pruned), in the parse's order (pruned or not). None
    when the two do not line up (then everything is walked)."""
    import bisect

    segments = parsed.top_level_ranges
    if segments is None:
        segments = _ranges_from_cpython(parsed)
        if segments is None:
            return None
    body = list(parsed.module.body)
    if len(segments) != len(body):
        return None
    chosen = []
    for (first, last), statement in zip(segments, body):
        index = bisect.bisect_left(lines, first)
        if index < len(lines) and lines[index] <= last:
            chosen.append(statement)
    return chosen


def _ranges_from_cpython(parsed):
    """The (first, last) lines of the parse's top-level statements, from CPython's parser:
    for a ParsedFile built without them (parse_pruned records them as it prunes)."""
    from ..outline import top_level_groups
    from ..pyast import python_ast

    tree = python_ast(parsed.source.text)
    if tree is None:
        return None
    segments = top_level_groups(tree)
    if parsed.line_map is not None:
        runs = parsed.line_map.runs
        segments = [seg for seg in segments if any(start <= seg[0] < start + length for _, start, length in runs)]
    return [(first, last) for first, last, _ in segments]


class _Finder(cst.CSTVisitor):
    def __init__(self, parsed, resolve, candidates: frozenset) -> None:
        self.parsed = parsed
        self.resolver = resolve
        self.candidates = candidates
        self.stack: List[cst.CSTNode] = []
        self.scopes: List[Scope] = [parsed.module]
        self.sites: List[CreationSite] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.stack.append(node)
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            self.scopes.append(node)
        elif isinstance(node, cst.Call):
            self._call(node)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.stack.pop()
        if isinstance(original_node, (cst.FunctionDef, cst.ClassDef)):
            self.scopes.pop()

    def _candidate(self, func: cst.BaseExpression) -> bool:
        if isinstance(func, cst.Call):
            return True
        if isinstance(func, cst.Attribute) and func.attr.value in _METHODS:
            return True
        return self.parsed.callee_may_be(func, self.candidates)

    def _call(self, call: cst.Call) -> None:
        if not self._candidate(call.func):
            return
        where = Where(self.parsed, tuple(self.scopes))
        creation = self.resolver.creation_of(call, where)
        if creation is None:
            return
        function = next((s for s in reversed(self.scopes) if isinstance(s, cst.FunctionDef)), None)
        # Code at class level runs once, like module level; a function's class does not matter.
        parents = tuple(self.stack)
        holding, names, awaited = _holding(parents, self.resolver, where)
        statement = next((n for n in reversed(parents) if isinstance(n, (cst.BaseSmallStatement, cst.BaseCompoundStatement))), None)
        self.sites.append(CreationSite(creation, where, function, holding, names, statement, awaited, parents))


def _holding(parents: Tuple[cst.CSTNode, ...], resolve, where: Where) -> Tuple[str, Tuple[str, ...], bool]:
    """How the call at ``parents[-1]`` is held, the names it is bound to, whether awaited."""
    index = len(parents) - 1
    node = parents[index]
    awaited = False
    # Look through `await X`, `(X)` and closing(X) / enter_context(X) wrappers.
    managed = False
    while index > 0:
        parent = parents[index - 1]
        if isinstance(parent, cst.Await):
            awaited = True
        elif isinstance(parent, cst.Arg) and index >= 2 and isinstance(parents[index - 2], cst.Call) and _manages(parents[index - 2], resolve, where):
            managed = True
            index -= 1  # skip to the wrapping call
        else:
            break
        index -= 1
        node = parents[index]
    parent = parents[index - 1] if index > 0 else None
    if isinstance(parent, cst.WithItem) and parent.item is node:
        bound = parent.asname.name if parent.asname is not None else None
        return WITH, ((bound.value,) if isinstance(bound, cst.Name) else ()), awaited
    if managed:
        return MANAGED, (), awaited
    if isinstance(parent, (cst.Assign, cst.AnnAssign)) and parent.value is node:
        targets = [t.target for t in parent.targets] if isinstance(parent, cst.Assign) else [parent.target]
        if all(isinstance(t, cst.Name) for t in targets):
            return ASSIGNED, tuple(t.value for t in targets), awaited
        return STORED, (), awaited
    if isinstance(parent, cst.Return):
        return RETURNED, (), awaited
    if isinstance(parent, (cst.Yield,)):
        return YIELDED, (), awaited
    if isinstance(parent, cst.Attribute) and parent.value is node:
        # `.close()` on the spot releases it; a `.close` handed on unread (a callback)
        # releases it later: neither is a leak (indico's `engine.connect().close()` was
        # reported as one).
        return (CLOSED if parent.attr.value in RELEASE_METHODS else ON_THE_SPOT), (), awaited
    if isinstance(parent, cst.Arg):
        # `return Wrapper(Session())` hands it out as surely as `return Session()`.
        return ARGUMENT, (), awaited
    if isinstance(parent, (cst.Element, cst.DictElement)) and index >= 2:
        outer = parents[index - 2]
        if index >= 3 and isinstance(parents[index - 3], cst.Return):
            return RETURNED, (), awaited
        return ARGUMENT if isinstance(outer, (cst.List, cst.Tuple, cst.Set, cst.Dict)) else OTHER, (), awaited
    return OTHER, (), awaited


def _manages(call: cst.Call, resolve, where: Where) -> bool:
    """``stack.enter_context(X)``, ``closing(X)``: X is released by what wraps it."""
    func = call.func
    if isinstance(func, cst.Attribute) and func.attr.value in CONTEXT_METHODS:
        return True
    if isinstance(func, (cst.Name, cst.Attribute)):
        return resolve.evaluator.qualified_name(func, where) in CLOSING
    return False


def binds_to_connection(site: CreationSite, sites: List[CreationSite]) -> bool:
    """A session bound to a connection the same function took (``Session(bind=conn)`` inside
    ``with engine.connect() as conn:``): it checks nothing out of the pool itself, the
    connection's own holding decides."""
    call = site.call
    bind = next((arg.value for arg in call.args if arg.keyword is not None and arg.keyword.value == "bind"), None)
    if bind is None:
        positional = [arg.value for arg in call.args if arg.keyword is None and not arg.star]
        bind = positional[0] if positional else None
    if not isinstance(bind, cst.Name) or site.function is None:
        return False
    return any(
        other.kind == CONNECTION and other.function is site.function and bind.value in other.names
        for other in sites
    )
