"""APScheduler's SQLAlchemy job stores (3.x) and data stores (4.x), however configured.

- :mod:`.model`: a store and its constructor arguments (:class:`JobStoreSite`);
- :mod:`.find`: recognising stores and the schedulers that build them from mappings;
- :mod:`.in_project`: the stores defined in one file, whichever file's scheduler builds them;
- :mod:`.engine_sites`: a store built from a URL as an engine site for the engine checks.
"""

from .engine_sites import KIND as ENGINE_SITE_KIND
from .engine_sites import engine_site_for
from .find import CONSUMER_TOKENS, STORE_TOKENS, Consumer, register_consumer_source
from .in_project import jobstore_sites, site_span
from .model import DATA_STORE, LIVENESS_OPTIONS, EngineOptions, JobStoreSite, is_url_value

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
