"""A job store that builds its own engine is an engine site like any ``create_engine`` call.

``SQLAlchemyJobStore(url=..., engine_options={...})`` runs ``create_engine(url,
**engine_options)``: its options deserve every engine-option check (a typo such as
``pool_recyle`` fails at start-up exactly as it would in a direct call). This module turns
such a store into an :class:`~poolcheck.engines.EngineSite`; a store given an ``engine=``
builds nothing and is not a site (its ``engine_options`` are ignored).
"""

from __future__ import annotations

from typing import Optional

from ..engines import EngineSite, options_from
from ..values import Known, Template, UrlParts
from .model import DATA_STORE, JobStoreSite, is_url_value

KIND = "apscheduler-jobstore"


def engine_site_for(store: JobStoreSite) -> Optional[EngineSite]:
    """The engine the store builds from a URL, or None (an engine given, or unknown)."""
    url = store.url
    if url is None or not _is_url(url.value, store):
        return None
    if store.form == DATA_STORE:
        # APScheduler 4 takes no engine options: SQLAlchemy's defaults, complete.
        return EngineSite(
            kind=KIND,
            label="SQLAlchemyDataStore",
            file=store.file,
            node=store.node,
            url=url.value,
            url_node=url.value_node,
            options={},
            complete=True,
            is_async=_async_driver(url.value),
            scopes=url.scopes if url.file is store.file else (),
        )
    if store.engine_given() is not False:
        return None
    options = store.engine_options()
    return EngineSite(
        kind=KIND,
        label="SQLAlchemyJobStore",
        file=store.file,
        node=store.node,
        url=url.value,
        url_node=url.value_node,
        options=options_from(options.options) if options is not None and options.options is not None else {},
        complete=options is not None and (options.options is None or options.options.complete),
        scopes=url.scopes if url.file is store.file else (),
    )


def _is_url(value, store: JobStoreSite) -> bool:
    if store.form == DATA_STORE:
        return is_url_value(value)  # anything else may be an engine
    # APScheduler 3's url= is a URL by contract; a falsy one raises ValueError instead.
    return not (isinstance(value, Known) and value.value in (None, ""))


def _async_driver(url) -> bool:
    """Whether SQLAlchemyDataStore's create_async_engine(url) succeeds (else it falls back to
    create_engine)."""
    from ..engines import knowledge

    if not isinstance(url, Known):
        return False
    value = url.value
    if isinstance(value, str):
        parsed = knowledge().parse_url(value)
        scheme = parsed.drivername if parsed is not None else None
    elif isinstance(value, Template):
        scheme = value.prefix.split("://", 1)[0] if "://" in value.prefix else None
    elif isinstance(value, UrlParts):
        scheme = value.drivername
    else:
        scheme = None
    info = knowledge().scheme_info(scheme) if scheme else None
    return bool(info is not None and info.async_supported)
