"""PC105: engine arguments whose values create_engine misreads or fails on.

What each keyword expects is asked of the installed SQLAlchemy (``poolcheck.sqla``): the
defaults in the pool, dialect and Engine signatures, engine_from_config's own coercions,
and the real pool class built with the value and a fake connection
(``pool_value_failure``), whose exception text the messages quote.
"""

from __future__ import annotations

from typing import Any, List, Optional

from poolcheck.api import Applicability, Edit, Fix, Invalid, Rule, RuleContext, Severity, Valid
from poolcheck.engine_arguments import argument_verdicts
from poolcheck.engine_checks import ENGINE_SITE_FACTS, SiteFacts, is_number, option_anchor, option_reference, option_value
from poolcheck.site_sources import ENGINE_SITE_FACT_TOKENS, ENGINE_SITE_TOKENS

# Every engine site: the factories and each registered site source (job stores, Flask).
ENGINE_TOKENS = ENGINE_SITE_TOKENS


def _knowledge():
    from poolcheck.sqla import installed_knowledge

    return installed_knowledge()


def _in_this_file(ctx: RuleContext, option) -> bool:
    return option.file is None or option.file is ctx.parsed or option.file.relative == ctx.parsed.relative


# The one documented negative value the signatures cannot tell: QueuePool's
# ``max_overflow=-1`` means "no limit" (SQLAlchemy docs, QueuePool.__init__; verified in
# shared/reference/ground-truth.md section 2). A negative value that is the keyword's own
# default (``pool_recycle=-1``, "never") is read from the signature instead.
DOCUMENTED_NEGATIVES = {("max_overflow", -1): "no limit"}

_STAGES = {
    "create": "create_engine() raises",
    "checkout": "the first checkout raises",
    "exhausted": "a checkout from an exhausted pool raises",
}
_PROBE_STRING = "__poolcheck_probe__"


class BadEngineArgValue(Rule):
    code = "PC105"
    name = "bad-engine-arg-value"
    severity = Severity.ERROR
    summary = "An engine argument whose value is of the wrong kind: a string for a boolean or a number, a negative size."
    tokens = ENGINE_TOKENS
    shared_facts = ENGINE_SITE_FACTS
    fact_tokens = ENGINE_SITE_FACT_TOKENS
    what = """
        Flags engine arguments whose value create_engine misreads or fails on:

        - a string for a boolean (`pool_pre_ping="False"`, `pool_use_lifo="false"`,
          `hide_parameters="0"`): every non-empty string is true, so "False" turns the
          option **on**;
        - a number written as a string outside `engine_from_config` (`pool_size="20"`), and
          inside it for keys SQLAlchemy does not coerce (`pool_pre_ping`, `pool_use_lifo`,
          `query_cache_size`), or that it cannot coerce (`pool_size="abc"`);
        - a value read straight from the environment (`os.getenv("POOL_SIZE", 5)`,
          `os.environ["DB_PRE_PING"]`), which is a string whenever the variable is set;
        - a negative size or timeout (`pool_size=-1`, `pool_timeout=-5`, `max_overflow=-2`),
          except the documented `max_overflow=-1` (no limit) and `pool_recycle=-1` (never);
        - any other value the pool itself refuses, such as
          `pool_reset_on_return="bogus"`; and `future=False`, which SQLAlchemy 2.x refuses.

        What each keyword expects comes from the installed SQLAlchemy: the defaults in the
        pool, dialect and Engine signatures, engine_from_config's coercion table, and the
        real pool class built with the value and a fake connection (whose exception the
        message quotes).
    """
    why = """
        `create_engine()` does not convert strings (only `engine_from_config()` does, and
        only for some keys). The string is stored as given and fails later, or never
        fails and silently does something else:

        ```
        TypeError: unsupported operand type(s) for -: 'int' and 'str'        # pool_size="20", at start-up
        TypeError: '>' not supported between instances of 'str' and 'int'    # max_overflow / pool_recycle, first checkout
        TypeError: '<' not supported between instances of 'str' and 'int'    # pool_timeout="30", when the pool is exhausted
        ```

        `pool_pre_ping="False"` raises nothing: the pool pings on every checkout, because
        `"False"` is a true value. Configuration read from environment variables is where
        these come from.
    """
    example = """
        from sqlalchemy import create_engine

        engine = create_engine("mysql+pymysql://app:secret@db/app", pool_size="20", pool_pre_ping="False")
    """
    use_instead = """
        import os

        from sqlalchemy import create_engine

        engine = create_engine(
            "mysql+pymysql://app:secret@db/app",
            pool_size=int(os.getenv("POOL_SIZE", "20")),
            pool_pre_ping=os.getenv("POOL_PRE_PING", "true").lower() == "true",
        )
    """
    fix = """
        Safe for a number written as a string literal (`pool_size="20"` becomes
        `pool_size=20`: the program could not work before). Unsafe for a boolean written as
        a string literal (`"False"` becomes `False`, which turns the option off).
    """
    help = "Pass real numbers and booleans: convert environment values with int(...) or an explicit comparison."
    references = (
        "[SQLAlchemy: create_engine parameters](https://docs.sqlalchemy.org/en/20/core/engines.html#sqlalchemy.create_engine)",
        "[SQLAlchemy: engine_from_config](https://docs.sqlalchemy.org/en/20/core/engines.html#sqlalchemy.engine_from_config)",
        "[SQLAlchemy: QueuePool parameters](https://docs.sqlalchemy.org/en/20/core/pooling.html#sqlalchemy.pool.QueuePool.__init__)",
    )
    invalid = (
        Invalid(
            """
            import os

            from sqlalchemy import create_engine

            engine = create_engine(
                os.environ["DATABASE_URL"],
                pool_size=os.getenv("DB_POOL_SIZE", 10),
            )
            """,
            line=7,
            message="environment",
            note="unknown URL, number from the environment",
        ),
        Invalid(
            """
            from sqlalchemy import engine_from_config

            config = {
                "sqlalchemy.url": "postgresql+psycopg2://app@db/app",
                "sqlalchemy.pool_size": "20",
                "sqlalchemy.pool_pre_ping": "false",
            }
            engine = engine_from_config(config)
            """,
            line=6,
            message="does not convert",
            note="ini-style dict: pool_size is coerced, pool_pre_ping is not",
        ),
        Invalid(
            """
            from sqlalchemy.ext.asyncio import create_async_engine as make

            engine = make("mysql+aiomysql://app@db/app", pool_size=10, max_overflow=-5, pool_timeout=-1)
            """,
            line=3,
            message="max_overflow=-5",
            note="async engine, aliased import, negative sizes",
        ),
        Invalid(
            """
            from sqlalchemy import create_engine

            from app.settings import DATABASE

            engine = create_engine(DATABASE["url"], **DATABASE["options"])
            """,
            path="app/db.py",
            files={
                "app/__init__.py": "",
                "app/settings.py": 'DATABASE = {"url": "sqlite:///app.db", "options": {"pool_reset_on_return": "bogus"}}\n',
            },
            message="Invalid value for 'reset_on_return'",
            note="options from a settings module; the pool's own error",
        ),
        Invalid(
            """
            from functools import lru_cache

            from sqlalchemy import create_engine


            @lru_cache
            def get_engine(url: str):
                return create_engine(url, pool_recycle="3600", pool_use_lifo="True")
            """,
            line=8,
            message="first checkout",
            note="lru_cached getter, unknown URL",
        ),
        Invalid(
            """
            from sqlalchemy import engine_from_config

            engine = engine_from_config({"sqlalchemy.url": "mysql+pymysql://app@db/app", "sqlalchemy.pool_size": "ten"})
            """,
            message="invalid literal",
            note="a string engine_from_config cannot coerce",
        ),
    )
    valid = (
        Valid(
            """
            import os

            from sqlalchemy import create_engine

            engine = create_engine(
                os.environ["DATABASE_URL"],
                pool_size=int(os.getenv("DB_POOL_SIZE", "10")),
                max_overflow=-1,
                pool_recycle=-1,
                pool_pre_ping=os.getenv("DB_PRE_PING", "1") == "1",
            )
            """,
        ),
        Valid(
            """
            from sqlalchemy import engine_from_config

            settings = {
                "sqlalchemy.url": "mysql+pymysql://app@db/app",
                "sqlalchemy.pool_size": "20",
                "sqlalchemy.pool_recycle": "3600",
                "sqlalchemy.echo": "false",
            }
            engine = engine_from_config(settings, prefix="sqlalchemy.", pool_pre_ping=True)
            """,
            note="engine_from_config coerces these keys",
        ),
        Valid(
            """
            from sqlalchemy import create_engine

            engine = create_engine("postgresql+psycopg://app@db/app", pool_reset_on_return="commit", echo="debug")
            """,
            note="strings these keywords take",
        ),
        Valid(
            """
            from sqlalchemy.ext.asyncio import create_async_engine

            engine = create_async_engine("postgresql+asyncpg://app@db/app", pool_size=0, pool_timeout=0.5)
            """,
        ),
        Valid(
            """
            from sqlalchemy import create_engine

            def make(url, pool_size):
                return create_engine(url, pool_size=pool_size, isolation_level="AUTOCOMMIT")
            """,
            note="unknown value",
        ),
        Valid(
            """
            from sqlalchemy import create_engine
            from sqlalchemy.pool import NullPool

            engine = create_engine("sqlite:///app.db", poolclass=NullPool, pool_size="5")
            """,
            note="a rejected keyword is PC103's, not reported twice",
        ),
    )

    def check(self, ctx: RuleContext) -> None:
        for verdict in argument_verdicts(ctx):
            facts = verdict.facts
            defaults = _knowledge().keyword_defaults(facts.drivername, facts.site.is_async, facts.pool_class)
            for name, option in facts.site.options.items():
                if name in verdict.rejected_names or option.implicit:
                    continue
                problem = self.problem(ctx, facts, name, defaults)
                if problem is None:
                    continue
                message, fix = problem
                at, related = option_anchor(ctx, facts, option)
                ctx.report(at, message, related=related, fix=fix)

    # --- judging one value -----------------------------------------------------------------

    def problem(self, ctx: RuleContext, facts: SiteFacts, name: str, defaults) -> Optional[tuple]:
        """(message, fix) for the value of option ``name``, or None when it is fine or unknown."""
        option = facts.site.options[name]
        default = _default_for(name, defaults, facts.pool_class)

        def shown(value: Any) -> str:
            return option_reference(ctx, facts, option, f"{name}={value!r}")

        environment = self.from_environment(ctx, facts, option, default)
        if environment is not None:
            return environment, None
        value = option_value(facts, name)
        if value is None:
            return None
        if value.coercion_error is not None:
            return f"engine_from_config() cannot convert {shown(value.written)}: it raises `{value.coercion_error}` at start-up", None
        current = value.value
        if name == "future" and current is False and _knowledge().future_false_rejected():
            return (
                f"{shown(current)} is refused by SQLAlchemy {_knowledge().sqlalchemy_version()}: create_engine() raises "
                f"`ArgumentError: The 'future' parameter passed to create_engine() may only be set to True.`",
                None,
            )
        pool_class = _pool_class_taking(facts, name)
        context = _context(facts, pool_class) if pool_class is not None else ()
        if isinstance(current, str) and isinstance(default, bool):
            if pool_class is not None and _pool_validates_strings(pool_class, name):
                return self.pool_failure(shown(current), pool_class, name, current, context)
            return self.string_for_boolean(ctx, facts, option, current, shown(current))
        if isinstance(current, str) and is_number(default):
            failure = _knowledge().pool_value_failure(pool_class, name, current, context) if pool_class else None
            return self.string_for_number(ctx, facts, option, current, default, failure, shown(current))
        if is_number(current) and current < 0 and is_number(default) and pool_class is not None:
            return self.negative(shown(current), pool_class, name, current, default, context)
        if pool_class is not None:
            return self.pool_failure(shown(current), pool_class, name, current, context)
        return None

    @staticmethod
    def from_environment(ctx: RuleContext, facts: SiteFacts, option, default) -> Optional[str]:
        """A boolean or number read straight from ``os.environ``: a string whenever set."""
        if not (isinstance(default, bool) or is_number(default)) or _coerced_by_config(facts, option.name):
            return None
        environment = _environment_lookup(ctx, facts, option)
        if environment is None:
            return None
        boolean = isinstance(default, bool)
        kind = 'true whenever it is set (even to "false")' if boolean else "a string whenever it is set"
        convert = 'compare it explicitly (`== "true"`)' if boolean else "wrap it in `int(...)`"
        return (
            f"{option_reference(ctx, facts, option)} comes straight from the environment (`{environment}`), so it is "
            f"{kind}: {facts.site.label} does not convert strings; {convert}"
        )

    def string_for_boolean(self, ctx: RuleContext, facts: SiteFacts, option, current: str, shown: str) -> Optional[tuple]:
        if _config_kind(facts, option.name) == "bool_or_str" or current == "":
            return None  # echo="debug" is meant; "" is false, as intended
        if facts.site.coerces_strings:
            not_converted = "engine_from_config() does not convert this key"
        else:
            not_converted = f"{facts.site.label} does not convert strings"
        message = (
            f"{shown} is a string, not a boolean: {not_converted}, and every non-empty string is true, "
            f"so this turns `{option.name}` on"
        )
        return message, self.literal_fix(ctx, option, _as_boolean(facts, current), Applicability.UNSAFE)

    def string_for_number(self, ctx: RuleContext, facts: SiteFacts, option, current: str, default, failure, shown: str) -> tuple:
        if facts.site.coerces_strings:
            cause = "engine_from_config() does not convert this key"
        else:
            cause = f"{facts.site.label} does not convert strings (only engine_from_config() does)"
        consequence = f"{_STAGES[failure[0]]} `{failure[1]}`" if failure else f"SQLAlchemy expects a number here (default {default!r})"
        return f"{shown} is a string: {cause}, and {consequence}", self.literal_fix(ctx, option, _as_number(current), Applicability.SAFE)

    @staticmethod
    def negative(shown: str, pool_class: str, name: str, value, default, context) -> Optional[tuple]:
        """A negative size or timeout; the documented special values are fine."""
        documented = dict(DOCUMENTED_NEGATIVES)
        if is_number(default) and default < 0:
            documented.setdefault((name, default), "the default")
        if (name, value) in documented:
            return None
        failure = _knowledge().pool_value_failure(pool_class, name, value, context)
        if failure is not None:
            return f"{shown} is negative: {_STAGES[failure[0]]} `{failure[1]}`", None
        meanings = [f"{v} ({meaning})" for (n, v), meaning in sorted(documented.items()) if n == name]
        if meanings:
            return f"{shown} is negative: SQLAlchemy does not reject it, but the only negative value it documents is {meanings[0]}", None
        return f"{shown} is negative: SQLAlchemy does not reject it, and gives no meaning to a negative `{name}`", None

    @staticmethod
    def pool_failure(shown: str, pool_class: str, name: str, value: Any, context) -> Optional[tuple]:
        """The pool's own error for a value it refuses when built or checked out from."""
        failure = _knowledge().pool_value_failure(pool_class, name, value, context)
        if failure is None or failure[0] not in ("create", "checkout"):
            return None
        return f"{shown} is refused by the pool: {_STAGES[failure[0]]} `{failure[1]}`", None

    @staticmethod
    def literal_fix(ctx: RuleContext, option, replacement: Any, applicability: Applicability) -> Optional[Fix]:
        import libcst as cst

        node = option.value_node
        if replacement is None or not isinstance(node, cst.SimpleString) or not _in_this_file(ctx, option):
            return None
        span = ctx.span_of(node)
        return Fix(f"Replace with `{replacement!r}`", applicability, (Edit(span.start, span.end, repr(replacement)),))


# --- helpers for PC105 ------------------------------------------------------------------------


def _default_for(name: str, defaults, pool_class: Optional[str]) -> Any:
    """The keyword's default; for a pool keyword whose pool class is unknown, the default
    every pool class that takes it agrees on."""
    if name in defaults:
        return defaults[name]
    if pool_class is not None:
        return None
    knowledge = _knowledge()
    found = []
    for candidate in knowledge.pool_classes() or ():
        names = knowledge.pool_kwargs(candidate) or frozenset()
        if name in names:
            found.append((knowledge.pool_defaults(candidate) or {}).get(name, _MISSING))
    if found and all(value == found[0] for value in found) and found[0] is not _MISSING:
        return found[0]
    return None


_MISSING = object()


def _pool_class_taking(facts: SiteFacts, name: str) -> Optional[str]:
    """The pool class to ask about ``name``: the site's, or where it is unknown, the first
    pool class that takes the keyword (the base keywords are handled by Pool itself)."""
    knowledge = _knowledge()
    if facts.pool_class is not None:
        names = knowledge.pool_kwargs(facts.pool_class) or frozenset()
        return facts.pool_class if name in names else None
    if facts.pool_class_explicit:
        return None
    for candidate in knowledge.pool_classes() or ():
        if knowledge.pool_class_async_mode(candidate) == "sync" and name in (knowledge.pool_kwargs(candidate) or ()):
            return candidate
    return None


def _context(facts: SiteFacts, pool_class: str) -> tuple:
    """The site's other pool keywords a probe of one value is run with (``max_overflow=-5``
    behaves differently with ``pool_size=10``): those with plain, non-string values the pool
    takes on their own, so that a bad neighbour is not blamed on the probed keyword."""
    knowledge = _knowledge()
    names = knowledge.pool_kwargs(pool_class) or frozenset()
    pairs = []
    for name in sorted(names & set(facts.site.options)):
        value = option_value(facts, name)
        if value is None or isinstance(value.value, str) or value.coercion_error is not None:
            continue
        if not isinstance(value.value, (bool, int, float)) and value.value is not None:
            continue
        if knowledge.pool_value_failure(pool_class, name, value.value) is None:
            pairs.append((name, value.value))
    return tuple(pairs)


def _pool_validates_strings(pool_class: str, name: str) -> bool:
    """Whether the pool interprets string values of ``name`` (it refuses a nonsense string),
    as ``reset_on_return`` does with "commit", rather than storing any string as true."""
    return _knowledge().pool_value_failure(pool_class, name, _PROBE_STRING) is not None


def _config_kind(facts: SiteFacts, name: str) -> Optional[str]:
    knowledge = _knowledge()
    types = knowledge.engine_config_types(facts.drivername or "sqlite", facts.site.is_async)
    return (types or {}).get(name)


def _coerced_by_config(facts: SiteFacts, name: str) -> bool:
    """engine_from_config turns a string under ``name`` into what the keyword expects."""
    if not facts.site.coerces_strings:
        return False
    answer = _knowledge().coerce_config_value(facts.drivername, name, "1", facts.site.is_async)
    return answer is not None and not isinstance(answer.get("value"), str)


def _as_number(text: str) -> Optional[Any]:
    try:
        return int(text.strip(), 10)
    except ValueError:
        pass
    try:
        return float(text.strip())
    except ValueError:
        return None


def _as_boolean(facts: SiteFacts, text: str) -> Optional[bool]:
    """How SQLAlchemy's own string-to-boolean conversion (engine_from_config's, for keys it
    coerces as booleans) reads ``text``; None when it does not."""
    knowledge = _knowledge()
    types = knowledge.engine_config_types(facts.drivername or "sqlite", facts.site.is_async) or {}
    boolean_keys = sorted(key for key, kind in types.items() if kind == "bool")
    if not boolean_keys:
        return None
    answer = knowledge.coerce_config_value(facts.drivername, boolean_keys[0], text, facts.site.is_async)
    value = (answer or {}).get("value")
    return value if isinstance(value, bool) else None


def _environment_lookup(ctx: RuleContext, facts: SiteFacts, option) -> Optional[str]:
    """The code of an option value that reads the environment directly
    (``os.getenv("X", 5)``, ``os.environ.get("X")``, ``os.environ["X"]``), else None."""
    import libcst as cst

    from poolcheck.values import ENV_GETTERS, Where

    node = option.value_node
    if node is None:
        return None
    parsed = option.file or facts.site.file
    where = Where(parsed, facts.site.scopes) if parsed is facts.site.file else Where.module_level(parsed)
    evaluator = ctx.evaluator
    if isinstance(node, cst.Call):
        function = evaluator.qualified_name(node.func, where)
        if function is not None and (function in ENV_GETTERS or function.endswith(".environ.get")):
            return parsed.code(node)
    if isinstance(node, cst.Subscript):
        base = evaluator.qualified_name(node.value, where)
        if base is not None and (base == "os.environ" or base.endswith(".environ")) and base.split(".")[0] == "os":
            return parsed.code(node)
    return None


RULES: List[type] = [BadEngineArgValue]
