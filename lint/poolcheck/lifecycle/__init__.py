"""The shared lifecycle model: sessions, ``scoped_session`` registries and connections, what
creates them, and whether each is released on every path.

One module per job:

- :mod:`.tokens` (no libcst; cheap for rule modules): the fixed prefilter tokens
  (``SESSION_TOKENS``, ``REGISTRY_TOKENS``, ``CONNECTION_TOKENS``) and the names the project
  binds to factories, registries and engines (:func:`project_names`, and
  ``session_project_tokens`` / ``registry_project_tokens`` / ``engine_project_tokens`` for
  ``poolcheck.prefilter.ProjectTokens``), so a file calling ``SessionLocal()`` imported from
  ``db.py`` is parsed although it names nothing of SQLAlchemy.
- :mod:`.model`: the values: :class:`Origin` (an engine, a session factory or a registry,
  traced to the SQLAlchemy call building it; ``key`` identifies it across modules) and
  :class:`Creation` (a call creating a session, a connection or a registry).
- :mod:`.resolve`: :func:`resolver(project)` → :class:`Resolver` with
  ``origin_of(expr, where)`` and ``creation_of(call, where)``, built on the evaluator's
  import resolution (aliases, other modules, class attributes, ``self.`` attributes,
  getters, ``functools.partial``). Anything not traced to SQLAlchemy is None.
- :mod:`.code`: project functions and methods a call names (``function_named``).
- :mod:`.sites`: :func:`creation_sites(ctx)` → every creation in the checked file with the
  function it is in and how it is held (``WITH``, ``ASSIGNED``, ``RETURNED``, ``STORED``...).
- :mod:`.flow`: :func:`release_problem(...)`: the per-function flow analysis ("is it
  released on every path, exceptions included?").

Typical use in a rule::

    from poolcheck.lifecycle import SESSION, creation_sites
    for site in creation_sites(ctx):
        if site.kind == SESSION and site.at_module_level: ...
"""

import importlib

# Names load on first use (PEP 562): a rule module importing only .tokens stays cheap.
_LAZY = {
    # model
    "ENGINE": (".model", "ENGINE"),
    "SESSION_FACTORY": (".model", "SESSION_FACTORY"),
    "REGISTRY": (".model", "REGISTRY"),
    "SESSION": (".model", "SESSION"),
    "CONNECTION": (".model", "CONNECTION"),
    "Origin": (".model", "Origin"),
    "Creation": (".model", "Creation"),
    # resolution
    "Resolver": (".resolve", "Resolver"),
    "resolver": (".resolve", "resolver"),
    "sqlalchemy_name": (".resolve", "sqlalchemy_name"),
    "FunctionRef": (".code", "FunctionRef"),
    "function_named": (".code", "function_named"),
    # sites
    "CreationSite": (".sites", "CreationSite"),
    "creation_sites": (".sites", "creation_sites"),
    "WITH": (".sites", "WITH"),
    "MANAGED": (".sites", "MANAGED"),
    "ASSIGNED": (".sites", "ASSIGNED"),
    "STORED": (".sites", "STORED"),
    "RETURNED": (".sites", "RETURNED"),
    "YIELDED": (".sites", "YIELDED"),
    "ARGUMENT": (".sites", "ARGUMENT"),
    "ON_THE_SPOT": (".sites", "ON_THE_SPOT"),
    "OTHER": (".sites", "OTHER"),
    # flow
    "Problem": (".flow", "Problem"),
    "release_problem": (".flow", "release_problem"),
    "is_generator": (".flow", "is_generator"),
    "NEVER_CLOSED": (".flow", "NEVER_CLOSED"),
    "SOME_PATHS": (".flow", "SOME_PATHS"),
    "HAPPY_PATH": (".flow", "HAPPY_PATH"),
    "YIELD_OUTSIDE_FINALLY": (".flow", "YIELD_OUTSIDE_FINALLY"),
    "REBOUND": (".flow", "REBOUND"),
    # tokens
    "SESSION_TOKENS": (".tokens", "SESSION_TOKENS"),
    "REGISTRY_TOKENS": (".tokens", "REGISTRY_TOKENS"),
    "CONNECTION_TOKENS": (".tokens", "CONNECTION_TOKENS"),
    "ENGINE_TOKENS": (".tokens", "ENGINE_TOKENS"),
    "ProjectNames": (".tokens", "ProjectNames"),
    "project_names": (".tokens", "project_names"),
    "session_project_tokens": (".tokens", "session_project_tokens"),
    "registry_project_tokens": (".tokens", "registry_project_tokens"),
    "engine_project_tokens": (".tokens", "engine_project_tokens"),
}


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(name)
    module, attribute = _LAZY[name]
    return getattr(importlib.import_module(module, __name__), attribute)


__all__ = sorted(_LAZY)
