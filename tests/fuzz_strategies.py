"""Hypothesis strategies for fuzzing poolcheck: Python modules (hypothesmith's, from the
grammar), and the calls poolcheck's rules look at, built with random arguments and spliced
into them: ``create_engine`` with random URLs and keywords, Flask-SQLAlchemy configuration
(``app.config`` keys, config classes, ``SQLAlchemy(engine_options=...)``), APScheduler job
stores, pool event listeners, sessions and connections, in random places (module level,
functions, routes, loops, classes), with random line endings, BOMs and ``# noqa`` comments.

Every password a strategy writes into a URL or a setting is one of :data:`SECRETS`, so a test
can assert that none reaches any output.
"""

from __future__ import annotations

import ast
import keyword
import string
import warnings
from typing import List

from hypothesis import strategies as st

# Planted passwords: distinctive enough that finding one in an output is never a coincidence.
SECRETS = ("Zx9-hunter2-Qp", "s3cr3t-Wq7v", "pa55-Kd8m-word", "Ry4-t0ps3cret")


def _identifier_chars() -> str:
    return string.ascii_letters + string.digits + "_"


names = st.text(alphabet=string.ascii_lowercase + "_", min_size=1, max_size=8).filter(
    lambda name: not keyword.iskeyword(name) and name.isidentifier()
)

# --- values -------------------------------------------------------------------------------

INTS = st.one_of(
    st.integers(min_value=-5, max_value=100),
    st.sampled_from([0, 1, 3600, 28800, 7200, 3599, 30, -1, 10**20, 2**31]),
    st.integers(),
)

SCALARS = st.one_of(
    INTS.map(repr),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(["True", "False", "None", "float('nan')", "float('inf')", "1e308", "0x10", "1_000", "-0", "1j"]),
    st.text(max_size=12).map(repr),
    st.sampled_from(["'30'", "'True'", "'false'", "'yes'", "'3600'", "'-1'", "''", "b'30'", "'1e3'"]),
)


def expressions(depth: int = 2) -> st.SearchStrategy[str]:
    """Python expressions, sometimes statically known, often not."""
    leaves = st.one_of(
        SCALARS,
        names,
        st.sampled_from(
            [
                "os.getenv('POOL_SIZE', 10)",
                "os.environ.get('RECYCLE', '3600')",
                "os.environ['X']",
                "int(os.getenv('N', '5'))",
                "settings.POOL",
                "Config.RECYCLE",
                "config['pool']",
                "60 * 60",
                "3600 - 1",
                "2 ** 10",
                "-(-5)",
                "not True",
                "NullPool",
                "QueuePool",
                "StaticPool",
                "pool.QueuePool",
                "sqlalchemy.pool.NullPool",
                "sa.pool.AsyncAdaptedQueuePool",
                "SingletonThreadPool",
                "AssertionPool",
                "lambda: None",
                "...",
                "f'{x}'",
                "[]",
                "{}",
                "()",
            ]
        ),
    )
    if depth <= 0:
        return leaves
    inner = st.deferred(lambda: expressions(depth - 1))
    return st.one_of(
        leaves,
        leaves,
        st.tuples(inner, st.sampled_from(["+", "-", "*", "//", "/", "%", "**", " and ", " or ", " if x else ", " < "]), inner).map(
            lambda t: f"({t[0]}{t[1]}{t[2]})"
        ),
        st.lists(inner, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"),
        st.lists(st.tuples(st.one_of(st.text(max_size=8).map(repr), KEYWORD_NAMES.map(repr)), inner), max_size=3).map(
            lambda kvs: "{" + ", ".join(f"{k}: {v}" for k, v in kvs) + "}"
        ),
        st.tuples(names, st.lists(inner, max_size=2)).map(lambda t: f"{t[0]}({', '.join(t[1])})"),
        inner.map(lambda e: f"dict(x={e})"),
    )


# --- URLs ---------------------------------------------------------------------------------

SCHEMES = st.one_of(
    st.sampled_from(
        [
            "mysql",
            "mysql+pymysql",
            "mysql+mysqldb",
            "mysql+mysqlconnector",
            "mysql+aiomysql",
            "mysql+asyncmy",
            "mariadb",
            "mariadb+mariadbconnector",
            "mariadb+pymysql",
            "postgresql",
            "postgresql+psycopg",
            "postgresql+psycopg2",
            "postgresql+asyncpg",
            "postgres",
            "sqlite",
            "sqlite+aiosqlite",
            "sqlite+pysqlite",
            "mssql+pyodbc",
            "oracle+oracledb",
            "MYSQL",
            "mysql+",
            "+pymysql",
            "",
            "unknown+driver",
        ]
    ),
    st.text(alphabet=string.ascii_lowercase + "+_-.", max_size=12),
)


@st.composite
def urls(draw) -> str:
    """A URL string as code would write it: often valid, sometimes broken in every way."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.text(max_size=40))
    scheme = draw(SCHEMES)
    user = draw(st.sampled_from(["", "app", "root", "u%40x", "user name", "@", ":"]))
    password = draw(st.sampled_from(("",) + SECRETS + ("p@ss:" + SECRETS[0], SECRETS[1] + "%40x")))
    credentials = ""
    if user or password:
        credentials = user + (":" + password if password else "") + "@"
    host = draw(st.sampled_from(["db", "127.0.0.1", "localhost", "[::1]", "", "db.example.com", "h/o/s/t", "db:3306", "db:notaport", "db:99999"]))
    database = draw(st.sampled_from(["", "/app", "/", "/app?charset=utf8mb4", "/app?pool_size=5&x", "/:memory:", "//var/app.db", "/app#frag"]))
    query = draw(st.sampled_from(["", "?wait_timeout=600", "?connect_timeout=10&read_timeout=30", "?a=1&a=2", "?=", "?%"]))
    return f"{scheme}://{credentials}{host}{database}{query}"


@st.composite
def url_expressions(draw) -> str:
    """A URL as an expression: a literal, an f-string, a constant, URL.create, an env lookup."""
    url = draw(urls())
    form = draw(st.integers(0, 9))
    if form <= 3:
        return repr(url)
    if form == 4:
        return f"f'{url}'".replace("{", "{{").replace("}", "}}") if "{" in url else f"f{url!r}"
    if form == 5:
        secret = draw(st.sampled_from(SECRETS))
        return f"f'mysql+pymysql://app:{secret}@{{host}}/app'"
    if form == 6:
        secret = draw(st.sampled_from(SECRETS))
        driver = draw(st.sampled_from(["mysql+pymysql", "postgresql", "mariadb", "sqlite", "x"]))
        extra = draw(st.sampled_from(["", ", port=3306", ", port='x'", ", query={'charset': 'utf8'}", ", database=None"]))
        return f"URL.create({driver!r}, username='app', password={secret!r}, host='db'{extra})"
    if form == 7:
        return f"os.getenv('DATABASE_URL', {url!r})"
    if form == 8:
        return draw(st.sampled_from(["DATABASE_URL", "settings.DATABASE_URL", "Config.SQLALCHEMY_DATABASE_URI", "url", "make_url(u)"]))
    return f"make_url({url!r})"


# --- create_engine -------------------------------------------------------------------------

ENGINE_KEYWORDS = [
    "pool_size",
    "max_overflow",
    "pool_recycle",
    "pool_pre_ping",
    "pool_timeout",
    "poolclass",
    "pool",
    "pool_use_lifo",
    "pool_reset_on_return",
    "pool_logging_name",
    "echo",
    "echo_pool",
    "future",
    "connect_args",
    "execution_options",
    "isolation_level",
    "json_serializer",
    "creator",
    "hide_parameters",
    "query_cache_size",
    "insertmanyvalues_page_size",
    "paramstyle",
    "strategy",
    "convert_unicode",
    "encoding",
    # typos and driver options that are not engine keywords
    "pool_pre_pnig",
    "pool_sise",
    "pool_recyle",
    "max_overflo",
    "pool_timout",
    "charset",
    "connect_timeout",
    "read_timeout",
    "autocommit",
    "ssl",
]
KEYWORD_NAMES = st.one_of(st.sampled_from(ENGINE_KEYWORDS), names)


@st.composite
def keyword_arguments(draw, keywords=KEYWORD_NAMES) -> List[str]:
    arguments = []
    if draw(st.integers(0, 8)) == 0:
        arguments.append("*" + draw(st.sampled_from(["args", "[1]"])))
    # Mostly distinct keywords (a repeated one is a syntax error: sometimes, not always).
    chosen = draw(st.lists(keywords, max_size=5, unique=draw(st.integers(0, 9)) > 0))
    for name in chosen:
        arguments.append(f"{name}={draw(expressions(1))}")
    if draw(st.integers(0, 6)) == 0:
        arguments.append("**" + draw(st.sampled_from(["options", "{'pool_recycle': 3600}", "dict(pool_size=5)", "kwargs", "{**base, 'pool_pre_ping': True}"])))
    return arguments


@st.composite
def engine_calls(draw) -> str:
    function = draw(
        st.sampled_from(
            [
                "create_engine",
                "sqlalchemy.create_engine",
                "sa.create_engine",
                "create_async_engine",
                "ce",
                "engine_from_config",
                "async_engine_from_config",
                "create_mock_engine",
            ]
        )
    )
    if function.endswith("from_config"):
        entries = draw(st.lists(st.tuples(st.sampled_from(["sqlalchemy.url", "sqlalchemy.pool_recycle", "sqlalchemy.pool_pre_ping", "db.url", "sqlalchemy.pool_size", "sqlalchemy.echo"]), expressions(0)), max_size=4))
        mapping = "{" + ", ".join(f"{k!r}: {v}" for k, v in entries) + "}"
        prefix = draw(st.sampled_from(["", ", prefix='sqlalchemy.'", ", prefix='db.'", ", 'sqlalchemy.'", ", prefix=None"]))
        extra = ", ".join(draw(keyword_arguments()))
        return f"{function}({mapping}{prefix}{', ' + extra if extra else ''})"
    arguments = [draw(url_expressions())] if draw(st.integers(0, 9)) else []
    arguments += draw(keyword_arguments())
    return f"{function}({', '.join(arguments)})"


# --- Flask-SQLAlchemy ------------------------------------------------------------------------

FLASK_KEYS = [
    "SQLALCHEMY_DATABASE_URI",
    "SQLALCHEMY_ENGINE_OPTIONS",
    "SQLALCHEMY_BINDS",
    "SQLALCHEMY_ECHO",
    "SQLALCHEMY_RECORD_QUERIES",
    "SQLALCHEMY_TRACK_MODIFICATIONS",
    "SQLALCHEMY_POOL_SIZE",
    "SQLALCHEMY_POOL_RECYCLE",
    "SQLALCHEMY_POOL_TIMEOUT",
    "SQLALCHEMY_MAX_OVERFLOW",
    "SQLALCHEMY_POOL_PRE_PING",
    "SQLALCHEMY_NATIVE_UNICODE",
    "SQLALCHEMY_COMMIT_ON_TEARDOWN",
    "SQLALCHEMY_DATABASE_URL",
    "SQLALCHEMY_ENGINE_OPTION",
    "SQLALCHEMY_DATABASE_URI ",
    "sqlalchemy_database_uri",
    "pool_recycle",
    "pool_pre_ping",
    "SECRET_KEY",
    "DEBUG",
]


@st.composite
def flask_config_values(draw, key: str) -> str:
    if key in ("SQLALCHEMY_DATABASE_URI", "SQLALCHEMY_DATABASE_URL"):
        return draw(url_expressions())
    if key == "SQLALCHEMY_ENGINE_OPTIONS":
        entries = draw(st.lists(st.tuples(KEYWORD_NAMES, expressions(1)), max_size=4))
        return "{" + ", ".join(f"{k!r}: {v}" for k, v in entries) + "}"
    if key == "SQLALCHEMY_BINDS":
        # A bind given as a dict: its URL holds a planted password (a secret written as the
        # whole value, as this once did, is no URL: nothing says it is a password, and
        # excerpts show source lines as written); a value that is no URL at all, without one.
        dict_binds = st.sampled_from(
            [
                "{'url': 'mysql://app:" + SECRETS[2] + "@db/x', 'pool_recycle': 'x'}",
                "{'url': 'not-a-url', 'pool_recycle': 'x'}",
            ]
        )
        entries = draw(st.lists(st.tuples(names, st.one_of(url_expressions(), dict_binds)), max_size=3))
        return "{" + ", ".join(f"{k!r}: {v}" for k, v in entries) + "}"
    if key == "SECRET_KEY":
        return repr(draw(st.sampled_from(SECRETS)))
    return draw(expressions(1))


@st.composite
def flask_statements(draw) -> List[str]:
    form = draw(st.integers(0, 8))
    key = draw(st.one_of(st.sampled_from(FLASK_KEYS), st.text(alphabet=string.ascii_uppercase + "_", min_size=1, max_size=25)))
    value = draw(flask_config_values(key))
    if form == 0:
        return [f"app.config[{key!r}] = {value}"]
    if form == 1:
        return [f"app.config.update({key}={value})" if key.isidentifier() else f"app.config.update({{{key!r}: {value}}})"]
    if form == 2:
        return [f"app.config.from_mapping({{{key!r}: {value}}})"]
    if form == 3:
        base = draw(st.sampled_from(["", "(object)", "(Config)", "(BaseConfig)", "(Base, Mixin)"]))
        body = [f"    {key} = {value}"] if key.isidentifier() else ["    pass"]
        more = draw(st.lists(st.sampled_from(FLASK_KEYS).filter(str.isidentifier), max_size=2))
        body += [f"    {k} = {draw(flask_config_values(k))}" for k in more]
        return [f"class {draw(st.sampled_from(['Config', 'ProductionConfig', 'BaseConfig', 'Settings']))}{base}:", *body, "app.config.from_object(Config)"]
    if form == 4:
        options = draw(flask_config_values("SQLALCHEMY_ENGINE_OPTIONS"))
        return [f"db = SQLAlchemy(app, engine_options={options})"]
    if form == 5:
        return ["db = SQLAlchemy()", "db.init_app(app)"]
    if form == 6:
        return [f"app.config.from_prefixed_env({draw(st.sampled_from(['', repr('FLASK'), repr('MYAPP'), 'prefix=None']))})"]
    if form == 7:
        return [f"app.config.from_file({draw(st.sampled_from(['config.json', 'config.toml', 'missing.json']))!r}, load=json.load)"]
    return [f"app.config.from_pyfile({draw(st.sampled_from(['settings.cfg', 'instance.cfg']))!r})"]


# --- APScheduler ------------------------------------------------------------------------------


@st.composite
def scheduler_statements(draw) -> List[str]:
    url = draw(url_expressions())
    arguments = draw(st.sampled_from(["url={url}", "{url}", "engine=engine", "url={url}, engine_options={{'pool_pre_ping': True}}", "url={url}, tablename='jobs'", ""]))
    store = f"SQLAlchemyJobStore({arguments.format(url=url)})"
    form = draw(st.integers(0, 5))
    if form == 0:
        return [f"jobstores = {{'default': {store}}}", f"scheduler = {draw(st.sampled_from(['BackgroundScheduler', 'BlockingScheduler', 'AsyncIOScheduler']))}(jobstores=jobstores)"]
    if form == 1:
        return [f"scheduler.add_jobstore('sqlalchemy', url={url})"]
    if form == 2:
        return [f"scheduler.add_jobstore({store}, 'default')"]
    if form == 3:
        return [f"scheduler.configure(jobstores={{'default': {store}}})"]
    if form == 4:
        return [f"scheduler = BackgroundScheduler({{'apscheduler.jobstores.default': {{'type': 'sqlalchemy', 'url': {url}}}}})"]
    return [f"store = {store}"]


# --- sessions, connections, listeners ------------------------------------------------------------


@st.composite
def session_statements(draw) -> List[str]:
    return draw(
        st.sampled_from(
            [
                ["Session = sessionmaker(bind=engine)", "session = Session()", "session.execute(text('SELECT 1'))"],
                ["with Session() as session:", "    session.commit()"],
                ["session = Session()", "try:", "    session.add(x)", "finally:", "    session.close()"],
                ["registry = scoped_session(sessionmaker(bind=engine))", "registry.query(User).all()"],
                ["conn = engine.connect()", "conn.execute(text('SELECT 1'))"],
                ["with engine.begin() as conn:", "    conn.execute(text('x'))"],
                ["db.session.add(obj)", "db.session.commit()"],
                ["@app.before_request", "def load():", "    g.user = db.session.get(User, 1)"],
                ["@app.teardown_appcontext", "def remove(exc=None):", "    registry.remove()"],
                ["@event.listens_for(engine, 'checkout')", "def ping(dbapi_connection, record, proxy):", "    cursor = dbapi_connection.cursor()", "    cursor.execute('SELECT 1')"],
                ["@event.listens_for(engine, 'engine_connect')", "def ping(connection, branch=None):", "    connection.scalar(select(1))"],
                ["event.listen(engine, 'checkout', ping)"],
                ["engine.dispose()"],
                ["async with AsyncSession(engine) as session:", "    await session.execute(text('SELECT 1'))"],
            ]
        )
    )


# --- placing statements ----------------------------------------------------------------------

IMPORTS = [
    "import os",
    "import json",
    "import sqlalchemy",
    "import sqlalchemy as sa",
    "from sqlalchemy import create_engine, event, text, select, URL",
    "from sqlalchemy import create_engine as ce",
    "from sqlalchemy.engine import make_url, engine_from_config, URL",
    "from sqlalchemy.ext.asyncio import create_async_engine, AsyncSession, async_engine_from_config",
    "from sqlalchemy.orm import sessionmaker, scoped_session, Session",
    "from sqlalchemy.pool import NullPool, QueuePool, StaticPool, SingletonThreadPool, AssertionPool",
    "from sqlalchemy import pool",
    "from flask import Flask, g",
    "from flask_sqlalchemy import SQLAlchemy",
    "app = Flask(__name__)",
    "from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore",
    "from apscheduler.schedulers.background import BackgroundScheduler, BlockingScheduler",
    "from . import settings",
    "from .config import Config, DATABASE_URL",
]


@st.composite
def interesting_statements(draw) -> List[str]:
    kind = draw(st.integers(0, 9))
    if kind <= 3:
        target = draw(st.sampled_from(["engine", "e", "engine_a", "self.engine", "ENGINES['x']", "_"]))
        return [f"{target} = {draw(engine_calls())}"]
    if kind == 4:
        return [draw(engine_calls())]
    if kind in (5, 6):
        return draw(flask_statements())
    if kind == 7:
        return draw(scheduler_statements())
    if kind == 8:
        return draw(session_statements())
    return [f"{draw(names)} = {draw(expressions())}"]


def _indent(lines: List[str], prefix: str) -> List[str]:
    return [prefix + line for line in lines]


@st.composite
def blocks(draw) -> str:
    """Interesting statements in a random enclosing construct, as top-level code."""
    body = []
    for _ in range(draw(st.integers(1, 3))):
        body.extend(draw(interesting_statements()))
    wrapper = draw(st.integers(0, 9))
    if wrapper <= 3:
        lines = body
    elif wrapper == 4:
        lines = ["def handler(request):", *_indent(body, "    "), "    return None"]
    elif wrapper == 5:
        lines = [f"@app.route({draw(st.sampled_from(['/', '/items']))!r})", "def view():", *_indent(body, "    ")]
    elif wrapper == 6:
        lines = ["for item in items:", *_indent(body, "    ")]
    elif wrapper == 7:
        lines = ["class Repository:", "    def __init__(self):", *_indent(body, "        ")]
    elif wrapper == 8:
        lines = ["async def job():", *_indent(body, "    ")]
    else:
        lines = ["if DEBUG:", *_indent(body, "    "), "else:", "    pass"]
    return "\n".join(lines) + "\n"


NOQA = st.sampled_from(["", "", "", "  # noqa", "  # noqa: PC101", "  # noqa: PC101, PC105", "  # noqa: E501", "  # noqa: PC999", "  # NOQA:pc1", "  # poolcheck: noqa"])


def _top_level_starts(text: str) -> List[int]:
    """0-based line numbers where top-level statements of ``text`` start (and its end)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text)
    except Exception:
        return [0]
    starts = {0, len(text.splitlines())}
    for node in tree.body:
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", ())])
        starts.add(first - 1)
    return sorted(starts)


@st.composite
def spliced_modules(draw, base: st.SearchStrategy[str]) -> str:
    """A module from ``base`` with imports and interesting blocks inserted between its
    top-level statements."""
    text = draw(base)
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += "\n"
    starts = _top_level_starts("".join(lines))
    insertions = {}
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.sampled_from(starts))
        block = draw(blocks())
        noqa = draw(NOQA)
        if noqa:
            first, _, rest = block.partition("\n")
            block = first + noqa + "\n" + rest
        insertions.setdefault(at, []).append(block)
    imports = draw(st.lists(st.sampled_from(IMPORTS), max_size=6, unique=True))
    out = ["\n".join(imports) + ("\n" if imports else "")]
    for number, line in enumerate(lines):
        out.extend(insertions.pop(number, []))
        out.append(line)
    for remaining in insertions.values():
        out.extend(remaining)
    return "".join(out)


@st.composite
def generated_modules(draw) -> str:
    """Modules built only from the strategies above (fast: no grammar-based generation)."""
    imports = draw(st.lists(st.sampled_from(IMPORTS), max_size=8, unique=True))
    parts = ["\n".join(imports) + "\n"]
    for _ in range(draw(st.integers(1, 6))):
        block = draw(blocks())
        noqa = draw(NOQA)
        if noqa:
            first, _, rest = block.partition("\n")
            block = first + noqa + "\n" + rest
        parts.append(block)
    return "".join(parts)


def hypothesmith_modules() -> st.SearchStrategy[str]:
    import hypothesmith

    return st.one_of(hypothesmith.from_grammar(), hypothesmith.from_node())


@st.composite
def as_bytes(draw, modules: st.SearchStrategy[str]) -> bytes:
    """The module as a file's bytes: line endings, a BOM, an encoding, stray characters."""
    text = draw(modules)
    shape = draw(st.integers(0, 15))
    if shape == 0:
        text = text.replace("\n", "\r\n")
    elif shape == 1:
        text = text.replace("\n", "\r")
    elif shape == 2:  # mixed
        text = "".join(line + draw(st.sampled_from(["", "\r"])) if line.endswith("\n") else line for line in text.splitlines(keepends=True))
    elif shape == 3:
        text = "# page\x0cbreak\u2028separator\n" + text
    elif shape == 4:
        text = text.rstrip("\n")  # no final newline
    elif shape == 5:
        text = "\t" + text  # an indentation error
    elif shape == 6:  # something cut in the middle
        cut = draw(st.integers(0, max(len(text) - 1, 0)))
        text = text[:cut]
    if shape == 7:
        return b"\xef\xbb\xbf" + text.encode("utf-8", "surrogatepass")
    if shape == 8:
        return ("# -*- coding: latin-1 -*-\n" + text).encode("latin-1", "replace")
    if shape == 9:
        raw = text.encode("utf-8", "surrogatepass")
        at = draw(st.integers(0, len(raw)))
        return raw[:at] + draw(st.binary(min_size=1, max_size=4)) + raw[at:]
    return text.encode("utf-8", "surrogatepass")


# --- other project files ---------------------------------------------------------------------


@st.composite
def project_files(draw) -> dict:
    """Files poolcheck reads for facts (server settings, worker counts, versions, Flask
    configuration), with random and hostile content."""
    files = {}
    if draw(st.booleans()):
        lines = draw(
            st.lists(
                st.one_of(
                    st.sampled_from(["[mysqld]", "[mariadb]", "[client]", "[server]", "[mysqld", "wait_timeout", "!include other.cnf", "!includedir conf.d", "# comment"]),
                    st.tuples(st.sampled_from(["wait_timeout", "wait-timeout", "max_connections", "max-connections", "interactive_timeout", "password"]), SCALARS).map(
                        lambda kv: f"{kv[0]} = {kv[1]}"
                    ),
                    st.just(f"password = {SECRETS[3]}"),
                    st.text(max_size=30),
                ),
                max_size=8,
            )
        )
        files["my.cnf"] = "\n".join(lines) + "\n"
    if draw(st.booleans()):
        command = draw(st.sampled_from(["--wait-timeout=600", "--wait_timeout 600", "--max-connections=x", "mysqld --wait-timeout=-1", "[--max_connections=100]", ""]))
        image = draw(st.sampled_from(["mysql:8", "mariadb:11", "postgres:16", "redis", ""]))
        body = draw(
            st.sampled_from(
                [
                    "services:\n  db:\n    image: {image}\n    command: {command}\n    environment:\n      MYSQL_ROOT_PASSWORD: {secret}\n",
                    "services:\n  db:\n    image: {image}\n    command: [{command}]\n",
                    "services: [1, 2\n",
                    "{command}: {image}: {secret}\n",
                    "services:\n  web:\n    command: gunicorn -w {command} app:app\n    environment:\n      - DATABASE_URL=mysql://app:{secret}@db/app\n      - WEB_CONCURRENCY=x\n",
                    "- !!python/object:os.system ['touch MARKER']\n",
                    "&a [*a]\n",
                ]
            )
        )
        files["docker-compose.yml"] = body.format(image=image, command=command, secret=draw(st.sampled_from(SECRETS)))
    if draw(st.booleans()):
        secret = draw(st.sampled_from(SECRETS))
        files[".env"] = draw(
            st.sampled_from(
                [
                    f"DATABASE_URL=mysql://app:{secret}@db/app\nFLASK_SQLALCHEMY_POOL_RECYCLE=3600\n",
                    f"FLASK_SQLALCHEMY_DATABASE_URI='mysql+pymysql://root:{secret}@db/x'  # noqa: PC201\nFLASK_SQLALCHEMY_ENGINE_OPTIONS={{\"pool_recycle\": \"x\"}}\n",
                    "export FLASK_SQLALCHEMY_POOL_SIZE=\n=\n'\n\"unterminated\n",
                    f"FLASK_SECRET_KEY={secret}\n",
                ]
            )
        )
    if draw(st.booleans()):
        files["requirements.txt"] = draw(st.sampled_from(["Flask-SQLAlchemy==2.5.1\n", "flask-sqlalchemy>=3\nSQLAlchemy==1.3.24\n", "flask_sqlalchemy==\n-e .\n--index-url x\n", "Flask-SQLAlchemy===weird\n"]))
    if draw(st.booleans()):
        files["gunicorn.conf.py"] = draw(st.sampled_from(["workers = 4\n", "workers = int(os.getenv('W', 'x'))\n", "workers = (\n", "import multiprocessing\nworkers = multiprocessing.cpu_count() * 2 + 1\n"]))
    if draw(st.booleans()):
        files["Procfile"] = draw(st.sampled_from(["web: gunicorn -w 8 app:app\n", "web: gunicorn --workers=x app:app\n", "web gunicorn\n"]))
    if draw(st.booleans()):
        secret = draw(st.sampled_from(SECRETS))
        files["config.json"] = draw(st.sampled_from([f'{{"SQLALCHEMY_DATABASE_URI": "mysql://app:{secret}@db/x", "SQLALCHEMY_POOL_RECYCLE": 10}}', "{", "[1, 2]", '{"SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": "x"}}']))
    if draw(st.booleans()):
        files["settings.cfg"] = draw(st.sampled_from([f"SQLALCHEMY_DATABASE_URI = 'mysql://app:{SECRETS[0]}@db/x'\nSQLALCHEMY_POOL_SIZE = 5\n", "SQLALCHEMY_POOL_RECYCLE = (\n", "x = 1\n"]))
    return files
