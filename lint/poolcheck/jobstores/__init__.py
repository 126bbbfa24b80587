"""APScheduler's SQLAlchemy job stores (3.x) and data stores (4.x), however configured.

- :mod:`.model`: a store and its constructor arguments (:class:`JobStoreSite`);
- :mod:`.find`: recognising stores and the schedulers that build them from mappings;
- :mod:`.in_project`: the stores defined in one file, whichever file's scheduler builds them;
- :mod:`.engine_sites`: a store built from a URL as an engine site for the engine checks.
"""

import importlib

# The package's names load on first use (PEP 562): a rule module importing only the
# prefilter tokens (.tokens) must not pull in libcst with the rest.
_LAZY = {
    "ENGINE_SITE_KIND": (".engine_sites", "KIND"),
    "engine_site_for": (".engine_sites", "engine_site_for"),
    "CONSUMER_TOKENS": (".find", "CONSUMER_TOKENS"),
    "STORE_TOKENS": (".tokens", "STORE_TOKENS"),
    "Consumer": (".find", "Consumer"),
    "register_consumer_source": (".find", "register_consumer_source"),
    "jobstore_sites": (".in_project", "jobstore_sites"),
    "site_span": (".in_project", "site_span"),
    "DATA_STORE": (".model", "DATA_STORE"),
    "LIVENESS_OPTIONS": (".model", "LIVENESS_OPTIONS"),
    "EngineOptions": (".model", "EngineOptions"),
    "JobStoreSite": (".model", "JobStoreSite"),
    "is_url_value": (".model", "is_url_value"),
}


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(name)
    module, attribute = _LAZY[name]
    return getattr(importlib.import_module(module, __name__), attribute)


__all__ = [
    "CONSUMER_TOKENS",
    "Consumer",
    "register_consumer_source",
    "DATA_STORE",
    "ENGINE_SITE_KIND",
    "EngineOptions",
    "JobStoreSite",
    "LIVENESS_OPTIONS",
    "STORE_TOKENS",
    "engine_site_for",
    "is_url_value",
    "jobstore_sites",
    "site_span",
]
