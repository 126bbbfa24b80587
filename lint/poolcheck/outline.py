"""A module's top-level statements as pruning reads them (``syntax.parse_pruned``), from
CPython's tree, in values that can travel between processes.

Pruning decides from each top-level statement's lines, kind and names which statements
libcst parses. All of that depends on the file alone, not on the run's tokens, so it can be
computed where the file was parsed for another reason: the processes that search a large
tree for tokens parse the files the lifecycle name scan reads (``bulkscan``), and send back
this outline with the scan's summary instead of the tree, which cannot travel cheaply. What
pruning asks only of a few statements (the names a definition uses when its text holds a
token, how deeply a kept statement nests) is not in it: :meth:`Outline.nodes` parses that
statement's lines alone when the tree is not at hand. A top-level statement starts on a
line of its own at the first column and ends before the next one starts, so its lines
parse to the same nodes, at the same positions, as in the whole file.

No libcst here: the search processes never import it.
"""

from __future__ import annotations

import re
from typing import Dict, FrozenSet, List, NamedTuple, Optional, Sequence, Tuple

# Kinds of top-level statement.
DEF = "def"
CLASS = "class"
INERT = "inert"  # a docstring or a bare constant: binds nothing, never kept
STATEMENT = "statement"
MERGED = "merged"  # several statements sharing lines (`a = 1; b = 2`): always kept


class Statement(NamedTuple):
    start: int  # first line (its first decorator's, if any)
    end: int  # last line
    kind: str
    name: str  # a definition's name; "" otherwise
    # Names a statement that only binds names to literals binds (see ``literal_names``).
    literals: Tuple[str, ...]
    # `import x as y` / `from m import x as y`: (x, y) for every alias with an `as`.
    imports: Tuple[Tuple[str, str], ...]
    # A plain assignment's targets that are names (`ce = sqlalchemy.create_engine`).
    assigned: Tuple[str, ...]
    # Names it uses (``names_used``) and may bind (``names_bound``); empty for definitions,
    # whose names are read from their text or their nodes (``Outline.used``).
    used: FrozenSet[str]
    bound: FrozenSet[str]


class Outline:
    """The top-level statements of a module (``statements``), and its CPython tree's nodes
    for them where that tree is at hand (not after a trip between processes)."""

    __slots__ = ("statements", "_nodes", "_pieces")

    def __init__(self, statements: Tuple[Statement, ...], nodes: Optional[List[list]] = None) -> None:
        self.statements = statements
        self._nodes = nodes
        # Statements parsed alone, by index: pruning asks a kept definition for its names
        # and then for its nesting.
        self._pieces: Dict[int, list] = {}

    def __reduce__(self):
        return (Outline, (self.statements,))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Outline) and other.statements == self.statements

    __hash__ = None  # type: ignore[assignment]

    def nodes(self, index: int, lines: Sequence[str]) -> list:
        """CPython's nodes of statement ``index`` (several for a merged one), from the tree
        or from parsing its lines (``lines``: the file's, with their ends) at their place.
        Empty if they do not parse alone, which a statement CPython parsed in its file
        always does."""
        if self._nodes is not None:
            return self._nodes[index]
        found = self._pieces.get(index)
        if found is None:
            found = self._pieces[index] = self._parse_alone(index, lines)
        return found

    def _parse_alone(self, index: int, lines: Sequence[str]) -> list:
        import ast
        import warnings

        statement = self.statements[index]
        piece = "\n" * (statement.start - 1) + "".join(lines[statement.start - 1 : statement.end])
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return ast.parse(piece).body
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return []

    def used(self, index: int, lines: Sequence[str]) -> FrozenSet[str]:
        """The names statement ``index`` uses: a definition's from its nodes."""
        statement = self.statements[index]
        if statement.kind not in (DEF, CLASS):
            return statement.used
        found: set = set()
        for node in self.nodes(index, lines):
            found |= names_used(node)
        return frozenset(found)


def top_level_groups(tree) -> List[Tuple[int, int, list]]:
    """(first line, last line, statements) per top-level statement of a module's CPython
    tree, its decorators included; statements sharing a line (``a = 1; b = 2``) make one
    group. The units pruning keeps or leaves out, and other readers walk one by one."""
    groups: List[Tuple[int, int, list]] = []
    for node in tree.body:
        start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", ())])
        end = node.end_lineno or node.lineno
        if groups and start <= groups[-1][1]:
            first, last, nodes = groups[-1]
            nodes.append(node)
            groups[-1] = (first, max(last, end), nodes)
        else:
            groups.append((start, end, [node]))
    return groups


def outline_of(tree) -> Outline:
    """The outline of a module's CPython tree, keeping the tree's nodes."""
    import ast

    statements: List[Statement] = []
    nodes: List[list] = []
    for start, end, group in top_level_groups(tree):
        nodes.append(group)
        if len(group) > 1:
            names = frozenset().union(*(names_used(node) for node in group))
            statements.append(Statement(start, end, MERGED, "", (), (), (), names, names))
            continue
        node = group[0]
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            kind = CLASS if isinstance(node, ast.ClassDef) else DEF
            statements.append(Statement(start, end, kind, node.name, (), (), (), frozenset(), frozenset()))
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            statements.append(Statement(start, end, INERT, "", (), (), (), frozenset(), frozenset()))
            continue
        imports: Tuple[Tuple[str, str], ...] = ()
        assigned: Tuple[str, ...] = ()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            imports = tuple((alias.name, alias.asname) for alias in node.names if alias.asname)
        elif isinstance(node, ast.Assign):
            assigned = tuple(target.id for target in node.targets if isinstance(target, ast.Name))
        statements.append(
            Statement(start, end, STATEMENT, "", literal_names(node), imports, assigned, frozenset(names_used(node)), frozenset(names_bound(node)))
        )
    return Outline(tuple(statements), nodes)


def literal_names(node) -> Tuple[str, ...]:
    """The names a module-level assignment of a literal binds (``decoding_table = ('\\x00',
    ...)``, ``_engine = None``), when every target is a plain name and the value holds no name
    and no call: such a statement does nothing but bind them. Empty otherwise, and for names
    starting with two underscores (``__all__``, ``__version__``: read by convention)."""
    import ast

    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, ast.AnnAssign) and node.value is not None and node.simple:
        targets = [node.target]
    else:
        return ()
    if not all(isinstance(target, ast.Name) and not target.id.startswith("__") for target in targets):
        return ()
    if not _is_literal(node.value):
        return ()
    return tuple(dict.fromkeys(target.id for target in targets))


def _is_literal(value) -> bool:
    import ast

    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Constant):
            continue
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            stack.extend(node.elts)
        elif isinstance(node, ast.Dict):
            if any(key is None for key in node.keys):  # {**other}
                return False
            stack.extend(node.keys)
            stack.extend(node.values)
        elif isinstance(node, ast.UnaryOp):
            stack.append(node.operand)
        elif isinstance(node, ast.BinOp):
            stack.append(node.left)
            stack.append(node.right)
        else:
            return False
    return True


def names_bound(node) -> set:
    """Names a module-level statement may bind: assignment and loop targets, imports, ``as``
    names, definitions nested in its blocks (``if TYPE_CHECKING: ...``), globals."""
    import ast

    bound = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and not isinstance(child.ctx, ast.Load):
            bound.add(child.id)
        elif isinstance(child, ast.alias):
            bound.add((child.asname or child.name).split(".")[0])
        elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(child.name)
        elif isinstance(child, ast.ExceptHandler) and child.name:
            bound.add(child.name)
        elif isinstance(child, (ast.MatchAs, ast.MatchStar)) and child.name:
            bound.add(child.name)
        elif isinstance(child, ast.MatchMapping) and child.rest:
            bound.add(child.rest)
    return bound


def names_used(node) -> set:
    import ast

    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} | {
        n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)
    }


IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
