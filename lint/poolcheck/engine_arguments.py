"""What create_engine does with an engine site's keywords, asked of the installed SQLAlchemy.

For each site: the keywords create_engine rejects with ``TypeError: Invalid argument(s)``,
split into those that configure some *other* pool class (PC103) and those no pool, dialect
or engine takes (PC104, with a did-you-mean); and the exact error text, which lists every
rejected keyword as SQLAlchemy does.

Where the URL is unknown, only what holds for every dialect is said: a pool keyword the
named ``poolclass=`` rejects, and near misses of a real keyword. A name that is no keyword
of any dialect SQLAlchemy ships may still be one of a third-party dialect's (BigQuery's
``credentials_path``), so it is left alone unless it is a near miss.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, FrozenSet, List, NamedTuple, Optional, Tuple


if TYPE_CHECKING:  # pragma: no cover
    from .context import RuleContext
    from .engine_checks import SiteFacts
    from .engines import EngineOption


class UnknownKeyword(NamedTuple):
    option: "EngineOption"
    suggestion: Optional[str]  # the keyword it most likely meant


class ArgumentVerdict:
    """What create_engine makes of one site's keywords (a plain class: a dataclass costs
    its module at every run's start, and rule modules are imported by every run)."""

    def __init__(self, facts: "SiteFacts") -> None:
        self.facts = facts
        # Pool keywords the site's (known) pool class does not take: PC103.
        self.wrong_pool: List["EngineOption"] = []
        # Keywords no component takes: PC104.
        self.unknown: List[UnknownKeyword] = []
        # Every keyword create_engine rejects, in the order it lists them; None when the
        # list cannot be complete (unknown dialect, unknown options).
        self.all_rejected: Optional[List[str]] = None

    @property
    def rejected_names(self) -> FrozenSet[str]:
        return frozenset([o.name for o in self.wrong_pool] + [u.option.name for u in self.unknown])

    def type_error(self, names: Optional[List[str]] = None) -> str:
        """``TypeError: Invalid argument(s) 'pool_size' sent to create_engine(), using
        configuration MySQLDialect_pymysql/NullPool/Engine.`` as SQLAlchemy words it (its
        sentence asking to check the keywords is left out). Unknown parts are ``...``."""
        from .engine_checks import dialect_class_name

        listed = self.all_rejected if self.all_rejected is not None else (names or [])
        dialect = dialect_class_name(self.facts) or "..."
        pool = self.facts.pool_class or "..."
        quoted = ",".join(f"'{name}'" for name in listed)
        return (
            f"TypeError: Invalid argument(s) {quoted} sent to create_engine(), "
            f"using configuration {dialect}/{pool}/Engine."
        )


def _knowledge():
    from .sqla import installed_knowledge

    return installed_knowledge()


def argument_verdicts(ctx: "RuleContext") -> List[ArgumentVerdict]:
    """One verdict per engine site of the file (computed once, shared by PC103-PC105)."""
    from .engine_checks import engine_sites_with_facts

    def compute(file_ctx) -> List[ArgumentVerdict]:
        return [_verdict(facts) for facts in engine_sites_with_facts(ctx)]

    return ctx.file.memo("engine-argument-verdicts", compute)


def _verdict(facts: "SiteFacts") -> ArgumentVerdict:
    verdict = ArgumentVerdict(facts)
    site = facts.site
    if "pool" in site.options:
        return verdict  # a ready pool instance: create_engine skips the pool keywords altogether
    knowledge = _knowledge()
    pool_names = knowledge.all_pool_kwarg_names()
    if pool_names is None:
        return verdict
    pool_accepts = knowledge.pool_kwargs(facts.pool_class) if facts.pool_class is not None else None
    if facts.url is not None:
        accepted, own = _accepted_for_url(facts)
        if accepted is None:
            return verdict
        for name, option in site.options.items():
            if name in pool_names:
                if own is not None and name not in own:
                    verdict.wrong_pool.append(option)
            elif name not in accepted:
                verdict.unknown.append(UnknownKeyword(option, _suggest_kwarg(name, accepted)))
        if site.complete and own is not None:
            verdict.all_rejected = [name for name in site.options if name in verdict.rejected_names]
        return verdict
    # Unknown dialect: what holds under every one.
    for name, option in site.options.items():
        if name in pool_names:
            if pool_accepts is not None and name not in pool_accepts and _no_dialect_takes(name):
                verdict.wrong_pool.append(option)
            continue
        suggestion = _near_miss_everywhere(name)
        if suggestion is not None:
            verdict.unknown.append(UnknownKeyword(option, suggestion))
    return verdict


def _accepted_for_url(facts: "SiteFacts") -> Tuple[Optional[FrozenSet[str]], Optional[FrozenSet[str]]]:
    """What create_engine accepts for the site's URL whatever the pool (enough to judge
    the keywords that are no pool's), and with the site's pool class when it is known."""
    from .sqla import UNKNOWN
    from .values import Known

    knowledge = _knowledge()
    url = facts.url
    database = url.database.value if isinstance(url.database, Known) else UNKNOWN
    query = url.query if url.query is not None else UNKNOWN
    accepted = knowledge.accepted_kwargs(url.drivername, facts.site.is_async, None, database, query)
    own = None
    if facts.pool_class is not None:
        own = knowledge.accepted_kwargs(url.drivername, facts.site.is_async, facts.pool_class, database, query)
    return accepted, own


def _core_keywords() -> Optional[FrozenSet[str]]:
    """Keywords that do not depend on the dialect (pools, Engine, create_engine's own) plus
    the base dialect's: cheap to know, and what typos are typos of."""
    knowledge = _knowledge()
    parts = [knowledge.all_pool_kwarg_names(), knowledge.engine_kwargs(), knowledge.special_kwargs(False),
             knowledge.special_kwargs(True), knowledge.dialect_kwargs("sqlite")]
    if any(part is None for part in parts):
        return None
    return frozenset().union(*parts)  # type: ignore[arg-type]


def _near_miss_everywhere(name: str) -> Optional[str]:
    """The keyword ``name`` is a near miss of, when no shipped dialect accepts ``name``.
    Loading every dialect takes a second or two, so it is done only for a name that looks
    like a typo of a core keyword."""
    core = _core_keywords()
    if core is None or name in core:
        return None
    suggestion = _suggest_kwarg(name, core)
    if suggestion is None:
        return None
    anywhere = _knowledge().kwargs_accepted_by_any_dialect()
    if anywhere is None or name in anywhere:
        return None
    return suggestion


def _no_dialect_takes(name: str) -> bool:
    """``name`` is no keyword of any shipped dialect, nor of the Engine (so a pool class that
    rejects it makes create_engine reject it, whatever the URL)."""
    knowledge = _knowledge()
    engine, drivernames = knowledge.engine_kwargs(), knowledge.known_drivernames()
    if engine is None or drivernames is None or name in engine:
        return False
    for drivername in drivernames:
        for is_async in (False, True):
            names = knowledge.dialect_kwargs(drivername, is_async)
            if names is not None and name in names:
                return False
    return True


def pool_origin(facts: "SiteFacts") -> str:
    """How the site got its pool class, for messages: "`poolclass=NullPool`", or
    "SingletonThreadPool, SQLAlchemy's default pool for `sqlite://`"."""
    if facts.pool_class_explicit:
        option = facts.site.options.get("poolclass")
        if option is not None and option.implicit:
            return f"{facts.pool_class} ({option.implicit})"
        return f"`poolclass={facts.pool_class}`"
    url = facts.url
    shown = url.display if url is not None else "this URL"
    return f"{facts.pool_class}, SQLAlchemy's default pool for `{shown}`"


# A rename is offered for a spelling slip (pool_recyle: 0.96), not for a different name that
# merely resembles a keyword (pool_min_size -> pool_size: 0.82).
CLEAR_SIMILARITY = 0.85


def suggestion_is_unique(verdict: ArgumentVerdict, unknown: UnknownKeyword) -> bool:
    """A rename fix is offered only for a clear suggestion (the same words, the missing
    ``pool_`` prefix, or a one-letter slip) that the site does not set already and that no
    other unknown keyword of the site suggests too."""
    suggestion, name = unknown.suggestion, unknown.option.name
    if suggestion is None or suggestion in verdict.facts.site.options:
        return False
    if sum(1 for other in verdict.unknown if other.suggestion == suggestion) != 1:
        return False
    words = {word for word in name.lower().split("_") if word}
    same_words = words == set(suggestion.split("_")) or name.lower().replace("_", "") == suggestion.replace("_", "")
    prefixed = suggestion.endswith("_" + name)
    import difflib  # only for a suggestion: most runs make none

    return same_words or prefixed or difflib.SequenceMatcher(None, name, suggestion).ratio() >= CLEAR_SIMILARITY


__all__: Tuple[str, ...] = (
    "ArgumentVerdict",
    "UnknownKeyword",
    "argument_verdicts",
    "pool_origin",
    "suggestion_is_unique",
)


def _suggest_kwarg(name, accepted):
    from .sqla.suggest import suggest_kwarg  # not at import: sqla.suggest imports difflib

    return suggest_kwarg(name, accepted)
