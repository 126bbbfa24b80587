"""The memoised, persistable table of what the installed SQLAlchemy accepts.

A :class:`Knowledge` answers every question the rules ask about SQLAlchemy. Each answer is
computed once from the installed library (imported lazily, on the first question that needs
it), kept, and can be written out with :meth:`Knowledge.to_dict` keyed by
``sqlalchemy.__version__``; :meth:`Knowledge.from_dict` reads it back so that a run can
answer without importing SQLAlchemy.

Errors never escape a question: anything SQLAlchemy raises (a dialect that does not load,
a third-party dialect's ImportError, a version without some feature) gives None, "unknown".
"""

from __future__ import annotations

import warnings
from typing import Any, Callable, Dict, FrozenSet, List, Optional, Set, Tuple, Union

from . import dialects, engine, pools, probes
from .model import UNKNOWN, DialectInfo, Unknown, UrlInfo
from .table import FORMAT_VERSION, answer_key, decode_answers, encode_answers

Query = Union[Tuple[Tuple[str, str], ...], Unknown]
Database = Union[str, None, Unknown]

# Probes for a URL whose database (or query) the linter could not read: the default pool
# class is only reported when every one of these gives the same answer. They cover what
# dialects look at: no database, SQLite's memory forms, a file, a "file:" URI.
_PROBE_DATABASES = (None, "", ":memory:", "app.db", "/srv/app/app.db", "file:app.db")
_PROBE_QUERIES = ((), (("mode", "memory"), ("uri", "true")))


def _normal_query(query: Query) -> Query:
    if query is UNKNOWN:
        return UNKNOWN
    return tuple((str(k), str(v)) for k, v in query)  # type: ignore[union-attr]


def _union(parts: List[Optional[FrozenSet[str]]]) -> Optional[FrozenSet[str]]:
    """The union of name sets; None if any is unknown (a partial union would make names
    look rejected that are not)."""
    if any(part is None for part in parts):
        return None
    return frozenset().union(*parts)  # type: ignore[arg-type]


def _scheme_of(drivername: str) -> str:
    """Accept "mysql+pymysql" as well as "mysql+pymysql://..."."""
    return drivername.split("://", 1)[0]


class Knowledge:
    """Answers questions about one SQLAlchemy version.

    ``Knowledge()`` answers from the installed SQLAlchemy. ``Knowledge.from_dict(table)``
    answers from a saved table and, for questions the table lacks, from the installed
    SQLAlchemy only when its version is the table's (else None).
    """

    def __init__(self) -> None:
        self._answers: Dict[str, Dict[str, Any]] = {}
        self._table_version: Optional[str] = None  # set when loaded from a table
        self._may_compute = True
        self._installed_matches: Optional[bool] = None

    # --- memo and persistence ------------------------------------------------------

    def _answer(self, question: str, args: Tuple[Any, ...], compute: Callable[[], Any], composed: bool = False) -> Any:
        """The memoised answer; ``composed`` answers are built only from other answers, so
        they may be worked out from a saved table without SQLAlchemy."""
        try:
            key = answer_key(args)
        except TypeError:  # an argument that is not plain data: not a question we answer
            return None
        table = self._answers.setdefault(question, {})
        if key not in table:
            table[key] = self._compute(compute, composed)
        return table[key]

    def _compute(self, compute: Callable[[], Any], composed: bool) -> Any:
        if not composed and not self._can_compute():
            return None
        try:
            with warnings.catch_warnings():
                # Loading dialects and probing URLs warns (deprecated dialects, 2.1's
                # memory-mode pool selection); the answers are what matters here.
                warnings.simplefilter("ignore")
                return compute()
        except Exception:
            return None

    def _can_compute(self) -> bool:
        if not self._may_compute:
            return False
        if self._table_version is None:
            return True
        if self._installed_matches is None:
            try:
                self._installed_matches = dialects.sqlalchemy_version() == self._table_version
            except Exception:
                self._installed_matches = False
        return self._installed_matches

    def to_dict(self) -> Dict[str, Any]:
        """Every answer so far as JSON-ready data, keyed by the SQLAlchemy version.

        Call :meth:`warm` first for a table that answers the version-wide questions.
        """
        answers = encode_answers(self._answers)
        return {"format": FORMAT_VERSION, "sqlalchemy_version": self.sqlalchemy_version(), "answers": answers}

    @classmethod
    def from_dict(cls, data: Dict[str, Any], compute_missing: bool = True) -> "Knowledge":
        """A Knowledge answering from ``data`` (as made by :meth:`to_dict`).

        Raises ValueError for data of another format or corrupt content, so that a stale or
        damaged cache can be discarded.
        """
        if not isinstance(data, dict) or data.get("format") != FORMAT_VERSION:
            raise ValueError("not a poolcheck SQLAlchemy knowledge table of this format")
        if not isinstance(data.get("sqlalchemy_version"), str) or not isinstance(data.get("answers"), dict):
            raise ValueError("corrupt SQLAlchemy knowledge table: no version or answers")
        knowledge = cls()
        knowledge._answers = decode_answers(data["answers"])
        knowledge._table_version = data["sqlalchemy_version"]
        knowledge._may_compute = compute_missing
        knowledge._answers["sqlalchemy_version"] = {answer_key(()): knowledge._table_version}
        return knowledge

    def size(self) -> int:
        """How many answers are known (to tell whether a saved table is behind)."""
        return sum(len(table) for table in self._answers.values())

    def answer_keys(self) -> Dict[str, set]:
        return {question: set(table) for question, table in self._answers.items()}

    def answers_since(self, keys: Dict[str, set]) -> List[Tuple[str, str, Any]]:
        return [
            (question, key, value)
            for question, table in self._answers.items()
            for key, value in table.items()
            if key not in keys.get(question, ())
        ]

    def add_answers(self, answers) -> None:
        for question, key, value in answers:
            self._answers.setdefault(question, {}).setdefault(key, value)

    def warm(self) -> "Knowledge":
        """Answer every question that does not depend on the checked code, so that a table
        written after this answers them without SQLAlchemy."""
        self.sqlalchemy_version()
        self.pool_mismatch_rejected()
        self.future_false_rejected()
        for poolclass in self.pool_classes() or ():
            self.pool_defaults(poolclass)
            self.pool_class_async_mode(poolclass)
        self.kwargs_accepted_by_any_dialect()  # fills dialect, pool, engine kwargs on the way
        self.engine_kwarg_defaults()
        for drivername in self.known_drivernames() or ():
            self.scheme_info(drivername)
            self.engine_config_types(drivername)
            self.dialect_kwarg_defaults(drivername)
            for is_async in (False, True):
                self.default_pool_class(drivername, UNKNOWN, is_async)
        return self

    # --- questions ---------------------------------------------------------------------

    def sqlalchemy_version(self) -> Optional[str]:
        """``sqlalchemy.__version__`` of the SQLAlchemy these answers describe."""
        return self._answer("sqlalchemy_version", (), dialects.sqlalchemy_version)

    def parse_url(self, text: str) -> Optional[UrlInfo]:
        """``make_url(text)`` as plain data; None when SQLAlchemy cannot parse it.

        ``masked`` is ``render_as_string(hide_password=True)`` and additionally hides the
        rest of a password after an unescaped "@" (which SQLAlchemy parses into the host)
        and the values of password-like query keys (``?password=``, ``?token=``).
        """
        return self._answer("parse_url", (text,), lambda: dialects.describe_url(text))

    def scheme_info(self, drivername: str) -> Optional[DialectInfo]:
        """What SQLAlchemy makes of a URL scheme alone (for ``f"mysql+pymysql://{...}"``):
        backend, driver, whether the dialect loads, and whether it is an asyncio one.
        None only when ``drivername`` is not a valid scheme at all."""
        scheme = _scheme_of(drivername)
        return self._answer("scheme_info", (scheme,), lambda: dialects.describe_scheme(scheme))

    def known_drivernames(self) -> Optional[Tuple[str, ...]]:
        """Every ``backend`` and ``backend+driver`` scheme SQLAlchemy ships that loads
        (``mysql``, ``mysql+pymysql``, ``mariadb+pymysql``...)."""
        return self._answer("known_drivernames", (), dialects.shipped_drivernames)

    def default_pool_class(
        self, drivername: str, database: Database = UNKNOWN, is_async: bool = False, query: Query = ()
    ) -> Optional[str]:
        """The pool class create_engine picks when none is given ("QueuePool",
        "SingletonThreadPool", "NullPool", "StaticPool", "AsyncAdaptedQueuePool").

        ``is_async``: for create_async_engine. ``database`` and ``query`` are the URL's,
        or UNKNOWN when the linter could not read them; then the answer is given only if
        it is the same for every probe database/query, else None. None also when the
        dialect does not load.
        """
        scheme, query = _scheme_of(drivername), _normal_query(query)
        args = (scheme, database, bool(is_async), query)
        if database is UNKNOWN or query is UNKNOWN:
            return self._answer("default_pool_class", args, lambda: self._agreed_default_pool(*args), composed=True)
        return self._answer(
            "default_pool_class", args, lambda: dialects.default_pool_class(scheme, database, query, bool(is_async))
        )

    def _candidate_default_pools(
        self, scheme: str, database: Database, is_async: bool, query: Query
    ) -> Set[Optional[str]]:
        databases = _PROBE_DATABASES if database is UNKNOWN else (database,)
        queries = _PROBE_QUERIES if query is UNKNOWN else (query,)
        return {self.default_pool_class(scheme, db, is_async, q) for db in databases for q in queries}

    def _agreed_default_pool(self, scheme: str, database: Database, is_async: bool, query: Query) -> Optional[str]:
        candidates = self._candidate_default_pools(scheme, database, is_async, query)
        return candidates.pop() if len(candidates) == 1 else None

    def pool_classes(self) -> Optional[Tuple[str, ...]]:
        """Every concrete pool class in ``sqlalchemy.pool`` (all Pool subclasses but Pool)."""
        return self._answer("pool_classes", (), pools.concrete_pool_class_names)

    def resolve_pool_class(self, qualified_name: str) -> Optional[str]:
        """The pool class a dotted name denotes in the installed SQLAlchemy
        (``sqlalchemy.pool.impl.NullPool`` -> "NullPool"); None for names that do not exist
        there (``sqlalchemy.NullPool`` on 1.4) or are outside ``sqlalchemy``."""
        return self._answer("resolve_pool_class", (qualified_name,), lambda: pools.resolve_pool_class(qualified_name))

    def pool_kwarg_translation(self) -> Optional[Dict[str, str]]:
        """Pool constructor keyword -> create_engine keyword (``recycle`` -> ``pool_recycle``);
        names not listed keep their name (``pool_size``)."""
        return self._answer("pool_kwarg_translation", (), pools.pool_kwarg_translation)

    def pool_kwargs(self, poolclass: str) -> Optional[FrozenSet[str]]:
        """The create_engine keywords that configure ``poolclass`` (translated names:
        ``pool_size``, ``pool_recycle``...). Includes ``creator`` and ``dialect``, which
        create_engine also routes to the pool. None for an unknown pool class."""
        return self._answer("pool_kwargs", (poolclass,), lambda: pools.pool_kwarg_names(poolclass))

    def all_pool_kwarg_names(self) -> Optional[FrozenSet[str]]:
        """The union of :meth:`pool_kwargs` over every pool class: a keyword in here that a
        pool class rejects is a pool argument on the wrong pool (not a typo)."""

        def union() -> Optional[FrozenSet[str]]:
            names = self.pool_classes()
            return None if names is None else _union([self.pool_kwargs(name) for name in names])

        return self._answer("all_pool_kwarg_names", (), union, composed=True)

    def pool_defaults(self, poolclass: str) -> Optional[Dict[str, Any]]:
        """Defaults of ``poolclass``'s keywords under create_engine names, from the
        constructors' signatures (QueuePool: pool_size=5, max_overflow=10,
        pool_timeout=30.0, pool_recycle=-1, pool_pre_ping=False...)."""
        return self._answer("pool_defaults", (poolclass,), lambda: pools.pool_defaults(poolclass))

    def pool_class_async_mode(self, poolclass: str) -> Optional[str]:
        """How ``poolclass`` goes with asyncio: "asyncio" (AsyncAdaptedQueuePool), "sync"
        (QueuePool, SingletonThreadPool) or "either": it follows its dialect (NullPool,
        StaticPool, AssertionPool)."""
        return self._answer("pool_class_async_mode", (poolclass,), lambda: pools.pool_async_mode(poolclass))

    def pool_mismatch_rejected(self) -> Optional[bool]:
        """Whether create_engine raises ArgumentError for a pool whose asyncio-ness differs
        from the dialect's (True from 2.0 on; 1.4 accepts it)."""
        return self._answer("pool_mismatch_rejected", (), engine.pool_mismatch_rejected)

    def pool_class_allowed(self, poolclass: str, drivername: str, is_async: bool = False) -> Optional[bool]:
        """Whether create_engine (``is_async``: create_async_engine) lets ``poolclass`` be
        used with this dialect at all; False means it raises ArgumentError before looking at
        the keywords. What counts is the dialect's asyncio-ness, not the function's:
        ``create_engine("postgresql+asyncpg://", poolclass=QueuePool)`` is refused too."""
        rejected = self.pool_mismatch_rejected()
        mode = self.pool_class_async_mode(poolclass)
        info = self.scheme_info(drivername)
        dialect_is_async = None if info is None else (info.async_supported if is_async else info.is_async)
        if rejected is None or mode is None or dialect_is_async is None:
            return None
        return not rejected or mode == "either" or (mode == "asyncio") == dialect_is_async

    def future_false_rejected(self) -> Optional[bool]:
        """Whether ``create_engine(..., future=False)`` raises (2.x) or is accepted (1.4)."""
        return self._answer("future_false_rejected", (), engine.future_false_rejected)

    def dialect_kwargs(self, drivername: str, is_async: bool = False) -> Optional[FrozenSet[str]]:
        """The keywords the dialect itself consumes (constructor, DBAPI import method)."""
        scheme = _scheme_of(drivername)
        return self._answer(
            "dialect_kwargs", (scheme, bool(is_async)), lambda: dialects.dialect_kwarg_names(scheme, bool(is_async))
        )

    def engine_kwargs(self) -> Optional[FrozenSet[str]]:
        """The ``Engine`` constructor keywords (echo, logging_name, execution_options...)."""
        return self._answer("engine_kwargs", (), engine.engine_kwarg_names)

    def special_kwargs(self, is_async: bool = False) -> Optional[FrozenSet[str]]:
        """The keywords create_engine pops itself (module, connect_args, pool, creator,
        poolclass, future, strategy...), plus create_async_engine's (async_creator)."""
        return self._answer("special_kwargs", (bool(is_async),), lambda: engine.special_kwarg_names(bool(is_async)))

    def _entry_parameters(self, is_async: bool) -> Optional[FrozenSet[str]]:
        return self._answer("entry_parameters", (bool(is_async),), lambda: engine.entry_parameter_names(is_async))

    def accepted_kwargs(
        self,
        drivername: str,
        is_async: bool = False,
        poolclass: Optional[str] = None,
        database: Database = UNKNOWN,
        query: Query = (),
    ) -> Optional[FrozenSet[str]]:
        """Exactly the keywords create_engine (``is_async``: create_async_engine) accepts for
        this dialect and pool class, i.e. does not answer with "Invalid argument(s)".

        ``poolclass`` None means the default pool class for the URL's ``database``/``query``;
        when those are UNKNOWN and the default depends on them (SQLite), the answer is the
        union over the possible defaults: a keyword outside it is rejected whatever the
        database. Other notes:
        - values are not checked: ``strategy`` is accepted as a name but only "mock" works,
          ``future=False`` raises on 2.x, ``server_side_cursors=True`` on async;
        - ``dbapi`` and ``dialect`` are accepted because the dialect's and pool's
          constructors take them, although create_engine overrides or misroutes them;
        - with ``pool=`` (an instance), create_engine skips the pool step, so ``creator``,
          ``poolclass`` and the pool keywords are then rejected: not modelled here;
        - a pool class create_engine refuses for this dialect (see
          :meth:`pool_class_allowed`) still gets the set it would be checked against.
        None when the dialect does not load or ``poolclass`` is not a SQLAlchemy pool.
        """
        scheme, query = _scheme_of(drivername), _normal_query(query)
        args = (scheme, bool(is_async), poolclass, database, query)
        return self._answer("accepted_kwargs", args, lambda: self._accepted_kwargs(*args), composed=True)

    def _accepted_kwargs(
        self, scheme: str, is_async: bool, poolclass: Optional[str], database: Database, query: Query
    ) -> Optional[FrozenSet[str]]:
        if poolclass is not None:
            poolclasses = {poolclass}
        else:
            poolclasses = self._candidate_default_pools(scheme, database, is_async, query)
        pool_sets = [self.pool_kwargs(name) if name is not None else None for name in poolclasses]
        own_parts = [self.dialect_kwargs(scheme, is_async), self.engine_kwargs(), self.special_kwargs(is_async)]
        names = _union([*own_parts, *pool_sets])
        entry = self._entry_parameters(is_async)
        return None if names is None or entry is None else names - entry

    def kwargs_accepted_by_any_dialect(self) -> Optional[FrozenSet[str]]:
        """The union of :meth:`accepted_kwargs` over every shipped dialect and driver, every
        pool class, sync and async: a keyword outside it is rejected whatever the URL.
        None (never a partial set) when any part is unknown."""

        def union() -> Optional[FrozenSet[str]]:
            drivernames = self.known_drivernames()
            if drivernames is None:
                return None
            parts = [self.all_pool_kwarg_names(), self.engine_kwargs()]
            for is_async in (False, True):
                parts.append(self.special_kwargs(is_async))
                parts.extend(self.dialect_kwargs(name, is_async) for name in drivernames)
            names, entry = _union(parts), self._entry_parameters(False)
            return None if names is None or entry is None else names - entry

        return self._answer("kwargs_accepted_by_any_dialect", (), union, composed=True)

    def engine_config_types(self, drivername: str, is_async: bool = False) -> Optional[Dict[str, str]]:
        """The keys engine_from_config coerces from strings, and how: "int" (asint),
        "bool" (asbool), "bool_or_str" (true/false or a keyword like "debug"), or "other".
        Keys not listed are passed through as strings (``pool_pre_ping="false"`` is truthy)."""
        scheme = _scheme_of(drivername)
        return self._answer(
            "engine_config_types",
            (scheme, bool(is_async)),
            lambda: dialects.engine_config_types(scheme, bool(is_async)),
        )

    # --- defaults and values -------------------------------------------------------------

    def engine_kwarg_defaults(self) -> Optional[Dict[str, Any]]:
        """Defaults of the ``Engine`` constructor keywords (plain values only)."""
        return self._answer("engine_kwarg_defaults", (), engine.engine_kwarg_defaults)

    def dialect_kwarg_defaults(self, drivername: str, is_async: bool = False) -> Optional[Dict[str, Any]]:
        """Defaults of the dialect's own keywords (plain values only)."""
        scheme = _scheme_of(drivername)
        return self._answer(
            "dialect_kwarg_defaults",
            (scheme, bool(is_async)),
            lambda: dialects.dialect_kwarg_defaults(scheme, bool(is_async)),
        )

    def keyword_defaults(self, drivername: Optional[str], is_async: bool, poolclass: Optional[str]) -> Dict[str, Any]:
        """The default of every create_engine keyword whose default is a plain value, from
        the constructors' signatures: the pool's (``pool_size=5``, ``pool_pre_ping=False``),
        the Engine's, and the dialect's when ``drivername`` is known. What is unknown is
        left out, so a missing name means "no expectation", never "no default"."""
        parts = [self.engine_kwarg_defaults()]
        if drivername is not None:
            parts.append(self.dialect_kwarg_defaults(drivername, is_async))
        if poolclass is not None:
            parts.append(self.pool_defaults(poolclass))
        merged: Dict[str, Any] = {}
        for part in parts:
            merged.update(part or {})
        return merged

    def pool_value_failure(
        self, poolclass: str, option: str, value: Any, context: Tuple[Tuple[str, Any], ...] = ()
    ) -> Optional[Tuple[str, str]]:
        """How the real ``poolclass`` fails with the create_engine keyword ``option`` set to
        ``value`` (plain data), the other keywords being ``context`` (sorted ``(name,
        value)`` pairs): ``(stage, "ErrorType: message")`` with stage "create", "checkout"
        or "exhausted"; None when it works or cannot be tried. Found by building the pool
        with a fake DBAPI connection and checking connections out."""
        context = tuple(sorted((str(k), v) for k, v in context if k != option))
        return self._answer(
            "pool_value_failure",
            (poolclass, option, value, [list(pair) for pair in context]),
            lambda: probes.pool_value_failure(poolclass, option, value, context),
        )

    def pool_checkout_limit(self, poolclass: str, pool_size: int, max_overflow: int) -> Optional[int]:
        """How many connections ``poolclass(pool_size=..., max_overflow=...)`` lets out at
        once, counted on the real pool with fake connections; -1 for no limit
        (``max_overflow=-1``; ``pool_size=0`` from 2.0 on). None for pools without these
        keywords and for pools too large to count."""
        return self._answer(
            "pool_checkout_limit",
            (poolclass, pool_size, max_overflow),
            lambda: probes.pool_checkout_limit(poolclass, pool_size, max_overflow),
        )

    def coerce_config_value(
        self, drivername: Optional[str], key: str, text: str, is_async: bool = False
    ) -> Optional[Dict[str, Any]]:
        """What engine_from_config makes of the string ``text`` under ``key``, by running the
        dialect's own coercion: ``{"value": v}`` (``text`` itself when the key is not
        coerced: it reaches create_engine as a string) or ``{"error": "ValueError: ..."}``.
        ``drivername`` None: the answer every shipped dialect agrees on, else None.
        None also when the dialect does not load."""
        if drivername is None:
            return self._answer(
                "coerce_config_value", (None, bool(is_async), key, text),
                lambda: self._agreed_coercion(key, text, bool(is_async)), composed=True,
            )  # fmt: skip
        scheme = _scheme_of(drivername)
        return self._answer(
            "coerce_config_value",
            (scheme, bool(is_async), key, text),
            lambda: probes.coerce_config_value(scheme, bool(is_async), key, text),
        )

    def _agreed_coercion(self, key: str, text: str, is_async: bool) -> Optional[Dict[str, Any]]:
        answers = [self.coerce_config_value(name, key, text, is_async) for name in self.known_drivernames() or ()]
        if not answers or any(answer is None for answer in answers):
            return None
        first = answers[0]
        return first if all(answer == first for answer in answers) else None
