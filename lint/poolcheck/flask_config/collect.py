"""The project fact: every place the project's Flask configuration is written, and what loads it.

Computed once per project from the whole root (whichever files are checked), and only for a
project that imports ``flask_sqlalchemy``: any other pays one bytes scan.

- Config classes: classes handed to ``from_object`` (by reference, import string, instance,
  a dict of them indexed at run time, or a parameter's default), classes that assign an
  UPPERCASE ``SQLALCHEMY_*`` attribute, and the bases and subclasses of those.
- Settings modules: modules handed to ``from_object`` / ``from_pyfile`` (a ``.cfg`` too), and
  modules that look like settings (``config.py``, ``settings/prod.py``, ``instance/``) and
  assign an UPPERCASE ``SQLALCHEMY_*`` name at their top level.
- ``app.config[...] = ...``, ``.update(...)``, ``.from_mapping(...)``, ``.setdefault(...)``,
  grouped by the function (or module) they are written in.
- ``.env`` / ``.flaskenv`` / ``*.env`` files, for each prefix ``from_prefixed_env`` is called
  with; JSON and TOML files ``from_file`` loads.
- ``SQLAlchemy(..., engine_options=...)`` constructions, and subclasses of ``SQLAlchemy``
  that change how engines are made.

What cannot be resolved (``from_envvar``, ``from_object(os.environ["X"])``, a missing
``from_pyfile`` file) is kept as an unknown source: the engine options it could set are then
not known, and the engine checks stay silent rather than guess.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Dict, List, Optional, Sequence

import libcst as cst

from ..discovery import matches_any
from ..syntax import ParsedFile
from ..values import ClassRef, DictValue, Evaluator, ImportedName, Known, ModuleRef, Where
from .model import (
    APP,
    CLASS,
    DATA_FILE,
    DOTENV,
    ENV_FILE,
    LOADED_FILE,
    MODULE,
    ConfigEntry,
    ConfigUnit,
    FlaskConfig,
    LoadCall,
)
from .python_scan import FileScan, class_entries, class_names_on_sqlalchemy, module_entries, scan_file
from .tokens import ENV_FILE_PATTERNS, SCAN_TOKENS
from .text_files import flask_env_value, read_dotenv, read_json_keys, read_toml_keys, split_prefixed

if TYPE_CHECKING:  # pragma: no cover
    from ..project import Project

# `.config[...]` is read far more often than written: a file whose only hit is that token
# is scanned only if it also assigns to one.
_CONFIG_SUBSCRIPT_WRITE = re.compile(rb"\.config\[[^\]\n]*\]\s*=(?!=)")
_SETTINGS_WORDS = ("config", "settings", "configuration")
_CLASS_SUFFIXES = ("config", "settings", "configuration")
_SETTINGS_FOLDERS = ("config", "configs", "settings", "instance", "conf")
_JSON_LOADERS = ("json.load", "json.loads")
_TOML_LOADERS = ("tomllib.load", "tomli.load", "toml.load", "tomllib.loads", "tomli.loads", "toml.loads")


def looks_like_settings(path: PurePosixPath) -> bool:
    stem = path.stem.lower()
    return any(word in stem for word in _SETTINGS_WORDS) or any(
        part.lower() in _SETTINGS_FOLDERS for part in path.parts[:-1]
    )


def collect_config(project: "Project") -> FlaskConfig:
    """The configuration of a project that imports ``flask_sqlalchemy`` (see ``.fact``)."""
    return _Collector(project).collect()


class _Collector:
    def __init__(self, project: "Project") -> None:
        self.project = project
        self.evaluator: Evaluator = project.fact("evaluator", Evaluator)
        self.scans: List[FileScan] = []
        self.class_units: Dict[int, ConfigUnit] = {}
        self.module_units: Dict[PurePosixPath, ConfigUnit] = {}
        self.loaded_classes: List[ConfigUnit] = []
        self.config = FlaskConfig(uses_flask_sqlalchemy=True)

    def collect(self) -> FlaskConfig:
        files = [parsed for parsed in map(self.project.parsed, self._candidate_paths()) if parsed is not None]
        subclass_names = frozenset(name for parsed in files for name in class_names_on_sqlalchemy(parsed))
        for parsed in files:
            self.scans.append(scan_file(parsed, self.evaluator, subclass_names))
        for scan in self.scans:
            self.config.constructions.extend(scan.constructions)
            self.config.overrides.extend(scan.overrides)
        for scan in self.scans:
            for loader in scan.loaders:
                self._resolve(loader)
                self.config.loaders.append(loader)
        self._config_classes()
        self._settings_modules()
        self._app_units()
        self._env_files()
        self.config.units.extend(self.module_units.values())
        return self.config

    def _candidate_paths(self) -> List[PurePosixPath]:
        others = tuple(token for token in SCAN_TOKENS if token != b".config[")
        found = []
        for path in self.project.python_files_containing(SCAN_TOKENS):
            data = self.project.read_bytes(path) or b""
            if any(token in data for token in others) or _CONFIG_SUBSCRIPT_WRITE.search(data):
                found.append(path)
        return found

    # --- classes ----------------------------------------------------------------------------
    def class_unit(self, ref: ClassRef, entries: Optional[List[ConfigEntry]] = None) -> ConfigUnit:
        key = id(ref.node)
        if key not in self.class_units:
            unit = ConfigUnit(CLASS, f"class {ref.node.name.value}", ref.file.relative, ref.file, ref.node)
            self.class_units[key] = unit  # before the bases: a cycle ends here
            unit.entries = (
                entries
                if entries is not None
                else class_entries(ref.file, ref.node, (ref.file.module,), self.evaluator)
            )
            for entry in unit.entries:
                entry.unit = unit
            where = Where.module_level(ref.file)
            for base in ref.node.bases:
                if base.keyword is not None or (isinstance(base.value, cst.Name) and base.value.value == "object"):
                    continue
                value = self.evaluator.evaluate(base.value, where)
                if isinstance(value, Known) and isinstance(value.value, ClassRef):
                    unit.bases.append(self.class_unit(value.value))
                elif not (
                    isinstance(value, Known)
                    and isinstance(value.value, ImportedName)
                    and value.value.qualified in ("object", "builtins.object")
                ):
                    unit.bases_known = False
        return self.class_units[key]

    def _config_classes(self) -> None:
        candidates = [
            self.class_unit(ClassRef(found.file, found.node), found.entries)
            for scan in self.scans
            for found in scan.classes
        ]
        seeds = {id(unit) for unit in self.loaded_classes}
        seeds |= {id(unit) for unit in candidates if any(entry.key.startswith("SQLALCHEMY_") for entry in unit.entries)}
        # Named like a config class (Config, ProductionConfig, Settings) in a Flask-SQLAlchemy
        # project: a misspelt SQLALCHEMY key there is still a config key.
        seeds |= {id(unit) for unit in candidates if unit.node.name.value.lower().endswith(_CLASS_SUFFIXES)}
        chosen: Dict[int, ConfigUnit] = {}

        def add_with_bases(unit: ConfigUnit) -> None:
            if id(unit) in chosen:
                return
            chosen[id(unit)] = unit
            for base in unit.bases:
                add_with_bases(base)

        for unit in list(self.class_units.values()):
            if id(unit) in seeds:
                add_with_bases(unit)
        for unit in candidates:
            if any(id(ancestor) in seeds for ancestor in _ancestors(unit)):
                add_with_bases(unit)
        self.config.units.extend(chosen.values())

    # --- settings modules -------------------------------------------------------------------
    def module_unit(self, parsed: ParsedFile) -> ConfigUnit:
        if parsed.relative not in self.module_units:
            unit = ConfigUnit(MODULE, f"settings module {parsed.relative}", parsed.relative, parsed, parsed.module)
            unit.entries = module_entries(parsed, self.evaluator)
            for entry in unit.entries:
                entry.unit = unit
            self.module_units[parsed.relative] = unit
        return self.module_units[parsed.relative]

    def _settings_modules(self) -> None:
        for scan in self.scans:
            if looks_like_settings(scan.file.relative) and scan.file.relative not in self.module_units:
                unit = self.module_unit(scan.file)
                if not any(entry.key.startswith("SQLALCHEMY_") for entry in unit.entries):
                    del self.module_units[scan.file.relative]

    # --- app.config writes ------------------------------------------------------------------
    def _app_units(self) -> None:
        for scan in self.scans:
            for key, (scope, entries) in scan.app_entries.items():
                name = (
                    f"{scope.name.value}()"
                    if isinstance(scope, (cst.FunctionDef, cst.ClassDef))
                    else f"module {scan.file.relative}"
                )
                unit = ConfigUnit(APP, name, scan.file.relative, scan.file, scope, entries=list(entries))
                unit.complete = key not in scan.incomplete_scopes
                for entry in unit.entries:
                    entry.unit = unit
                self.config.units.append(unit)

    # --- .env files -------------------------------------------------------------------------
    def _env_files(self) -> None:
        env_loaders = [
            loader for loader in self.config.loaders if loader.method == "from_prefixed_env" and loader.prefix
        ]
        self.config.prefixes = tuple(dict.fromkeys(loader.prefix for loader in env_loaders))
        if not self.config.prefixes:
            return
        for path in self.project.paths():
            if not matches_any(path.name, ENV_FILE_PATTERNS):
                continue
            text = self.project.read_text(path)
            if text is None:
                continue
            unit = env_file_unit(path, text, self.config.prefixes)
            if unit.entries:
                unit.loader = env_loaders[0]
                self.config.units.append(unit)

    # --- what a loading call loads ----------------------------------------------------------
    def _resolve(self, loader: LoadCall) -> None:
        args = [arg for arg in loader.node.args if not arg.star]
        first = args[0].value if args and args[0].keyword is None else None
        where = Where(loader.file, loader.scopes)
        if loader.method == "from_envvar":
            loader.unknown = "a file named by an environment variable"
        elif loader.method == "from_prefixed_env":
            prefix_node = first if first is not None else _keyword(loader.node, "prefix")
            prefix = self.evaluator.evaluate(prefix_node, where) if prefix_node is not None else Known("FLASK")
            if isinstance(prefix, Known) and isinstance(prefix.value, str):
                loader.prefix = prefix.value
            else:
                loader.unknown = "environment variables with a prefix that is not statically known"
        elif loader.method == "from_object":
            self._resolve_object(loader, first if first is not None else _keyword(loader.node, "obj"), where)
        elif loader.method in ("from_pyfile", "from_file"):
            self._resolve_file(loader, first if first is not None else _keyword(loader.node, "filename"), where)

    def _resolve_object(self, loader: LoadCall, node: Optional[cst.BaseExpression], where: Where) -> None:
        if node is None:
            loader.unknown = "an object that is not given"
            return
        targets = self._objects(node, where)
        if targets is None:
            loader.unknown = f"`{loader.file.code(node)}`, which is not statically known"
            return
        for target in targets:
            if isinstance(target, ClassRef):
                unit = self.class_unit(target)
                self.loaded_classes.append(unit)
                loader.loads.append(unit)
            else:
                loader.loads.append(self.module_unit(target))

    def _objects(self, node: cst.BaseExpression, where: Where) -> Optional[List]:
        """The classes and modules an expression handed to ``from_object`` may be, or None."""
        if isinstance(node, cst.Name) and node.value == "__name__":
            return [where.file]
        if isinstance(node, cst.Call):  # an instance: from_object(Config())
            cls = self.evaluator.evaluate(node.func, where)
            if isinstance(cls, Known) and isinstance(cls.value, ClassRef):
                return [cls.value]
        if isinstance(node, cst.Subscript) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
            mapping = self.evaluator.evaluate(node.value, where)
            key = self.evaluator.evaluate(node.slice[0].slice.value, where)
            if isinstance(mapping, Known) and isinstance(mapping.value, DictValue) and not isinstance(key, Known):
                found = []
                for entry in mapping.value.entries:
                    targets = self._object_value(entry.value)
                    if targets is None:
                        return None
                    found.extend(targets)
                return found if mapping.value.complete else None
        value = self.evaluator.evaluate(node, where)
        if not isinstance(value, Known) and isinstance(node, cst.Name):
            instance = self._instance_of(where.file, node.value)
            if instance is not None:
                return [instance]
            value = self._parameter_default(node.value, where)
        return self._object_value(value)

    def _instance_of(self, file: ParsedFile, name: str) -> Optional[ClassRef]:
        """``Config = ServerConfig()`` at a module's top level: the class ``name`` is an
        instance of (from_object reads an instance's attributes as its class's)."""
        bindings = file.module_scope.bindings.get(name) or []
        if len(bindings) != 1 or bindings[0].kind != "assign" or not isinstance(bindings[0].value, cst.Call):
            return None
        cls = self.evaluator.evaluate(bindings[0].value.func, Where.module_level(file))
        return cls.value if isinstance(cls, Known) and isinstance(cls.value, ClassRef) else None

    def _object_value(self, value) -> Optional[List]:
        if not isinstance(value, Known):
            return None
        target = value.value
        if isinstance(target, ClassRef):
            return [target]
        if isinstance(target, ModuleRef):
            return [target.file] if target.file is not None else None
        if isinstance(target, str):
            return self._import_string(target)
        return None

    def _import_string(self, dotted: str) -> Optional[List]:
        """``"app.config.ProductionConfig"`` / ``"app.config:ProductionConfig"`` / ``"app.settings"``."""
        dotted = dotted.replace(":", ".").strip()
        path = self.project.resolve_module(dotted)
        if path is not None:
            parsed = self.project.parsed(path)
            return [parsed] if parsed is not None else None
        if "." not in dotted:
            return None
        module, name = dotted.rsplit(".", 1)
        path = self.project.resolve_module(module)
        parsed = self.project.parsed(path) if path is not None else None
        if parsed is None:
            return None
        instance = self._instance_of(parsed, name)
        if instance is not None:
            return [instance]
        return self._object_value(self.evaluator.module_attribute(parsed, name))

    def _parameter_default(self, name: str, where: Where):
        """``def create_app(config_class=Config): app.config.from_object(config_class)``."""
        for index in range(len(where.scopes) - 1, -1, -1):
            scope = where.scopes[index]
            if not isinstance(scope, cst.FunctionDef):
                continue
            params = list(scope.params.params) + list(scope.params.kwonly_params) + list(scope.params.posonly_params)
            for param in params:
                if param.name.value == name:
                    if param.default is None:
                        return None
                    return self.evaluator.evaluate(param.default, Where(where.file, where.scopes[:index]))
            return None
        return None

    def _resolve_file(self, loader: LoadCall, node: Optional[cst.BaseExpression], where: Where) -> None:
        value = self.evaluator.evaluate(node, where) if node is not None else None
        if not (isinstance(value, Known) and isinstance(value.value, str)):
            loader.unknown = "a file whose name is not statically known"
            return
        path = self._config_file(value.value, loader.file.relative)
        if path is None:
            loader.unknown = f"{value.value!r}, which is not in the project"
            return
        if loader.method == "from_pyfile":
            parsed = self.project.parsed(path)
            if parsed is None:
                loader.unknown = f"{path}, which cannot be parsed"
                return
            loader.loads.append(self.module_unit(parsed))
            return
        load = _keyword(loader.node, "load")
        positional = [arg for arg in loader.node.args if arg.keyword is None and not arg.star]
        load = load if load is not None else (positional[1].value if len(positional) > 1 else None)
        qualified = self.evaluator.qualified_name(load, where) if load is not None else None
        text = self.project.read_text(path)
        keys = None
        if text is not None and qualified in _JSON_LOADERS:
            keys = read_json_keys(text)
        elif text is not None and qualified in _TOML_LOADERS:
            keys = read_toml_keys(text)
        if keys is None:
            loader.unknown = f"{path}, loaded in a way poolcheck does not read"
            return
        unit = ConfigUnit(LOADED_FILE, str(path), path, loader=loader)
        for key in keys:
            if key.name.isupper():  # from_file goes through from_mapping: UPPERCASE keys only
                unit.entries.append(ConfigEntry(key.name, key.value, DATA_FILE, path, unit=unit, span=key.span))
        loader.loads.append(unit)
        self.config.units.append(unit)

    def _config_file(self, name: str, importer: PurePosixPath) -> Optional[PurePosixPath]:
        """Where Flask finds a config file: beside the app's package (its root_path), or in
        the instance folder beside it; also tried from the project root."""
        if name.startswith("/") or ":" in name[:3]:
            return None
        files = set(self.project.paths())
        folder = importer.parent
        relative = PurePosixPath(name)
        for base in (
            folder,
            folder.parent,
            PurePosixPath("."),
            folder / "instance",
            folder.parent / "instance",
            PurePosixPath("instance"),
        ):
            candidate = PurePosixPath(_normal(base / relative))
            if candidate in files:
                return candidate
        return None


def env_file_unit(path: PurePosixPath, text: str, prefixes: Sequence[str]) -> ConfigUnit:
    """The keys ``from_prefixed_env`` takes from a ``.env`` file, for the given prefixes."""
    unit = ConfigUnit(ENV_FILE, str(path), path)
    for key in read_dotenv(text):
        for prefix in prefixes:
            split = split_prefixed(key.name, prefix)
            if split is None:
                continue
            name, nested = split
            raw = key.value.value if isinstance(key.value, Known) else ""
            unit.entries.append(
                ConfigEntry(
                    name,
                    flask_env_value(raw),
                    DOTENV,
                    path,
                    written_key=key.name,
                    nested=nested,
                    unit=unit,
                    span=key.span,
                )
            )
            break
    return unit


def _ancestors(unit: ConfigUnit) -> List[ConfigUnit]:
    found: List[ConfigUnit] = []
    pending = list(unit.bases)
    while pending:
        base = pending.pop()
        if any(base is seen for seen in found):
            continue
        found.append(base)
        pending.extend(base.bases)
    return found


def _keyword(call: cst.Call, name: str) -> Optional[cst.BaseExpression]:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg.value
    return None


def _normal(path: PurePosixPath) -> str:
    import posixpath

    return posixpath.normpath(str(path))
