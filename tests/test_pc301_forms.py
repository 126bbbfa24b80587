"""PC301 on every way APScheduler configures a SQLAlchemy job store: at least five flagged and
five clean projects per form, in the shapes real projects use (settings modules, config
classes, app factories, schedulers in their own module)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, Optional

import pytest

from poolcheck.registry import load_rules
from poolcheck.rule import Invalid, Valid
from poolcheck.testing import check_example

RULES = load_rules()
MYSQL = "mysql+pymysql://app:secret@db/app"
BG = "from apscheduler.schedulers.background import BackgroundScheduler\n"
STORE = "from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore\n"
FLASK_DB = {"app/extensions.py": "from flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy()\n", "app/__init__.py": ""}


@dataclass
class Case:
    form: str
    flagged: bool
    code: str
    note: str
    files: Dict[str, str] = field(default_factory=dict)
    path: str = "app.py"
    line: Optional[int] = None
    message: Optional[str] = None


def flagged(form, note, code, line=None, message=None, files=None, path="app.py"):
    return Case(form, True, code, note, dict(files or {}), path, line, message)


def clean(form, note, code, files=None, path="app.py"):
    return Case(form, False, code, note, dict(files or {}), path)


CASES = [
    # --- SQLAlchemyJobStore(url=...) and positional ------------------------------------------
    flagged("call", "keyword URL", STORE + f'store = SQLAlchemyJobStore(url="{MYSQL}")\n', line=2, message="app:***@db"),
    flagged("call", "positional URL", STORE + 'store = SQLAlchemyJobStore("mysql://app@db/app", None, "jobs")\n', line=2),
    flagged(
        "call", "aliased import",
        "from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore as Store\n\nstore = Store(url='mariadb+pymysql://app@db/app')\n",
        line=3,
    ),
    flagged(
        "call", "module import",
        "import apscheduler.jobstores.sqlalchemy as stores\n\nstore = stores.SQLAlchemyJobStore(url='mysql+mysqldb://app@db/app')\n",
        line=3,
    ),
    flagged(
        "call", "URL constant from a settings module",
        STORE + "from app.settings import DB_URL\n\n\ndef make_store():\n    return SQLAlchemyJobStore(url=DB_URL, tablename='jobs')\n",
        files={"app/__init__.py": "", "app/settings.py": f'DB_URL = "{MYSQL}"\n'},
        path="app/scheduler.py", line=6,
    ),
    flagged(
        "call", "engine_options without pre-ping or recycle",
        STORE + f'store = SQLAlchemyJobStore(url="{MYSQL}", engine_options={{"pool_size": 2, "max_overflow": 0}})\n',
        line=2, message="in its `engine_options`",
    ),
    flagged(
        "call", "the project engine's own url (PostgreSQL)",
        "from sqlalchemy import create_engine\n" + STORE
        + "\nengine = create_engine('postgresql+psycopg2://app@db/app', pool_size=20)\nstore = SQLAlchemyJobStore(url=engine.url)\n",
        line=5, message="that engine's own `url`",
    ),
    flagged(
        "call", "a URL chosen by if/else in a settings module, shared with the engine",
        "from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore\n\nfrom app.conf import DATABASE_URL\n\n"
        "jobstores = {'default': SQLAlchemyJobStore(url=DATABASE_URL)}\n",
        files={
            "app/__init__.py": "",
            "app/conf.py": "import os\n\nif os.getenv('DB_TYPE', 'sqlite') == 'sqlite':\n    DATABASE_URL = 'sqlite:///data/app.db'\n"
            "else:\n    DATABASE_URL = f\"postgresql+psycopg2://{os.getenv('PG_USER')}@{os.getenv('PG_HOST')}/app\"\n",
            "app/database.py": "from sqlalchemy import create_engine\n\nfrom app.conf import DATABASE_URL\n\nengine = create_engine(DATABASE_URL, pool_pre_ping=True)\n",
        },
        path="app/scheduler.py", line=5, message="both use `DATABASE_URL`",
    ),
    flagged("call", "engine=None is no engine", STORE + f'store = SQLAlchemyJobStore(url="{MYSQL}", engine=None)\n', line=2),
    clean("call", "its own SQLite file", STORE + "store = SQLAlchemyJobStore(url='sqlite:///jobs.sqlite')\n"),
    clean(
        "call", "engine= the application's engine",
        "from sqlalchemy import create_engine\n" + STORE
        + f"\nengine = create_engine('{MYSQL}', pool_pre_ping=True)\nstore = SQLAlchemyJobStore(engine=engine)\n",
    ),
    clean("call", "engine_options with pool_pre_ping", STORE + f'store = SQLAlchemyJobStore(url="{MYSQL}", engine_options={{"pool_pre_ping": True}})\n'),
    clean("call", "engine_options with pool_recycle", STORE + f'store = SQLAlchemyJobStore(url="{MYSQL}", engine_options=dict(pool_recycle=280))\n'),
    clean("call", "URL from the environment, not the project's database", STORE + "import os\n\nstore = SQLAlchemyJobStore(url=os.environ['JOBS_DB'])\n"),
    clean("call", "a **splat that may hold engine=", STORE + f"\n\ndef make(**extra):\n    return SQLAlchemyJobStore(url='{MYSQL}', **extra)\n"),
    clean(
        "call", "NullPool keeps nothing idle",
        STORE + f"from sqlalchemy.pool import NullPool\n\nstore = SQLAlchemyJobStore(url='{MYSQL}', engine_options={{'poolclass': NullPool}})\n",
    ),
    clean(
        "call", "another PostgreSQL database than the engine's",
        "from sqlalchemy import create_engine\n" + STORE
        + "\nengine = create_engine('postgresql://app@db/app')\nstore = SQLAlchemyJobStore(url='postgresql://app@db/jobs')\n",
    ),
    clean("call", "engine_options unknown", STORE + f"\n\ndef make(options):\n    return SQLAlchemyJobStore(url='{MYSQL}', engine_options=options)\n"),
    # --- add_jobstore("sqlalchemy", ...) -----------------------------------------------------
    flagged("add_jobstore", "the seed", BG + f"\nscheduler = BackgroundScheduler()\nscheduler.add_jobstore('sqlalchemy', url='{MYSQL}')\n", line=4),
    flagged(
        "add_jobstore", "positional alias",
        BG + f"\nscheduler = BackgroundScheduler()\nscheduler.add_jobstore('sqlalchemy', 'mysql', url='{MYSQL}')\n",
        line=4, message="Job store 'mysql'",
    ),
    flagged(
        "add_jobstore", "keywords only",
        BG + f"\nscheduler = BackgroundScheduler()\nscheduler.add_jobstore(jobstore='sqlalchemy', alias='db', url='{MYSQL}')\n",
        line=4, message="'db'",
    ),
    flagged(
        "add_jobstore", "engine_options without the two",
        BG + f"\nscheduler = BackgroundScheduler()\nscheduler.add_jobstore('sqlalchemy', url='{MYSQL}', engine_options={{'pool_size': 10}})\n",
        line=4,
    ),
    flagged(
        "add_jobstore", "the application's SQLite file",
        "from sqlalchemy import create_engine\n" + BG
        + "\nengine = create_engine('sqlite:///app.db', pool_size=5)\nscheduler = BackgroundScheduler()\nscheduler.add_jobstore('sqlalchemy', url='sqlite:///./app.db')\n",
        line=6, message="the same database URL",
    ),
    flagged(
        "add_jobstore", "options from a known dict",
        BG + f"\nSTORE = {{'url': '{MYSQL}', 'tablename': 'jobs'}}\nscheduler = BackgroundScheduler()\nscheduler.add_jobstore('sqlalchemy', **STORE)\n",
        line=5,
    ),
    clean(
        "add_jobstore", "pre-ping in engine_options",
        BG + f"\nscheduler = BackgroundScheduler()\nscheduler.add_jobstore('sqlalchemy', url='{MYSQL}', engine_options={{'pool_pre_ping': True}})\n",
    ),
    clean(
        "add_jobstore", "engine=",
        "from app.db import engine\n" + BG + "\nscheduler = BackgroundScheduler()\nscheduler.add_jobstore('sqlalchemy', engine=engine)\n",
        files={"app/__init__.py": "", "app/db.py": f"from sqlalchemy import create_engine\n\nengine = create_engine('{MYSQL}', pool_pre_ping=True)\n"},
    ),
    clean("add_jobstore", "the memory store", BG + "\nscheduler = BackgroundScheduler()\nscheduler.add_jobstore('memory', 'default')\n"),
    clean("add_jobstore", "a separate SQLite store", BG + "\nscheduler = BackgroundScheduler()\nscheduler.add_jobstore('sqlalchemy', url='sqlite:///jobs.db')\n"),
    clean("add_jobstore", "options unknown", BG + "\n\ndef setup(scheduler, options):\n    scheduler.add_jobstore('sqlalchemy', **options)\n"),
    clean("add_jobstore", "another plugin", BG + "\nscheduler = BackgroundScheduler()\nscheduler.add_jobstore('redis', jobs_key='jobs', host='db')\n"),
    # --- add_jobstore(SQLAlchemyJobStore(...)) -------------------------------------------------
    flagged(
        "add_jobstore_object", "positional alias",
        BG + STORE + f"\nscheduler = BackgroundScheduler()\nscheduler.add_jobstore(SQLAlchemyJobStore(url='{MYSQL}'), 'db')\n",
        line=5, message="Job store 'db'",
    ),
    flagged(
        "add_jobstore_object", "alias keyword",
        BG + STORE + f"\nscheduler = BackgroundScheduler()\nscheduler.add_jobstore(SQLAlchemyJobStore(url='{MYSQL}'), alias='jobs')\n",
        line=5, message="Job store 'jobs'",
    ),
    flagged(
        "add_jobstore_object", "a store variable",
        BG + STORE + f"\nstore = SQLAlchemyJobStore('{MYSQL}')\nscheduler = BackgroundScheduler()\nscheduler.add_jobstore(store)\n",
        line=4,
    ),
    flagged(
        "add_jobstore_object", "the environment variable the engine reads",
        "import os\n\nfrom sqlalchemy import create_engine\n" + BG + STORE
        + "\nengine = create_engine(os.getenv('DATABASE_URL'), pool_size=20)\nscheduler = BackgroundScheduler()\n"
        "scheduler.add_jobstore(SQLAlchemyJobStore(url=os.environ['DATABASE_URL']))\n",
        line=9, message="environment variable `DATABASE_URL`",
    ),
    flagged(
        "add_jobstore_object", "Flask app factory, Flask-SQLAlchemy's URI",
        BG + STORE + "\nscheduler = BackgroundScheduler()\n\n\ndef init_scheduler(app):\n"
        "    scheduler.add_jobstore(SQLAlchemyJobStore(url=app.config['SQLALCHEMY_DATABASE_URI']))\n    scheduler.start()\n",
        files=FLASK_DB, line=8, message="Flask-SQLAlchemy",
    ),
    clean(
        "add_jobstore_object", "engine=",
        "from sqlalchemy import create_engine\n" + BG + STORE
        + f"\nengine = create_engine('{MYSQL}', pool_pre_ping=True)\nscheduler = BackgroundScheduler()\nscheduler.add_jobstore(SQLAlchemyJobStore(engine=engine), 'db')\n",
    ),
    clean("add_jobstore_object", "SQLite", BG + STORE + "\nscheduler = BackgroundScheduler()\nscheduler.add_jobstore(SQLAlchemyJobStore(url='sqlite:///jobs.sqlite'), 'db')\n"),
    clean(
        "add_jobstore_object", "pool_recycle",
        BG + STORE + f"\nscheduler = BackgroundScheduler()\nscheduler.add_jobstore(SQLAlchemyJobStore(url='{MYSQL}', engine_options={{'pool_recycle': 3600}}))\n",
    ),
    clean(
        "add_jobstore_object", "Flask app without Flask-SQLAlchemy, URL unknown",
        BG + STORE + "\nscheduler = BackgroundScheduler()\n\n\ndef init_scheduler(app):\n"
        "    scheduler.add_jobstore(SQLAlchemyJobStore(url=app.config['SCHEDULER_DB']))\n",
    ),
    clean(
        "add_jobstore_object", "a MemoryJobStore",
        BG + "from apscheduler.jobstores.memory import MemoryJobStore\n\nscheduler = BackgroundScheduler()\nscheduler.add_jobstore(MemoryJobStore(), 'mem')\n",
    ),
    # --- jobstores={...} with store objects ------------------------------------------------------
    flagged("jobstores_objects", "constructor", BG + STORE + f"\nscheduler = BackgroundScheduler(jobstores={{'default': SQLAlchemyJobStore(url='{MYSQL}')}})\n", line=4, message="'default'"),
    flagged(
        "jobstores_objects", "configure()",
        BG + STORE + f"\nscheduler = BackgroundScheduler()\nscheduler.configure(jobstores={{'default': SQLAlchemyJobStore(url='{MYSQL}')}}, timezone='UTC')\n",
        line=5,
    ),
    flagged(
        "jobstores_objects", "a jobstores variable",
        BG + STORE + f"\njobstores = {{\n    'default': SQLAlchemyJobStore(url='{MYSQL}'),\n}}\nscheduler = BackgroundScheduler(jobstores=jobstores)\n",
        line=5,
    ),
    flagged(
        "jobstores_objects", "AsyncIOScheduler in a function",
        "from apscheduler.schedulers.asyncio import AsyncIOScheduler\n" + STORE
        + f"\n\ndef get_scheduler():\n    jobstores = {{'default': SQLAlchemyJobStore(url='{MYSQL}')}}\n    return AsyncIOScheduler(jobstores=jobstores)\n",
        line=6,
    ),
    flagged(
        "jobstores_objects", "the project's PostgreSQL database through a config class",
        "from apscheduler.schedulers.blocking import BlockingScheduler\n" + STORE + "from config import Config\n"
        "\nscheduler = BlockingScheduler(jobstores={'default': SQLAlchemyJobStore(url=Config.DATABASE_URI)}, timezone='UTC')\n",
        files={
            "config.py": "import os\n\n\nclass Config:\n    DATABASE_URI = os.environ.get('DATABASE_URI', 'postgresql://app@localhost/app')\n",
            "db.py": "from sqlalchemy import create_engine\n\nfrom config import Config\n\nengine = create_engine(Config.DATABASE_URI, pool_size=10)\n",
        },
        line=5, message="environment variable `DATABASE_URI`",
    ),
    clean("jobstores_objects", "SQLite", BG + STORE + "\nscheduler = BackgroundScheduler(jobstores={'default': SQLAlchemyJobStore(url='sqlite:///jobs.sqlite')})\n"),
    clean(
        "jobstores_objects", "engine=",
        "from sqlalchemy import create_engine\n" + BG + STORE
        + f"\nengine = create_engine('{MYSQL}', pool_recycle=3600)\nscheduler = BackgroundScheduler(jobstores={{'default': SQLAlchemyJobStore(engine=engine)}})\n",
    ),
    clean(
        "jobstores_objects", "memory store",
        BG + "from apscheduler.jobstores.memory import MemoryJobStore\n\nscheduler = BackgroundScheduler(jobstores={'default': MemoryJobStore()})\n",
    ),
    clean(
        "jobstores_objects", "engine_options pre-ping",
        BG + STORE + f"\nscheduler = BackgroundScheduler(jobstores={{'default': SQLAlchemyJobStore(url='{MYSQL}', engine_options={{'pool_pre_ping': True}})}})\n",
    ),
    clean(
        "jobstores_objects", "environment URL, project uses another variable",
        "import os\n\nfrom sqlalchemy import create_engine\n" + BG + STORE
        + "\nengine = create_engine(os.environ['DATABASE_URL'])\nscheduler = BackgroundScheduler(jobstores={'default': SQLAlchemyJobStore(url=os.environ['JOBS_URL'])})\n",
    ),
    # --- {"type": "sqlalchemy", ...} ---------------------------------------------------------------
    flagged("type_mapping", "constructor", BG + f"\nscheduler = BackgroundScheduler(jobstores={{'default': {{'type': 'sqlalchemy', 'url': '{MYSQL}'}}}})\n", line=3),
    flagged(
        "type_mapping", "configure()",
        BG + f"\nscheduler = BackgroundScheduler()\nscheduler.configure(jobstores={{'default': {{'type': 'sqlalchemy', 'url': '{MYSQL}'}}}})\n", line=4,
    ),
    flagged(
        "type_mapping", "mapping in settings.py, scheduler elsewhere (reported in settings.py)",
        f"JOBSTORES = {{\n    'default': {{\n        'type': 'sqlalchemy',\n        'url': '{MYSQL}',\n    }},\n}}\n",
        files={"scheduler.py": BG + "\nimport settings\n\nscheduler = BackgroundScheduler(jobstores=settings.JOBSTORES)\n"},
        path="settings.py", line=2,
    ),
    flagged("type_mapping", "dict(type=...)", BG + f"\nstore = dict(type='sqlalchemy', url='{MYSQL}')\nscheduler = BackgroundScheduler(jobstores={{'default': store}})\n", line=3),
    flagged(
        "type_mapping", "the engine's constant (PostgreSQL)",
        "from sqlalchemy import create_engine\n" + BG
        + "\nDATABASE_URL = 'postgresql+psycopg2://app@db/app'\nengine = create_engine(DATABASE_URL, pool_size=20, max_overflow=0)\n"
        "scheduler = BackgroundScheduler(jobstores={'default': {'type': 'sqlalchemy', 'url': DATABASE_URL}})\n",
        line=6, message="both use `DATABASE_URL`",
    ),
    flagged(
        "type_mapping", "engine_options without the two",
        BG + f"\nscheduler = BackgroundScheduler(jobstores={{'default': {{'type': 'sqlalchemy', 'url': '{MYSQL}', 'engine_options': {{'echo': True}}}}}})\n",
        line=3,
    ),
    clean("type_mapping", "memory", BG + "\nscheduler = BackgroundScheduler(jobstores={'default': {'type': 'memory'}})\n"),
    clean(
        "type_mapping", "engine=",
        "from sqlalchemy import create_engine\n" + BG
        + f"\nengine = create_engine('{MYSQL}', pool_pre_ping=True)\nscheduler = BackgroundScheduler(jobstores={{'default': {{'type': 'sqlalchemy', 'engine': engine}}}})\n",
    ),
    clean("type_mapping", "engine as a 'module:attr' reference", BG + "\nscheduler = BackgroundScheduler(jobstores={'default': {'type': 'sqlalchemy', 'engine': 'app.db:engine'}})\n"),
    clean(
        "type_mapping", "pool_recycle",
        BG + f"\nscheduler = BackgroundScheduler(jobstores={{'default': {{'type': 'sqlalchemy', 'url': '{MYSQL}', 'engine_options': {{'pool_recycle': 600}}}}}})\n",
    ),
    clean("type_mapping", "SQLite", BG + "\nscheduler = BackgroundScheduler(jobstores={'default': {'type': 'sqlalchemy', 'url': 'sqlite:///jobs.sqlite'}})\n"),
    clean("type_mapping", "a look-alike mapping nothing consumes", f"STORES = {{'default': {{'type': 'sqlalchemy', 'url': '{MYSQL}'}}}}\nprint(STORES)\n"),
    # --- {"class": "apscheduler.jobstores.sqlalchemy:SQLAlchemyJobStore", ...} ------------------------
    flagged(
        "class_mapping", "reference string",
        BG + f"\nscheduler = BackgroundScheduler(jobstores={{'default': {{'class': 'apscheduler.jobstores.sqlalchemy:SQLAlchemyJobStore', 'url': '{MYSQL}'}}}})\n",
        line=3,
    ),
    flagged("class_mapping", "the class itself", BG + STORE + f"\nscheduler = BackgroundScheduler(jobstores={{'default': {{'class': SQLAlchemyJobStore, 'url': '{MYSQL}'}}}})\n", line=4),
    flagged(
        "class_mapping", "configure()",
        BG + f"\nCLASS = 'apscheduler.jobstores.sqlalchemy:SQLAlchemyJobStore'\nscheduler = BackgroundScheduler()\n"
        f"scheduler.configure(jobstores={{'default': {{'class': CLASS, 'url': '{MYSQL}', 'tablename': 'jobs'}}}})\n",
        line=5,
    ),
    flagged(
        "class_mapping", "in a gconfig",
        BG + f"\nscheduler = BackgroundScheduler({{'apscheduler.jobstores.default': {{'class': 'apscheduler.jobstores.sqlalchemy:SQLAlchemyJobStore', 'url': '{MYSQL}'}}}})\n",
        line=3,
    ),
    flagged(
        "class_mapping", "type sqlalchemy wins over another class",
        BG + f"\nscheduler = BackgroundScheduler(jobstores={{'default': {{'type': 'sqlalchemy', 'class': 'apscheduler.jobstores.memory:MemoryJobStore', 'url': '{MYSQL}'}}}})\n",
        line=3,
    ),
    flagged(
        "class_mapping", "in SCHEDULER_JOBSTORES",
        f"class Config:\n    SCHEDULER_JOBSTORES = {{'default': {{'class': 'apscheduler.jobstores.sqlalchemy:SQLAlchemyJobStore', 'url': '{MYSQL}'}}}}\n",
        line=2,
    ),
    clean("class_mapping", "MemoryJobStore", BG + "\nscheduler = BackgroundScheduler(jobstores={'default': {'class': 'apscheduler.jobstores.memory:MemoryJobStore'}})\n"),
    clean(
        "class_mapping", "type wins over class",
        BG + "\nscheduler = BackgroundScheduler(jobstores={'default': {'type': 'memory', 'class': 'apscheduler.jobstores.sqlalchemy:SQLAlchemyJobStore'}})\n",
    ),
    clean(
        "class_mapping", "engine given",
        BG + "\nscheduler = BackgroundScheduler(jobstores={'default': {'class': 'apscheduler.jobstores.sqlalchemy:SQLAlchemyJobStore', 'engine': 'app.db:engine'}})\n",
    ),
    clean(
        "class_mapping", "engine_options pre-ping",
        BG + f"\nscheduler = BackgroundScheduler(jobstores={{'default': {{'class': 'apscheduler.jobstores.sqlalchemy:SQLAlchemyJobStore', 'url': '{MYSQL}', "
        "'engine_options': {'pool_pre_ping': True}}})\n",
    ),
    clean("class_mapping", "SQLite", BG + "\nscheduler = BackgroundScheduler(jobstores={'default': {'class': 'apscheduler.jobstores.sqlalchemy:SQLAlchemyJobStore', 'url': 'sqlite:///j.db'}})\n"),
    # --- gconfig: nested, flat, custom prefix ------------------------------------------------------------
    flagged("gconfig", "nested", BG + f"\nscheduler = BackgroundScheduler({{\n    'apscheduler.jobstores.default': {{'type': 'sqlalchemy', 'url': '{MYSQL}'}},\n}})\n", line=4),
    flagged(
        "gconfig", "flat keys",
        BG + f"\nscheduler = BackgroundScheduler(gconfig={{\n    'apscheduler.jobstores.default.type': 'sqlalchemy',\n    'apscheduler.jobstores.default.url': '{MYSQL}',\n"
        "    'apscheduler.timezone': 'UTC',\n})\n",
        line=5,
    ),
    flagged(
        "gconfig", "custom prefix in configure()",
        BG + f"\nCONFIG = {{'myapp.jobstores.default.type': 'sqlalchemy', 'myapp.jobstores.default.url': '{MYSQL}'}}\n"
        "scheduler = BackgroundScheduler()\nscheduler.configure(CONFIG, prefix='myapp.')\n",
        line=3,
    ),
    flagged(
        "gconfig", "custom prefix given positionally, config in another module",
        "GCONFIG = {\n    'sched.jobstores.main.type': 'sqlalchemy',\n    'sched.jobstores.main.url': 'mysql://app@db/app',\n}\n",
        files={"run.py": BG + "\nfrom conf import GCONFIG\n\nscheduler = BackgroundScheduler()\nscheduler.configure(GCONFIG, 'sched.')\n"},
        path="conf.py", line=3, message="`sched.jobstores.main.*` keys",
    ),
    flagged(
        "gconfig", "flat engine_options without the two",
        BG + f"\nscheduler = BackgroundScheduler({{\n    'apscheduler.jobstores.default.type': 'sqlalchemy',\n    'apscheduler.jobstores.default.url': '{MYSQL}',\n"
        "    'apscheduler.jobstores.default.engine_options.pool_size': 9,\n})\n",
        line=5, message="in its `engine_options`",
    ),
    flagged(
        "gconfig", "flat keys added into a nested mapping",
        BG + f"\nscheduler = BackgroundScheduler({{\n    'apscheduler.jobstores.default': {{'type': 'sqlalchemy'}},\n    'apscheduler.jobstores.default.url': '{MYSQL}',\n}})\n",
        line=5,
    ),
    flagged(
        "gconfig", "consumed inside a function of a module that mentions nothing else",
        "GCONFIG = {'myapp.jobstores.default.type': 'sqlalchemy', 'myapp.jobstores.default.url': 'mysql://app@db/app'}\n",
        files={"run.py": "from conf import GCONFIG\n\n\ndef start(scheduler):\n    scheduler.configure(GCONFIG, prefix='myapp.')\n    scheduler.start()\n"},
        path="conf.py", line=1,
    ),
    clean(
        "gconfig", "keys under a prefix the scheduler does not read",
        BG + f"\nscheduler = BackgroundScheduler()\nscheduler.configure({{'myapp.jobstores.default.type': 'sqlalchemy', 'myapp.jobstores.default.url': '{MYSQL}'}})\n",
    ),
    clean(
        "gconfig", "flat pool_pre_ping",
        BG + f"\nscheduler = BackgroundScheduler({{\n    'apscheduler.jobstores.default.type': 'sqlalchemy',\n    'apscheduler.jobstores.default.url': '{MYSQL}',\n"
        "    'apscheduler.jobstores.default.engine_options.pool_pre_ping': True,\n})\n",
    ),
    clean(
        "gconfig", "jobstores= replaces the gconfig's job stores",
        BG + "from apscheduler.jobstores.memory import MemoryJobStore\n"
        f"\nscheduler = BackgroundScheduler({{'apscheduler.jobstores.default.type': 'sqlalchemy', 'apscheduler.jobstores.default.url': '{MYSQL}'}}, "
        "jobstores={'default': MemoryJobStore()})\n",
    ),
    clean(
        "gconfig", "read from an INI file",
        BG + "import configparser\n\nparser = configparser.ConfigParser()\nparser.read('scheduler.ini')\n"
        "scheduler = BackgroundScheduler(dict(parser.items('apscheduler')))\n",
    ),
    clean(
        "gconfig", "flat engine reference",
        BG + "\nscheduler = BackgroundScheduler({'apscheduler.jobstores.default.type': 'sqlalchemy', 'apscheduler.jobstores.default.engine': 'app.db:engine'})\n",
    ),
    clean("gconfig", "SQLite", BG + "\nscheduler = BackgroundScheduler({'apscheduler.jobstores.default': {'type': 'sqlalchemy', 'url': 'sqlite:///jobs.sqlite'}})\n"),
    # --- Flask-APScheduler SCHEDULER_JOBSTORES -----------------------------------------------------------
    flagged("flask", "config class", f"class Config:\n    SCHEDULER_API_ENABLED = True\n    SCHEDULER_JOBSTORES = {{'default': {{'type': 'sqlalchemy', 'url': '{MYSQL}'}}}}\n", line=3),
    flagged("flask", "settings module for from_object", f"SCHEDULER_JOBSTORES = {{\n    'default': {{'type': 'sqlalchemy', 'url': '{MYSQL}'}}\n}}\n", line=2, path="settings.py"),
    flagged(
        "flask", "app.config[...] in an app factory, Flask-SQLAlchemy's URI (SQLite)",
        "from flask import Flask\n\n\ndef create_app():\n    app = Flask(__name__)\n    app.config['SQLALCHEMY_DATABASE_URI'] = 'sqlite:///app.db'\n"
        "    app.config['SCHEDULER_JOBSTORES'] = {'default': {'type': 'sqlalchemy', 'url': app.config['SQLALCHEMY_DATABASE_URI']}}\n    return app\n",
        files=FLASK_DB, line=7, message="Flask-SQLAlchemy",
    ),
    flagged(
        "flask", "app.config.update(...) with a store object",
        "from flask import Flask\n" + STORE + f"\napp = Flask(__name__)\napp.config.update(SCHEDULER_JOBSTORES={{'default': SQLAlchemyJobStore(url='{MYSQL}')}})\n",
        line=5,
    ),
    flagged(
        "flask", "from_mapping({...})",
        "from flask import Flask\n" + f"\napp = Flask(__name__)\napp.config.from_mapping({{'SCHEDULER_JOBSTORES': {{'default': {{'type': 'sqlalchemy', 'url': '{MYSQL}'}}}}}})\n",
        line=4,
    ),
    flagged(
        "flask", "inherited config class, URI constant",
        "class Config:\n    SQLALCHEMY_DATABASE_URI = 'postgresql://app@db/app'\n    SCHEDULER_JOBSTORES = {'default': {'type': 'sqlalchemy', 'url': SQLALCHEMY_DATABASE_URI}}\n\n\nclass ProductionConfig(Config):\n    DEBUG = False\n",
        files=FLASK_DB, line=3,
    ),
    flagged(
        "flask", "environment variable or a MySQL default",
        "import os\n\nfrom apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore\n\n\nclass DevelopmentConfig:\n"
        "    SQLALCHEMY_DATABASE_URI = os.environ.get('DEV_DATABASE_URL') or 'mysql+pymysql://root@127.0.0.1:3306/app'\n"
        "    SCHEDULER_JOBSTORES = {'default': SQLAlchemyJobStore(url=SQLALCHEMY_DATABASE_URI)}\n",
        line=8, message="(2006, 'MySQL server has gone away')",
    ),
    flagged(
        "flask", "app factory assigning a mapping from a settings module",
        f"JOBSTORES = {{'default': {{'type': 'sqlalchemy', 'url': '{MYSQL}'}}}}\n",
        files={"factory.py": "from flask import Flask\n\nfrom settings import JOBSTORES\n\n\ndef create_app():\n    app = Flask(__name__)\n"
               "    app.config['SCHEDULER_JOBSTORES'] = JOBSTORES\n    return app\n"},
        path="settings.py", line=1,
    ),
    clean("flask", "memory store", "class Config:\n    SCHEDULER_JOBSTORES = {'default': {'type': 'memory'}}\n"),
    clean("flask", "pre-ping", f"class Config:\n    SCHEDULER_JOBSTORES = {{'default': {{'type': 'sqlalchemy', 'url': '{MYSQL}', 'engine_options': {{'pool_pre_ping': True}}}}}}\n"),
    clean("flask", "SQLite", "SCHEDULER_JOBSTORES = {'default': {'type': 'sqlalchemy', 'url': 'sqlite:///jobs.sqlite'}}\n"),
    clean(
        "flask", "separate PostgreSQL database",
        "class Config:\n    SQLALCHEMY_DATABASE_URI = 'postgresql://app@db/app'\n    SCHEDULER_JOBSTORES = {'default': {'type': 'sqlalchemy', 'url': 'postgresql://app@db/scheduler'}}\n",
        files=FLASK_DB,
    ),
    clean("flask", "from the environment, not Flask-SQLAlchemy's URI", "import os\n\nSCHEDULER_JOBSTORES = {'default': {'type': 'sqlalchemy', 'url': os.environ['JOBS_URL']}}\n"),
    # --- APScheduler 4: SQLAlchemyDataStore ------------------------------------------------------------------
    flagged("data_store", "positional URL", "from apscheduler.datastores.sqlalchemy import SQLAlchemyDataStore\n\nstore = SQLAlchemyDataStore('mysql+asyncmy://app@db/app')\n", line=3),
    flagged(
        "data_store", "keyword", "from apscheduler.datastores.sqlalchemy import SQLAlchemyDataStore\n\nstore = SQLAlchemyDataStore(engine_or_url='mysql+aiomysql://app@db/app', schema='jobs')\n",
        line=3,
    ),
    flagged(
        "data_store", "URL.create",
        "from sqlalchemy import URL\nfrom apscheduler.datastores.sqlalchemy import SQLAlchemyDataStore\n\n"
        "store = SQLAlchemyDataStore(URL.create('mysql+asyncmy', username='app', host='db', database='app'))\n",
        line=4,
    ),
    flagged(
        "data_store", "the engine's environment variable (PostgreSQL)",
        "import os\n\nfrom sqlalchemy.ext.asyncio import create_async_engine\nfrom apscheduler import AsyncScheduler\n"
        "from apscheduler.datastores.sqlalchemy import SQLAlchemyDataStore\n\nengine = create_async_engine(os.environ['DATABASE_URL'], pool_size=5)\n"
        "scheduler = AsyncScheduler(SQLAlchemyDataStore(os.environ['DATABASE_URL']))\n",
        line=8, message="SQLAlchemyDataStore(engine)",
    ),
    flagged(
        "data_store", "engine.url", "from sqlalchemy.ext.asyncio import create_async_engine\nfrom apscheduler.datastores.sqlalchemy import SQLAlchemyDataStore\n\n"
        "engine = create_async_engine('postgresql+asyncpg://app@db/app')\nstore = SQLAlchemyDataStore(engine.url)\n",
        line=5,
    ),
    clean(
        "data_store", "the engine", "from sqlalchemy.ext.asyncio import create_async_engine\nfrom apscheduler.datastores.sqlalchemy import SQLAlchemyDataStore\n\n"
        "engine = create_async_engine('mysql+asyncmy://app@db/app', pool_pre_ping=True)\nstore = SQLAlchemyDataStore(engine)\n",
    ),
    clean(
        "data_store", "an engine built inline", "from sqlalchemy.ext.asyncio import create_async_engine\nfrom apscheduler.datastores.sqlalchemy import SQLAlchemyDataStore\n\n"
        "store = SQLAlchemyDataStore(create_async_engine('mysql+asyncmy://app@db/app', pool_recycle=300))\n",
    ),
    clean("data_store", "SQLite file", "from apscheduler.datastores.sqlalchemy import SQLAlchemyDataStore\n\nstore = SQLAlchemyDataStore('sqlite+aiosqlite:///jobs.sqlite')\n"),
    clean(
        "data_store", "a parameter (engine or URL)", "from apscheduler.datastores.sqlalchemy import SQLAlchemyDataStore\n\n\ndef make(engine_or_url):\n"
        "    return SQLAlchemyDataStore(engine_or_url)\n",
    ),
    clean(
        "data_store", "db.engine of Flask-SQLAlchemy", "from apscheduler.datastores.sqlalchemy import SQLAlchemyDataStore\nfrom app.extensions import db\n\n\n"
        "def make():\n    return SQLAlchemyDataStore(db.engine)\n",
        files=FLASK_DB,
    ),
]


def _example(case: Case):
    kind = Invalid if case.flagged else Valid
    if case.flagged:
        return Invalid(case.code, case.path, case.files, line=case.line, message=case.message, note=case.note)
    return kind(case.code, case.path, case.files, note=case.note)


def test_every_form_has_five_examples_each_way():
    counts = Counter((case.form, case.flagged) for case in CASES)
    forms = {case.form for case in CASES}
    assert len(forms) == 9
    for form in forms:
        assert counts[(form, True)] >= 5, f"{form}: needs five flagged examples"
        assert counts[(form, False)] >= 5, f"{form}: needs five clean examples"


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.form}-{'flagged' if c.flagged else 'clean'}-{c.note}")
def test_form(case):
    findings = [f for f in check_example(_example(case), ["ALL"], RULES) if f.code == "PC301"]
    if not case.flagged:
        assert findings == [], findings[0].message
        return
    assert findings, "not flagged"
    assert len(findings) == 1, [f.message for f in findings]
    if case.line is not None:
        assert findings[0].line == case.line, findings[0].message
    if case.message is not None:
        assert case.message in findings[0].message
    assert "secret" not in findings[0].message
    assert "scheduler.shutdown()" in findings[0].message or "SQLAlchemyDataStore(" in findings[0].message
