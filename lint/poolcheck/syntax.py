"""A parsed Python file, and the name bindings of its scopes.

``ParsedFile`` wraps a libcst module with what every analysis needs and nothing more:
positions (computed once, only when something asks: most files report nothing), the names
each scope binds (assignments, imports, definitions), and the file's dotted module name so
relative imports resolve. Deliberately no libcst scope metadata: it costs more than the parse
itself on large files, and the questions poolcheck asks ("what is this name bound to?") are
answered by the small, explicit binding tables here.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, Callable, Dict, FrozenSet, Iterator, List, Optional, Sequence, Tuple, Union

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from .discovery import module_name_for  # noqa: F401 (here too: where rules import it from)
from .pyast import MAX_PARSE_BYTES, python_ast  # noqa: F401 (libcst-free; re-exported)
from .outline import CLASS, DEF, INERT, MERGED, Outline, Statement, outline_of, top_level_groups
from .outline import IDENTIFIER as _IDENTIFIER
from .findings import Position, Span
from .source import ParseFailure, SourceFile, split_lines_keepends


# Limits on what is handed to libcst. Its native parser recurses once per nesting level and
# crashes the process (a stack overflow, not an exception) some ten thousand levels down; it
# slows down quadratically with depth well before; and libcst's traversals, and the rules',
# recurse in Python, a few frames per level, up to the interpreter's recursion limit. A
# 50 MB module takes tens of gigabytes of syntax tree. Code beyond these limits is reported
# as not checked (PC001) instead.
MAX_NESTING = 150

_LIMIT_MESSAGES = ("too many nested parentheses", "too many levels of indentation", "too many statically nested blocks")


def parse_module(source: SourceFile) -> cst.Module:
    """Parse the whole file with libcst; every failure becomes a ParseFailure with a position.

    When libcst refuses a file, CPython's own parser is asked why: its messages
    ("expected ':'", "unterminated string literal") and positions are the ones the user
    will see from the interpreter, and clearer than libcst's list of expected tokens."""
    check_size(source)
    tree, error = cpython_parse(source.text)
    return _parse_whole(source, tree, error)


_TRUSTED_PARSE = threading.Lock()


def parse_trusted(text: str) -> cst.Module:
    """``cst.parse_module`` of text CPython's parser has accepted, without libcst's
    validation of every node built (``CSTNode.__post_init__``): a third of libcst's parsing
    time, spent checking that its own parser built what the grammar allows (libcst's code
    says as much: "It might make more sense to move validation work into the visitor, which
    would allow us to avoid validating the tree when parsing a file"). Nodes built by other
    code (fixes) keep their validation, except those built on another thread during such a
    parse: validation is a check for mistakes in the code building nodes, not in the input."""
    base = cst.CSTNode
    with _TRUSTED_PARSE:
        validate = base.__post_init__
        base.__post_init__ = _skip_validation
        try:
            return cst.parse_module(text)
        finally:
            base.__post_init__ = validate


def _skip_validation(self) -> None:
    return None


def check_size(source: SourceFile) -> None:
    size = len(source.raw)
    if size > MAX_PARSE_BYTES:
        raise ParseFailure(
            f"the file is too large to check ({size / 1e6:.1f} MB; poolcheck parses Python files up to {MAX_PARSE_BYTES // 1_000_000} MB)"
        )


def cpython_parse(text: str):
    """``(tree, None)``, or ``(None, SyntaxError)`` when CPython refuses the text in a way
    libcst may still accept (syntax newer than the running interpreter). Raises ParseFailure
    when the text goes past the parser's own limits: nothing else may try it then."""
    import ast
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings about escapes are not our business
            return ast.parse(text), None
    except (RecursionError, MemoryError):  # MemoryError: the parser's stack is exhausted
        raise ParseFailure(_too_deep_message()) from None
    except ValueError as exc:  # "source code string cannot contain null bytes"
        raise ParseFailure(f"cannot parse: {exc}") from None
    except SyntaxError as exc:
        if any(limit in (exc.msg or "") for limit in _LIMIT_MESSAGES):
            raise _from_syntax_error(exc) from None
        return None, exc


def _too_deep_message(depth: Optional[int] = None) -> str:
    levels = f"{depth} levels deep" if depth is not None else "too deeply"
    return f"the code is nested {levels}: poolcheck checks code nested up to {MAX_NESTING} levels deep"


def _parse_whole(source: SourceFile, tree, error: Optional[SyntaxError]) -> cst.Module:
    if tree is not None:
        check_nesting(tree.body)
    elif not _shallow_for_libcst(source.text):
        # libcst could only crash or crawl on this; CPython's own complaint is the answer.
        raise _from_syntax_error(error)
    try:
        return parse_trusted(source.text) if tree is not None else cst.parse_module(source.text)
    except RecursionError:
        raise ParseFailure(_too_deep_message()) from None
    except Exception as exc:  # ParserSyntaxError, and anything the native parser raises
        libcst_error = exc
    raise _diagnose(source.text, libcst_error)


def nesting(node) -> Tuple[int, int, int]:
    """How deeply ``node`` (an ``ast`` node) nests, counted as libcst and the rules recurse:
    (depth, line, column of the deepest point). A node inside a list field (an element, an
    argument, a statement of a block) counts twice (libcst wraps it: ``Element``, ``Arg``,
    ``SimpleStatementLine``), and a boolean operation once per operator (libcst nests
    ``a and b and c``, which ``ast`` keeps flat)."""
    import ast

    best = (0, getattr(node, "lineno", 1), getattr(node, "col_offset", 0))
    stack = [(node, 1)]
    while stack:
        current, depth = stack.pop()
        if isinstance(current, ast.BoolOp):
            depth += len(current.values) - 2
        if depth > best[0]:
            best = (depth, getattr(current, "lineno", best[1]), getattr(current, "col_offset", best[2]))
        for name in current._fields:
            value = getattr(current, name, None)
            if isinstance(value, ast.AST):
                stack.append((value, depth + 1))
            elif isinstance(value, list):
                stack.extend((item, depth + 2) for item in value if isinstance(item, ast.AST))
    return best


def check_nesting(statements: Sequence, lines: Optional[Sequence[str]] = None) -> None:
    """Raise ParseFailure if a statement nests deeper than MAX_NESTING. ``statements`` are ast
    nodes, or (node, first line, last line) with the file's ``lines``: a statement whose text
    is short cannot nest deeper than it has characters, and is not walked."""
    for item in statements:
        if isinstance(item, tuple):
            node, start, end = item
            if lines is not None and sum(len(line) for line in lines[start - 1 : end]) <= MAX_NESTING:
                continue
        else:
            node = item
        depth, line, column = nesting(node)
        if depth > MAX_NESTING:
            raise ParseFailure(_too_deep_message(depth), line, column)


def nesting_failure(source: Optional[SourceFile], threshold: int = 40) -> Optional[ParseFailure]:
    """After a RecursionError while checking ``source``: the failure to report when its code
    nests deeply enough to explain it (deeper than ``threshold``), else None (a bug)."""
    if source is None:
        return None
    try:
        tree, _ = cpython_parse(source.text)
    except ParseFailure as failure:
        return failure
    if tree is None:
        return None
    depth, line, column = max((nesting(node) for node in tree.body), default=(0, 1, 0))
    if depth <= threshold:
        return None
    return ParseFailure(f"the code is nested {depth} levels deep, too deeply for poolcheck to check", line, column)


def _shallow_for_libcst(text: str) -> bool:
    """For text CPython refuses: whether it is certainly shallow enough to hand to libcst.

    Python's tokenizer bounds the nesting from above: brackets as CPython limits them, and
    per logical line the operators and keywords that can each open a level (``- - x``,
    ``a.b.c``, ``f()()``, ``not not x``). Text the tokenizer cannot read is not tried."""
    import io
    import tokenize

    openers = {"(", "[", "{"}
    closers = {")", "]", "}"}
    flat = {",", ":", ";", "=", ")", "]", "}"}
    nesting_words = {"not", "and", "or", "if", "else", "lambda", "await", "yield", "in", "is"}
    brackets = indents = levels = 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(text, newline=None).readline):
            kind, string = token.type, token.string
            if kind == tokenize.OP:
                if string in openers:
                    brackets += 1
                elif string in closers:
                    brackets = max(brackets - 1, 0)
                if string not in flat:
                    levels += 1
            elif kind == tokenize.NAME and string in nesting_words:
                levels += 1
            elif kind == tokenize.NEWLINE:
                levels = 0
            elif kind == tokenize.INDENT:
                indents += 1
            elif kind == tokenize.DEDENT:
                indents -= 1
            if brackets > 200 or indents > 100 or levels > MAX_NESTING:
                return False
    except (tokenize.TokenError, SyntaxError, IndentationError, ValueError):
        return False
    return True


def _diagnose(text: str, libcst_error: Exception) -> ParseFailure:
    import ast
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings about escapes are not our business
            ast.parse(text)
    except SyntaxError as exc:
        return _from_syntax_error(exc)
    except (RecursionError, MemoryError):
        return ParseFailure("the file is nested too deeply to parse")
    except ValueError as exc:  # "source code string cannot contain null bytes"
        return ParseFailure(f"cannot parse: {exc}")
    # CPython accepts it; libcst does not (newer syntax than the installed libcst knows).
    line = getattr(libcst_error, "raw_line", 1)
    column = getattr(libcst_error, "raw_column", 0)
    return ParseFailure(
        "poolcheck's parser (libcst) cannot read this file although Python can: "
        "upgrade libcst, or report it to poolcheck",
        line,
        column,
    )


def _from_syntax_error(exc: SyntaxError) -> ParseFailure:
    message = exc.msg[0].lower() + exc.msg[1:] if exc.msg else "invalid syntax"
    column = max((exc.offset or 1) - 1, 0)
    pieces = (exc.text or "").rstrip("\r\n").split("\n")
    if len(pieces) > 1 and column > len(pieces[-1]):
        # A logical line continued over several lines (backslashes): CPython gives its whole
        # text, the error's line last, and counts the offset from the error's line, or, for
        # some errors, from the logical line's start: then the column is where that count
        # lands.
        for piece in pieces:
            if column <= len(piece):
                break
            column -= len(piece) + 1
    return ParseFailure(f"syntax error: {message}", exc.lineno or 1, column)


# --- pruned parsing ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LineMap:
    """Where the lines of a pruned module come from: runs of (pruned first line, original
    first line, length). Columns are unchanged: only whole top-level statements are kept."""

    runs: Tuple[Tuple[int, int, int], ...]

    def original(self, line: int) -> int:
        import bisect

        index = bisect.bisect_right([run[0] for run in self.runs], line) - 1
        if index < 0:
            return line
        pruned_start, original_start, _ = self.runs[index]
        return original_start + (line - pruned_start)


@dataclass
class PrunedParse:
    """What ``parse_pruned`` made of a file: the module libcst parsed and how it maps to the file."""
    module: cst.Module
    line_map: Optional[LineMap]  # None: nothing was pruned, lines are the file's own
    pruned_names: Dict[str, str]  # top-level names left out -> "def" | "class" | "literal"
    # The line (of ``module``) each top-level statement of ``module.body`` starts on (its
    # first decorator's, if any); None when unknown. Lets positions be computed for one
    # statement instead of the whole module (ParsedFile.span).
    statement_lines: Optional[Tuple[int, ...]] = None
    # The file's own (first, last) lines of each top-level statement of ``module.body``.
    top_level_ranges: Optional[Tuple[Tuple[int, int], ...]] = None


def parse_pruned(
    source: SourceFile, keep_tokens: Sequence[str], keep_if: Sequence[Callable[[str], bool]] = (), outline: Optional[Outline] = None
) -> PrunedParse:
    """Parse only the top-level statements that can matter.

    A statement matters when its text holds one of ``keep_tokens`` (or an alias of one), or
    one of ``keep_if`` says so of its text (rules' finer tests: ``Rule.pruning``).

    libcst is slow on large files (its parse and every traversal are pure-Python work per
    node), while most of a large module is functions and classes that mention nothing any
    rule looks for. CPython's C parser finds the top-level statements' line ranges in a
    fraction of the time; libcst then parses only: imports, every statement that is not a
    function or class definition (they can bind module names), and definitions whose text
    contains a rule's token or whose name the kept code mentions (a base class, a helper).
    Kept statements are verbatim, so positions map back by a line offset.

    ``outline``: the file's outline (``poolcheck.outline``) made where it was parsed before,
    in another process; without it, CPython's tree of these bytes if the name scan left one
    (``pyast.shared_ast``), else a parse. Where CPython cannot parse the file (syntax newer
    than the running interpreter, or an error), the whole file goes to libcst, which reports
    the error or parses it all."""
    from .pyast import shared_ast

    check_size(source)
    text = source.text
    if outline is None:
        # The name scan may have parsed these very bytes already (the same tree: positions
        # of a file parsed from its bytes or from its decoded text are the same).
        tree = shared_ast(source.raw)
        if tree is None:
            tree, error = cpython_parse(text)
            if tree is None:
                return PrunedParse(_parse_whole(source, None, error), None, {})
        outline = outline_of(tree)
    lines = split_lines_keepends(text)
    statements = outline.statements
    whole_lines = tuple(statement.start for statement in statements)
    whole_ranges = tuple((statement.start, statement.end) for statement in statements)
    keep = [False] * len(statements)
    definitions: Dict[int, Tuple[str, str]] = {}
    literals: Dict[int, Tuple[str, ...]] = {}  # see outline.literal_names
    # An alias is a name, matched as a whole identifier: `e = create_engine(...)` must not
    # keep every definition whose text contains the letter "e".
    aliases = _aliases_of_tokens(statements, lines, keep_tokens)
    # Statements holding a token (or an alias of one): where a rule's answer starts.
    relevant = [False] * len(statements)
    for index, statement in enumerate(statements):
        segment = "".join(lines[statement.start - 1 : statement.end])
        relevant[index] = (
            any(token in segment for token in keep_tokens)
            or bool(aliases and any(alias in segment for alias in aliases) and aliases.intersection(_IDENTIFIER.findall(segment)))
            or any(test(segment) for test in keep_if)
        )
        if statement.kind in (DEF, CLASS):
            definitions[index] = (statement.name, statement.kind)
            keep[index] = relevant[index]
        elif statement.kind == INERT:
            keep[index] = False  # docstrings and bare constants bind nothing
        else:
            keep[index] = True
            if not relevant[index] and statement.literals:
                literals[index] = statement.literals
    _keep_mentioned_definitions(outline, lines, keep, definitions, relevant, literals)
    _check_kept_nesting(outline, lines, keep)
    if all(keep):
        return PrunedParse(_parse_whole_checked(source), None, {}, whole_lines, whole_ranges)
    pieces: List[str] = []
    runs: List[Tuple[int, int, int]] = []
    starts: List[int] = []
    pruned_line = 1
    for index, (start, end) in enumerate(whole_ranges):
        if not keep[index]:
            continue
        starts.append(pruned_line)
        chunk = lines[start - 1 : end]
        if chunk and not chunk[-1].endswith(("\n", "\r")):
            chunk = chunk[:-1] + [chunk[-1] + "\n"]
        if runs and runs[-1][1] + runs[-1][2] == start and runs[-1][0] + runs[-1][2] == pruned_line:
            runs[-1] = (runs[-1][0], runs[-1][1], runs[-1][2] + len(chunk))
        else:
            runs.append((pruned_line, start, len(chunk)))
        pieces.extend(chunk)
        pruned_line += len(chunk)
    try:
        module = parse_trusted("".join(pieces))
    except Exception:  # cannot happen for verbatim statements; be safe rather than sorry
        return PrunedParse(_parse_whole_checked(source), None, {}, whole_lines, whole_ranges)
    pruned_names = {name: kind for index, (name, kind) in definitions.items() if not keep[index]}
    pruned_names.update((name, "literal") for index, names in literals.items() if not keep[index] for name in names)
    kept_ranges = tuple(whole_ranges[index] for index in range(len(statements)) if keep[index])
    return PrunedParse(module, LineMap(tuple(runs)), pruned_names, tuple(starts), kept_ranges)


def _statement_lines_of(text: str) -> Optional[Tuple[int, ...]]:
    """The first line of each top-level statement (as parse_pruned's segments), or None."""
    tree = python_ast(text)
    if tree is None:
        return None
    return tuple(start for start, _, _ in top_level_groups(tree))


def _check_kept_nesting(outline: Outline, lines: Sequence[str], keep: Sequence[bool]) -> None:
    """``check_nesting`` of every kept statement: a statement whose text is short cannot
    nest deeper than it has characters, and is not walked (nor parsed again, without the
    tree)."""
    for index, statement in enumerate(outline.statements):
        if not keep[index] or sum(len(line) for line in lines[statement.start - 1 : statement.end]) <= MAX_NESTING:
            continue
        check_nesting(outline.nodes(index, lines))


def _parse_whole_checked(source: SourceFile) -> cst.Module:
    """libcst's parse of a file CPython parsed and whose nesting was checked."""
    try:
        return parse_trusted(source.text)
    except RecursionError:
        raise ParseFailure(_too_deep_message()) from None
    except Exception as exc:
        raise _diagnose(source.text, exc) from None


def _aliases_of_tokens(statements: Sequence[Statement], lines, keep_tokens) -> set:
    """Names that stand for a token: ``create_async_engine as make_engine``, or
    ``ce = sqlalchemy.create_engine``. A function calling ``make_engine(...)`` matters as much
    as one calling ``create_async_engine(...)``."""
    aliases = set()
    for statement in statements:
        for name, alias in statement.imports:
            if any(token in name for token in keep_tokens):
                aliases.add(alias)
        if statement.assigned and any(token in "".join(lines[statement.start - 1 : statement.end]) for token in keep_tokens):
            aliases.update(statement.assigned)
    aliases.discard("")
    return aliases


def _keep_mentioned_definitions(outline: Outline, lines, keep, definitions, relevant=None, literals=None) -> None:
    """Keep the left-out definitions connected to what matters, until nothing changes: one
    whose name that code uses (a base class, a helper, a decorator), and one that uses a kept
    definition (a route whose ``Depends(get_db)`` names a kept dependency).

    What matters is a slice: the statements holding a token (``relevant``; every kept
    statement when not given), then the statements binding a name those use (``OPTIONS =
    make_options()`` for ``create_engine(URL, **OPTIONS)``), and so on. Every module-level
    statement is kept (it may bind a name), but one outside the slice pulls in nothing: a
    table of classes (``_header_map = {"subject": SubjectHeader, ...}``) once kept every class
    of a module because one engine was appended to it. Names are read from the syntax tree,
    so a name inside a string (``__all__ = ["Base"]``) or a comment does not count.

    ``literals`` (statements that only bind names to literals, see ``outline.literal_names``)
    are then left out when the slice does not use their names and nothing else at module
    level binds them: a module's data tables (the encodings modules' 256-entry tuples) were
    most of what libcst parsed, and every walk of the module went through them again. A name
    left out stays a binding (``pruned_names``), read from the whole file if asked for."""
    statements = outline.statements
    pending = {index: name for index, (name, _) in definitions.items() if not keep[index]}
    if not pending and not literals:
        return
    if relevant is None:
        relevant = keep
    # What a left-out definition uses is read from its text (C-speed regex, not a Python walk
    # of its tree): a name that only appears in a string makes it kept, which is safe.
    uses = {index: set(_IDENTIFIER.findall("".join(lines[statements[index].start - 1 : statements[index].end]))) for index in pending}
    used = set()
    # Kept statements outside the slice so far, with the names they bind.
    outside: Dict[int, FrozenSet[str]] = {}
    for index, statement in enumerate(statements):
        if not keep[index]:
            continue
        if relevant[index] or index in definitions or statement.kind == MERGED:
            used |= outline.used(index, lines)
        else:
            outside[index] = statement.bound
    kept_definitions = {name for index, (name, _) in definitions.items() if keep[index]}
    # A definition whose name a kept statement binds again stays, so that the scope's
    # bindings keep their order (pruned names are added after every kept statement).
    rebound = set().union(*outside.values())
    while True:
        joining = [index for index, binds in outside.items() if binds & used]
        for index in joining:
            outside.pop(index)
            used |= statements[index].used
        found = [index for index, name in pending.items() if name in used or name in rebound or uses[index] & kept_definitions]
        if not found and not joining:
            break
        for index in found:
            keep[index] = True
            used |= uses[index]
            kept_definitions.add(pending.pop(index))
    if literals:
        _leave_out_literals(statements, lines, keep, definitions, literals, outside)


def _leave_out_literals(statements, lines, keep, definitions, literals, outside) -> None:
    """Leave out the literal assignments still outside the slice (``outside``: what the slice
    does not use) whose names no other statement binds: each name is then bound once, as the
    scope saw it, and in no order another binding could change."""
    candidates = [index for index in literals if index in outside]
    if not candidates:
        return
    bound_elsewhere: Dict[str, int] = {}
    for index, statement in enumerate(statements):
        if not keep[index]:
            continue
        if index in definitions:
            names = {definitions[index][0]}
        elif index in outside:
            names = outside[index]
        else:
            # (A merged statement's: every name it mentions, more than it binds.)
            names = statement.bound
        for name in names:
            bound_elsewhere[name] = bound_elsewhere.get(name, 0) + 1
    for index, (name, _) in definitions.items():
        if not keep[index]:
            bound_elsewhere[name] = bound_elsewhere.get(name, 0) + 1
    # A function may rebind a module-level name (`global name`): every identifier on a line's
    # rest after the word `global` counts as declared (more than it declares: the safe side),
    # found in one pass over the file, not one per candidate.
    declared = set()
    for line in lines:
        if "global" in line:
            for rest in re.findall(r"\bglobal\b([^\n;]*)", line):
                declared.update(_IDENTIFIER.findall(rest))
    for index in candidates:
        names = literals[index]
        # Each name bound here only (its own statement counts once), and by no `global`.
        if any(bound_elsewhere.get(name, 0) != 1 or name in declared for name in names):
            continue
        keep[index] = False


# --- bindings ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Binding:
    """One way a scope binds a name."""

    kind: str  # "assign" | "import" | "from" | "def" | "class" | "param" | "other"
    node: cst.CSTNode
    value: Optional[cst.BaseExpression] = None  # "assign": the assigned expression
    module: Optional[str] = None  # "import"/"from": absolute dotted module
    imported: Optional[str] = None  # "from": the imported name

    @property
    def left_out(self) -> bool:
        """Whether a pruned parse left the statement out (``pruned_names``: a definition, or
        a name bound to a literal): what it binds is in the whole file only."""
        return isinstance(self.node, cst.Module)


ScopeNode = Union[cst.Module, cst.FunctionDef, cst.ClassDef]


def _target_names(target: cst.BaseExpression) -> Iterator[Tuple[str, bool]]:
    """Names bound by an assignment target, and whether the name is the whole target."""
    if isinstance(target, cst.Name):
        yield target.value, True
    elif isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            for name, _ in _target_names(element.value):
                yield name, False
    elif isinstance(target, cst.StarredElement):
        for name, _ in _target_names(target.value):
            yield name, False


class _BindingCollector:
    """Collect the bindings of one scope: its statements and the blocks nested in them
    (if/try/with/for/while), but not the bodies of nested functions and classes."""

    def __init__(self, module_name: str, is_package: bool) -> None:
        self.module_name = module_name
        self.is_package = is_package
        self.bindings: Dict[str, List[Binding]] = {}
        self.global_names: set = set()

    def add(self, name: str, binding: Binding) -> None:
        self.bindings.setdefault(name, []).append(binding)

    def statements(self, body: Sequence[cst.CSTNode]) -> None:
        for statement in body:
            self.statement(statement)

    def statement(self, statement: cst.CSTNode) -> None:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                self.small(small)
        elif isinstance(statement, cst.FunctionDef):
            self.add(statement.name.value, Binding("def", statement))
        elif isinstance(statement, cst.ClassDef):
            self.add(statement.name.value, Binding("class", statement))
        elif isinstance(statement, (cst.For,)):
            for name, _ in _target_names(statement.target):
                self.add(name, Binding("other", statement))
            self.block(statement.body)
            if statement.orelse:
                self.block(statement.orelse.body)
        elif isinstance(statement, cst.With):
            for item in statement.items:
                if item.asname is not None:
                    for name, _ in _target_names(item.asname.name):
                        self.add(name, Binding("other", statement))
            self.block(statement.body)
        elif isinstance(statement, cst.If):
            self.block(statement.body)
            orelse = statement.orelse
            while orelse is not None:
                self.block(orelse.body)
                orelse = orelse.orelse if isinstance(orelse, cst.If) else None
        elif isinstance(statement, (cst.Try, getattr(cst, "TryStar", cst.Try))):
            self.block(statement.body)
            for handler in statement.handlers:
                if handler.name is not None:
                    for name, _ in _target_names(handler.name.name):
                        self.add(name, Binding("other", handler))
                self.block(handler.body)
            if statement.orelse:
                self.block(statement.orelse.body)
            if statement.finalbody:
                self.block(statement.finalbody.body)
        elif isinstance(statement, cst.While):
            self.block(statement.body)
            if statement.orelse:
                self.block(statement.orelse.body)
        elif hasattr(cst, "Match") and isinstance(statement, cst.Match):
            for case in statement.cases:
                self.block(case.body)

    def block(self, block: cst.BaseSuite) -> None:
        if isinstance(block, cst.IndentedBlock):
            self.statements(block.body)
        elif isinstance(block, cst.SimpleStatementSuite):
            for small in block.body:
                self.small(small)

    def small(self, small: cst.BaseSmallStatement) -> None:
        if isinstance(small, cst.Assign):
            for target in small.targets:
                for name, whole in _target_names(target.target):
                    self.add(name, Binding("assign" if whole else "other", small, small.value if whole else None))
        elif isinstance(small, cst.AnnAssign):
            if small.value is not None:
                for name, whole in _target_names(small.target):
                    self.add(name, Binding("assign" if whole else "other", small, small.value if whole else None))
        elif isinstance(small, cst.AugAssign):
            for name, _ in _target_names(small.target):
                self.add(name, Binding("other", small))
        elif isinstance(small, cst.Import):
            for alias in small.names:
                dotted = dotted_name(alias.name)
                if dotted is None:
                    continue
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    self.add(alias.asname.name.value, Binding("import", small, module=dotted))
                else:
                    top = dotted.split(".")[0]
                    self.add(top, Binding("import", small, module=top))
        elif isinstance(small, cst.ImportFrom):
            module = self.absolute_module(small)
            if module is None or isinstance(small.names, cst.ImportStar):
                return
            for alias in small.names:
                name = dotted_name(alias.name)
                if name is None:
                    continue
                bound = alias.asname.name.value if alias.asname is not None and isinstance(alias.asname.name, cst.Name) else name
                self.add(bound, Binding("from", small, module=module, imported=name))
        elif isinstance(small, cst.Global):
            for item in small.names:
                self.global_names.add(item.name.value)

    def absolute_module(self, node: cst.ImportFrom) -> Optional[str]:
        level = len(node.relative)
        written = dotted_name(node.module) if node.module is not None else ""
        if written is None:
            return None
        if level == 0:
            return written
        parts = self.module_name.split(".") if self.module_name else []
        # A module's package is itself minus its last part; a package's is itself.
        package = parts if self.is_package else parts[:-1]
        if level - 1 > len(package):
            return None
        base = package[: len(package) - (level - 1)]
        return ".".join([*base, written] if written else base)


def dotted_name(node: Optional[cst.CSTNode]) -> Optional[str]:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        head = dotted_name(node.value)
        return f"{head}.{node.attr.value}" if head else None
    return None


@dataclass
class Scope:
    """The names a module, class or function binds, each with its bindings."""
    node: ScopeNode
    bindings: Dict[str, List[Binding]]
    global_names: frozenset = frozenset()


# --- the parsed file -------------------------------------------------------------------------


@dataclass(eq=False)
class ParsedFile:
    """A project file parsed with libcst (possibly pruned), and what analyses ask of it."""
    source: SourceFile
    module: cst.Module
    relative: PurePosixPath  # relative to the project root
    module_name: str  # dotted, e.g. "app.db" ("" when unknown)
    is_package: bool = False
    # Set when only part of the file was parsed (see parse_pruned): maps the module's lines
    # back to the file's, and names the top-level definitions left out.
    line_map: Optional[LineMap] = None
    pruned_names: Dict[str, str] = field(default_factory=dict)
    # See PrunedParse.statement_lines; found with CPython's parser when not given.
    statement_lines: Optional[Tuple[int, ...]] = None
    # See PrunedParse.top_level_ranges (None: unknown; found from CPython when needed).
    top_level_ranges: Optional[Tuple[Tuple[int, int], ...]] = None
    _positions: Optional[Dict[cst.CSTNode, object]] = field(default=None, repr=False)
    _statement_of: Optional[Dict[int, int]] = field(default=None, repr=False)
    _expression_rank: Dict[int, int] = field(default_factory=dict, repr=False)
    _statement_positions: Dict[int, Dict[cst.CSTNode, object]] = field(default_factory=dict, repr=False)
    _starts_checked: bool = field(default=False, repr=False)
    _scopes: Dict[int, Scope] = field(default_factory=dict, repr=False)
    _aliases: Dict[frozenset, frozenset] = field(default_factory=dict, repr=False)
    _whole: Optional["ParsedFile"] = field(default=None, repr=False)
    _by_place: Optional[Dict[Tuple[type, Span], cst.CSTNode]] = field(default=None, repr=False)

    # the whole file, for fixes ---------------------------------------------------------------
    def whole(self) -> "ParsedFile":
        """This file parsed in full (itself when nothing was pruned). Fixes rewrite the whole
        file: a pruned parse has lost the comments and blank lines between top-level
        statements, and the statements it left out."""
        if self.line_map is None:
            return self
        if self._whole is None:
            self._whole = ParsedFile(self.source, parse_module(self.source), self.relative, self.module_name, self.is_package)
        return self._whole

    def same_node_in_whole(self, node: Optional[cst.CSTNode]) -> Optional[cst.CSTNode]:
        """The node of ``whole()`` written at the same place as ``node`` (of this parse)."""
        whole = self.whole()
        if node is None or whole is self:
            return node
        if whole._by_place is None:
            whole._by_place = {(type(n), whole.span(n)): n for n in whole._position_map()}
        return whole._by_place.get((type(node), self.span(node)))

    # positions ---------------------------------------------------------------------------
    # libcst computes positions by generating the code of the whole module, which costs more
    # than parsing it. Most files report nothing, and a finding needs the position of a few
    # nodes: those are computed for the one top-level statement holding the node, and moved
    # down by the line that statement starts on.
    def _position_map(self):
        if self._positions is None:
            self._positions = _code_and_positions(self.module)[1]  # (as a statement's, below)
        return self._positions

    def positions(self):
        """Every node's position (pruned-module lines; use ``span`` for the file's)."""
        return self._position_map()

    def _starts(self) -> Optional[Tuple[int, ...]]:
        if not self._starts_checked:
            self._starts_checked = True
            if self.statement_lines is None and self.line_map is None:
                self.statement_lines = _statement_lines_of(self.source.text)
            if self.statement_lines is not None and len(self.statement_lines) != len(self.module.body):
                self.statement_lines = None  # not one per statement: do not guess
        return self.statement_lines

    def statement_index(self, node: cst.CSTNode) -> Optional[int]:
        """Which top-level statement of the module holds ``node`` (None: none does)."""
        if self._statement_of is None:
            from .walk import EXPRESSION_KINDS, NODE_KINDS, child_fields

            index: Dict[int, int] = {}
            ranks: Dict[int, int] = {}
            for number, statement in enumerate(self.module.body):
                stack = [statement]
                rank = 0
                while stack:
                    current = stack.pop()
                    index[id(current)] = number
                    if EXPRESSION_KINDS[type(current)]:  # (type tests: libcst's classes are ABCs)
                        ranks[id(current)] = rank
                        rank += 1
                    for name in child_fields(current):
                        value = getattr(current, name)
                        if NODE_KINDS[type(value)]:
                            stack.append(value)
                        elif isinstance(value, (tuple, list)):
                            stack.extend(item for item in value if NODE_KINDS[type(item)])
            self._statement_of = index
            self._expression_rank = ranks
        return self._statement_of.get(id(node))

    def node_key(self, node: cst.CSTNode) -> Optional[Tuple[int, int]]:
        """Where ``node`` (an expression) is, without computing positions: (the file's first
        line of the top-level statement holding it, its rank among that statement's
        expressions in a fixed walk). The same for every parse of the same content, pruned or
        whole (kept statements are verbatim; the blank lines and comments around them, which
        differ, hold no expression). None when the statements' lines are unknown."""
        number = self.statement_index(node)
        starts = self._starts()
        if number is None or starts is None or id(node) not in self._expression_rank:
            return None
        first = self.line_map.original(starts[number]) if self.line_map is not None else starts[number]
        return first, self._expression_rank[id(node)]

    def statement_positions(self, number: int):
        """The positions of the nodes of top-level statement ``number`` (module lines)."""
        if number not in self._statement_positions:
            from libcst._position import CodePosition, CodeRange

            statement = self.module.body[number]
            alone = self.module.with_changes(header=(), body=(statement,), footer=())
            code, local = _code_and_positions(alone)
            lead = len(statement.leading_lines)
            decorators = getattr(statement, "decorators", ())
            if decorators:
                lead += len(decorators[0].leading_lines)
            start = self._starts()[number]
            from .source import split_lines

            code_lines = split_lines(code)
            first = code_lines[lead] if lead < len(code_lines) else None
            original = self.line_map.original(start) if self.line_map is not None else start
            if first is None or self.source.line_text(original) != first:
                # The module is not the source's text (or not as expected): ask the whole map.
                whole = self._position_map()
                self._statement_positions[number] = {node: whole.get(node) for node in local if node is not alone}
                return self._statement_positions[number]
            shift = start - (1 + lead)
            self._statement_positions[number] = {
                node: CodeRange(CodePosition(r.start.line + shift, r.start.column), CodePosition(r.end.line + shift, r.end.column))
                for node, r in local.items()
                if node is not alone
            }
        return self._statement_positions[number]

    def _range(self, node: cst.CSTNode):
        if self._positions is None and self._starts() is not None:
            number = self.statement_index(node)
            if number is not None:
                return self.statement_positions(number).get(node)
        return self._position_map().get(node)

    def statement_ranges(self, line: int) -> List[Tuple[int, int]]:
        """(first line, last line) in the file of every statement, simple or compound, that
        could contain the file's ``line``: those of the top-level statement starting at or
        before it (all of the module's when the statements' lines are unknown)."""
        starts = self._starts()
        if starts is None or self._positions is not None:
            nodes = self._position_map()
        else:
            original = [self.line_map.original(start) for start in starts] if self.line_map is not None else list(starts)
            import bisect

            number = bisect.bisect_right(original, line) - 1
            if number < 0:
                return []
            nodes = self.statement_positions(number)
        ranges = []
        for node in nodes:
            if isinstance(node, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
                span = self.span(node)
                ranges.append((span.start.line, span.end.line))
        return ranges

    def span(self, node: cst.CSTNode) -> Span:
        code_range = self._range(node)
        if code_range is None:
            return Span.at(1, 0)
        start, end = code_range.start.line, code_range.end.line
        if self.line_map is not None:
            start, end = self.line_map.original(start), self.line_map.original(end)
        return Span(Position(start, code_range.start.column), Position(end, code_range.end.column))

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    # scopes ------------------------------------------------------------------------------
    def scope(self, node: ScopeNode) -> Scope:
        key = id(node)
        if key not in self._scopes:
            collector = _BindingCollector(self.module_name, self.is_package)
            if isinstance(node, cst.Module):
                collector.statements(node.body)
                for name, kind in self.pruned_names.items():
                    # Left out of the parse, but still a binding: "bound once" must stay true.
                    collector.add(name, Binding(kind, node))
            elif isinstance(node, cst.ClassDef):
                collector.block(node.body)
            else:
                for param in _parameters(node.params):
                    collector.add(param.name.value, Binding("param", param))
                collector.block(node.body)
            self._scopes[key] = Scope(node, collector.bindings, frozenset(collector.global_names))
        return self._scopes[key]

    @property
    def module_scope(self) -> Scope:
        return self.scope(self.module)

    def callee_may_be(self, func: cst.BaseExpression, names: frozenset) -> bool:
        """A cheap syntactic test to run before the evaluator follows any import: is the
        callee spelled like one of ``names`` (``x.listen``, ``listen``), or a name imported as
        one of them (``from sqlalchemy.event import listen as on``)? False means it certainly
        is not one of them; True means it is worth resolving."""
        if isinstance(func, cst.Attribute):
            return func.attr.value in names
        if not isinstance(func, cst.Name):
            return False
        if func.value in names:
            return True
        if names not in self._aliases:
            self._aliases[names] = frozenset(
                name
                for name, bindings in self.module_scope.bindings.items()
                if any(b.kind == "from" and b.imported in names for b in bindings)
            )
        return func.value in self._aliases[names]


def _code_and_positions(module: cst.Module) -> Tuple[str, Dict[cst.CSTNode, Any]]:
    """``module``'s code and its nodes' positions (libcst's ``PositionProvider``), from one
    code generation: the metadata wrapper generates the code for the positions and throws it
    away, and ``module.code`` generated it again (a third of the time spent on the positions
    of reported statements). The one way positions are computed, for one statement or for a
    whole module."""
    try:
        from libcst.metadata.position_provider import PositionProvidingCodegenState

        positions = _PositionTable()
        state = PositionProvidingCodegenState(default_indent=module.default_indent, default_newline=module.default_newline, provider=positions)
        module._codegen(state)
        return "".join(state.tokens), positions._computed
    except (ImportError, AttributeError, TypeError):  # another libcst's internals: its public way
        return module.code, dict(MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider))


class _PositionTable:
    """What libcst's position codegen state writes to (a provider's table of positions)."""

    def __init__(self) -> None:
        self._computed: Dict[cst.CSTNode, Any] = {}


def _parameters(params: cst.Parameters) -> List[cst.Param]:
    found = list(params.posonly_params) + list(params.params) + list(params.kwonly_params)
    if isinstance(params.star_arg, cst.Param):
        found.append(params.star_arg)
    if params.star_kwarg is not None:
        found.append(params.star_kwarg)
    return found
