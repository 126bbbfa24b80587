"""PC107: checkout / engine_connect listeners that ping the connection by hand.

Before SQLAlchemy 1.2 added ``pool_pre_ping``, the documented way to survive connections the
server had closed was an event listener that pinged (``dbapi_connection.ping()``) or ran
``SELECT 1`` on every checkout. The recipe is still copied from old answers; the built-in
option does the same with less code and fewer mistakes.
"""

from __future__ import annotations

import re
from typing import List, Optional, Tuple

from poolcheck.api import Invalid, Rule, RuleContext, Severity, Valid
from poolcheck.prefilter import RefinedTokens

PING_EVENTS = frozenset({"checkout", "engine_connect"})


def _registers_listeners(project, relative) -> bool:
    """A listener is registered with ``listen`` or ``listens_for`` (however imported or
    aliased, the import names it): a file that never says ``listen`` registers none, however
    often it says ``checkout`` (``checkoutside``, a VCS command)."""
    data = project.read_bytes(relative)
    return data is None or b"listen" in data
_SELECT_ONE = re.compile(r"^\s*select\s+1\s*;?\s*$", re.IGNORECASE)


def _is_sqlalchemy(qualified: Optional[str], last: str) -> bool:
    return bool(qualified) and qualified.split(".", 1)[0] == "sqlalchemy" and qualified.rsplit(".", 1)[-1] == last


class ManualPingListener(Rule):
    code = "PC107"
    name = "manual-ping-listener"
    severity = Severity.INFO
    summary = "A `checkout` / `engine_connect` listener that pings or runs `SELECT 1` by hand; use `pool_pre_ping=True`."
    tokens = RefinedTokens((b"checkout", b"engine_connect"), _registers_listeners)
    what = """
        Flags an event listener for the pool's `checkout` event or the engine's
        `engine_connect` event (registered with `event.listen(...)`,
        `@event.listens_for(...)` or `@listens_for(...)`) whose function pings the
        connection (`.ping(...)`) or runs `SELECT 1` (`select(1)`, `text("SELECT 1")`,
        `cursor.execute("SELECT 1")`): the "pessimistic disconnect handling" recipe from
        before SQLAlchemy 1.2.
    """
    why = """
        The recipe works around idle connections the server has closed, which fail on
        their next use with

        ```
        sqlalchemy.exc.OperationalError: (pymysql.err.OperationalError) (2006, "MySQL server has gone away (ConnectionResetError(104, 'Connection reset by peer'))")
        ```

        `pool_pre_ping=True` (SQLAlchemy 1.2+) does the same test on every checkout, with
        the dialect's own ping and its own list of disconnect errors, invalidates the pool's
        other stale connections at once, and retries with a fresh connection made through
        the pool. Hand-written listeners drift from that: a `ping()` whose error is not
        turned into `DisconnectionError` makes the checkout itself fail with the error
        above; `ping(reconnect=True)` reopens the socket behind the pool's back, so the
        pool's `connect` event does not run again and the session settings it made
        (`time_zone`, `sql_mode`, `wait_timeout`) are silently lost; with `pool_pre_ping`
        also on, every checkout pings twice.
    """
    example = """
        from sqlalchemy import create_engine, event
        from sqlalchemy.exc import DisconnectionError


        def checkout_listener(dbapi_con, con_record, con_proxy):
            try:
                try:
                    dbapi_con.ping(False)
                except TypeError:
                    dbapi_con.ping()
            except dbapi_con.OperationalError as exc:
                if exc.args[0] in (2006, 2013, 2014, 2045, 2055):
                    raise DisconnectionError()
                raise


        db_engine = create_engine("mysql+pymysql://app:secret@db/app", pool_size=100, pool_recycle=3600)
        event.listen(db_engine, "checkout", checkout_listener)
    """
    use_instead = """
        from sqlalchemy import create_engine

        db_engine = create_engine("mysql+pymysql://app:secret@db/app", pool_size=100, pool_recycle=3600, pool_pre_ping=True)
    """
    help = "Remove the listener and pass `pool_pre_ping=True` to create_engine()."
    references = (
        "[SQLAlchemy: Disconnect Handling - Pessimistic](https://docs.sqlalchemy.org/en/20/core/pooling.html#disconnect-handling-pessimistic)",
        "[SQLAlchemy 1.2: pool_pre_ping](https://docs.sqlalchemy.org/en/20/changelog/migration_12.html#pessimistic-disconnection-detection-added-to-the-connection-pool)",
        "[SQLAlchemy: PoolEvents.checkout](https://docs.sqlalchemy.org/en/20/core/events.html#sqlalchemy.events.PoolEvents.checkout)",
    )
    invalid = (
        Invalid(
            """
            from sqlalchemy import create_engine, event, exc, select

            engine = create_engine("postgresql+psycopg2://app@db/app")


            @event.listens_for(engine, "engine_connect")
            def ping_connection(connection, branch):
                if branch:
                    return
                try:
                    connection.scalar(select(1))
                except exc.DBAPIError as err:
                    if err.connection_invalidated:
                        connection.scalar(select(1))
                    else:
                        raise
            """,
            line=6,
            message="engine_connect",
            note="the documentation's pre-1.2 engine_connect recipe",
        ),
        Invalid(
            """
            from sqlalchemy.event import listens_for
            from sqlalchemy.pool import Pool


            @listens_for(Pool, "checkout")
            def check_connection(dbapi_connection, connection_record, connection_proxy):
                cursor = dbapi_connection.cursor()
                try:
                    cursor.execute("SELECT 1")
                finally:
                    cursor.close()
            """,
            line=5,
            note="every pool, bare listens_for, SELECT 1 on a DBAPI cursor",
        ),
        Invalid(
            """
            from sqlalchemy import create_engine, event


            def create_app(config):
                engine = create_engine(config["DATABASE_URL"], pool_recycle=3600)

                def on_checkout(dbapi_conn, record, proxy):
                    dbapi_conn.ping(reconnect=True)

                event.listen(engine, "checkout", on_checkout)
                return engine
            """,
            line=10,
            note="app factory with a nested listener",
        ),
        Invalid(
            """
            import sqlalchemy as sa
            from sqlalchemy.ext.asyncio import create_async_engine

            engine = create_async_engine("mysql+aiomysql://app@db/app")


            def _ping(connection, branch=False):
                connection.exec_driver_sql("select 1")


            sa.event.listen(engine.sync_engine, "engine_connect", _ping)
            """,
            line=11,
            note="async engine's sync_engine, module alias",
        ),
        Invalid(
            """
            from sqlalchemy import event, text

            from app.db import engine


            @event.listens_for(engine, "checkout", retval=False)
            def ping(dbapi_connection, record, proxy):
                proxy.execute(text("SELECT 1;"))
            """,
            path="app/listeners.py",
            files={"app/__init__.py": "", "app/db.py": 'from sqlalchemy import create_engine\n\nengine = create_engine("sqlite://")\n'},
            line=6,
            note="listener module for an engine defined elsewhere",
        ),
    )
    invalid += (
        Invalid(
            """
            from sqlalchemy import create_engine, event, exc
            from sqlalchemy.pool import Pool

            from settings import DB_URL

            engine = create_engine(DB_URL, pool_size=10, pool_pre_ping=True)


            @event.listens_for(Pool, "checkout")
            def ping(dbapi_connection, connection_record, connection_proxy):
                cursor = dbapi_connection.cursor()
                try:
                    cursor.execute("select 1")
                except Exception:
                    raise exc.DisconnectionError()
                finally:
                    cursor.close()
            """,
            files={"settings.py": "DB_URL = 'mysql+pymysql://app@db/app'\n"},
            line=9,
            message="tested twice",
            note="both the recipe and pool_pre_ping",
        ),
    )
    valid = (
        Valid(
            """
            from sqlalchemy import create_engine, event

            engine = create_engine("mysql+pymysql://app@db/app", pool_pre_ping=True)


            @event.listens_for(engine, "checkout")
            def set_timezone(dbapi_connection, record, proxy):
                cursor = dbapi_connection.cursor()
                cursor.execute("SET time_zone = '+00:00'")
                cursor.close()
            """,
            note="a checkout listener that is no ping",
        ),
        Valid(
            """
            from sqlalchemy import create_engine, event

            engine = create_engine("mysql+pymysql://app@db/app", pool_pre_ping=True)


            @event.listens_for(engine, "connect")
            def on_connect(dbapi_connection, record):
                dbapi_connection.cursor().execute("SELECT 1")
            """,
            note="the connect event runs once per new connection, not per checkout",
        ),
        Valid(
            """
            import logging

            from sqlalchemy import event
            from sqlalchemy.pool import Pool

            log = logging.getLogger(__name__)


            def count_checkouts(dbapi_connection, record, proxy):
                log.debug("checkout %s", id(dbapi_connection))


            event.listen(Pool, "checkout", count_checkouts)
            """,
        ),
        Valid(
            """
            from blinker import signal

            checkout = signal("checkout")


            @checkout.connect
            def ping(sender):
                sender.ping()
            """,
            note="not SQLAlchemy's event system",
        ),
        Valid(
            """
            from sqlalchemy import event

            from app.listeners import ping_on_checkout


            def install(engine):
                event.listen(engine, "checkout", ping_on_checkout)
            """,
            files={"app/__init__.py": "", "app/listeners.py": "def ping_on_checkout(*args):\n    pass\n"},
            note="a listener that does not ping",
        ),
        Valid(
            """
            from sqlalchemy import event


            def install(engine, listener, event_name="checkout"):
                event.listen(engine, event_name, listener)
            """,
            note="unknown listener",
        ),
    )

    def check(self, ctx: RuleContext) -> None:
        for registration, function, event_name, target in _registrations(ctx):
            pinging = _ping_in(ctx, function)
            if pinging is None:
                continue
            name = function.name.value if hasattr(function, "name") else "lambda"
            message = (
                f"`{event_name}` listener `{name}` tests the connection by hand (`{pinging}`), the recipe from before "
                f"SQLAlchemy 1.2: `pool_pre_ping=True` does this on every checkout, with the dialect's own ping and "
                f"disconnect codes, and retries with a fresh connection"
            )
            twice = _pre_pinged_engine(ctx, target)
            if twice is not None:
                message += f"; `{twice}` already sets `pool_pre_ping=True`, so every checkout is tested twice"
            ctx.report(registration, message)


LISTEN = frozenset({"listen"})
LISTENS_FOR = frozenset({"listens_for"})


def _registrations(ctx: RuleContext) -> List[Tuple[object, object, str, object]]:
    """(where to report, the listener's FunctionDef or Lambda, the event name, the target
    expression) for every checkout / engine_connect listener registered in the file."""
    import libcst as cst
    from poolcheck.walk import walk

    from poolcheck.values import Known, ScopedVisitor

    parsed = ctx.parsed
    evaluator = ctx.evaluator
    found: List[Tuple[object, object, str, object]] = []

    def event_name(node, where) -> Optional[str]:
        value = evaluator.evaluate(node, where)
        if isinstance(value, Known) and value.value in PING_EVENTS:
            return value.value
        return None

    class Finder(ScopedVisitor):
        def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
            where = self.where
            for decorator in node.decorators:
                call = decorator.decorator
                if not isinstance(call, cst.Call) or not parsed.callee_may_be(call.func, LISTENS_FOR):
                    continue
                if not _is_sqlalchemy(evaluator.qualified_name(call.func, where), "listens_for"):
                    continue
                positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
                if len(positional) >= 2:
                    name = event_name(positional[1].value, where)
                    if name is not None:
                        found.append((decorator, node, name, positional[0].value))
            super().visit_FunctionDef(node)

        def visit_Call(self, node: cst.Call) -> None:
            if not parsed.callee_may_be(node.func, LISTEN):
                return
            where = self.where
            if not _is_sqlalchemy(evaluator.qualified_name(node.func, where), "listen"):
                return
            positional = [arg for arg in node.args if arg.keyword is None and not arg.star]
            if len(positional) < 3:
                return
            name = event_name(positional[1].value, where)
            if name is None:
                return
            function = _local_function(parsed, positional[2].value, tuple(self.scopes))
            if function is not None:
                found.append((node, function, name, positional[0].value))

    walk(parsed.module, Finder(parsed))
    return found


def _pre_pinged_engine(ctx: RuleContext, target) -> Optional[str]:
    """The name of an engine of this file that the listener applies to and that already has
    ``pool_pre_ping=True``: the one the target names (``engine``, ``engine.sync_engine``),
    or any, for a listener on the ``Pool`` class (every pool)."""
    import libcst as cst

    from poolcheck.engine_checks import truthiness
    from poolcheck.values import Where

    parsed = ctx.parsed
    named = target.value if isinstance(target, cst.Attribute) and target.attr.value == "sync_engine" else target
    is_pool_class = ctx.evaluator.qualified_name(target, Where(parsed, (parsed.module,))) in (
        "sqlalchemy.pool.Pool", "sqlalchemy.Pool", "sqlalchemy.pool.base.Pool",
    )  # fmt: skip
    for site in ctx.engine_sites():
        if site.file is not parsed or site.assigned_to is None or truthiness(site, "pool_pre_ping") is not True:
            continue
        if is_pool_class or (isinstance(named, cst.Name) and named.value == site.assigned_to):
            return site.assigned_to
    return None


def _local_function(parsed, node, scopes) -> Optional[object]:
    """The ``def`` (or lambda) a listener argument names, when it is defined in this file's
    enclosing scopes; None otherwise (imported, an attribute, bound more than once)."""
    import libcst as cst

    if isinstance(node, cst.Lambda):
        return node
    if not isinstance(node, cst.Name):
        return None
    for scope_node in reversed(scopes):
        bindings = parsed.scope(scope_node).bindings.get(node.value)
        if bindings:
            if len(bindings) == 1 and bindings[0].kind == "def":
                return bindings[0].node
            return None
    return None


def _ping_in(ctx: RuleContext, function) -> Optional[str]:
    """The code of the first ping or SELECT 1 in the listener's body, if any."""
    import libcst as cst
    from poolcheck.walk import walk

    parsed = ctx.parsed
    found: List[str] = []

    class Pings(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> Optional[bool]:
            if found:
                return False
            func = node.func
            if isinstance(func, cst.Attribute) and func.attr.value == "ping":
                found.append(parsed.code(node))
                return False
            if _selects_one(node):
                found.append(parsed.code(node))
                return False
            return True

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return node is function  # nested functions are not the listener's own code

    body = function.body
    walk(body, Pings())
    return found[0] if found else None


def _selects_one(call) -> bool:
    """``select(1)``, ``select([1])``, ``text("SELECT 1")``, ``x.execute("select 1")``..."""
    import libcst as cst

    func = call.func
    name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else None
    positional = [arg.value for arg in call.args if arg.keyword is None and not arg.star]
    if not positional:
        return False
    first = positional[0]
    if name == "select" and len(positional) == 1:
        if isinstance(first, cst.Integer) and first.value == "1":
            return True
        if isinstance(first, cst.List) and len(first.elements) == 1:
            element = first.elements[0].value
            return isinstance(element, cst.Integer) and element.value == "1"
        return False
    if isinstance(first, cst.SimpleString):
        try:
            text = first.evaluated_value
        except Exception:  # noqa: BLE001 - an odd literal is simply not a SELECT 1
            return False
        return isinstance(text, str) and bool(_SELECT_ONE.match(text))
    return False


RULES = [ManualPingListener]
