"""The bytes that reveal a file may create a session, a registry or a connection: the
prefilters of the lifecycle rules, kept free of libcst so rule modules stay cheap to import.

Fixed tokens cover what SQLAlchemy names itself (``Session``, ``sessionmaker``,
``.connect(``). A file calling ``SessionLocal()`` or ``make_db()`` imported from ``db.py``
mentions none of them: :func:`project_names` finds, with a cheap ``ast`` scan of the files
that do mention SQLAlchemy, the names the project binds to factories, registries and engines,
so the runner parses such files (and keeps the definitions using those names in pruned
parses). The scan over-approximates on purpose (any name assigned from an expression that
mentions a factory, transitively); the real decision is :mod:`.resolve`'s.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Dict, FrozenSet, Iterable, List, NamedTuple, Optional, Tuple

from ..project import Persisted

if TYPE_CHECKING:  # pragma: no cover
    from ..project import Project

# What a file creating a session must mention, unless it calls a factory by a project name.
SESSION_TOKENS: Tuple[bytes, ...] = (b"Session", b"sessionmaker", b"create_session")
# scoped_session / async_scoped_session.
REGISTRY_TOKENS: Tuple[bytes, ...] = (b"scoped_session",)
# engine.connect(), engine.raw_connection() (engine.begin() only as a context manager).
CONNECTION_TOKENS: Tuple[bytes, ...] = (b".connect(", b"raw_connection", b".begin(")
ENGINE_TOKENS: Tuple[bytes, ...] = (b"create_engine", b"create_async_engine", b"engine_from_config")

_SESSION_CLASSES = frozenset({"Session", "AsyncSession", "create_session"})
_SEED = {
    "sessionmaker": "factories",
    "async_sessionmaker": "factories",
    "scoped_session": "registries",
    "async_scoped_session": "registries",
    "create_engine": "engines",
    "create_async_engine": "engines",
    "engine_from_config": "engines",
    "async_engine_from_config": "engines",
}
_MAKER_TOKENS: Tuple[bytes, ...] = (b"sessionmaker", b"scoped_session") + ENGINE_TOKENS
_SCAN_TOKENS: Tuple[bytes, ...] = _MAKER_TOKENS + (b"Session",)
_MAX_ROUNDS = 3
_COMMON = frozenset({"session", "_session", "sessions", "factory", "db", "_db", "conn", "connection", "maker", "scoped", "registry"})
# Getters are followed only when their name says what they give: `get_engine`, `make_session`,
# `db`, `connect_to`. A generic name would spread to every call of a method so named.
_SUGGESTIVE = re.compile(r"(?i)session|engine|db|database|conn|sql|store|repo|uow")


class ProjectNames(NamedTuple):
    """Names the project may bind to a session factory (or a function returning a session),
    a registry or an engine: module constants, class attributes, ``self.`` attributes,
    function locals, getters. A superset: each still has to be resolved."""

    factories: FrozenSet[str] = frozenset()
    registries: FrozenSet[str] = frozenset()
    engines: FrozenSet[str] = frozenset()
    # Names bound only as locals of functions (`session = sessionmaker(bind=engine)` in a
    # CLI command). Such a local is called only in the top-level statement binding it,
    # whose text names its maker (a fixed token or another project name): it need not make
    # other files parsed or other definitions kept (see :meth:`tokens`).
    local_only: FrozenSet[str] = frozenset()
    # Every name the scan saw bound to an engine, however short or generic (`e`, a getter
    # named `make`): what a file must name for one of its `x.connect()` to be an engine's.
    engine_words: FrozenSet[str] = frozenset()

    def tokens(self, *kinds: str, locals_too: bool = True) -> Tuple[bytes, ...]:
        """The names of the given kinds ("factories", "registries", "engines") as bytes;
        without the function locals with ``locals_too=False`` (the prefilter and pruning
        tokens: a common local name such as `session` kept every function mentioning it)."""
        names = set()
        for kind in kinds or ("factories", "registries", "engines"):
            names |= getattr(self, kind)
        if not locals_too:
            names -= self.local_only
        return tuple(sorted(name.encode("utf-8") for name in names))


def project_names(project: "Project") -> ProjectNames:
    """The project's candidate names, computed once per project from bytes (an ``ast``
    parse of the files mentioning SQLAlchemy's factories; never ``project.parsed``)."""
    return project.fact("lifecycle-project-names-1", _scan, _PERSISTED)


# Callee names that may create something whatever the project defines.
CALLEE_NAMES = frozenset({"Session", "AsyncSession", "create_session", "scoped_session", "async_scoped_session"})
ENGINE_METHODS = frozenset({"connect", "raw_connection", "begin"})


def may_create(project: "Project", raw: bytes) -> bool:
    """Whether a file's code may call something that creates a session, a registry or a
    connection: a callee spelled like SQLAlchemy's or a project factory (or imported as one
    under another name), an engine method, or a call of a call (``sessionmaker(...)()``). A
    regular expression on the bytes (C speed, over-approximating: a name followed by ``(``
    in a comment counts), so a file that mentions ``Session`` only in annotations goes
    unparsed."""
    patterns = _patterns(project)
    if patterns.raw_calls_of_calls.search(raw) or next(_word_calls(patterns.raw_word_calls, _BYTES_WORD_CHAR, raw), None) is not None:
        return True
    return any(re.search(rb"\b" + re.escape(alias) + rb"\s*\(", raw) for _, alias in _aliases_of(raw, patterns.words))


def candidate_lines(project: "Project", text: str) -> List[int]:
    """The lines of ``text`` where such a call may be (see :func:`may_create`), sorted."""
    patterns = _patterns(project)
    positions = [m.start() for m in patterns.text_calls_of_calls.finditer(text)]
    positions.extend(_word_calls(patterns.text_word_calls, _TEXT_WORD_CHAR, text))
    for _, alias in _aliases_of(text, patterns.words):
        positions.extend(m.start() for m in re.finditer(r"\b" + re.escape(alias) + r"\s*\(", text))
    if not positions:
        return []
    return _lines_at(text, positions)


def _lines_at(text: str, positions: List[int]) -> List[int]:
    """The lines of ``text`` holding ``positions``, sorted, counted from one position to the
    next (\\n, \\r\\n and a lone \\r end lines; a call never starts between a \\r and its
    \\n): the starts of every line of a large file took longer than finding the calls."""
    lines = []
    line, last, lone_cr = 1, 0, "\r" in text
    for position in sorted(set(positions)):
        line += text.count("\n", last, position)
        if lone_cr:
            line += text.count("\r", last, position) - text.count("\r\n", last, position)
        last = position
        if not lines or lines[-1] != line:
            lines.append(line)
    return lines


class _Patterns(NamedTuple):
    """A call of one of ``words`` (``\\b(?:words)\\s*\\(``) or of a call's result (``)(``),
    as two patterns for bytes and two for text. One pattern of both, each word behind
    ``\\b``, was tried at every position of a file (twice as slow on the standard library's
    large modules): the words' pattern has no ``\\b`` (``_word_calls`` asks for it where a
    match starts), and ``)(`` starts with a fixed character. Their matches never overlap (a
    word's match holds no ``)``, the other no word character), so together they find what
    the one pattern found."""

    raw_word_calls: "re.Pattern[bytes]"
    raw_calls_of_calls: "re.Pattern[bytes]"
    text_word_calls: "re.Pattern[str]"
    text_calls_of_calls: "re.Pattern[str]"
    words: FrozenSet[str]


def _patterns(project: "Project") -> _Patterns:
    def compile_patterns(project: "Project") -> _Patterns:
        names = project_names(project)
        words = frozenset(CALLEE_NAMES | ENGINE_METHODS | names.factories | names.registries)
        word_calls = r"(?:" + "|".join(re.escape(word) for word in sorted(words)) + r")\s*\("
        calls_of_calls = r"\)\s*\("
        return _Patterns(
            re.compile(word_calls.encode("utf-8")), re.compile(calls_of_calls.encode("utf-8")), re.compile(word_calls), re.compile(calls_of_calls), words
        )

    return project.fact("lifecycle-call-patterns", compile_patterns)


_BYTES_WORD_CHAR = re.compile(rb"\w")
_TEXT_WORD_CHAR = re.compile(r"\w")


def _word_calls(pattern, word_char, data) -> Iterable[int]:
    """Where ``pattern``'s matches in ``data`` start on a word boundary, as the pattern
    behind ``\\b`` finds them (every word starts with a word character, so none may come
    before): after a match on one the search goes on from its end, after one that is not
    from the next character (in bytes, a word after a non-ASCII letter starts on one)."""
    position = 0
    while True:
        match = pattern.search(data, position)
        if match is None:
            return
        start = match.start()
        if start == 0 or word_char.match(data, start - 1) is None:
            yield start
            position = match.end()
        else:
            position = start + 1


def _aliases_of(data, words: Iterable[str]) -> list:
    """(original, alias) for every ``original as alias`` in ``data`` (bytes or text, pairs of
    the same type) whose original is one of ``words``: an import, a ``with`` or ``except``
    target. A file is asked this several times (its bytes by the prefilter, its text for its
    candidate lines and its pruning, with different words): every ``name as alias`` of it is
    found once (:func:`_as_clauses`), then filtered."""
    is_bytes = isinstance(data, bytes)
    wanted = {w.encode("utf-8") for w in words} if is_bytes else set(words)
    return [pair for pair in _as_clauses(data) if pair[0] in wanted]


_AS_CLAUSE = {str: re.compile(r"\s+as\s+(\w+)"), bytes: re.compile(rb"\s+as\s+(\w+)")}
_ASCII_WORD = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_CLAUSES_KEPT = 8
_clauses: Dict[object, List[tuple]] = {}


def _as_clauses(data) -> List[tuple]:
    """(name, alias) for every ``name as alias`` in ``data``: each ``as`` between spaces,
    with the whole identifier before it (as ``\\b(\\w+)\\s+as\\s+(\\w+)`` would match it). One
    scan of the file, where a pattern of the words was tried at every word of it, once per
    question (a tenth of the workers' time on the bench corpus, then 5%). Kept for the last
    few files asked about."""
    found = _clauses.get(data)
    if found is not None:
        return found
    found = []
    if isinstance(data, bytes):
        word_at = _ASCII_WORD.__contains__
    else:
        word_at = lambda char: char.isalnum() or char == "_"  # re's \w for text
    for match in _AS_CLAUSE[type(data)].finditer(data):
        end = start = match.start()
        while start > 0 and word_at(data[start - 1]):
            start -= 1
        if start < end:
            found.append((data[start:end], match.group(1)))
    if len(_clauses) >= _CLAUSES_KEPT:
        del _clauses[next(iter(_clauses))]
    _clauses[data] = found
    return found


def definition_test(project: "Project", text: str):
    """For ``Rule.pruning``: which top-level statements of ``text`` matter to the lifecycle
    rules: those that may create a session or a registry (a call of a candidate name or of a
    name imported as one, a maker such as ``sessionmaker(...)()``), take a connection from
    an engine (``.connect(`` with an engine in sight, as :func:`may_connect` asks of files),
    or release a project registry (``db_session.remove()``: PC402's release facts read
    them). The fixed tokens kept every function mentioning ``Session`` (a project whose
    registry is named ``Session`` uses it in most: ``Session.query(...)``) or ``.connect(``
    (sockets, sqlite3)."""
    names = project_names(project)
    words = set(CALLEE_NAMES | names.factories | names.registries)
    words |= {alias for _, alias in _aliases_of(text, words | _MAKERS)}
    creates = re.compile(r"\b(?:" + "|".join(map(re.escape, sorted(words))) + r")\s*\(|\b(?:" + "|".join(sorted(_MAKERS)) + r")\b")
    registries = sorted(set(names.registries) | {alias for _, alias in _aliases_of(text, names.registries)})
    release = re.compile(
        (r"\b(?:" + "|".join(map(re.escape, registries)) + r")\b\s*(?:\(\s*\))?\s*\.\s*(?:remove|close|close_all)\b|" if registries else "")
        + r"close_all_sessions"
    )
    evidence = _engine_evidence(project)[1]
    # Each pattern matches only where one of these words is: asked first, as a pattern of
    # alternatives behind `\b` is tried at every position of a definition's text.
    creates_words = tuple(sorted(words | _MAKERS))
    release_words = tuple(registries) + ("close_all_sessions",)

    def matters(segment: str) -> bool:
        if any(word in segment for word in creates_words) and creates.search(segment):
            return True
        if any(word in segment for word in release_words) and release.search(segment):
            return True
        # (`connect` is in `raw_connection` too.)
        return ("connect" in segment or "begin" in segment) and bool(_ENGINE_METHOD_CALL.search(segment) and evidence.search(segment))

    return matters


_MAKERS = frozenset({"sessionmaker", "async_sessionmaker", "scoped_session", "async_scoped_session"})
_ENGINE_METHOD_CALL = re.compile(r"\.\s*(?:connect|raw_connection|begin)\s*\(")


def refine_candidates(raw: bytes, project: "Project", relative) -> bool:
    """For ``ProjectTokens(..., refine=refine_candidates)``: see :func:`may_create`."""
    return may_create(project, raw)


def may_connect(project: "Project", raw: bytes) -> bool:
    """Whether a file may take a connection from an engine: it may call ``x.connect()``
    (see :func:`may_create`) and names something that can be an engine. Every engine the
    resolver knows is built by a factory whose name holds ``engine`` (``create_engine``,
    ``engine_from_config``, Flask-SQLAlchemy's ``db.engine``), so a file reaches one through
    that word or through a name the project binds to one (``from app.db import e``, a getter
    ``make()``). Sockets, sqlite3 and HTTP clients call ``.connect(`` too; without this,
    every such file was parsed (a third of the standard library's largest test modules)."""
    return may_create(project, raw) and _holds_engine_evidence(project, raw)


def _holds_engine_evidence(project: "Project", raw: bytes) -> bool:
    """``_engine_evidence``'s pattern searched in a file's bytes, its answer found sooner:
    the word ``engine`` is one of its alternatives (matched anywhere), and the others are
    whole words that must be in the bytes before the pattern is worth running (a pattern
    of alternatives, each behind ``\\b``, is tried at every position of a file: 0.5 ms
    for a large one, most of the prefilter's time on a file that calls ``.connect(``)."""
    if b"engine" in raw:
        return True
    pattern, _, words = _engine_evidence(project)
    return any(word in raw for word in words) and pattern.search(raw) is not None


def _engine_evidence(project: "Project") -> Tuple["re.Pattern[bytes]", "re.Pattern[str]", Tuple[bytes, ...]]:
    """The word ``engine`` or a name the project binds to an engine: one pattern, for bytes
    (files) and for text (statements), as ``_patterns`` keeps its pair; and those names as
    bytes."""

    def compile_evidence(project: "Project") -> Tuple["re.Pattern[bytes]", "re.Pattern[str]", Tuple[bytes, ...]]:
        words = sorted(project_names(project).engine_words)
        source = "|".join(["engine"] + [r"\b" + re.escape(word) + r"\b" for word in words])
        return re.compile(source.encode("utf-8")), re.compile(source), tuple(word.encode("utf-8") for word in words)

    return project.fact("lifecycle-engine-evidence", compile_evidence)


def refine_connections(raw: bytes, project: "Project", relative) -> bool:
    """For PC404's ``ProjectTokens``: see :func:`may_connect`."""
    return may_connect(project, raw)


def session_project_tokens(project: "Project") -> Tuple[bytes, ...]:
    """For ``ProjectTokens``: names whose call may create a session."""
    return project_names(project).tokens("factories", locals_too=False)


def registry_project_tokens(project: "Project") -> Tuple[bytes, ...]:
    """For ``ProjectTokens``: names that may hold a ``scoped_session`` registry."""
    return project_names(project).tokens("registries", locals_too=False)


def engine_project_tokens(project: "Project") -> Tuple[bytes, ...]:
    """For ``ProjectTokens``: names that may hold an engine."""
    return project_names(project).tokens("engines", locals_too=False)


def _scan(project: "Project") -> ProjectNames:
    """Files that build a factory, registry or engine (their bytes hold a maker's name) are
    read first; then, round by round, the files mentioning a name found so far (a getter
    returning ``SessionLocal()`` in another module), until nothing new turns up."""
    bound: List[tuple] = []  # (names bound, the value or base expression, "assign" | "return" | "class" | "local")
    # `from sqlalchemy.orm import sessionmaker as make_factory`: the alias calls the same
    # maker. Kept project-wide (an over-approximation, as the rest of the scan).
    aliases: Dict[str, str] = {}
    scanned = set()
    kinds = dict(_SEED)
    pending = [p for p in project.python_files_containing(_SCAN_TOKENS) if _file_worth_scanning(project, p)]
    for _ in range(_MAX_ROUNDS):
        # Parsed and summarized by other processes where it pays (a large tree, no cache).
        prefetched = project.prefetch_summaries(_BINDINGS_KIND, _summarize, pending)
        for path in pending:
            scanned.add(path)
            _collect_file(project, path, bound, aliases, prefetched)
        # Only session factories and registries lead to more files (a getter in another
        # module returning `SessionLocal()`); engine names are too common a word to follow.
        # A common word (`session`, `factory`) would pull in half the project: not followed.
        new = {name for name in _resolve_kinds(bound, kinds, aliases) if kinds[name] != "engines" and name.lower() not in _COMMON}
        if not new:
            break
        # Read only files that return or assign one of them (a getter, an alias).
        uses = re.compile(rb"(?:return|=)\s*(?:await\s+)?[\w.]*\b(?:" + b"|".join(re.escape(n.encode("utf-8")) for n in sorted(new)) + rb")\b")
        pending = [
            p for p in project.python_files_containing(tuple(n.encode("utf-8") for n in sorted(new)))
            if p not in scanned and uses.search(project.read_bytes(p) or b"")
        ]
        if not pending:
            break
    found = {"factories": set(), "registries": set(), "engines": set()}
    for name, kind in kinds.items():
        if name not in _SEED and len(name) > 1:
            found[kind].add(name)
    # A name is local only when every binding of it the scan saw is a function's local
    # (nothing reads it from another module or statement by that name).
    local = set()
    elsewhere = set()
    for names, _, how in bound:
        (local if how == "local" else elsewhere).update(names)
    # Engines without the filters that keep prefilter tokens few: any getter name, any length.
    engine_kinds = dict(kinds)
    _resolve_kinds(bound, engine_kinds, aliases, any_getter=True)
    engine_words = frozenset(name for name, kind in engine_kinds.items() if kind == "engines" and name not in _SEED)
    return ProjectNames(
        frozenset(found["factories"]), frozenset(found["registries"]), frozenset(found["engines"]), frozenset(local - elsewhere),
        engine_words,
    )


# The scan's answer kept across runs (Project.fact's persist): one edited file does not make
# a one-file run resolve every summary again. Rename the fact's key when the form changes.
_NAME_FIELDS = ("factories", "registries", "engines", "local_only", "engine_words")


def _names_to_json(names: ProjectNames) -> Dict[str, List[str]]:
    return {field: sorted(getattr(names, field)) for field in _NAME_FIELDS}


def _names_from_json(data: Dict[str, List[str]]) -> ProjectNames:
    return ProjectNames(**{field: frozenset(str(name) for name in data[field]) for field in _NAME_FIELDS})


_PERSISTED = Persisted(_names_to_json, _names_from_json)


def _worth_scanning(data: Optional[bytes]) -> bool:
    if not data:
        return False
    if any(token in data for token in _MAKER_TOKENS):
        return True
    return b"Session" in data and (b"Session(" in data or b"partial" in data)


# --- the scan's view of one file, kept per content in the cache (Project.summary) -------------
# What `_collect` and `_collect_aliases` found in a file, as JSON: each binding as [its names,
# how, the value's skeleton], the skeleton keeping of the value what `_kind_of` looks at (the
# head names of an await, a name, an attribute, a call, its callee and first argument). An
# unchanged file is then neither read nor parsed. Rename the kinds when the form changes.
_WORTH_KIND = "lifecycle-scan-worth-1"
_BINDINGS_KIND = "lifecycle-scan-bindings-1"


def _file_worth_scanning(project: "Project", path) -> bool:
    return bool(project.summary(_WORTH_KIND, path, _worth_scanning))


def _collect_file(project: "Project", path, bound: List[tuple], aliases: Dict[str, str], prefetched: bool = False) -> None:
    """``_collect`` and ``_collect_aliases`` of one file, through its summary when the
    project has a summary store or other processes made the summaries (``prefetched``):
    the same answer, from a skeleton of each value."""
    if project.summary_store is None and not prefetched:
        data = project.read_bytes(path)
        tree = _parse(data)
        if tree is not None:
            # `global` declarations are rare: without the word, no function is walked for them.
            _collect(tree.body, None, bound, may_declare_globals=b"global" in data)
            _collect_aliases(tree.body, aliases)
        return
    summary = project.summary(_BINDINGS_KIND, path, _summarize)
    if summary is None:
        return
    for names, how, skeleton in summary[0]:
        bound.append((set(names), _from_skeleton(skeleton), how))
    for alias, name in summary[1]:
        aliases[alias] = name


def _summarize(data: Optional[bytes]):
    """[bindings, aliases] of a file's bytes, as JSON; None when it does not parse."""
    tree = _parse(data)
    if tree is None:
        return None
    bound: List[tuple] = []
    _collect(tree.body, None, bound, may_declare_globals=b"global" in data)
    pairs: List[Tuple[str, str]] = []
    _collect_aliases(tree.body, _OrderedPairs(pairs))
    return [[[sorted(names), how, _skeleton(value)] for names, value, how in bound], [list(pair) for pair in pairs]]


class _OrderedPairs(dict):
    """Records every ``aliases[alias] = name`` in order (a later import of the same alias
    wins on replay, as it does in the dict)."""

    def __init__(self, pairs: List[Tuple[str, str]]) -> None:
        super().__init__()
        self._pairs = pairs

    def __setitem__(self, key, value) -> None:
        super().__setitem__(key, value)
        self._pairs.append((key, value))


def _skeleton(node):
    import ast

    if isinstance(node, ast.Name):
        return ["N", node.id]
    if isinstance(node, ast.Attribute):
        return ["A", node.attr]
    if isinstance(node, ast.Await):
        return ["W", _skeleton(node.value)]
    if isinstance(node, ast.Call):
        return ["C", _skeleton(node.func), [_skeleton(node.args[0])] if node.args else []]
    return ["X"]


def _from_skeleton(skeleton):
    """Nodes ``_kind_of`` reads as it would the parsed ones (only read: leaves are shared)."""
    import ast

    tag = skeleton[0]
    if tag == "X":
        return _shared_leaf(tag, None)
    if tag == "N" or tag == "A":
        return _shared_leaf(tag, skeleton[1])
    if tag == "W":
        return ast.Await(value=_from_skeleton(skeleton[1]))
    if tag == "C":
        return ast.Call(func=_from_skeleton(skeleton[1]), args=[_from_skeleton(a) for a in skeleton[2]], keywords=[])
    return _shared_leaf("X", None)


_LEAVES: Dict[tuple, object] = {}


def _shared_leaf(tag: str, name):
    leaf = _LEAVES.get((tag, name))
    if leaf is None:
        import ast

        if tag == "N":
            leaf = ast.Name(id=name)
        elif tag == "A":
            leaf = ast.Attribute(value=ast.Name(id="_"), attr=name)
        else:
            leaf = ast.Constant(value=None)
        _LEAVES[(tag, name)] = leaf
    return leaf


def _parse(data: Optional[bytes]):
    from ..pyast import python_ast

    return python_ast(data)


def _collect(body, function: Optional[str], bound: List[tuple], globals_: FrozenSet[str] = frozenset(), may_declare_globals: bool = True) -> None:
    """Assignments, ``return``s (with their function's name) and class bases, through nested
    blocks, functions and classes; statements only (a cheap walk: expressions are not
    visited)."""
    import ast

    for node in body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            if node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names = {n for t in targets for n in _bound_names(t)}
                if names:
                    # A plain name assigned in a function is its local (unless declared
                    # global there); attributes (`self.Session = ...`) are read elsewhere.
                    local = {
                        n for t in targets for n in _local_names(t) if function is not None and n not in globals_
                    }
                    if local:
                        bound.append((local, node.value, "local"))
                    if names - local:
                        bound.append((names - local, node.value, "assign"))
        elif isinstance(node, ast.Return):
            if function is not None and node.value is not None:
                bound.append(({function}, node.value, "return"))
        elif isinstance(node, ast.ClassDef):
            for base in node.bases:
                bound.append(({node.name}, base, "class"))
            _collect(node.body, None, bound, may_declare_globals=may_declare_globals)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            declared = _declared_global(node) if may_declare_globals else frozenset()
            _collect(node.body, node.name, bound, declared, may_declare_globals)
        else:
            for field in ("body", "orelse", "finalbody"):
                inner = getattr(node, field, None)
                if isinstance(inner, list):
                    _collect(inner, function, bound, globals_, may_declare_globals)
            for handler in getattr(node, "handlers", ()) or ():
                _collect(handler.body, function, bound, globals_, may_declare_globals)
            for case in getattr(node, "cases", ()) or ():
                _collect(case.body, function, bound, globals_, may_declare_globals)


def _declared_global(function) -> FrozenSet[str]:
    """Names a function declares ``global`` (anywhere in it, nested functions included:
    a superset, so such a name is never taken for a local)."""
    import ast

    # Statements only: a `global` is a statement, and statements nest only in statement
    # lists (expressions hold none), so this finds what `ast.walk` would, a tenth as slowly
    # (the standard library says `global` in most large modules, so the walks happen).
    names = set()
    stack = [function]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Global):
            names.update(node.names)
            continue
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            inner = getattr(node, field, None)
            if isinstance(inner, list):
                stack.extend(inner)
    return frozenset(names)


def _local_names(target) -> set:
    import ast

    if isinstance(target, ast.Name):
        return {target.id}
    if isinstance(target, (ast.Tuple, ast.List)):
        return {n for element in target.elts for n in _local_names(element)}
    return set()


def _collect_aliases(body, aliases: Dict[str, str]) -> None:
    """Imports of SQLAlchemy's makers and session classes under another name, at any depth
    of statements (an import inside a function counts too)."""
    import ast

    wanted = set(_SEED) | _SESSION_CLASSES | {"partial"}
    for node in body:
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.asname and alias.name in wanted and alias.asname != alias.name:
                    aliases[alias.asname] = alias.name
        elif not isinstance(node, (ast.Import, ast.expr)):
            for field in ("body", "orelse", "finalbody"):
                inner = getattr(node, field, None)
                if isinstance(inner, list):
                    _collect_aliases(inner, aliases)
            for handler in getattr(node, "handlers", ()) or ():
                _collect_aliases(handler.body, aliases)


def _resolve_kinds(bound: List[tuple], kinds: Dict[str, str], aliases: Optional[Dict[str, str]] = None, any_getter: bool = False) -> set:
    """Give names their kind until nothing changes; the names newly given one. Getters count
    only when their name says what they give, unless ``any_getter``."""
    new = set()
    aliases = aliases or {}
    for _ in range(_MAX_ROUNDS):
        added = False
        for names, value, how in bound:
            kind = _kind_of(value, kinds, how, aliases)
            if kind is None:
                continue
            if how == "return" and not any_getter and not _SUGGESTIVE.search(next(iter(names))):
                continue  # a getter named `get` or `run` would make every `x.get()` a candidate
            for name in names:
                if name not in kinds:
                    kinds[name] = kind
                    new.add(name)
                    added = True
        if not added:
            break
    return new


def _kind_of(value, kinds, how: str, aliases: Optional[Dict[str, str]] = None):
    """What a value made this way may be: an alias of a known name, a call of a known maker,
    ``partial(Session, ...)``; a getter returning a session counts as a factory."""
    import ast

    aliases = aliases or {}

    def _head(node) -> str:
        name = _plain_head(node)
        return aliases.get(name, name)

    is_getter = how == "return"
    if how == "class":
        head = _head(value)
        return "factories" if head in _SESSION_CLASSES or (kinds.get(head) == "factories" and head not in _SEED) else None
    if isinstance(value, ast.Await):
        value = value.value
    if isinstance(value, (ast.Name, ast.Attribute)):
        return kinds.get(_head(value))
    if not isinstance(value, ast.Call):
        return None
    head = _head(value.func)
    if head == "partial" and value.args:
        inner = _head(value.args[0])
        return "factories" if inner in _SESSION_CLASSES or kinds.get(inner) == "factories" else None
    if isinstance(value.func, ast.Call):  # sessionmaker(...)(), SessionLocal.configure(...)?
        head = _head(value.func.func)
        makes_session = head in ("sessionmaker", "async_sessionmaker") or kinds.get(head) == "factories"
        return "factories" if is_getter and makes_session else None
    if head in _SESSION_CLASSES or (kinds.get(head) == "factories" and head not in _SEED):
        # A session instance: its name is no factory, but a getter returning one is.
        return "factories" if is_getter else None
    if head in _SEED:
        return _SEED[head]
    # A project name of the engine kind that is called is a getter (`get_engine()`).
    return "engines" if kinds.get(head) == "engines" and _SUGGESTIVE.search(head) else None


def _plain_head(node) -> str:
    import ast

    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _bound_names(target) -> set:
    import ast

    if isinstance(target, ast.Name):
        return {target.id}
    if isinstance(target, ast.Attribute):
        return {target.attr}  # self.Session = ..., Config.engine = ...
    if isinstance(target, (ast.Tuple, ast.List)):
        return {n for element in target.elts for n in _bound_names(element)}
    return set()
