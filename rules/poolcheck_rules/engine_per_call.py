"""PC108: an engine created on every request, task run, job run or loop iteration.

An engine owns a pool. Built inside a request handler, a task, a scheduled job or a loop
body and never disposed, every call leaves a pool behind whose connections stay open on the
server until Python's cycle collector happens to free the engine (an Engine sits in
reference cycles, so it is not freed when the function returns). Under load that is
``Too many connections``.

What counts as a handler, a task or a job is decided from the code: route, view and task
decorators of the common frameworks (resolved through imports where they are bare names),
methods of class-based views, and functions handed to ``add_job``, ``enqueue``,
``Depends``, ``add_url_rule``, Django's ``path`` or ``schedule``'s ``.do`` anywhere in the
project. A factory function, an ``lru_cache``d getter or a lazily-initialised global is not
a finding: it builds one engine, not one per call.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Dict, FrozenSet, List, NamedTuple, Optional, Set, Tuple

from poolcheck.api import Invalid, Rule, RuleContext, Severity, Valid

ENGINE_TOKENS = (b"create_engine", b"create_async_engine", b"engine_from_config")
DIRECT_KINDS = ("create_engine", "create_async_engine", "engine_from_config", "async_engine_from_config")

# Decorator attributes that register a request handler: ``@app.route("/")``, ``@router.get``,
# ``@routes.post`` (aiohttp), ``@bp.before_request``. Only as a call with arguments, or a bare
# ``before_request``, to keep ``@cache.get``-like decorators out.
ROUTE_ATTRIBUTES = frozenset({"route", "get", "post", "put", "patch", "delete", "head", "options", "api_route", "websocket", "view"})
REQUEST_HOOKS = frozenset({"before_request", "before_app_request", "after_request", "teardown_request"})
# Decorator attributes of task queues and schedulers: ``@app.task``, ``@celery.task(bind=True)``,
# ``@huey.periodic_task(...)``, ``@scheduler.scheduled_job("interval")``, Flask-APScheduler's
# ``@scheduler.task("interval")``, taskiq's ``@broker.task``.
TASK_ATTRIBUTES = frozenset({"task", "periodic_task", "scheduled_job", "shared_task", "actor", "cron"})
# Decorators recognised by their qualified name (bare or through their module).
QUALIFIED_DECORATORS = {
    "celery.shared_task": "Celery task",
    "celery.task": "Celery task",
    "dramatiq.actor": "Dramatiq actor",
    "rq.job": "RQ job",
    "rq.decorators.job": "RQ job",
    "huey.api.task": "Huey task",
    "rest_framework.decorators.api_view": "Django REST framework view",
}
QUALIFIED_PREFIXES = {
    "django.views.decorators.http.": "Django view",
    "django.contrib.auth.decorators.": "Django view",
    "django.views.decorators.csrf.": "Django view",
}
# Class-based views: methods named after HTTP verbs in classes based on these.
VIEW_BASE_PREFIXES = ("django.views", "rest_framework.", "flask.views.", "aiohttp.web", "tornado.web.", "starlette.endpoints.")
HTTP_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options"})
# Calls that register a function to be run per request / per job, and where the function is:
# (attribute or qualified name, positional index, keyword).
REGISTRATIONS: Tuple[Tuple[str, int, str, str], ...] = (
    ("add_job", 0, "func", "scheduled job"),
    ("enqueue", 0, "f", "queued job"),
    ("enqueue_call", 0, "func", "queued job"),
    ("enqueue_in", 1, "func", "queued job"),
    ("enqueue_at", 1, "func", "queued job"),
    ("add_url_rule", 2, "view_func", "request handler"),
    ("add_get", 1, "handler", "request handler"),
    ("add_post", 1, "handler", "request handler"),
    ("add_route", 2, "handler", "request handler"),
    ("add_api_route", 1, "endpoint", "request handler"),
    ("do", 0, "job_func", "scheduled job"),
)
QUALIFIED_REGISTRATIONS: Tuple[Tuple[str, int, str, str], ...] = (
    ("fastapi.Depends", 0, "dependency", "request dependency"),
    ("fastapi.params.Depends", 0, "dependency", "request dependency"),
    ("django.urls.path", 1, "view", "Django view"),
    ("django.urls.re_path", 1, "view", "Django view"),
    ("django.conf.urls.url", 1, "view", "Django view"),
)
# A file is read for registrations only if it holds one of these (Django's path()/url() only
# in files that mention django: "path(" alone is in half of all Python files).
REGISTRATION_TOKENS = (b"add_job", b"enqueue", b"add_url_rule", b"add_get", b"add_post", b"add_route", b"add_api_route",
                       b"Depends", b".do(")
DJANGO_URL_TOKENS = (b"path(", b"url(")
REGISTRATION_NAMES = frozenset(name for name, *_ in REGISTRATIONS) | frozenset(
    name.rsplit(".", 1)[1] for name, *_ in QUALIFIED_REGISTRATIONS
)
SESSION_CALLS = frozenset({"Session", "AsyncSession", "sessionmaker", "async_sessionmaker", "read_sql", "read_sql_query", "read_sql_table", "to_sql"})
ENGINE_KEYWORDS = frozenset({"bind", "con", "engine", "connectable"})


class Caller(NamedTuple):
    """Why a function runs once per request / task / job: "Flask route" and the evidence."""

    kind: str
    evidence: str  # "@app.route(...)", "scheduler.add_job(refresh) (app/jobs.py:12)"


class EnginePerCall(Rule):
    code = "PC108"
    name = "engine-per-call"
    severity = Severity.WARNING
    summary = "An engine created inside a request handler, task, scheduled job or loop body, and not disposed there."
    tokens = ENGINE_TOKENS
    what = """
        Flags `create_engine()` / `create_async_engine()` / `engine_from_config()` called
        inside a function that runs once per request, task or job, or inside a loop body,
        where the engine is not disposed (`engine.dispose()`) in that function (in that loop
        body for a loop), nor kept beyond it (returned, stored on an object or in a
        container, or a `global` initialised once).

        Request handlers are recognised by route decorators (`@app.route`, `@app.get`,
        `@router.post`, aiohttp's `@routes.get`, `before_request` hooks, Django's
        `@require_POST` / `@login_required` / DRF's `@api_view`), by HTTP-verb methods of
        class-based views (Django, DRF, Flask `MethodView`, aiohttp, Tornado), and by
        registration anywhere in the project (`add_url_rule`, `add_api_route`, Django
        `path()`, FastAPI `Depends(...)`). Tasks and jobs: Celery `@app.task` /
        `@shared_task`, Dramatiq `@actor`, RQ `@job` and `queue.enqueue(func)`, Huey,
        APScheduler `@scheduled_job` and `scheduler.add_job(func)`, `schedule`'s
        `.do(func)`.

        An engine in a factory function or an `lru_cache`d getter is not flagged: it is
        built once.
    """
    why = """
        Each engine has its own pool, and an `Engine` sits in reference cycles, so it is
        not freed when the handler returns: its pooled connection stays open on the server
        until the garbage collector runs. Every request adds one, and the server starts
        refusing everyone:

        ```
        sqlalchemy.exc.OperationalError: (pymysql.err.OperationalError) (1040, 'Too many connections')
        ```

        (`(1226, "User 'app' has exceeded the 'max_user_connections' resource")` under a
        per-user limit; `FATAL: sorry, too many clients already` on PostgreSQL.) Even
        before that, every request pays for a new connection and a new pool, which is
        what a pool exists to avoid.
    """
    example = """
        from flask import Flask
        from sqlalchemy import create_engine, text

        app = Flask(__name__)


        @app.route("/users/<int:user_id>")
        def show_user(user_id):
            engine = create_engine("mysql+pymysql://app:secret@db/app", pool_pre_ping=True)
            with engine.connect() as conn:
                return dict(conn.execute(text("SELECT * FROM users WHERE id = :id"), {"id": user_id}).one()._mapping)
    """
    use_instead = """
        from flask import Flask
        from sqlalchemy import create_engine, text

        app = Flask(__name__)
        engine = create_engine("mysql+pymysql://app:secret@db/app", pool_pre_ping=True)


        @app.route("/users/<int:user_id>")
        def show_user(user_id):
            with engine.connect() as conn:
                return dict(conn.execute(text("SELECT * FROM users WHERE id = :id"), {"id": user_id}).one()._mapping)
    """
    help = "Create the engine once (module level, app factory, or an lru_cache'd getter) and reuse it; or dispose() it before returning."
    references = (
        "[SQLAlchemy: Engine Disposal](https://docs.sqlalchemy.org/en/20/core/connections.html#engine-disposal)",
        "[SQLAlchemy FAQ: How do I pool connections?](https://docs.sqlalchemy.org/en/20/faq/connections.html)",
        "[FastAPI: SQL databases](https://fastapi.tiangolo.com/tutorial/sql-databases/)",
    )
    invalid = (
        Invalid(
            """
            from celery import shared_task
            from sqlalchemy import create_engine, text

            from app.settings import DATABASE_URL


            @shared_task
            def refresh_stats():
                engine = create_engine(DATABASE_URL)
                with engine.begin() as conn:
                    conn.execute(text("CALL refresh_stats()"))
            """,
            path="app/tasks.py",
            files={"app/__init__.py": "", "app/settings.py": 'DATABASE_URL = "mysql+pymysql://app@db/app"\n'},
            line=9,
            message="Celery task",
            note="Celery shared_task",
        ),
        Invalid(
            """
            from fastapi import APIRouter
            from sqlalchemy.ext.asyncio import create_async_engine
            from sqlalchemy import text

            router = APIRouter()


            @router.get("/health")
            async def health():
                engine = create_async_engine("postgresql+asyncpg://app@db/app")
                async with engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
                return {"ok": True}
            """,
            line=10,
            message="request handler",
            note="FastAPI async route",
        ),
        Invalid(
            """
            from apscheduler.schedulers.background import BackgroundScheduler
            import sqlalchemy as sa


            def sync_orders():
                engine = sa.create_engine("mysql+mysqldb://app@db/app", pool_pre_ping=True)
                engine.connect().execute(sa.text("DELETE FROM carts WHERE age > 30"))


            scheduler = BackgroundScheduler()
            scheduler.add_job(sync_orders, "interval", minutes=5)
            """,
            line=6,
            message="add_job",
            note="APScheduler add_job target",
        ),
        Invalid(
            """
            from sqlalchemy import create_engine, text

            TENANTS = ["mysql+pymysql://a@db/a", "mysql+pymysql://b@db/b"]


            def vacuum_all():
                for url in TENANTS:
                    engine = create_engine(url)
                    with engine.begin() as conn:
                        conn.execute(text("OPTIMIZE TABLE events"))
            """,
            line=8,
            message="loop",
            note="loop body, engine never disposed",
        ),
        Invalid(
            """
            import pandas as pd
            from django.views.decorators.http import require_GET
            from sqlalchemy import create_engine as ce


            @require_GET
            def report(request):
                frame = pd.read_sql("SELECT * FROM sales", ce("postgresql+psycopg2://app@db/app"))
                return frame.to_json()
            """,
            line=8,
            note="Django view, aliased import, engine handed to pandas",
        ),
        Invalid(
            """
            from fastapi import Depends, FastAPI
            from sqlalchemy import create_engine
            from sqlalchemy.orm import Session

            app = FastAPI()


            def get_db():
                engine = create_engine("sqlite:///app.db")
                with Session(engine) as session:
                    yield session


            @app.get("/items")
            def items(db: Session = Depends(get_db)):
                return []
            """,
            line=9,
            message="dependency",
            note="FastAPI dependency that builds an engine per request",
        ),
    )
    valid = (
        Valid(
            """
            from functools import lru_cache

            from fastapi import Depends, FastAPI
            from sqlalchemy import create_engine


            @lru_cache
            def get_engine():
                return create_engine("postgresql+psycopg://app@db/app")


            app = FastAPI()


            @app.get("/")
            def index(engine=Depends(get_engine)):
                return {}
            """,
            note="lru_cached getter used as a dependency: one engine",
        ),
        Valid(
            """
            from flask import Flask
            from sqlalchemy import create_engine


            def create_app():
                app = Flask(__name__)
                app.extensions["engine"] = create_engine("mysql+pymysql://app@db/app", pool_pre_ping=True)
                return app
            """,
            note="app factory",
        ),
        Valid(
            """
            from celery import Celery
            from sqlalchemy import create_engine, text

            app = Celery("jobs")


            @app.task
            def export(url):
                engine = create_engine(url)
                try:
                    with engine.connect() as conn:
                        conn.execute(text("SELECT 1"))
                finally:
                    engine.dispose()
            """,
            note="disposed in the task",
        ),
        Valid(
            """
            from sqlalchemy import create_engine

            _engine = None


            def get_engine():
                global _engine
                if _engine is None:
                    _engine = create_engine("mysql+pymysql://app@db/app", pool_pre_ping=True)
                return _engine
            """,
            note="lazily initialised global",
        ),
        Valid(
            """
            from sqlalchemy import create_engine

            SHARDS = {"eu": "postgresql://app@eu/app", "us": "postgresql://app@us/app"}
            ENGINES = {}
            for name, url in SHARDS.items():
                ENGINES[name] = create_engine(url)
            """,
            note="one engine per shard, built once and kept",
        ),
        Valid(
            """
            from aiohttp import web
            from sqlalchemy.ext.asyncio import create_async_engine


            async def on_startup(app):
                app["engine"] = create_async_engine("postgresql+asyncpg://app@db/app")


            async def on_cleanup(app):
                await app["engine"].dispose()


            def make_app():
                app = web.Application()
                app.on_startup.append(on_startup)
                app.on_cleanup.append(on_cleanup)
                return app
            """,
            note="aiohttp startup hook",
        ),
    )

    def check(self, ctx: RuleContext) -> None:
        sites = [site for site in ctx.engine_sites() if site.kind in DIRECT_KINDS and site.file is ctx.parsed]
        if not sites:
            return
        model = _file_model(ctx)
        for site in sites:
            placement = model.placement.get(id(site.node))
            if placement is None:
                continue
            function, loop = placement
            caller = _caller_of(ctx, function) if function is not None else None
            if loop is None and caller is None:
                continue
            region = loop if loop is not None else function
            if _kept_or_disposed(ctx, site, function, region):
                continue
            if loop is not None:
                where = "inside a loop"
                if caller is not None:
                    where += f" of the {caller.kind} `{function.name.value}` ({caller.evidence})"
                message = (
                    f"{site.label} runs {where} and the engine is not disposed in the loop body: every iteration "
                    f"builds a new pool whose connections stay open until the garbage collector frees the engine"
                )
            else:
                message = (
                    f"{site.label} runs on every call of the {caller.kind} `{function.name.value}` ({caller.evidence}) "
                    f"and the engine is never disposed: each call builds a new pool whose connections stay open "
                    f"until the garbage collector frees the engine"
                )
            ctx.report(site.node, message)


# --- where each engine call is --------------------------------------------------------------


class _FileModel(NamedTuple):
    # id(call) -> (innermost enclosing FunctionDef or None, innermost enclosing loop or None)
    placement: Dict[int, Tuple[Optional[object], Optional[object]]]
    # id(FunctionDef) -> the ClassDef it is a method of
    owner_class: Dict[int, object]


def _file_model(ctx: RuleContext) -> _FileModel:
    def compute(file_ctx) -> _FileModel:
        import libcst as cst
        from poolcheck.walk import walk

        calls = {id(site.node) for site in file_ctx.engine_sites()}
        placement: Dict[int, Tuple[Optional[object], Optional[object]]] = {}
        owner_class: Dict[int, object] = {}

        class Walker(cst.CSTVisitor):
            def __init__(self) -> None:
                # One frame per function (and the module): [function, loop stack]
                self.frames: List[Tuple[Optional[object], List[object]]] = [(None, [])]
                self.classes: List[object] = []

            def visit_ClassDef(self, node: cst.ClassDef) -> None:
                self.classes.append(node)
                self.frames.append((None, []))

            def leave_ClassDef(self, node: cst.ClassDef) -> None:
                self.classes.pop()
                self.frames.pop()

            def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
                if self.classes and self.frames[-1][0] is None:
                    owner_class[id(node)] = self.classes[-1]
                self.frames.append((node, []))

            def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
                self.frames.pop()

            def visit_Lambda(self, node: cst.Lambda) -> None:
                self.frames.append((node, []))

            def leave_Lambda(self, node: cst.Lambda) -> None:
                self.frames.pop()

            def visit_For(self, node: cst.For) -> bool:
                walk(node.target, self)
                walk(node.iter, self)  # the iterable is evaluated once, outside the body
                self.frames[-1][1].append(node)
                walk(node.body, self)
                if node.orelse is not None:
                    walk(node.orelse, self)
                self.frames[-1][1].pop()
                return False

            def visit_While(self, node: cst.While) -> bool:
                self.frames[-1][1].append(node)
                walk(node.test, self)
                walk(node.body, self)
                self.frames[-1][1].pop()
                if node.orelse is not None:
                    walk(node.orelse, self)
                return False

            def visit_Call(self, node: cst.Call) -> None:
                if id(node) in calls:
                    function, loops = self.frames[-1]
                    if isinstance(function, cst.Lambda):
                        placement[id(node)] = (None, None)  # a lambda: too little to judge
                    else:
                        placement[id(node)] = (function, loops[-1] if loops else None)

        walk(file_ctx.parsed.module, Walker())
        return _FileModel(placement, owner_class)

    return ctx.file.memo("engine-per-call-model", compute)


# --- why a function runs per call --------------------------------------------------------------


def _caller_of(ctx: RuleContext, function) -> Optional[Caller]:
    from poolcheck.values import Where

    parsed = ctx.parsed
    evaluator = ctx.evaluator
    model = _file_model(ctx)
    where = Where(parsed, (parsed.module,))
    for decorator in function.decorators:
        caller = _decorator_caller(ctx, decorator.decorator, where)
        if caller is not None:
            return caller
    owner = model.owner_class.get(id(function))
    if owner is not None and function.name.value in HTTP_METHODS:
        for base in owner.bases:
            qualified = evaluator.qualified_name(base.value, where)
            if qualified and qualified.startswith(VIEW_BASE_PREFIXES):
                return Caller("request handler", f"`{function.name.value}` of the view class `{owner.name.value}`")
    if owner is not None:
        return None
    key = (parsed.relative.as_posix(), function.name.value)
    return _registrations_of(ctx.project, function.name.value).get(key)


def _decorator_caller(ctx: RuleContext, expression, where) -> Optional[Caller]:
    import libcst as cst

    parsed = ctx.parsed
    shown = f"@{parsed.code(expression)}"
    if len(shown) > 60:
        shown = shown[:57] + "..."
    shown = f"`{shown}`"
    target = expression.func if isinstance(expression, cst.Call) else expression
    qualified = ctx.evaluator.qualified_name(target, where)
    if qualified is not None:
        if qualified in QUALIFIED_DECORATORS:
            return Caller(QUALIFIED_DECORATORS[qualified], shown)
        for prefix, kind in QUALIFIED_PREFIXES.items():
            if qualified.startswith(prefix):
                return Caller(kind, shown)
    if isinstance(target, cst.Attribute):
        attribute = target.attr.value
        if attribute in ROUTE_ATTRIBUTES and isinstance(expression, cst.Call) and expression.args:
            return Caller("request handler", shown)
        if attribute in REQUEST_HOOKS:
            return Caller("request hook", shown)
        if attribute in TASK_ATTRIBUTES:
            return Caller("scheduled job" if attribute in ("scheduled_job", "cron") else "task", shown)
    return None


def _registrations_of(project, name: str) -> Dict[Tuple[str, str], Caller]:
    """Functions called ``name`` handed to a per-call registration anywhere in the project:
    (path of the function's file, name) -> why. Only files whose bytes hold both ``name``
    and a registration token are parsed."""

    def compute(project) -> Dict[Tuple[str, str], Caller]:
        from poolcheck.values import Evaluator

        found: Dict[Tuple[str, str], Caller] = {}
        evaluator = project.fact("evaluator", Evaluator)
        paths = set(project.python_files_containing(REGISTRATION_TOKENS))
        django = set(project.python_files_containing((b"django",)))
        paths |= django & set(project.python_files_containing(DJANGO_URL_TOKENS))
        paths &= set(project.python_files_containing((name.encode("utf-8"),)))
        for path in sorted(paths):
            parsed = project.parsed(path)
            if parsed is not None:
                _collect_registrations(project, parsed, evaluator, path, name, found)
        return found

    return project.fact(f"engine-per-call-registrations:{name}", compute)


def _collect_registrations(project, parsed, evaluator, path: PurePosixPath, name: str, found: Dict[Tuple[str, str], Caller]) -> None:
    import libcst as cst
    from poolcheck.walk import walk

    from poolcheck.values import ScopedVisitor

    def names_it(node) -> bool:
        return (isinstance(node, cst.Name) and node.value == name) or (isinstance(node, cst.Attribute) and node.attr.value == name)

    class Finder(ScopedVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            func = node.func
            last = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else None
            if last not in REGISTRATION_NAMES or not any(names_it(arg.value) for arg in node.args):
                return  # cheap syntactic tests before resolving any name
            where = self.where
            rule = _registration_rule(node, evaluator, where)
            if rule is None:
                return
            index, keyword, kind = rule
            argument = _argument(node, index, keyword)
            if argument is None or not names_it(argument):
                return
            key = _function_key(project, parsed, evaluator, argument, where)
            if key is None:
                return
            line = parsed.span(node).start.line
            call_text = parsed.code(node.func)
            found.setdefault(key, Caller(kind, f"`{call_text}({parsed.code(argument)})` at {path.as_posix()}:{line}"))

    walk(parsed.module, Finder(parsed))


def _registration_rule(call, evaluator, where) -> Optional[Tuple[int, str, str]]:
    import libcst as cst

    qualified = evaluator.qualified_name(call.func, where)
    for name, index, keyword, kind in QUALIFIED_REGISTRATIONS:
        if qualified == name:
            return index, keyword, kind
    if isinstance(call.func, cst.Attribute):
        attribute = call.func.attr.value
        for name, index, keyword, kind in REGISTRATIONS:
            if attribute == name:
                if name == "do" and not _is_schedule_chain(call.func.value, evaluator, where):
                    return None
                return index, keyword, kind
    return None


def _is_schedule_chain(expression, evaluator, where) -> bool:
    """``schedule.every(10).minutes`` and the like: the chain starts at ``schedule.every``."""
    import libcst as cst

    node = expression
    while isinstance(node, (cst.Attribute, cst.Call)):
        if isinstance(node, cst.Call):
            qualified = evaluator.qualified_name(node.func, where)
            if qualified is not None and qualified.startswith("schedule."):
                return True
            node = node.func
        else:
            node = node.value
    return False


def _argument(call, index: int, keyword: str):
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
    positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
    return positional[index].value if len(positional) > index else None


def _function_key(project, parsed, evaluator, node, where) -> Optional[Tuple[str, str]]:
    """(project-relative path of its file, function name) of a function named by ``node``:
    defined in this file, imported from a project module, or ``module.function``."""
    import libcst as cst

    from poolcheck.values import Known, ModuleRef

    if isinstance(node, cst.Name):
        for scope_node in reversed(where.scopes):
            bindings = parsed.scope(scope_node).bindings.get(node.value)
            if not bindings:
                continue
            if len(bindings) != 1:
                return None
            binding = bindings[0]
            if binding.kind == "def":
                return parsed.relative.as_posix(), node.value
            if binding.kind == "from" and binding.module:
                path = project.resolve_module(binding.module, parsed.relative)
                return (path.as_posix(), binding.imported or node.value) if path is not None else None
            return None
        return None
    if isinstance(node, cst.Attribute):
        base = evaluator.evaluate(node.value, where)
        if isinstance(base, Known) and isinstance(base.value, ModuleRef):
            return base.value.file.relative.as_posix(), node.attr.value
    return None


# --- is the engine kept or disposed? ------------------------------------------------------------


def _kept_or_disposed(ctx: RuleContext, site, function, region) -> bool:
    """The engine outlives the call on purpose (returned, stored, a global), or is disposed
    inside ``region`` (the function, or the loop body)."""
    parsed = ctx.parsed
    call = site.node
    name = site.assigned_to
    container = _parents(parsed, region if region is not None else parsed.module, call)
    if name is None:
        # Not assigned to a plain name: kept if returned, yielded or stored somewhere; an
        # engine used on the spot (``create_engine(url).connect()``, a session's bind,
        # pandas' ``con``) is thrown away.
        return not _used_on_the_spot(container, call)
    if "." in name:
        return True  # self.engine = ..., app.state.engine = ...
    scope = function if function is not None else parsed.module
    if function is not None and name in parsed.scope(function).global_names:
        return True
    nonlocal_names = _nonlocal_names(function) if function is not None else set()
    if name in nonlocal_names:
        return True
    body = region if region is not None else scope
    return _disposes_or_keeps(body, name)


def _parents(parsed, root, target) -> List[object]:
    """The chain of nodes from ``root`` down to ``target`` (target last), or []."""
    import libcst as cst
    from poolcheck.walk import walk

    path: List[object] = []

    class Finder(cst.CSTVisitor):
        def __init__(self) -> None:
            self.stack: List[object] = []
            self.done = False

        def on_visit(self, node) -> bool:
            if self.done:
                return False
            self.stack.append(node)
            if node is target:
                path.extend(self.stack)
                self.done = True
                return False
            return True

        def on_leave(self, original_node) -> None:
            if not self.done:
                self.stack.pop()

    walk(root, Finder())
    return path


def _used_on_the_spot(chain: List[object], call) -> bool:
    import libcst as cst

    if len(chain) < 2:
        return False
    parent = chain[-2]
    if isinstance(parent, cst.Attribute) and parent.value is call:
        return True  # create_engine(url).connect()
    if isinstance(parent, cst.Arg) and len(chain) >= 3 and isinstance(chain[-3], cst.Call):
        outer = chain[-3]
        if parent.keyword is not None and parent.keyword.value in ENGINE_KEYWORDS:
            return True
        func = outer.func
        name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
        return name in SESSION_CALLS
    if isinstance(parent, (cst.WithItem,)):
        return True
    return False


def _nonlocal_names(function) -> Set[str]:
    import libcst as cst
    from poolcheck.walk import walk

    names: Set[str] = set()

    class Finder(cst.CSTVisitor):
        def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
            names.update(item.name.value for item in node.names)

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return node is function

    walk(function, Finder())
    return names


def _disposes_or_keeps(body, name: str) -> bool:
    """Inside ``body``: ``name.dispose()`` is called, or ``name`` is returned or stored
    (``self.x = name``, ``cache[k] = name``, ``items.append(name)``)."""
    import libcst as cst
    from poolcheck.walk import walk

    result: List[bool] = []

    def is_name(node) -> bool:
        return isinstance(node, cst.Name) and node.value == name

    class Finder(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            func = node.func
            if isinstance(func, cst.Attribute) and is_name(func.value) and func.attr.value == "dispose":
                result.append(True)
            if isinstance(func, cst.Attribute) and func.attr.value in ("append", "add", "insert", "setdefault", "put"):
                if any(is_name(arg.value) for arg in node.args):
                    result.append(True)

        def visit_Return(self, node: cst.Return) -> None:
            if node.value is not None and _hands_out(node.value, name):
                result.append(True)

        def visit_Assign(self, node: cst.Assign) -> None:
            if is_name(node.value) and any(not isinstance(t.target, cst.Name) for t in node.targets):
                result.append(True)

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return node is body

    walk(body, Finder())
    return bool(result)


def _hands_out(expression, name: str) -> bool:
    """``return engine``, ``return engine, session``, ``return Wrapper(engine)``: the engine
    itself leaves the function (``return engine.connect()`` hands out a connection only)."""
    import libcst as cst

    if isinstance(expression, cst.Name):
        return expression.value == name
    if isinstance(expression, (cst.Tuple, cst.List)):
        return any(_hands_out(element.value, name) for element in expression.elements)
    if isinstance(expression, cst.Call):
        return any(_hands_out(arg.value, name) for arg in expression.args)
    if isinstance(expression, cst.Dict):
        return any(isinstance(e, cst.DictElement) and _hands_out(e.value, name) for e in expression.elements)
    return False


__all__: FrozenSet[str] = frozenset({"EnginePerCall"})
RULES = [EnginePerCall]
