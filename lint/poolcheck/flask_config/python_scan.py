"""What one Python file tells Flask: config writes, config classes, loading calls, and
Flask-SQLAlchemy constructions. One traversal per file; resolving what the loading calls
load is collect.py's job, since it needs the whole project.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import libcst as cst

from ..syntax import ParsedFile, ScopeNode
from ..values import ClassRef, DictValue, Evaluator, ImportedName, Known, Unknown, Value, Where
from .model import DICT_KEY, KEYWORD, SETDEFAULT, SUBSCRIPT, ATTRIBUTE, ConfigEntry, Construction, LoadCall

FLASK_SQLALCHEMY_CLASSES = ("flask_sqlalchemy.SQLAlchemy", "flask_sqlalchemy.extension.SQLAlchemy")
# Methods through which a subclass of SQLAlchemy may change how engines are made (in some
# release: which ones a release calls is the Behaviour's engine_hooks).
ENGINE_HOOKS = frozenset(
    {
        "apply_driver_hacks",
        "apply_pool_defaults",
        "_apply_driver_defaults",
        "create_engine",
        "_make_engine",
        "get_engine",
        "get_options",
        "init_app",
    }
)
LOAD_METHODS = frozenset({"from_object", "from_pyfile", "from_envvar", "from_file", "from_prefixed_env"})
WRITE_METHODS = frozenset({"update", "from_mapping", "setdefault"})


@dataclass
class ClassFound:
    """A configuration class found in a file, and its entries."""
    file: ParsedFile
    node: cst.ClassDef
    entries: List[ConfigEntry]


@dataclass
class FileScan:
    """The Flask configuration a Python file sets: in classes, at module level, through ``app.config``."""
    file: ParsedFile
    classes: List[ClassFound] = field(default_factory=list)
    module_entries: List[ConfigEntry] = field(default_factory=list)
    # app.config writes, by the scope (function or module) they are made in
    app_entries: Dict[int, Tuple[ScopeNode, List[ConfigEntry]]] = field(default_factory=dict)
    incomplete_scopes: Dict[int, str] = field(default_factory=dict)
    loaders: List[LoadCall] = field(default_factory=list)
    constructions: List[Construction] = field(default_factory=list)
    # (hook, where) for each engine hook a subclass of SQLAlchemy overrides
    overrides: List[Tuple[str, str]] = field(default_factory=list)


def config_receiver(node: cst.BaseExpression) -> Optional[cst.Attribute]:
    """``app.config`` / ``self.app.config`` / ``current_app.config``: an attribute named config."""
    if (
        isinstance(node, cst.Attribute)
        and node.attr.value == "config"
        and isinstance(node.value, (cst.Name, cst.Attribute, cst.Call))
    ):
        return node
    return None


def _is_key(name: str) -> bool:
    return name.isupper()


def class_entries(
    file: ParsedFile, node: cst.ClassDef, scopes: Tuple[ScopeNode, ...], evaluator: Evaluator
) -> List[ConfigEntry]:
    """UPPERCASE attributes assigned in a class body (what ``from_object`` copies)."""
    where = Where(file, scopes + (node,))
    body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
    return _assignments(file, body, where, evaluator, scopes + (node,))


def module_entries(file: ParsedFile, evaluator: Evaluator) -> List[ConfigEntry]:
    """UPPERCASE names assigned at a module's top level, in ``if``/``try`` blocks too."""
    where = Where.module_level(file)
    statements: List[cst.CSTNode] = []

    def take(body: Sequence[cst.CSTNode]) -> None:
        for statement in body:
            statements.append(statement)
            if isinstance(statement, cst.If):
                take(_block(statement.body))
                orelse = statement.orelse
                while orelse is not None:
                    take(_block(orelse.body))
                    orelse = orelse.orelse if isinstance(orelse, cst.If) else None
            elif isinstance(statement, cst.Try):
                take(_block(statement.body))
                for handler in statement.handlers:
                    take(_block(handler.body))
                if statement.orelse is not None:
                    take(_block(statement.orelse.body))

    take(file.module.body)
    return _assignments(file, statements, where, evaluator, (file.module,))


def _later(evaluator: Evaluator, node, where: Where):
    return lambda: evaluator.evaluate(node, where)


def _block(block: cst.BaseSuite) -> Sequence[cst.CSTNode]:
    return block.body if isinstance(block, cst.IndentedBlock) else ()


def _assignments(file: ParsedFile, statements, where: Where, evaluator: Evaluator, scopes) -> List[ConfigEntry]:
    entries: List[ConfigEntry] = []
    for statement in statements:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            target = value = None
            if isinstance(small, cst.Assign) and len(small.targets) == 1:
                target, value = small.targets[0].target, small.value
            elif isinstance(small, cst.AnnAssign) and small.value is not None:
                target, value = small.target, small.value
            if isinstance(target, cst.Name) and _is_key(target.value):
                entries.append(
                    ConfigEntry(
                        key=target.value,
                        value_or_thunk=_later(evaluator, value, where),
                        form=ATTRIBUTE,
                        path=file.relative,
                        file=file,
                        key_node=target,
                        value_node=value,
                        statement=statement,
                        scopes=tuple(scopes),
                    )
                )
    return entries


class _Scanner:
    """Walks statements only (never into expressions: libcst's visitor over every node costs
    more than the parse). Config is written by statements: ``app.config[...] = ...``,
    ``app.config.update(...)``, ``db = SQLAlchemy(...)``, class bodies."""

    def __init__(self, file: ParsedFile, evaluator: Evaluator, subclass_names=frozenset()) -> None:
        self.file = file
        self.evaluator = evaluator
        self.subclass_names = subclass_names
        self.aliases = extension_aliases(file)
        self.scopes: List[ScopeNode] = [file.module]
        self.scan = FileScan(file)

    def walk(self, statements: Sequence[cst.CSTNode]) -> None:
        for statement in statements:
            if isinstance(statement, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
                self.visit_SimpleStatementLine(statement)
            elif isinstance(statement, cst.ClassDef):
                self.visit_ClassDef(statement)
                self.walk(_block(statement.body))
                self.scopes.pop()
            elif isinstance(statement, cst.FunctionDef):
                self.scopes.append(statement)
                self.walk(
                    [statement.body] if isinstance(statement.body, cst.SimpleStatementSuite) else _block(statement.body)
                )
                self.scopes.pop()
            else:
                for block in _blocks_of(statement):
                    self.walk([block] if isinstance(block, cst.SimpleStatementSuite) else _block(block))

    # scopes --------------------------------------------------------------------------------
    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        scopes = tuple(self.scopes)
        entries = class_entries(self.file, node, scopes, self.evaluator)
        if entries:
            self.scan.classes.append(ClassFound(self.file, node, entries))
        if _mentions_extension(self.file, node, self.aliases | self.subclass_names) and self._derives_from_sqlalchemy(
            node, Where(self.file, scopes)
        ):
            hooks = sorted(
                statement.name.value
                for statement in (node.body.body if isinstance(node.body, cst.IndentedBlock) else ())
                if isinstance(statement, cst.FunctionDef) and statement.name.value in ENGINE_HOOKS
            )
            line = self.file.span(node).start.line
            for hook in hooks:
                self.scan.overrides.append(
                    (
                        hook,
                        f"`{node.name.value}` ({self.file.relative}:{line}) overrides `{hook}` of Flask-SQLAlchemy's SQLAlchemy",
                    )
                )
        self.scopes.append(node)

    @property
    def where(self) -> Where:
        return Where(self.file, tuple(self.scopes))

    # app.config["KEY"] = value ----------------------------------------------------------------
    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        for small in node.body:
            value = getattr(small, "value", None)  # Expr, Assign, AnnAssign, Return
            if isinstance(value, cst.Call):
                self.visit_Call(value)
            elif isinstance(value, cst.Await) and isinstance(value.expression, cst.Call):
                self.visit_Call(value.expression)
            if not isinstance(small, cst.Assign):
                continue
            for target in small.targets:
                subscript = target.target
                if not isinstance(subscript, cst.Subscript) or config_receiver(subscript.value) is None:
                    continue
                if len(subscript.slice) != 1 or not isinstance(subscript.slice[0].slice, cst.Index):
                    continue
                key_node = subscript.slice[0].slice.value
                key = self.evaluator.evaluate(key_node, self.where)
                if not (isinstance(key, Known) and isinstance(key.value, str)):
                    self._incomplete("a config key that is not statically known")
                    continue
                self._app_entry(
                    ConfigEntry(
                        key=key.value,
                        value_or_thunk=_later(self.evaluator, small.value, self.where),
                        form=SUBSCRIPT,
                        path=self.file.relative,
                        file=self.file,
                        key_node=key_node,
                        value_node=small.value,
                        statement=node,
                        scopes=tuple(self.scopes),
                        receiver=self.file.code(subscript.value),
                    )
                )

    # calls (at statement level: app.config.update(...), db = SQLAlchemy(...)) -------------
    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and config_receiver(func.value) is not None:
            method = func.attr.value
            receiver = self.file.code(func.value)
            if method in LOAD_METHODS:
                self.scan.loaders.append(LoadCall(method, self.file, node, tuple(self.scopes)))
            elif method in WRITE_METHODS:
                self._write_call(node, method, receiver)
            return
        name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
        if not name or ("SQLA" not in name and name not in self.subclass_names and name not in self.aliases):
            return  # not a name the extension class (or a subclass, or an alias) has
        qualified = self.evaluator.qualified_name(func, self.where)
        if qualified in FLASK_SQLALCHEMY_CLASSES or self._constructs_subclass(func):
            self._construction(node)

    def _write_call(self, node: cst.Call, method: str, receiver: str) -> None:
        where = self.where
        positional = [arg for arg in node.args if arg.keyword is None and not arg.star]
        if method == "setdefault":
            if len(positional) < 1:
                return
            key = self.evaluator.evaluate(positional[0].value, where)
            value_node = positional[1].value if len(positional) > 1 else None
            if isinstance(key, Known) and isinstance(key.value, str):
                self._app_entry(
                    ConfigEntry(
                        key=key.value,
                        value_or_thunk=(
                            _later(self.evaluator, value_node, where) if value_node is not None else Known(None)
                        ),
                        form=SETDEFAULT,
                        path=self.file.relative,
                        file=self.file,
                        key_node=positional[0].value,
                        value_node=value_node,
                        statement=node,
                        scopes=tuple(self.scopes),
                        receiver=receiver,
                    )
                )
            return
        only_upper = method == "from_mapping"  # Flask keeps only UPPERCASE keys there
        if any(arg.star == "*" for arg in node.args) or len(positional) > 1:
            self._incomplete(f"`{receiver}.{method}(...)` with arguments that are not statically known")
        if positional:
            mapping = self.evaluator.evaluate(positional[0].value, where)
            if isinstance(mapping, Known) and isinstance(mapping.value, DictValue):
                if not mapping.value.complete:
                    self._incomplete(f"`{receiver}.{method}(...)` of a mapping that is not entirely known")
                for entry in mapping.value.entries:
                    if (
                        isinstance(entry.key, str)
                        and (not only_upper or _is_key(entry.key))
                        and entry.key_node is not None
                    ):
                        self._mapping_entry(
                            entry, KEYWORD if isinstance(entry.key_node, cst.Name) else DICT_KEY, node, receiver
                        )
            else:
                self._incomplete(f"`{receiver}.{method}(...)` of a mapping that is not statically known")
        keywords = self.evaluator.call_keywords(node, where)
        if not keywords.complete:
            self._incomplete(f"`{receiver}.{method}(**...)` that is not statically known")
        for entry in keywords.entries:
            if isinstance(entry.key, str) and (not only_upper or _is_key(entry.key)):
                self._mapping_entry(
                    entry, KEYWORD if isinstance(entry.key_node, cst.Name) else DICT_KEY, node, receiver
                )

    def _mapping_entry(self, entry, form: str, call: cst.Call, receiver: str) -> None:
        file = entry.file or self.file
        self._app_entry(
            ConfigEntry(
                key=entry.key,
                value_or_thunk=entry.value,
                form=form,
                path=file.relative,
                file=file,
                key_node=entry.key_node,
                value_node=entry.value_node,
                statement=call,
                scopes=tuple(self.scopes),
                receiver=receiver,
            )
        )

    def _construction(self, node: cst.Call) -> None:
        options_node = next(
            (arg.value for arg in node.args if arg.keyword is not None and arg.keyword.value == "engine_options"), None
        )
        if options_node is not None:
            value: Value = self.evaluator.evaluate(options_node, self.where)
        elif any(arg.star for arg in node.args):
            value = Unknown("SQLAlchemy(**...) may pass engine_options")
        else:
            value = Known(None)
        self.scan.constructions.append(Construction(self.file, node, tuple(self.scopes), value, options_node))

    # helpers -------------------------------------------------------------------------------
    def _app_entry(self, entry: ConfigEntry) -> None:
        scope = self.scopes[-1]
        self.scan.app_entries.setdefault(id(scope), (scope, []))[1].append(entry)

    def _incomplete(self, why: str) -> None:
        self.scan.incomplete_scopes.setdefault(id(self.scopes[-1]), why)
        self.scan.app_entries.setdefault(id(self.scopes[-1]), (self.scopes[-1], []))

    def _constructs_subclass(self, func: cst.BaseExpression) -> bool:
        if not isinstance(func, (cst.Name, cst.Attribute)):
            return False
        value = self.evaluator.evaluate(func, self.where)
        return (
            isinstance(value, Known)
            and isinstance(value.value, ClassRef)
            and derives_from_sqlalchemy(value.value, self.evaluator)
        )

    def _derives_from_sqlalchemy(self, node: cst.ClassDef, where: Where) -> bool:
        return derives_from_sqlalchemy(ClassRef(self.file, node), self.evaluator, where)


def derives_from_sqlalchemy(cls: ClassRef, evaluator: Evaluator, where: Optional[Where] = None, depth: int = 0) -> bool:
    """Whether a project class subclasses Flask-SQLAlchemy's ``SQLAlchemy``."""
    if depth > 10:
        return False
    where = where or Where.module_level(cls.file)
    for base in cls.node.bases:
        if base.keyword is not None:
            continue
        value = evaluator.evaluate(base.value, where)
        if (
            isinstance(value, Known)
            and isinstance(value.value, ImportedName)
            and value.value.qualified in FLASK_SQLALCHEMY_CLASSES
        ):
            return True
        if isinstance(value, Known) and isinstance(value.value, ClassRef):
            if derives_from_sqlalchemy(value.value, evaluator, None, depth + 1):
                return True
    return False


def extension_aliases(file: ParsedFile) -> frozenset:
    """Names a module binds with ``from flask_sqlalchemy import ...`` (``SQLAlchemy as _Base``)."""
    return frozenset(
        name
        for name, bindings in file.module_scope.bindings.items()
        if any(b.kind == "from" and (b.module or "").startswith("flask_sqlalchemy") for b in bindings)
    )


def _mentions_extension(file: ParsedFile, node: cst.ClassDef, names) -> bool:
    """Whether a class's bases could be SQLAlchemy (checked before evaluating them, which may
    parse the modules they come from)."""
    for base in node.bases:
        code = file.code(base.value)
        if "SQLA" in code or code.split(".")[-1].strip() in names:
            return True
    return False


def class_names_on_sqlalchemy(file: ParsedFile) -> List[str]:
    """Names of classes whose bases mention SQLAlchemy (possible extension subclasses)."""
    aliases = extension_aliases(file)
    return [
        node.name.value
        for node in file.module.body
        if isinstance(node, cst.ClassDef) and _mentions_extension(file, node, aliases)
    ]


def _blocks_of(statement: cst.CSTNode) -> List[cst.BaseSuite]:
    """The blocks of a compound statement other than a def or a class (if/elif/else, for,
    while, try/except/else/finally, with, match)."""
    blocks: List[cst.BaseSuite] = []
    body = getattr(statement, "body", None)
    if isinstance(body, cst.BaseSuite):
        blocks.append(body)
    for handler in getattr(statement, "handlers", ()) or ():
        blocks.append(handler.body)
    for case in getattr(statement, "cases", ()) or ():
        blocks.append(case.body)
    orelse = getattr(statement, "orelse", None)
    while orelse is not None:
        if isinstance(orelse, cst.If):
            blocks.append(orelse.body)
            orelse = orelse.orelse
        else:
            blocks.append(orelse.body)
            orelse = None
    final = getattr(statement, "finalbody", None)
    if final is not None:
        blocks.append(final.body)
    return blocks


def scan_file(file: ParsedFile, evaluator: Evaluator, subclass_names=frozenset()) -> FileScan:
    scanner = _Scanner(file, evaluator, subclass_names)
    scanner.walk(file.module.body)
    return scanner.scan
