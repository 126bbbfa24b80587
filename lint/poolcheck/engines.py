"""Engine sites: every place a program states how an engine and its pool are configured.

An :class:`EngineSite` is the common shape of ``create_engine(url, **kw)``,
``create_async_engine``, ``engine_from_config``, Flask-SQLAlchemy's engine options and an
APScheduler job store's ``engine_options``: a URL, keyword options, and whether the option
set is complete. The PC1xx rules check sites, so every way of configuring an engine gets the
same checks from one implementation.

Sources of sites register in :data:`SITE_SOURCES`; this module provides the direct calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import libcst as cst

from .walk import walk
from .syntax import ParsedFile, ScopeNode
from .values import (
    ScopedVisitor,
    DictEntry,
    DictValue,
    Evaluator,
    ImportedName,
    Known,
    Template,
    Unknown,
    UrlParts,
    Value,
    Where,
    _keyword,
)

# The engine factories, by the last part of their qualified name. Any module under
# ``sqlalchemy`` (``sqlalchemy.create_engine``, ``sqlalchemy.engine.create_engine``,
# ``sqlalchemy.ext.asyncio.create_async_engine``...) and SQLModel's re-export count.
FACTORIES = {
    "create_engine": ("create_engine", False, False),
    "create_async_engine": ("create_async_engine", True, False),
    "engine_from_config": ("engine_from_config", False, True),
    "async_engine_from_config": ("async_engine_from_config", True, True),
}
FACTORY_PACKAGES = ("sqlalchemy", "sqlmodel")
FACTORY_NAMES = frozenset(FACTORIES)


@dataclass(frozen=True)
class EngineOption:
    """One pool or engine option of an engine site: its name, value, and where it is written."""
    name: str
    value: Value
    key_node: Optional[cst.CSTNode]  # the keyword or dict key, where to report about it
    value_node: Optional[cst.CSTNode]
    file: Optional[ParsedFile] = field(default=None, compare=False)  # when written in another file
    # Set for options the library adds itself (Flask-SQLAlchemy's pool_recycle=7200): why.
    implicit: Optional[str] = None


@dataclass
class EngineSite:
    """A place that builds an engine (a factory call, a Flask-SQLAlchemy configuration...), with its URL and options as evaluated."""
    kind: str  # "create_engine", "create_async_engine", "engine_from_config", ... or a source's own
    label: str  # how messages name it: "create_engine()", "SQLALCHEMY_ENGINE_OPTIONS", ...
    file: ParsedFile
    node: cst.CSTNode  # where findings about the whole site are reported
    url: Value
    url_node: Optional[cst.CSTNode]
    options: Dict[str, EngineOption]
    complete: bool  # False when some options could not be resolved (a ``**`` of unknown)
    is_async: bool = False
    coerces_strings: bool = False  # engine_from_config turns "20" into 20 for some keys
    scopes: Tuple[ScopeNode, ...] = ()
    assigned_to: Optional[str] = None  # `engine = create_engine(...)` -> "engine"
    # Set by a source whose own rule reports a missing pool_pre_ping/pool_recycle on this site
    # with a better remedy (a job store built from a URL: pass it the application's engine).
    # Its value is that rule's code; the generic idle-disconnect check leaves the site alone.
    liveness_reported_by: Optional[str] = None

    def option(self, name: str) -> Optional[EngineOption]:
        return self.options.get(name)

    def has_option(self, name: str) -> Optional[bool]:
        """True/False when known; None when the option set is incomplete and it is absent."""
        if name in self.options:
            return True
        return False if self.complete else None


# The registry lives in a module without libcst so that rule modules stay cheap to import.
from .site_sources import ENGINE_SITE_TOKENS, SITE_SOURCES, SiteSource, register_site_source  # noqa: E402,F401

SITE_TOKENS = ENGINE_SITE_TOKENS


# --- direct calls ------------------------------------------------------------------------------


def factory_of(qualified: Optional[str]) -> Optional[Tuple[str, bool, bool]]:
    if not qualified or "." not in qualified:
        return None
    package = qualified.split(".", 1)[0]
    last = qualified.rsplit(".", 1)[1]
    if package in FACTORY_PACKAGES and last in FACTORIES:
        return FACTORIES[last]
    return None


class _CallFinder(ScopedVisitor):
    """Walk the module keeping the stack of enclosing scopes; collect factory calls."""

    def __init__(self, file: ParsedFile, evaluator: Evaluator) -> None:
        super().__init__(file)
        self.evaluator = evaluator
        self.sites: List[EngineSite] = []
        # `name = <call>`: parents are visited before children, so the target is known
        # by the time the call is.
        self.targets: Dict[int, str] = {}

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) == 1:
            target = node.targets[0].target
            if isinstance(target, cst.Name):
                self.targets[id(node.value)] = target.value
            elif isinstance(target, cst.Attribute):
                self.targets[id(node.value)] = self.file.code(target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None and isinstance(node.target, cst.Name):
            self.targets[id(node.value)] = node.target.value

    def visit_Call(self, node: cst.Call) -> None:
        if not self.file.callee_may_be(node.func, FACTORY_NAMES):
            return
        where = self.where
        factory = factory_of(self.evaluator.qualified_name(node.func, where))
        if factory is None:
            return
        kind, is_async, from_config = factory
        if from_config:
            site = _from_config_site(node, kind, is_async, where, self.evaluator)
        else:
            site = _create_engine_site(node, kind, is_async, where, self.evaluator)
        site.assigned_to = self.targets.get(id(node))
        self.sites.append(site)


def _create_engine_site(call: cst.Call, kind: str, is_async: bool, where: Where, evaluator: Evaluator) -> EngineSite:
    positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
    url_node = positional[0].value if positional else _keyword(call, "url")
    url = evaluator.evaluate(url_node, where) if url_node is not None else Unknown("no URL")
    keywords = evaluator.call_keywords(call, where)
    options = _options(keywords, exclude=("url",))
    return EngineSite(
        kind=kind,
        label=f"{kind}()",
        file=where.file,
        node=call,
        url=url,
        url_node=url_node,
        options=options,
        complete=keywords.complete and not any(arg.star == "*" for arg in call.args),
        is_async=is_async,
        scopes=where.scopes,
    )


def _from_config_site(call: cst.Call, kind: str, is_async: bool, where: Where, evaluator: Evaluator) -> EngineSite:
    """``engine_from_config(configuration, prefix="sqlalchemy.", **kwargs)``: the prefixed keys
    of the mapping, overridden by the keyword arguments, with ``url`` taken out."""
    positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
    config_node = positional[0].value if positional else _keyword(call, "configuration")
    prefix_node = positional[1].value if len(positional) > 1 else _keyword(call, "prefix")
    prefix_value = evaluator.evaluate(prefix_node, where) if prefix_node is not None else Known("sqlalchemy.")
    configuration = evaluator.evaluate(config_node, where) if config_node is not None else Unknown()
    entries: List[DictEntry] = []
    complete = True
    if isinstance(configuration, Known) and isinstance(configuration.value, DictValue) and isinstance(prefix_value, Known) and isinstance(prefix_value.value, str):
        prefix = prefix_value.value
        for entry in configuration.value.entries:
            if isinstance(entry.key, str) and entry.key.startswith(prefix):
                entries.append(DictEntry(entry.key[len(prefix):], entry.value, entry.key_node, entry.value_node, entry.file, entry.scopes))
        complete = configuration.value.complete
    else:
        complete = False
    keywords = evaluator.call_keywords(call, where)
    keyword_entries = [e for e in keywords.entries if e.key not in ("configuration", "prefix")]
    merged = DictValue(tuple(entries) + tuple(keyword_entries), complete and keywords.complete)
    url_entry = merged.get("url")
    options = _options(merged, exclude=("url",))
    return EngineSite(
        kind=kind,
        label=f"{kind}()",
        file=where.file,
        node=call,
        url=url_entry.value if url_entry else Unknown("no url key"),
        url_node=url_entry.value_node if url_entry else None,
        options=options,
        complete=merged.complete,
        is_async=is_async,
        coerces_strings=True,
        scopes=where.scopes,
    )


def options_from(keywords: DictValue, exclude: Tuple[str, ...] = ()) -> Dict[str, EngineOption]:
    """Engine options from a mapping of keyword arguments (the last occurrence wins)."""
    return _options(keywords, exclude)


def _options(keywords: DictValue, exclude: Tuple[str, ...] = ()) -> Dict[str, EngineOption]:
    options: Dict[str, EngineOption] = {}
    for entry in keywords.entries:
        if not isinstance(entry.key, str) or entry.key in exclude:
            continue
        options.pop(entry.key, None)  # keep the order of the last occurrence
        options[entry.key] = EngineOption(entry.key, entry.value, entry.key_node, entry.value_node, entry.file)
    return options


def find_engine_calls(file: ParsedFile, evaluator: Evaluator) -> List[EngineSite]:
    finder = _CallFinder(file, evaluator)
    walk(file.module, finder)
    return finder.sites


# --- what a site's URL says --------------------------------------------------------------------


@dataclass(frozen=True)
class ResolvedUrl:
    """What is known of a site's database: its driver name (``mysql+pymysql``), backend
    (``mysql``), database part and query where known, and a password-free rendering."""

    drivername: str
    backend: str
    is_mysql_family: bool
    database: Value
    display: str  # safe to print: the password is masked
    assumed: bool = False  # from [tool.poolcheck.database] dialect, not from the code
    query: Optional[Tuple[Tuple[str, str], ...]] = None  # None: unknown


def knowledge():
    from .sqla import installed_knowledge

    return installed_knowledge()


def resolve_url(url: Value, assumed_dialect: Optional[str] = None) -> Optional[ResolvedUrl]:
    """Resolve a URL value with SQLAlchemy's own parser; fall back to the configured dialect
    assumption when the code does not say."""
    if isinstance(url, Known):
        value = url.value
        if isinstance(value, str):
            info = knowledge().parse_url(value)
            if info is None:
                return None
            return ResolvedUrl(info.drivername, info.backend, info.is_mysql_family, Known(info.database), info.masked, query=info.query)
        if isinstance(value, Template) and "://" in value.prefix:
            scheme = value.prefix.split("://", 1)[0]
            return _from_scheme(scheme, Unknown("built at run time"), f"{scheme}://...")
        if isinstance(value, UrlParts):
            return _from_scheme(value.drivername, value.database, f"URL.create({value.drivername!r}, ...)")
        return None
    if assumed_dialect:
        resolved = _from_scheme(assumed_dialect, Unknown("assumed"), f"{assumed_dialect}://...")
        if resolved is not None:
            return ResolvedUrl(resolved.drivername, resolved.backend, resolved.is_mysql_family, resolved.database, resolved.display, assumed=True)
    return None


def _from_scheme(scheme: str, database: Value, display: str) -> Optional[ResolvedUrl]:
    info = knowledge().scheme_info(scheme)
    if info is None:
        return None
    return ResolvedUrl(info.drivername, info.backend, info.is_mysql_family, database, display)


def pool_class_of(site: EngineSite, url: Optional[ResolvedUrl]) -> Tuple[Optional[str], bool]:
    """The pool class a site's engine gets, and whether the code names it explicitly.
    (None, _) when it cannot be known: an unresolved ``poolclass=``, a ``pool=`` instance, or
    a URL whose default pool depends on parts that are unknown."""
    from .sqla import UNKNOWN

    if "pool" in site.options:
        return None, True
    option = site.options.get("poolclass")
    if option is not None:
        value = option.value
        if isinstance(value, Known) and isinstance(value.value, ImportedName):
            return knowledge().resolve_pool_class(value.value.qualified), True
        return None, True
    if not site.complete or url is None:
        return None, False
    database = url.database.value if isinstance(url.database, Known) else UNKNOWN
    query = url.query if url.query is not None else UNKNOWN
    return knowledge().default_pool_class(url.drivername, database, site.is_async, query), False
