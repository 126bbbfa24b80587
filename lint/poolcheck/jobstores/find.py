"""Finding SQLAlchemy job stores in one file: every way APScheduler lets a program make one.

Stores that are self-evident where they are written:

- ``SQLAlchemyJobStore(url=...)`` (or positional), APScheduler 4's ``SQLAlchemyDataStore(url)``;
- ``scheduler.add_jobstore("sqlalchemy", alias, url=..., engine_options=...)``.

Stores described by a mapping, which only a *consumer* turns into a store:

- ``jobstores={alias: {"type": "sqlalchemy", ...}}`` or ``{"class":
  "apscheduler.jobstores.sqlalchemy:SQLAlchemyJobStore", ...}`` given to a scheduler's
  constructor or ``configure()``;
- a ``gconfig`` mapping (the constructor's first argument, or ``configure(gconfig, prefix)``)
  with ``apscheduler.jobstores.<alias>`` keys, nested or flat
  (``apscheduler.jobstores.default.url``), under a custom ``prefix`` too;
- Flask-APScheduler's ``SCHEDULER_JOBSTORES`` configuration key.

A consumer and the mapping it reads may be in different files: :func:`consumers_in` lists a
file's consumers, :func:`stores_of` turns one into the stores it builds, wherever their
mappings are written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Tuple, Union

import libcst as cst

from ..walk import walk
from ..config_keys import config_assignments
from ..syntax import ParsedFile
from ..values import ClassRef, DictEntry, DictValue, Evaluator, ImportedName, Known, ScopedVisitor, Unknown, Value, Where
from .tokens import BUILT_IN_CONSUMER_TOKENS, CONSUMER_TOKENS, FLASK_KEY, STORE_TOKENS, STORE_WORDS  # noqa: F401 (re-exported)
from .model import (
    ADD_JOBSTORE,
    CALL,
    CLASS_REFERENCE,
    DATA_STORE,
    DATASTORE_CLASS,
    FLAT,
    JOBSTORE_CLASS,
    JOBSTORE_PARAMETERS,
    PLUGIN_NAME,
    SPEC,
    JobStoreSite,
)

DEFAULT_PREFIX = "apscheduler."
MAX_BASES = 10

# --- what a file contains ----------------------------------------------------------------------


@dataclass(frozen=True)
class Consumer:
    """Something that builds job stores from mappings: a scheduler constructor or
    ``configure()`` call, or a ``SCHEDULER_JOBSTORES`` assignment."""

    kind: str  # "scheduler" (a constructor), "configure", "call" (jobstores=/gconfig= keywords), "flask"
    node: cst.CSTNode  # the call, or the assigned value
    where: Where


@dataclass
class FileStores:
    """The job stores a file writes out itself, and its consumers of job store mappings."""
    stores: List[JobStoreSite]  # self-evident stores written in the file
    consumers: List[Consumer]


# Where else job store mappings are read from: (file, evaluator) -> consumers. Flask-APScheduler's
# SCHEDULER_JOBSTORES in the direct config forms is built in; a fuller Flask configuration model
# registers its own source (values it resolves, as Consumer("flask", value, where)).
ConsumerSource = Callable[[ParsedFile, Evaluator], List[Consumer]]
CONSUMER_SOURCES: List[ConsumerSource] = []


def store_words() -> Tuple[bytes, ...]:
    """What a project must say somewhere to define a job store (``tokens.STORE_WORDS``), with
    the tokens registered consumer sources add: they may read stores from anything."""
    extra = tuple(token for token in CONSUMER_TOKENS if token not in BUILT_IN_CONSUMER_TOKENS)
    return STORE_WORDS + tuple(token for token in extra if token not in STORE_WORDS)


def register_consumer_source(source: ConsumerSource, tokens: Tuple[bytes, ...] = ()) -> ConsumerSource:
    if source not in CONSUMER_SOURCES:
        CONSUMER_SOURCES.append(source)
    CONSUMER_TOKENS.extend(token for token in tokens if token not in CONSUMER_TOKENS)
    return source


@register_consumer_source
def flask_config_consumers(file: ParsedFile, evaluator: Evaluator) -> List[Consumer]:
    """``SCHEDULER_JOBSTORES`` assigned in a config class, a settings module, ``app.config``..."""
    return [Consumer("flask", assignment.value, assignment.where) for assignment in config_assignments(file, FLASK_KEY)]


def scan_file(file: ParsedFile, evaluator: Evaluator) -> FileStores:
    finder = _Finder(file, evaluator)
    walk(file.module, finder)
    for store in finder.stores:
        if store.alias is None:
            store.alias = finder.aliases.get(id(store.node))
    consumers = list(finder.consumers)
    for source in CONSUMER_SOURCES:
        consumers.extend(source(file, evaluator))
    return FileStores(finder.stores, _unique_consumers(consumers))


def _unique_consumers(consumers: List[Consumer]) -> List[Consumer]:
    seen = set()
    unique = []
    for consumer in consumers:
        if id(consumer.node) not in seen:
            seen.add(id(consumer.node))
            unique.append(consumer)
    return unique


class _Finder(ScopedVisitor):
    def __init__(self, file: ParsedFile, evaluator: Evaluator) -> None:
        super().__init__(file)
        self.evaluator = evaluator
        self.stores: List[JobStoreSite] = []
        self.consumers: List[Consumer] = []
        self.aliases: Dict[int, str] = {}  # id(store call) -> alias, where written next to it

    def visit_DictElement(self, node: cst.DictElement) -> None:
        # {"db": SQLAlchemyJobStore(...)}: remember the alias for the store's messages.
        if isinstance(node.value, cst.Call) and isinstance(node.key, cst.SimpleString):
            key = node.key.evaluated_value
            if isinstance(key, str):
                self.aliases[id(node.value)] = key

    def visit_Call(self, node: cst.Call) -> None:
        where = self.where
        qualified = self.evaluator.qualified_name(node.func, where)
        store_class = _store_class(qualified)
        if store_class == JOBSTORE_CLASS:
            self.stores.append(_jobstore_call(node, where, self.evaluator))
            return
        if store_class == DATASTORE_CLASS:
            store = _datastore_call(node, where, self.evaluator)
            if store is not None:
                self.stores.append(store)
            return
        method = node.func.attr.value if isinstance(node.func, cst.Attribute) else None
        if method == "add_jobstore":
            self._add_jobstore(node, where)
        elif method == "configure":
            self.consumers.append(Consumer("configure", node, where))
        elif _is_scheduler_class(self.evaluator, node.func, where, qualified):
            self.consumers.append(Consumer("scheduler", node, where))
        elif any(arg.keyword is not None and arg.keyword.value in ("jobstores", "gconfig") for arg in node.args):
            # A wrapper or a subclass the evaluator cannot see through: the keyword names
            # are APScheduler's, and only sqlalchemy store mappings come out of it.
            self.consumers.append(Consumer("call", node, where))

    def _add_jobstore(self, call: cst.Call, where: Where) -> None:
        """``add_jobstore(jobstore, alias="default", **jobstore_opts)``."""
        positional = [arg.value for arg in call.args if arg.keyword is None and not arg.star]
        jobstore = positional[0] if positional else _keyword(call, "jobstore")
        alias_node = positional[1] if len(positional) > 1 else _keyword(call, "alias")
        alias = _string(self.evaluator.evaluate(alias_node, where)) if alias_node is not None else "default"
        if isinstance(jobstore, cst.Call):
            if alias is not None:
                self.aliases[id(jobstore)] = alias
            return
        if jobstore is None or _string(self.evaluator.evaluate(jobstore, where)) != PLUGIN_NAME:
            return
        keywords = self.evaluator.call_keywords(call, where)
        arguments = DictValue(
            tuple(entry for entry in keywords.entries if entry.key not in ("jobstore", "alias")),
            keywords.complete and not any(arg.star == "*" for arg in call.args),
        )
        self.stores.append(JobStoreSite(ADD_JOBSTORE, self.file, call, arguments, alias=alias))


def _store_class(qualified: Optional[str]) -> Optional[str]:
    if not qualified or not qualified.startswith("apscheduler."):
        return None
    last = qualified.rsplit(".", 1)[-1]
    return last if last in (JOBSTORE_CLASS, DATASTORE_CLASS) else None


def _is_scheduler_name(qualified: Optional[str]) -> bool:
    return bool(qualified) and qualified.startswith("apscheduler.schedulers.") and qualified.endswith("Scheduler")


def _is_scheduler_class(evaluator: Evaluator, func: cst.BaseExpression, where: Where, qualified: Optional[str]) -> bool:
    """An APScheduler 3 scheduler class, or a project class derived from one."""
    if _is_scheduler_name(qualified):
        return True
    if qualified is None or qualified.split(".", 1)[0] in ("sqlalchemy", "apscheduler"):
        return False  # not a project class (qualified_name names those by their module)
    value = evaluator.evaluate(func, where) if isinstance(func, (cst.Name, cst.Attribute)) else Unknown()
    seen = 0
    pending = [value.value] if isinstance(value, Known) and isinstance(value.value, ClassRef) else []
    while pending and seen < MAX_BASES:
        cls = pending.pop()
        seen += 1
        module_where = Where.module_level(cls.file)
        for base in cls.node.bases:
            if base.keyword is not None:
                continue
            if _is_scheduler_name(evaluator.qualified_name(base.value, module_where)):
                return True
            base_value = evaluator.evaluate(base.value, module_where)
            if isinstance(base_value, Known) and isinstance(base_value.value, ClassRef):
                pending.append(base_value.value)
    return False


def _jobstore_call(call: cst.Call, where: Where, evaluator: Evaluator) -> JobStoreSite:
    return JobStoreSite(CALL, where.file, call, _call_arguments(call, where, evaluator, JOBSTORE_PARAMETERS))


def _datastore_call(call: cst.Call, where: Where, evaluator: Evaluator) -> Optional[JobStoreSite]:
    arguments = _call_arguments(call, where, evaluator, ("engine_or_url",))
    return JobStoreSite(DATA_STORE, where.file, call, arguments)


def _call_arguments(call: cst.Call, where: Where, evaluator: Evaluator, parameters: Tuple[str, ...]) -> DictValue:
    positional = [arg.value for arg in call.args if arg.keyword is None and not arg.star]
    entries = [
        DictEntry(name, evaluator.evaluate(expr, where), None, expr, where.file, where.scopes)
        for name, expr in zip(parameters, positional)
    ]
    keywords = evaluator.call_keywords(call, where)
    complete = keywords.complete and not any(arg.star == "*" for arg in call.args)
    return DictValue(tuple(entries) + keywords.entries, complete)


# --- what a consumer builds --------------------------------------------------------------------


def stores_of(consumer: Consumer, evaluator: Evaluator) -> List[JobStoreSite]:
    """The SQLAlchemy job stores a consumer builds from mappings (stores given as objects are
    found where they are constructed)."""
    if consumer.kind == "flask":
        return _stores_in_mapping(evaluator.evaluate(consumer.node, consumer.where), DEFAULT_PREFIX)
    call = consumer.node
    assert isinstance(call, cst.Call)
    where = consumer.where
    positional = [arg.value for arg in call.args if arg.keyword is None and not arg.star]
    keywords = evaluator.call_keywords(call, where)
    jobstores = keywords.get("jobstores")
    if jobstores is not None:
        # Keyword options override whatever the gconfig says about job stores.
        return _stores_in_mapping(jobstores.value, DEFAULT_PREFIX)
    if not keywords.complete:
        return []  # a **splat might carry jobstores= and replace the gconfig's
    gconfig_node = _keyword(call, "gconfig")
    if gconfig_node is None and consumer.kind in ("scheduler", "configure") and positional:
        gconfig_node = positional[0]
    if gconfig_node is None:
        return []
    prefix_entry = keywords.get("prefix")
    if prefix_entry is not None:
        prefix_value = prefix_entry.value
    elif consumer.kind == "configure" and len(positional) > 1:
        prefix_value = evaluator.evaluate(positional[1], where)
    else:
        prefix_value = Known(DEFAULT_PREFIX)
    if not isinstance(prefix_value, Known) or not isinstance(prefix_value.value, (str, type(None))):
        return []
    gconfig = evaluator.evaluate(gconfig_node, where)
    if not (isinstance(gconfig, Known) and isinstance(gconfig.value, DictValue)):
        return []
    prefix = prefix_value.value or ""
    tree = _nest(gconfig.value, prefix)
    if tree is None:
        return []
    return _stores_in_tree(tree.children.get("jobstores"), prefix)


# A gconfig mapping, nested at the dots of its keys the way BaseScheduler.configure does
# ("a.b.c": v -> {"a": {"b": {"c": v}}}). A branch holds entries written as flat keys, or a
# dict value flat keys were added to; a leaf is the entry as written.
Node = Union["_Branch", DictEntry]


@dataclass
class _Branch:
    """A level of a gconfig mapping nested at the dots of its keys (``jobstores.default.url``)."""
    children: Dict[str, Node]
    complete: bool = True
    first_key: Optional[DictEntry] = None  # the first flat key that made it, to report at


def _nest(config: DictValue, prefix: str) -> Optional[_Branch]:
    # With part of the mapping unknown, any branch may have keys we cannot see.
    root = _Branch({}, config.complete)
    for entry in config.entries:
        if not isinstance(entry.key, str) or (prefix and not entry.key.startswith(prefix)):
            continue
        parts = entry.key[len(prefix):].split(".")
        parent = root
        for part in parts[:-1]:
            child = parent.children.get(part)
            if child is None:
                child = parent.children[part] = _Branch({}, config.complete, entry)
            elif isinstance(child, DictEntry):
                child = parent.children[part] = _as_branch(child, entry, config.complete)
            parent = child
        parent.children[parts[-1]] = _renamed(entry, parts[-1])
    return root


def _as_branch(entry: DictEntry, flat: DictEntry, complete: bool) -> _Branch:
    """A dict value that flat keys are then set inside (the scheduler mutates that dict)."""
    value = entry.value
    if isinstance(value, Known) and isinstance(value.value, DictValue):
        children: Dict[str, Node] = {}
        for inner in value.value.entries:
            if isinstance(inner.key, str):
                children[inner.key] = inner
        return _Branch(children, value.value.complete and complete, flat)
    return _Branch({}, False, flat)


def _renamed(entry: DictEntry, key: str) -> DictEntry:
    if entry.key == key:
        return entry
    return DictEntry(key, entry.value, entry.key_node, entry.value_node, entry.file, entry.scopes)


def _stores_in_tree(node: Optional[Node], prefix: str) -> List[JobStoreSite]:
    if node is None:
        return []
    if isinstance(node, DictEntry):
        return _stores_in_mapping(node.value, prefix)
    stores = []
    for alias, child in node.children.items():
        if isinstance(child, DictEntry):
            store = _store_from_mapping(child.value, alias)
        else:
            store = _store_from_branch(child, alias, prefix)
        if store is not None:
            stores.append(store)
    return stores


def _stores_in_mapping(mapping: Value, prefix: str) -> List[JobStoreSite]:
    """``{alias: store or store mapping}``: jobstores=, SCHEDULER_JOBSTORES, gconfig's."""
    if not (isinstance(mapping, Known) and isinstance(mapping.value, DictValue)):
        return []
    stores = []
    for alias in mapping.value.keys():
        entry = mapping.value.get(alias)
        if entry is None or not isinstance(alias, str):
            continue
        store = _store_from_mapping(entry.value, alias)
        if store is not None:
            stores.append(store)
    return stores


def _store_from_mapping(value: Value, alias: str) -> Optional[JobStoreSite]:
    if not (isinstance(value, Known) and isinstance(value.value, DictValue)):
        return None
    if value.node is None or value.file is None:
        return None
    spec = value.value
    if not _is_sqlalchemy_spec(spec):
        return None
    arguments = DictValue(tuple(e for e in spec.entries if e.key not in ("type", "class")), spec.complete)
    return JobStoreSite(SPEC, value.file, value.node, arguments, alias=alias)


def _store_from_branch(branch: _Branch, alias: str, prefix: str) -> Optional[JobStoreSite]:
    entries = [
        _renamed(child, name) if isinstance(child, DictEntry) else _branch_entry(name, child)
        for name, child in branch.children.items()
    ]
    spec = DictValue(tuple(entries), branch.complete)
    if not _is_sqlalchemy_spec(spec):
        return None
    anchor = spec.get("url") or branch.first_key
    if anchor is None or anchor.key_node is None or anchor.file is None:
        return None
    arguments = DictValue(tuple(e for e in entries if e.key not in ("type", "class")), spec.complete)
    return JobStoreSite(FLAT, anchor.file, anchor.key_node, arguments, alias=alias, prefix=prefix)


def _branch_entry(name: str, branch: _Branch) -> DictEntry:
    """A branch made of flat keys (``...engine_options.pool_size``) as one mapping entry."""
    entries = tuple(
        _renamed(child, key) if isinstance(child, DictEntry) else _branch_entry(key, child)
        for key, child in branch.children.items()
    )
    first = branch.first_key
    return DictEntry(
        name,
        Known(DictValue(entries, branch.complete)),
        first.key_node if first else None,
        None,
        first.file if first else None,
        first.scopes if first else (),
    )


def _is_sqlalchemy_spec(spec: DictValue) -> bool:
    """BaseScheduler._configure: "type" (a plugin name) wins over "class" (a reference)."""
    kind = spec.get("type")
    if kind is not None:
        return _string(kind.value) == PLUGIN_NAME
    cls = spec.get("class")
    if cls is None or not isinstance(cls.value, Known):
        return False
    value = cls.value.value
    if isinstance(value, str):
        return value == CLASS_REFERENCE
    if isinstance(value, ImportedName):
        return _store_class(value.qualified) == JOBSTORE_CLASS
    return False


# --- helpers -----------------------------------------------------------------------------------


def _keyword(call: cst.Call, name: str) -> Optional[cst.BaseExpression]:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg.value
    return None


def _string(value: Value) -> Optional[str]:
    return value.value if isinstance(value, Known) and isinstance(value.value, str) else None
