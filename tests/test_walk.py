"""The fast read-only traversal and the per-statement positions give exactly what libcst's
own ``visit`` and whole-module ``PositionProvider`` give (they replace them for speed)."""

from __future__ import annotations

import sysconfig
from pathlib import Path

import libcst as cst
import pytest

from poolcheck.source import SourceFile, read_source
from poolcheck.syntax import ParsedFile, parse_pruned
from poolcheck.walk import children, walk

SNIPPETS = [
    '''
    import os
    from . import sibling as s

    @decorator(arg)
    # between
    @other
    async def f(a, /, b=1, *args, c: int = 2, **kw) -> "T":
        x = [i for i in range(3) if i async for j in g()]
        y = {k: v for k, v in d.items()}
        z = lambda q, *, r=3: q if r else -q
        w = f"{a!r:>{width}} {b=} {c:{d}.{e}}"
        async with a as (b, c), d:
            await b
        try:
            pass
        except* ValueError as err:
            raise
        match point:
            case Point(x=0, y=0) | [1, *rest] if rest:
                pass
            case {"k": v, **others}:
                pass
        return (yield from g)
    ''',
    '''
    class C(Base, metaclass=M):
        """doc"""
        a: int = 1
        b = c = d[1:2, ::3]
        del e[0]
        global g
        def m(self): nonlocal_x = 1; return not self or -1 ** ~2
    x = 1 if y else 2
    print(*a, **b)
    ''',
]


def _stdlib_samples():
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    names = ["string.py", "shlex.py", "colorsys.py", "asyncio/locks.py"]
    return [stdlib / name for name in names if (stdlib / name).is_file()]


def _sources():
    import textwrap

    for snippet in SNIPPETS:
        text = textwrap.dedent(snippet)
        yield SourceFile(Path("snippet.py"), text.encode(), text)
    for path in _stdlib_samples():
        source = read_source(path)
        if isinstance(source, SourceFile):
            yield source


class Recorder(cst.CSTVisitor):
    def __init__(self) -> None:
        self.log = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.log.append(("visit", id(node)))
        return not isinstance(node, cst.Lambda)  # skipping children must be honoured

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.log.append(("leave", id(original_node)))


class Hooks(cst.CSTVisitor):
    def __init__(self) -> None:
        self.log = []

    def visit_Name(self, node: cst.Name) -> None:
        self.log.append(node.value)

    def visit_Call(self, node: cst.Call) -> None:
        self.log.append("call")

    def leave_Call(self, node: cst.Call) -> None:
        self.log.append("/call")

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.log.append(node.name.value)
        return node.name.value != "m"


class AttributeHooks(cst.CSTVisitor):
    def __init__(self) -> None:
        self.log = []

    def visit_Call_func(self, node: cst.Call) -> None:
        self.log.append("func")

    def visit_Name(self, node: cst.Name) -> None:
        self.log.append(node.value)


@pytest.mark.parametrize("source", list(_sources()), ids=lambda s: s.path.name)
@pytest.mark.parametrize("visitor", [Recorder, Hooks, AttributeHooks])
def test_walk_visits_like_libcst(source, visitor):
    module = cst.parse_module(source.text)
    expected, got = visitor(), visitor()
    module.visit(expected)
    walk(module, got)
    assert got.log == expected.log


@pytest.mark.parametrize("source", list(_sources()), ids=lambda s: s.path.name)
def test_children_are_libcsts(source):
    module = cst.parse_module(source.text)
    stack = [module]
    while stack:
        node = stack.pop()
        assert list(children(node)) == list(node.children)
        stack.extend(node.children)


@pytest.mark.parametrize("keep", [(), ("import",), ("self", "def ")])
@pytest.mark.parametrize("source", list(_sources()), ids=lambda s: s.path.name)
def test_statement_positions_equal_the_whole_modules(source, keep):
    parse = parse_pruned(source, keep)
    fast = ParsedFile(source, parse.module, Path("m.py"), "m", False, parse.line_map, parse.pruned_names, parse.statement_lines)
    whole = ParsedFile(source, parse.module, Path("m.py"), "m", False, parse.line_map, parse.pruned_names, parse.statement_lines)
    whole.positions()  # computed for the whole module: span() then reads that map
    stack = list(parse.module.body)
    while stack:
        node = stack.pop()
        stack.extend(children(node))
        assert fast.span(node) == whole.span(node), (type(node).__name__, whole.code(node)[:60])
    assert fast._positions is None  # the whole map was never needed
    whole_ranges = whole.statement_ranges(1)  # every statement of the module (the whole map is there)
    for line in range(1, len(source.lines) + 1):
        assert _innermost(fast.statement_ranges(line), line) == _innermost(whole_ranges, line)


def _innermost(ranges, line):
    containing = [r for r in ranges if r[0] <= line <= r[1]]
    return min(containing, key=lambda r: r[1] - r[0]) if containing else None


def test_node_kinds_agree_with_issubclass_for_every_type():
    """The kind tables read a class's MRO (an ABC's issubclass is slow on a negative answer);
    for every libcst class and the types a node's fields hold, the answer is issubclass's."""
    import builtins

    import libcst as cst

    from poolcheck.walk import EXPRESSION_KINDS, NODE_KINDS, SubclassTest

    kinds = [v for v in vars(cst).values() if isinstance(v, type)] + [v for v in vars(builtins).values() if isinstance(v, type)]
    kinds += [type(None), type(cst.MaybeSentinel.DEFAULT)]
    assert len(kinds) > 300
    for table, base in ((NODE_KINDS, cst.CSTNode), (EXPRESSION_KINDS, cst.BaseExpression), (SubclassTest(cst.BaseSmallStatement), cst.BaseSmallStatement)):
        assert [kind for kind in kinds if table[kind] != issubclass(kind, base)] == []
        assert any(table[kind] for kind in kinds) and not all(table[kind] for kind in kinds)
