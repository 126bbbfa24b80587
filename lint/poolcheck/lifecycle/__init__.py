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
- :mod:`.states`, :mod:`.patterns`, :mod:`.flow`, :mod:`.ownership`: the per-function flow
  analysis ("is it released on every path, exceptions included?"): the states a resource
  can be in, the syntactic questions asked of a statement, the interpreter, and what a call
  does with the resource it is given (a constructor owns it, a project helper closes it).
- :mod:`.verdict`: :func:`release_problem(site, resolver)` → :class:`Problem` or None.

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
    "binds_to_connection": (".sites", "binds_to_connection"),
    "WITH": (".sites", "WITH"),
    "MANAGED": (".sites", "MANAGED"),
    "ASSIGNED": (".sites", "ASSIGNED"),
    "STORED": (".sites", "STORED"),
    "RETURNED": (".sites", "RETURNED"),
    "YIELDED": (".sites", "YIELDED"),
    "ARGUMENT": (".sites", "ARGUMENT"),
    "ON_THE_SPOT": (".sites", "ON_THE_SPOT"),
    "CLOSED": (".sites", "CLOSED"),
    "OTHER": (".sites", "OTHER"),
    # flow and verdict
    "Interpreter": (".flow", "Interpreter"),
    "Ownership": (".ownership", "Ownership"),
    "Problem": (".verdict", "Problem"),
    "release_problem": (".verdict", "release_problem"),
    "is_generator": (".patterns", "is_generator"),
    "NEVER_CLOSED": (".verdict", "NEVER_CLOSED"),
    "SOME_PATHS": (".verdict", "SOME_PATHS"),
    "HAPPY_PATH": (".verdict", "HAPPY_PATH"),
    "YIELD_OUTSIDE_FINALLY": (".verdict", "YIELD_OUTSIDE_FINALLY"),
    "REBOUND": (".verdict", "REBOUND"),
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
    "may_create": (".tokens", "may_create"),
    "refine_candidates": (".tokens", "refine_candidates"),
}


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(name)
    module, attribute = _LAZY[name]
    return getattr(importlib.import_module(module, __name__), attribute)


__all__ = sorted(_LAZY)
