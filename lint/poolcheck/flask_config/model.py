"""The plain data of a project's Flask configuration: entries, the units holding them, and
the calls that load them.

An *entry* is one config key written in one place (``SQLALCHEMY_POOL_SIZE = 10`` in a
class body, ``app.config["X"] = v``, ``FLASK_X=1`` in a ``.env``). A *unit* is what Flask
loads as a whole: a config class, a settings module, the ``app.config`` writes of one
function, a ``.env`` file, a JSON/TOML file. Classes are alternatives to one another (an
app loads one of them); every other unit is a layer on top of whatever else was loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from ..findings import Span

if TYPE_CHECKING:  # pragma: no cover
    import libcst as cst

    from ..syntax import ParsedFile, ScopeNode
    from ..values import Value

# How an entry is written (what a fix has to rewrite).
ATTRIBUTE = "attribute"  # KEY = value, in a class body or at a settings module's top level
SUBSCRIPT = "subscript"  # app.config["KEY"] = value
KEYWORD = "keyword"  # app.config.update(KEY=value), from_mapping(KEY=value)
DICT_KEY = "dict-key"  # app.config.update({"KEY": value}) (the dict may be defined elsewhere)
SETDEFAULT = "setdefault"  # app.config.setdefault("KEY", value)
DOTENV = "dotenv"  # FLASK_KEY=value in a .env file read by from_prefixed_env
DATA_FILE = "data-file"  # "KEY": value in a JSON / TOML file read by from_file

# Unit kinds.
CLASS = "class"
MODULE = "module"
APP = "app"
ENV_FILE = "env-file"
LOADED_FILE = "loaded-file"


@dataclass(eq=False)
class ConfigEntry:
    """One Flask configuration key as the project sets it, and where."""
    key: str  # the key Flask ends up with: SQLALCHEMY_POOL_SIZE
    # The value, or a function computing it on first use (most entries' values are never
    # needed, and evaluating one may parse the modules it imports from).
    value_or_thunk: Any
    form: str
    path: PurePosixPath  # the file it is written in, relative to the project root
    written_key: str = ""  # as written, when it differs (FLASK_SQLALCHEMY_POOL_SIZE)
    # Nested keys below ``key``: FLASK_SQLALCHEMY_ENGINE_OPTIONS__pool_size -> ("pool_size",)
    nested: Tuple[str, ...] = ()
    unit: Optional["ConfigUnit"] = field(default=None, repr=False)
    # Python: the parse holding the nodes, the key's node, the value's, and the statement,
    # argument or dict element that writes it.
    file: Optional["ParsedFile"] = field(default=None, repr=False)
    key_node: Optional["cst.CSTNode"] = field(default=None, repr=False)
    value_node: Optional["cst.CSTNode"] = field(default=None, repr=False)
    statement: Optional["cst.CSTNode"] = field(default=None, repr=False)
    scopes: Tuple["ScopeNode", ...] = field(default=(), repr=False)
    receiver: str = ""  # SUBSCRIPT/KEYWORD/...: the config object as written ("app.config")
    # Non-Python: where the key is written.
    span: Optional[Span] = None

    @property
    def value(self) -> Value:
        if callable(self.value_or_thunk):
            self.value_or_thunk = self.value_or_thunk()
        return self.value_or_thunk

    @property
    def key_span(self) -> Span:
        if self.span is not None:
            return self.span
        assert self.file is not None and self.key_node is not None
        return self.file.span(self.key_node)


@dataclass(eq=False)
class LoadCall:
    """A call that loads configuration: ``from_object``, ``from_pyfile``, ``from_envvar``,
    ``from_file``, ``from_prefixed_env``."""

    method: str
    file: "ParsedFile" = field(repr=False)
    node: "cst.Call" = field(repr=False)
    scopes: Tuple["ScopeNode", ...] = field(default=(), repr=False)
    # What it loads: units (known), or why it cannot be known.
    loads: List["ConfigUnit"] = field(default_factory=list, repr=False)
    unknown: Optional[str] = None
    prefix: Optional[str] = None  # from_prefixed_env

    def describe(self) -> str:
        return f"`{self.file.code(self.node.func).strip()}(...)` ({self.file.relative}:{self.file.span(self.node).start.line})"


@dataclass(eq=False)
class ConfigUnit:
    """A place that sets Flask configuration (a config class, a factory function, a .env file)."""
    kind: str
    name: str  # for messages: "class ProductionConfig", "create_app()", ".env"
    path: PurePosixPath
    file: Optional["ParsedFile"] = field(default=None, repr=False)
    node: Optional["cst.CSTNode"] = field(default=None, repr=False)  # ClassDef / Module / FunctionDef
    entries: List[ConfigEntry] = field(default_factory=list)
    # False when something in it cannot be known (an update(**unknown)).
    complete: bool = True
    # CLASS: the units of its bases in order, and whether every base is known.
    bases: List["ConfigUnit"] = field(default_factory=list, repr=False)
    bases_known: bool = True
    # ENV_FILE / LOADED_FILE: the call that reads it (where its engine sites are reported).
    loader: Optional[LoadCall] = field(default=None, repr=False)

    def own(self, key: str) -> Optional[ConfigEntry]:
        found = None
        for entry in self.entries:
            if entry.key == key and not entry.nested:
                found = entry  # the last write wins
        return found

    def lookup(self, key: str) -> Tuple[Optional[ConfigEntry], bool]:
        """The entry for ``key`` this unit gives Flask (a class inherits its bases'), and
        whether the answer is certain (an unknown base could define the key)."""
        seen: set = set()

        def walk(unit: "ConfigUnit") -> Tuple[Optional[ConfigEntry], bool]:
            if id(unit) in seen:
                return None, True
            seen.add(id(unit))
            entry = unit.own(key)
            if entry is not None:
                return entry, True
            certain = unit.complete
            for base in unit.bases:
                found, base_certain = walk(base)
                if found is not None:
                    return found, certain and base_certain
                certain = certain and base_certain
            return None, certain and unit.bases_known

        return walk(self)

    def nested_entries(self, key: str) -> List[ConfigEntry]:
        """``FLASK_KEY__sub=value`` entries below ``key`` (from_prefixed_env nesting)."""
        return [entry for entry in self.entries if entry.key == key and entry.nested]


@dataclass(eq=False)
class Construction:
    """``SQLAlchemy(app, engine_options={...})`` (or a project subclass of it)."""

    file: "ParsedFile" = field(repr=False)
    node: "cst.Call" = field(repr=False)
    scopes: Tuple["ScopeNode", ...] = field(default=(), repr=False)
    engine_options: Value = field(default_factory=lambda: _not_given())  # Known(None): not given
    options_node: Optional["cst.CSTNode"] = field(default=None, repr=False)


@dataclass(eq=False)
class FlaskConfig:
    """Everything the project tells Flask, found statically."""

    uses_flask_sqlalchemy: bool = False
    units: List[ConfigUnit] = field(default_factory=list)
    loaders: List[LoadCall] = field(default_factory=list)
    constructions: List[Construction] = field(default_factory=list)
    # Engine hooks subclasses of SQLAlchemy override: (hook, "`DB` (db.py:3) overrides ...").
    overrides: List[Tuple[str, str]] = field(default_factory=list)
    prefixes: Tuple[str, ...] = ()  # from_prefixed_env prefixes in use
    _by_path: Optional[Dict[PurePosixPath, List[ConfigEntry]]] = field(default=None, repr=False)

    def customised(self, hooks) -> Optional[str]:
        """Why the engine options cannot be known from the configuration: a subclass of
        SQLAlchemy overriding one of ``hooks`` (those the release in use calls), or None."""
        return next((why for hook, why in self.overrides if hook in hooks), None)

    @property
    def unknown_sources(self) -> List[LoadCall]:
        return [loader for loader in self.loaders if loader.unknown is not None]

    def entries(self) -> List[ConfigEntry]:
        return [entry for unit in self.units for entry in unit.entries]

    def entries_in(self, path: PurePosixPath) -> List[ConfigEntry]:
        """The entries written in one file, each once (a dict shared by two units too)."""
        if self._by_path is None:
            by_path: Dict[PurePosixPath, List[ConfigEntry]] = {}
            seen: set = set()
            for entry in self.entries():
                identity = id(entry.key_node) if entry.key_node is not None else id(entry)
                if identity in seen:
                    continue
                seen.add(identity)
                by_path.setdefault(entry.path, []).append(entry)
            self._by_path = by_path
        return self._by_path.get(PurePosixPath(path), [])

    def writers_of(self, key: str) -> List[ConfigEntry]:
        return [entry for entry in self.entries() if entry.key == key and not entry.nested]


def _not_given() -> "Value":
    # values imports libcst: a project without Flask-SQLAlchemy builds only a FlaskConfig
    # saying so, and must not pay for it (see .fact).
    from ..values import Known

    return Known(None)
