"""The engines Flask-SQLAlchemy makes from a project's configuration, as engine sites.

Each engine (the default one, from ``SQLALCHEMY_DATABASE_URI``, and each bind) becomes an
:class:`~poolcheck.engines.EngineSite` with the options the engine will really get, so the
PC1xx checks apply to it exactly as to a ``create_engine`` call:

- the options of ``SQLAlchemy(engine_options=...)``, ``SQLALCHEMY_ENGINE_OPTIONS`` (and, on
  releases that still read them, the legacy ``SQLALCHEMY_POOL_*`` keys), merged in the
  order the release merges them;
- what Flask-SQLAlchemy adds itself, marked ``implicit``: ``pool_recycle=7200`` (and, before
  3.0, ``pool_size=10``) for ``mysql*`` URLs, not for ``mariadb+`` ones; ``StaticPool`` for
  in-memory SQLite; ``NullPool`` for SQLite files before 3.0;
- ``coerces_strings`` where the release builds engines with ``engine_from_config`` (3.x).

The release's behaviour is data the caller supplies (:class:`Behaviour`): the rule module
that knows Flask-SQLAlchemy's releases owns it.

Where a site is reported: config is spread over files, so each site has one anchor, in a
Python file: the ``SQLALCHEMY_ENGINE_OPTIONS`` value when there is one (where options are
added), else the URI (or bind) value, else the ``from_prefixed_env`` / ``from_file`` call
that loads a URI from a ``.env``/JSON/TOML file. A site is reported only when its anchor's
file is checked, so each finding is reported once whichever files are named. Options written
in another file than the anchor carry that file (``EngineOption.file``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from ..engines import EngineOption, EngineSite, resolve_url
from ..values import DictEntry, DictValue, ImportedName, Known, Unknown, Value
from .model import CLASS, ConfigEntry, ConfigUnit, Construction, FlaskConfig

if TYPE_CHECKING:  # pragma: no cover
    import libcst as cst

    from ..project import Project
    from ..syntax import ParsedFile

SITE_KIND = "flask_sqlalchemy"
URI = "SQLALCHEMY_DATABASE_URI"
ENGINE_OPTIONS = "SQLALCHEMY_ENGINE_OPTIONS"
BINDS = "SQLALCHEMY_BINDS"
STATIC_POOL = ImportedName("sqlalchemy.pool.StaticPool")
NULL_POOL = ImportedName("sqlalchemy.pool.NullPool")


@dataclass(frozen=True)
class Behaviour:
    """How one Flask-SQLAlchemy release turns configuration into engines."""

    release: str  # "Flask-SQLAlchemy 3.1.1", for the ``implicit`` notes
    reads_engine_options: bool  # SQLALCHEMY_ENGINE_OPTIONS and engine_options= (2.4+)
    # Config keys the release still turns into engine options (before 3.0).
    legacy_option_keys: Tuple[Tuple[str, str], ...]
    # Options set with setdefault for URLs whose driver name starts with "mysql".
    mysql_defaults: Tuple[Tuple[str, Any], ...]
    mysql_defaults_skip: Tuple[str, ...]  # driver names excepted ("mysql+gaerdbms" before 3.0)
    sqlite_memory_drivers: Tuple[str, ...]  # which get StaticPool for an in-memory database
    sqlite_file_null_pool: bool  # before 3.0: NullPool for a SQLite file unless pool_size is set
    driver_defaults_first: bool  # before 3.0 they come before the configured options (which win)
    coerces_strings: bool  # 3.x builds engines with engine_from_config
    dict_binds: bool  # 3.x: a bind may be a dict of engine options with "url"
    binds_get_config_options: bool  # before 3.0: SQLALCHEMY_ENGINE_OPTIONS applies to binds too
    config_over_constructor: bool  # 3.x: SQLALCHEMY_ENGINE_OPTIONS beats engine_options=
    # The SQLAlchemy methods the release calls while making engines: a subclass overriding
    # one of them may change the options (overriding another, e.g. apply_pool_defaults on
    # 3.x, changes nothing: the release never calls it).
    engine_hooks: Tuple[str, ...] = ()


def flask_engine_sites(ctx, behaviour: Behaviour) -> List[EngineSite]:
    """The Flask-SQLAlchemy engine sites anchored in the file ``ctx`` checks."""
    if ctx.parsed is None:
        return []
    return [site for site in project_engine_sites(ctx.project, behaviour) if site.file is ctx.parsed]


def project_engine_sites(project: "Project", behaviour: Behaviour) -> List[EngineSite]:
    """Every Flask-SQLAlchemy engine site of the project (computed once per release)."""
    from .fact import flask_config

    def compute(project: "Project") -> List[EngineSite]:
        config = flask_config(project)
        if not config.uses_flask_sqlalchemy:
            return []
        return _SiteBuilder(project, config, behaviour).build()

    return project.fact(f"flask-engine-sites:{behaviour.release}", compute)


@dataclass
class _Anchor:
    """A node of a file with the scopes around it: where an engine site's findings point."""
    file: "ParsedFile"
    node: "cst.CSTNode"
    scopes: tuple


class _SiteBuilder:
    def __init__(self, project: "Project", config: FlaskConfig, behaviour: Behaviour) -> None:
        from .usage import is_test_file

        self.project = project
        # Tests configure their own apps (sqlite://, overrides per test): they are neither
        # engines worth checking nor layers over the production configuration.
        config = FlaskConfig(
            uses_flask_sqlalchemy=config.uses_flask_sqlalchemy,
            units=[unit for unit in config.units if not is_test_file(unit.path)],
            loaders=[loader for loader in config.loaders if not is_test_file(loader.file.relative)],
            constructions=[c for c in config.constructions if not is_test_file(c.file.relative)],
            overrides=config.overrides,
            prefixes=config.prefixes,
        )
        self.config = config
        self.behaviour = behaviour
        self.assumed = project.settings.database.dialect
        self.sites: Dict[tuple, EngineSite] = {}
        # Anything that may set options poolcheck cannot see makes every option set incomplete.
        self.globally_complete = (
            not config.unknown_sources
            and config.customised(behaviour.engine_hooks) is None
            and all(unit.complete for unit in config.units if unit.kind != CLASS)
        )
        self.constructor, self.constructor_options, self.constructor_known = _constructor_options(config)

    def build(self) -> List[EngineSite]:
        for unit in self._candidates():
            # A layer (a .env, app.config writes) makes an engine of its own URI; a config class
            # of the URI it has or inherits, else of the one another layer gives it.
            uri, uri_certain = self.effective(unit, URI)
            if uri is not None and (uri.unit is unit or unit.kind == CLASS):
                self._default_engine(unit, uri, uri_certain)
            binds, _ = self.effective(unit, BINDS)
            if binds is not None and (binds.unit is unit or unit.kind == CLASS):
                self._binds(unit, binds)
        if not any(site.label == URI for site in self.sites.values()) and self.constructor is not None:
            self._constructor_only()
        return list(self.sites.values())

    # --- which units configure an app ------------------------------------------------------
    def _candidates(self) -> List[ConfigUnit]:
        """Every unit but the config classes no app loads. When every ``from_object`` call
        is resolved, the classes they load are the ones in use; otherwise a class counts if
        it is loaded or no other config class derives from it (a base class whose subclasses
        are the ones loaded is not an engine of its own)."""
        classes = [unit for unit in self.config.units if unit.kind == CLASS]
        object_loaders = [loader for loader in self.config.loaders if loader.method == "from_object"]
        loaded = {id(unit) for loader in object_loaders for unit in loader.loads}
        all_known = bool(object_loaders) and all(loader.unknown is None for loader in object_loaders)
        based_on = {id(base) for unit in classes for base in unit.bases}

        def counts(unit: ConfigUnit) -> bool:
            if unit.kind != CLASS or id(unit) in loaded:
                return True
            return not all_known and id(unit) not in based_on

        return [unit for unit in self.config.units if counts(unit)]

    def effective(self, unit: ConfigUnit, key: str) -> Tuple[Optional[ConfigEntry], bool]:
        """The entry for ``key`` an app loading ``unit`` ends up with, and whether that is
        certain. Other layers (anything but another config class) may write it too; when more
        than one place could win, the order they are loaded in decides, which is not known."""
        own, certain = unit.lookup(key)
        ancestors = _lineage(unit)
        others = [
            entry
            for entry in self.config.writers_of(key)
            if entry.unit is not None
            and all(entry.unit is not mine for mine in ancestors)
            and not (unit.kind == CLASS and entry.unit.kind == CLASS)
        ]
        if own is not None:
            return own, certain and not others
        if len(others) == 1:
            return others[0], certain
        return None, certain and not others

    # --- the default engine -----------------------------------------------------------------
    def _default_engine(self, unit: ConfigUnit, uri: ConfigEntry, uri_certain: bool) -> None:
        options_entry, options_certain = (
            self.effective(unit, ENGINE_OPTIONS) if self.behaviour.reads_engine_options else (None, True)
        )
        nested = [entry for other in self.config.units for entry in other.nested_entries(ENGINE_OPTIONS)]
        anchor = self._anchor(options_entry) or self._anchor(uri)
        if anchor is None:
            return
        complete = self.globally_complete and uri_certain and options_certain and self.constructor_known
        url = uri.value
        resolved = resolve_url(url, self.assumed)
        config_options, config_complete = _dict_options(options_entry)
        nested_options = [_nested_option(entry) for entry in nested if len(entry.nested) == 1]
        complete = complete and config_complete and len(nested_options) == len(nested)
        legacy: List[EngineOption] = []
        for key, option in self.behaviour.legacy_option_keys:
            entry, certain = self.effective(unit, key)
            complete = complete and certain
            if entry is not None and not (isinstance(entry.value, Known) and entry.value.value is None):
                legacy.append(_entry_option(option, entry))
        configured = config_options + nested_options
        layers = (
            [self.constructor_options, configured]
            if self.behaviour.config_over_constructor
            else [configured, self.constructor_options]
        )
        options = self._merge(legacy, layers, resolved)
        key = ("default", id(anchor.node), id(uri), id(options_entry))
        self.sites.setdefault(key, self._site(URI, anchor, url, uri, options, complete))

    # --- binds ------------------------------------------------------------------------------
    def _binds(self, unit: ConfigUnit, binds: ConfigEntry) -> None:
        if not (isinstance(binds.value, Known) and isinstance(binds.value.value, DictValue)):
            return
        for bind in binds.value.value.entries:
            if not isinstance(bind.key, str):
                continue
            value = bind.value
            label = f"{BINDS}[{bind.key!r}]"
            node = bind.value_node
            file = bind.file or binds.file
            anchor = (
                _Anchor(file, node, binds.scopes)
                if file is not None and node is not None
                else self._loader_anchor(binds)
            )
            if anchor is None:
                continue
            complete = self.globally_complete and self.constructor_known
            if isinstance(value, Known) and isinstance(value.value, DictValue):
                if not self.behaviour.dict_binds:
                    continue  # the release cannot use it at all; not an engine site
                url_entry = value.value.get("url")
                url: Value = url_entry.value if url_entry is not None else Unknown("no url key")
                own = [
                    _dict_entry_option(entry)
                    for entry in value.value.entries
                    if entry.key != "url" and isinstance(entry.key, str)
                ]
                complete = complete and value.value.complete
                layers = [self.constructor_options, own]
            elif isinstance(value, Known) and isinstance(value.value, str) or not isinstance(value, Known):
                url = value
                layers = [self.constructor_options]
                if self.behaviour.binds_get_config_options:
                    options_entry, certain = self.effective(unit, ENGINE_OPTIONS)
                    config_options, config_complete = _dict_options(options_entry)
                    complete = complete and certain and config_complete
                    layers = [config_options, self.constructor_options]
            else:
                continue
            options = self._merge([], layers, resolve_url(url, self.assumed))
            key = ("bind", id(anchor.node), bind.key)
            self.sites.setdefault(key, self._site(label, anchor, url, None, options, complete))

    # --- engine_options= alone --------------------------------------------------------------
    def _constructor_only(self) -> None:
        """No URI poolcheck can see (it comes from the real environment): the constructor's
        options are still checked, as options of an engine whose URL is unknown."""
        construction = self.constructor
        if construction.options_node is None or not self.constructor_options:
            return
        anchor = _Anchor(construction.file, construction.options_node, construction.scopes)
        options = {option.name: option for option in self.constructor_options}
        site = self._site("SQLAlchemy(engine_options=...)", anchor, Unknown("set elsewhere"), None, options, False)
        self.sites.setdefault(("constructor", id(anchor.node)), site)

    # --- helpers ----------------------------------------------------------------------------
    def _merge(self, legacy: List[EngineOption], layers: List[List[EngineOption]], resolved) -> Dict[str, EngineOption]:
        """The options in the release's order: legacy keys, then (before 3.0) the driver
        defaults, then each layer over the previous, then (from 3.0) the driver defaults."""
        options: Dict[str, EngineOption] = {option.name: option for option in legacy}
        if self.behaviour.driver_defaults_first:
            self._driver_defaults(options, resolved)
        for layer in layers:
            for option in layer:
                options.pop(option.name, None)
                options[option.name] = option
        if not self.behaviour.driver_defaults_first:
            self._driver_defaults(options, resolved)
        return options

    def _driver_defaults(self, options: Dict[str, EngineOption], resolved) -> None:
        """What the release adds for the URL's driver (setdefault, except the SQLite pools)."""
        if resolved is None:
            return
        release = self.behaviour.release
        drivername = resolved.drivername
        if drivername.startswith("mysql") and drivername not in self.behaviour.mysql_defaults_skip:
            for name, value in self.behaviour.mysql_defaults:
                if name not in options:
                    options[name] = EngineOption(
                        name, Known(value), None, None, implicit=f"{release} sets {name}={value} for mysql URLs"
                    )
        elif drivername in self.behaviour.sqlite_memory_drivers:
            database = resolved.database.value if isinstance(resolved.database, Known) else Unknown()
            if database in (None, "", ":memory:"):
                options.pop("poolclass", None)
                options["poolclass"] = EngineOption(
                    "poolclass",
                    Known(STATIC_POOL),
                    None,
                    None,
                    implicit=f"{release} uses StaticPool for in-memory SQLite",
                )
            elif isinstance(database, str) and self.behaviour.sqlite_file_null_pool:
                size = options.get("pool_size")
                if size is None or (isinstance(size.value, Known) and not size.value.value):
                    options["poolclass"] = EngineOption(
                        "poolclass",
                        Known(NULL_POOL),
                        None,
                        None,
                        implicit=f"{release} uses NullPool for a SQLite file without pool_size",
                    )

    def _anchor(self, entry: Optional[ConfigEntry]) -> Optional[_Anchor]:
        if entry is None:
            return None
        if entry.file is not None and entry.value_node is not None:
            return _Anchor(entry.file, entry.value_node, entry.scopes)
        return self._loader_anchor(entry)

    @staticmethod
    def _loader_anchor(entry: ConfigEntry) -> Optional[_Anchor]:
        loader = entry.unit.loader if entry.unit is not None else None
        if loader is None:
            return None
        return _Anchor(loader.file, loader.node, loader.scopes)

    def _site(
        self, label: str, anchor: _Anchor, url: Value, uri: Optional[ConfigEntry], options, complete: bool
    ) -> EngineSite:
        url_node = uri.value_node if uri is not None and uri.file is anchor.file else None
        return EngineSite(
            kind=SITE_KIND,
            label=label,
            file=anchor.file,
            node=anchor.node,
            url=url,
            url_node=url_node,
            options=dict(options),
            complete=complete,
            is_async=False,
            coerces_strings=self.behaviour.coerces_strings,
            scopes=tuple(anchor.scopes),
        )


def _lineage(unit: ConfigUnit) -> List[ConfigUnit]:
    found = [unit]
    index = 0
    while index < len(found):
        for base in found[index].bases:
            if all(base is not seen for seen in found):
                found.append(base)
        index += 1
    return found


def _constructor_options(config: FlaskConfig) -> Tuple[Optional[Construction], List[EngineOption], bool]:
    """``SQLAlchemy(engine_options=...)``: the construction, its options, and whether they are
    known. Several constructions (several extensions or apps) leave it open which applies."""
    constructions = config.constructions
    with_options = [
        c for c in constructions if not (isinstance(c.engine_options, Known) and c.engine_options.value is None)
    ]
    if not with_options:
        return None, [], True
    construction = with_options[0]
    value = construction.engine_options
    if not (isinstance(value, Known) and isinstance(value.value, DictValue)):
        return construction, [], False
    options = [_dict_entry_option(entry) for entry in value.value.entries if isinstance(entry.key, str)]
    return construction, options, value.value.complete and len(constructions) == 1


def _dict_options(entry: Optional[ConfigEntry]) -> Tuple[List[EngineOption], bool]:
    if entry is None:
        return [], True
    value = entry.value
    if isinstance(value, Known) and isinstance(value.value, DictValue):
        options = [_dict_entry_option(item) for item in value.value.entries if isinstance(item.key, str)]
        return options, value.value.complete
    return [], False


def _dict_entry_option(entry: DictEntry) -> EngineOption:
    return EngineOption(entry.key, entry.value, entry.key_node, entry.value_node, entry.file)


def _entry_option(name: str, entry: ConfigEntry) -> EngineOption:
    return EngineOption(name, entry.value, entry.key_node, entry.value_node, entry.file)


def _nested_option(entry: ConfigEntry) -> EngineOption:
    return EngineOption(entry.nested[0], entry.value, None, None, None)
