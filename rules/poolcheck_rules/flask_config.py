"""PC2xx: Flask-SQLAlchemy configuration.

The configuration is found wherever Flask reads it (``poolcheck.flask_config``: config
classes, settings modules, ``app.config`` writes, ``.env`` files for ``from_prefixed_env``,
JSON/TOML files for ``from_file``), once per project, so checking one file gives the
findings a full run gives for it. Which release reads which key is this module's data
(``flask_sqlalchemy_data``), judged against the release the project's dependency files give.

This module also registers the Flask-SQLAlchemy engine-site source: the engines
Flask-SQLAlchemy builds from the configuration go through the PC1xx checks like any
``create_engine`` call.
"""

from __future__ import annotations

from functools import lru_cache
from typing import List, Optional, Tuple

from poolcheck.api import Applicability, Edit, Example, Fix, Invalid, Related, Rule, RuleContext, Severity, Valid
from poolcheck.flask_config.tokens import ENV_FILE_PATTERNS, IMPORT_TOKENS, SCAN_TOKENS
from poolcheck.prefilter import RefinedTokens
from poolcheck.site_sources import register_site_source
from poolcheck.source import split_lines

from .flask_sqlalchemy_data import (
    DEPRECATED,
    ENGINE_OPTIONS,
    IGNORED,
    KNOWN_KEYS,
    PACKAGE,
    REMOVED,
    behaviour,
    keys_read,
    status,
    used_release,
)

# Non-Python files Flask config may be in: .env files (from_prefixed_env), JSON/TOML
# (from_file), Python-syntax .cfg files (from_pyfile). Only those the project really loads
# that way are judged.
CONFIG_FILE_PATTERNS = ENV_FILE_PATTERNS + ("*.json", "*.toml", "*.cfg")
SITE_TOKENS = (
    b"SQLALCHEMY_DATABASE_URI",
    b"SQLALCHEMY_ENGINE_OPTIONS",
    b"SQLALCHEMY_BINDS",
    b"engine_options",
    b"from_prefixed_env",
    b"from_file",
)
# What the config facts read must survive pruned parsing in every file (Rule.keep_tokens): the
# code that loads config (an app factory whose only config line is from_object(...)), and a
# subclass of SQLAlchemy overriding how engines are made.
FACT_KEEP_TOKENS = SCAN_TOKENS + (b"apply_driver_hacks", b"apply_pool_defaults", b"_apply_driver_defaults", b"_make_engine")

GONE_AWAY = "(2006, 'MySQL server has gone away')"
SEED_REFERENCE = (
    "Field report (poolcheck seed 001): `SQLALCHEMY_POOL_RECYCLE` and friends set with "
    "Flask-SQLAlchemy, silently ignored; the service lost its MySQL connections once "
    "`wait_timeout` was lowered to an hour."
)


# --- the engine-site source -----------------------------------------------------------------


def flask_sqlalchemy_sites(ctx) -> list:
    """Engine sites for the engines Flask-SQLAlchemy makes, anchored in this file."""
    if ctx.parsed is None:
        return []
    from poolcheck.flask_config import flask_config, flask_engine_sites

    if not flask_config(ctx.project).uses_flask_sqlalchemy:
        return []
    return flask_engine_sites(ctx, behaviour(used_release(ctx.project).version))


def files_with_sites(project) -> frozenset:
    """The files Flask-SQLAlchemy engine sites are anchored in (the PC1xx rules parse only
    these among the files mentioning SITE_TOKENS)."""

    def compute(project) -> frozenset:
        from poolcheck.flask_config import flask_config

        if not flask_config(project).uses_flask_sqlalchemy:
            return frozenset()  # (decided without importing the sites' libcst machinery)
        from poolcheck.flask_config import project_engine_sites

        sites = project_engine_sites(project, behaviour(used_release(project).version))
        return frozenset(site.file.relative for site in sites)

    return project.fact("flask-engine-site-files", compute)


register_site_source(flask_sqlalchemy_sites, tokens=SITE_TOKENS, files=files_with_sites, fact_tokens=IMPORT_TOKENS)


def holds_config(project, relative) -> bool:
    """Whether the project fact has Flask config entries in this file (a .env is read
    directly when it is named but outside the walked tree)."""
    from poolcheck.discovery import matches_any
    from poolcheck.flask_config import flask_config

    config = flask_config(project)
    if not config.uses_flask_sqlalchemy:
        return False
    return bool(config.entries_in(relative)) or (
        matches_any(relative.name, ENV_FILE_PATTERNS) and bool(config.prefixes)
    )


# --- what the three rules share ---------------------------------------------------------------


def config_entries(ctx: RuleContext) -> list:
    """The Flask config entries written in the checked file (nothing in a project that does
    not use Flask-SQLAlchemy)."""
    from poolcheck.flask_config import env_file_unit, flask_config
    from poolcheck.discovery import matches_any

    config = flask_config(ctx.project)
    if not config.uses_flask_sqlalchemy:
        return []
    relative = ctx.file.target.relative
    entries = config.entries_in(relative)
    if not entries and ctx.file.parsed is None and matches_any(relative.name, ENV_FILE_PATTERNS) and config.prefixes:
        # A .env file named on the command line but outside the walked tree (.gitignore'd).
        entries = env_file_unit(relative, ctx.text, config.prefixes).entries
    return entries


def is_read_by_project(ctx: RuleContext, entry) -> bool:
    """The application reads the key itself: it is the app's setting, not a mistake."""
    from poolcheck.flask_config import flask_config
    from poolcheck.flask_config.usage import first_read

    config = flask_config(ctx.project)
    writes = [e for e in config.entries() if e.key == entry.key]
    return first_read(ctx.project, entry.key, writes) is not None


def written_as(entry) -> str:
    if entry.written_key and entry.written_key != entry.key:
        return f"`{entry.written_key}` (config key `{entry.key}`)"
    return f"`{entry.key}`"


def release_related(ctx: RuleContext, release) -> Tuple[Related, ...]:
    from pathlib import Path

    from poolcheck.api import Location

    if release.found is None:
        return ()
    related = []
    for location in release.found.locations:
        absolute = ctx.project.root / Path(str(location.path))
        try:
            shown = absolute.relative_to(Path.cwd())
        except ValueError:
            shown = absolute
        related.append(Related(Location(shown, location.line, location.column), f"{release.label} is required here"))
    return tuple(related)


def option_given(entry, option: str) -> str:
    """```pool_recycle=280``` when the value is short enough to quote, else ```pool_recycle```."""
    text = ""
    if entry.file is not None and entry.value_node is not None:
        text = entry.file.code(entry.value_node).strip()
    elif (
        entry.value is not None
        and hasattr(entry.value, "value")
        and isinstance(entry.value.value, (int, float, str, bool))
    ):
        text = repr(entry.value.value)
    if text and len(text) <= 30 and "\n" not in text:
        return f"`{option}={text}`"
    return f"`{option}`"


def is_app_receiver(receiver: str) -> bool:
    """``app.config`` / ``self.app.config`` / ``current_app.config`` / ``flask_app.config``."""
    head = receiver[: -len(".config")] if receiver.endswith(".config") else receiver
    return "app" in head.rsplit(".", 1)[-1].lower()


def move_fix(ctx: RuleContext, entry, flagged, option_of, force_unsafe: bool = False) -> Optional[Fix]:
    """The fix moving ``entry`` (and every other flagged key of its scope) into
    ``SQLALCHEMY_ENGINE_OPTIONS``; for a .env, renaming it to the nested form."""
    from poolcheck.flask_config import flask_config
    from poolcheck.flask_config.edits import Move, group_of, plan_move

    option = option_of(entry)
    if option is None:
        return None
    if entry.form == "dotenv":
        if entry.nested:
            return None
        prefix = entry.written_key[: len(entry.written_key) - len(entry.key)]
        new = f"{prefix}{ENGINE_OPTIONS}__{option}"
        span = entry.key_span
        safety = Applicability.UNSAFE if force_unsafe else Applicability.SAFE
        return Fix(
            f"Rename to `{new}` (from_prefixed_env nests it into {ENGINE_OPTIONS})",
            safety,
            (Edit(span.start, span.end, new),),
        )
    group = group_of(entry)
    if group is None:
        return None
    moves = [
        Move(other, option_of(other)) for other in flagged if option_of(other) is not None and group_of(other) == group
    ]
    config = flask_config(ctx.project)
    plan = plan_move(moves, config, config.customised(behaviour(used_release(ctx.project).version).engine_hooks))
    if plan is None:
        return None
    edits = ctx.rewrite(plan.changes, file=plan.file)
    if not edits:
        return None
    keys = ", ".join(f"`{m.entry.key}`" for m in moves)
    safe = plan.safe and not force_unsafe
    message = f"Move {keys} into `{ENGINE_OPTIONS}`"
    if plan.why_unsafe:
        message += f" (unsafe: {'; '.join(plan.why_unsafe)})"
    return Fix(message, Applicability.SAFE if safe else Applicability.UNSAFE, edits)


class _FlaskConfigRule(Rule):
    file_patterns = CONFIG_FILE_PATTERNS
    keep_tokens = FACT_KEEP_TOKENS
    fact_tokens = IMPORT_TOKENS  # (flask_config's first question: see Rule.fact_tokens)

    def check(self, ctx: RuleContext) -> None:
        self.check_entries(ctx, config_entries(ctx))

    def check_text(self, ctx: RuleContext) -> None:
        self.check_entries(ctx, config_entries(ctx))

    def check_entries(self, ctx: RuleContext, entries) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


# --- PC201 ------------------------------------------------------------------------------------


class RemovedConfigKey(_FlaskConfigRule):
    code = "PC201"
    name = "removed-config-key"
    severity = Severity.ERROR
    summary = (
        "A Flask-SQLAlchemy config key the project's Flask-SQLAlchemy no longer reads (`SQLALCHEMY_POOL_RECYCLE`...)."
    )
    tokens = RefinedTokens((b"SQLALCHEMY_",), holds_config)
    what = """
        Flags `SQLALCHEMY_POOL_SIZE`, `SQLALCHEMY_POOL_TIMEOUT`, `SQLALCHEMY_POOL_RECYCLE`,
        `SQLALCHEMY_MAX_OVERFLOW`, `SQLALCHEMY_NATIVE_UNICODE` and
        `SQLALCHEMY_COMMIT_ON_TEARDOWN` wherever Flask reads config: config classes (and
        their bases), settings modules, `app.config[...]`, `app.config.update(...)` and
        `from_mapping(...)`, `.env` files read by `from_prefixed_env` (`FLASK_SQLALCHEMY_POOL_SIZE`),
        JSON and TOML files loaded with `from_file`.

        The verdict depends on the Flask-SQLAlchemy release the project uses, found in its
        lock files, else its requirements (a range means the newest release it admits),
        else the newest release; the message says which and where it came from:

        - an **error** where the release ignores the key: the pool keys and
          `NATIVE_UNICODE` from 3.0, `COMMIT_ON_TEARDOWN` from 3.1;
        - a **warning** where it still reads the key but warns it is deprecated: 2.4 and 2.5
          for the pool keys, 2.4.3 to 3.0 for `COMMIT_ON_TEARDOWN`;
        - nothing where the release reads it normally (before 2.4).

        A key the application reads itself (`app.config["SQLALCHEMY_POOL_SIZE"]` passed to
        its own `create_engine`) is its own setting and is not flagged.
    """
    why = f"""
        Flask-SQLAlchemy 3.0 removed the pool keys without a warning: the app starts, and the
        engine is built with SQLAlchemy's defaults. A `SQLALCHEMY_POOL_RECYCLE = 280` meant to
        stay below MySQL's `wait_timeout` does nothing, the server closes idle connections,
        and the next request on one of them fails:

        ```
        sqlalchemy.exc.OperationalError: (pymysql.err.OperationalError) {GONE_AWAY}
        ```

        `SQLALCHEMY_POOL_SIZE = 20` leaves the pool at 5 connections, and requests queue for
        one until `TimeoutError: QueuePool limit of size 5 overflow 10 reached, connection
        timed out, timeout 30.00`.

        {SEED_REFERENCE}
    """
    example = Example(
        """
        class Config:
            SQLALCHEMY_DATABASE_URI = "mysql+pymysql://app:secret@db/app"
            SQLALCHEMY_POOL_SIZE = 20
            SQLALCHEMY_POOL_RECYCLE = 280  # below wait_timeout
        """,
        path="config.py",
        files={
            "app.py": "from flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy()\n",
            "requirements.txt": "Flask-SQLAlchemy==3.1.1\n",
        },
    )
    use_instead = Example(
        """
        class Config:
            SQLALCHEMY_DATABASE_URI = "mysql+pymysql://app:secret@db/app"
            SQLALCHEMY_ENGINE_OPTIONS = {
                "pool_size": 20,
                "pool_recycle": 280,  # below wait_timeout
            }
        """,
        path="config.py",
        files={
            "app.py": "from flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy()\n",
            "requirements.txt": "Flask-SQLAlchemy==3.1.1\n",
        },
    )
    fix = """
        Safe: moves the keys into `SQLALCHEMY_ENGINE_OPTIONS` (unsafe where the meaning could
        change). The keys of one scope (a class body, a settings module, one function's
        `app.config[...]` writes, one `update(...)` call) go into the dict display already
        there, in its layout, or into a new one where the last key was; comments travel with
        them. Where other code also sets the options, `app.config` writes merge with
        `app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})`.

        Unsafe where the meaning could change: the existing value is not a dict display (it
        becomes `{**value, ...}`), the options are inherited from a base class or set by
        another part of the configuration, a moved value may be `None` (the old key skipped
        `None`; an engine option of `None` reaches `create_engine`), or a subclass of
        `SQLAlchemy` overrides how engines are made.

        In a `.env` file, `FLASK_SQLALCHEMY_POOL_SIZE` becomes
        `FLASK_SQLALCHEMY_ENGINE_OPTIONS__pool_size`, which `from_prefixed_env` nests into the
        options. `SQLALCHEMY_NATIVE_UNICODE` and `SQLALCHEMY_COMMIT_ON_TEARDOWN` have no engine
        option and are not fixed.
    """
    help = "Move it into `SQLALCHEMY_ENGINE_OPTIONS`."
    references = (
        "[Flask-SQLAlchemy 3.0 changes](https://flask-sqlalchemy.readthedocs.io/en/stable/changes/#version-3-0-0)",
        "[Flask-SQLAlchemy configuration keys](https://flask-sqlalchemy.readthedocs.io/en/stable/config/)",
        "[SQLAlchemy: Dealing with Disconnects](https://docs.sqlalchemy.org/en/20/core/pooling.html#dealing-with-disconnects)",
    )
    invalid = (
        Invalid(
            """
            from flask import Flask
            from flask_sqlalchemy import SQLAlchemy

            app = Flask(__name__)
            app.config["SQLALCHEMY_DATABASE_URI"] = "mysql+pymysql://app@db/app"
            app.config["SQLALCHEMY_POOL_RECYCLE"] = 3600
            db = SQLAlchemy(app)
            """,
            line=6,
            message="newest release",
            note="single-file app, no version pinned: the newest release",
        ),
        Invalid(
            """
            import os


            class BaseConfig:
                SQLALCHEMY_TRACK_MODIFICATIONS = False
                SQLALCHEMY_MAX_OVERFLOW = int(os.environ.get("DB_MAX_OVERFLOW", 10))


            class ProductionConfig(BaseConfig):
                SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
            """,
            path="app/config.py",
            files={
                "app/__init__.py": "from flask import Flask\nfrom flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy()\n\n\ndef create_app():\n    app = Flask(__name__)\n    app.config.from_object('app.config.ProductionConfig')\n    db.init_app(app)\n    return app\n",
                "poetry.lock": '[[package]]\nname = "flask-sqlalchemy"\nversion = "3.0.5"\n',
            },
            line=6,
            message="3.0.5 (poetry.lock:2)",
            note="config class inheritance, version from poetry.lock",
        ),
        Invalid(
            """
            from flask import Flask

            from .extensions import db


            def create_app():
                app = Flask(__name__)
                app.config.update(
                    SQLALCHEMY_DATABASE_URI="mysql+pymysql://app@db/app",
                    SQLALCHEMY_POOL_SIZE=20,
                )
                db.init_app(app)
                return app
            """,
            path="app/__init__.py",
            files={
                "app/extensions.py": "from flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy()\n",
                "requirements.txt": "flask-sqlalchemy>=3\n",
            },
            line=10,
            note="app factory with app.config.update(...)",
        ),
        Invalid(
            "FLASK_SQLALCHEMY_DATABASE_URI=mysql+pymysql://app@db/app\nFLASK_SQLALCHEMY_POOL_RECYCLE=280\n",
            path=".env",
            files={
                "app.py": "from flask import Flask\nfrom flask_sqlalchemy import SQLAlchemy\n\napp = Flask(__name__)\napp.config.from_prefixed_env()\ndb = SQLAlchemy(app)\n"
            },
            line=2,
            message="FLASK_SQLALCHEMY_POOL_RECYCLE",
            note=".env file read by from_prefixed_env",
        ),
        Invalid(
            """
            SQLALCHEMY_DATABASE_URI = "postgresql+psycopg2://app@db/app"
            SQLALCHEMY_POOL_SIZE = 5
            """,
            path="settings.py",
            files={
                "app.py": "from flask import Flask\nfrom flask_sqlalchemy import SQLAlchemy\n\napp = Flask(__name__)\napp.config.from_object('settings')\ndb = SQLAlchemy(app)\n",
                "requirements.txt": "Flask-SQLAlchemy==2.5.1\n",
            },
            line=2,
            message="deprecated",
            note="settings module; 2.5.1 still reads it with a warning",
        ),
        Invalid(
            '{\n  "SQLALCHEMY_DATABASE_URI": "mysql+pymysql://app@db/app",\n  "SQLALCHEMY_POOL_TIMEOUT": 10\n}\n',
            path="config.json",
            files={
                "app.py": "import json\n\nfrom flask import Flask\nfrom flask_sqlalchemy import SQLAlchemy\n\napp = Flask(__name__)\napp.config.from_file('config.json', load=json.load)\ndb = SQLAlchemy(app)\n"
            },
            line=3,
            note="JSON file loaded with from_file",
        ),
        Invalid(
            """
            class Config:
                SQLALCHEMY_DATABASE_URI = "sqlite:///app.db"
                SQLALCHEMY_COMMIT_ON_TEARDOWN = True
            """,
            path="config.py",
            files={
                "app.py": "from flask_sqlalchemy import SQLAlchemy\n",
                "requirements.txt": "Flask-SQLAlchemy==3.1.0\n",
            },
            line=3,
            message="no longer committed",
            note="COMMIT_ON_TEARDOWN, ignored from 3.1",
        ),
    )
    valid = (
        Valid(
            """
            class Config:
                SQLALCHEMY_DATABASE_URI = "mysql+pymysql://app@db/app"
                SQLALCHEMY_POOL_RECYCLE = 280
            """,
            path="config.py",
            files={
                "app.py": "from flask_sqlalchemy import SQLAlchemy\n",
                "requirements.txt": "Flask-SQLAlchemy==2.3.2\n",
            },
            note="2.3 reads it normally",
        ),
        Valid(
            """
            class Config:
                SQLALCHEMY_DATABASE_URI = "mysql+pymysql://app@db/app"
                SQLALCHEMY_COMMIT_ON_TEARDOWN = True
            """,
            path="config.py",
            files={
                "app.py": "from flask_sqlalchemy import SQLAlchemy\n",
                "requirements.txt": "Flask-SQLAlchemy==2.4.2\n",
            },
            note="COMMIT_ON_TEARDOWN is read without a warning before 2.4.3",
        ),
        Valid(
            """
            class Config:
                SQLALCHEMY_POOL_SIZE = 20
            """,
            path="config.py",
            note="the project does not use Flask-SQLAlchemy",
        ),
        Valid(
            """
            from flask import current_app
            from flask_sqlalchemy import SQLAlchemy
            from sqlalchemy import create_engine


            def reporting_engine():
                config = current_app.config
                return create_engine(config["SQLALCHEMY_DATABASE_URI"], pool_size=config["SQLALCHEMY_POOL_SIZE"])
            """,
            path="app/reporting.py",
            files={
                "app/config.py": "class Config:\n    SQLALCHEMY_DATABASE_URI = 'sqlite:///app.db'\n    SQLALCHEMY_POOL_SIZE = 20\n"
            },
            note="the application reads the key itself",
        ),
        Valid(
            """
            import os

            SQLALCHEMY_POOL_SIZE = int(os.environ.get("POOL_SIZE", 5))
            """,
            path="app/tasks.py",
            files={"app/__init__.py": "from flask_sqlalchemy import SQLAlchemy\n"},
            note="a module that is not settings and is not loaded as config",
        ),
        Valid(
            """
            class Config:
                SQLALCHEMY_DATABASE_URI = "sqlite:///app.db"
                SQLALCHEMY_COMMIT_ON_TEARDOWN = False
            """,
            path="config.py",
            files={"app.py": "from flask_sqlalchemy import SQLAlchemy\n"},
            note="ignored, but set to what the release does anyway",
        ),
        Valid(
            "SQLALCHEMY_POOL_RECYCLE=280\n",
            path=".env",
            files={
                "app.py": "from flask import Flask\nfrom flask_sqlalchemy import SQLAlchemy\n\napp = Flask(__name__)\napp.config.from_prefixed_env()\n"
            },
            note="no FLASK_ prefix: from_prefixed_env does not read it",
        ),
    )

    def check_entries(self, ctx: RuleContext, entries) -> None:
        release = used_release(ctx.project)
        flagged = [
            e
            for e in entries
            if e.key in REMOVED and not e.nested and status(e.key, release.version) in (IGNORED, DEPRECATED)
        ]
        flagged = [e for e in flagged if not self.harmless(e) and not is_read_by_project(ctx, e)]
        related = release_related(ctx, release)

        def option_of(entry) -> Optional[str]:
            return REMOVED[entry.key].option

        for entry in flagged:
            removed = REMOVED[entry.key]
            option = removed.option
            if status(entry.key, release.version) == IGNORED:
                effect = removed.effect or f"the engine never gets {option_given(entry, option)}"
                message = f"{written_as(entry)} is ignored by {release.describe()}: it was removed in {removed.ignored[:3]}, so {effect}"
                severity = Severity.ERROR
            else:
                message = (
                    f"{written_as(entry)} is deprecated in {release.describe()}: it still works there, "
                    f"with a DeprecationWarning, but Flask-SQLAlchemy {removed.ignored[:3]} ignores it"
                )
                severity = Severity.WARNING
            help_text = removed.instead or f'Move it into `SQLALCHEMY_ENGINE_OPTIONS` as `"{option}"`.'
            fix = move_fix(ctx, entry, flagged, option_of) if option else None
            ctx.report(entry.key_span, message, help=help_text, fix=fix, related=related, severity=severity)

    @staticmethod
    def harmless(entry) -> bool:
        """Set to what the release does without it (COMMIT_ON_TEARDOWN = False): nothing is
        lost when it is ignored."""
        from poolcheck.values import Known

        if not isinstance(entry.value, Known):
            return False
        value = entry.value.value
        return any(
            value is harmless or (type(value) is type(harmless) and value == harmless)
            for harmless in REMOVED[entry.key].harmless
        )


# --- PC202 ------------------------------------------------------------------------------------


def near_miss(key: str, known) -> Optional[str]:
    """The key Flask-SQLAlchemy reads that ``key`` most likely meant, or None.

    A near miss is the same key spelled differently (case, underscores), or one or two
    letters off (two only for long keys). A known key with something added
    (``SQLALCHEMY_DATABASE_URI_TEST``, ``..._URI2``) is an application's own key, not a slip.
    """

    def squashed(text: str) -> str:
        return text.upper().replace("_", "")

    best = None
    for candidate in sorted(known):
        if key == candidate:
            return None
        if squashed(key) == squashed(candidate):
            return candidate
        if candidate in key:
            continue  # the known key with something added: SQLALCHEMY_DATABASE_URI2
        distance = _edit_distance(key.upper(), candidate)
        limit = 2 if len(candidate) - len("SQLALCHEMY_") >= 10 else 1
        if distance <= limit and (best is None or distance < best[0]):
            best = (distance, candidate)
    return best[1] if best else None


def _edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions, swaps."""
    previous2: List[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]


class UnknownConfigKey(_FlaskConfigRule):
    code = "PC202"
    name = "unknown-config-key"
    severity = Severity.WARNING
    summary = "A config key that is a near miss of one Flask-SQLAlchemy reads (`SQLALCHEMY_DATABASE_URL`)."
    # Misspelt SQLALCHEMY keys, and keys in another case (only app.config writes keep those).
    tokens = RefinedTokens((b"SQLALCHEM", b"SQL_ALCHEMY", b".config[", b".config.update", b".config.setdefault"), holds_config)
    what = """
        Flags a config key Flask-SQLAlchemy never reads that is one or two letters away from
        one it does (`SQLALCHEMY_DATABASE_URL` for `SQLALCHEMY_DATABASE_URI`,
        `SQLALCHEMY_TRACK_MODIFICATION`, `SQLALCHEMY_ENGINE_OPTION`, `SQLALCHEMY_BIND`), or the
        same key in another case (`sqlalchemy_database_uri`: Flask config keys are
        case-sensitive), wherever Flask reads config.

        Application-specific `SQLALCHEMY_*` keys are left alone: one that is not a near miss
        (`SQLALCHEMY_MIGRATE_REPO`), a known key with something added
        (`SQLALCHEMY_DATABASE_URI_TEST`), and any key the application reads itself.
        Engine options written as keys (`SQLALCHEMY_POOL_PRE_PING`) are
        [PC203](PC203.md)'s, and keys older releases read are [PC201](PC201.md)'s.
    """
    why = """
        A misspelt key is a silent no-op. `SQLALCHEMY_DATABASE_URL` leaves the real URI unset:
        Flask-SQLAlchemy 3 refuses to start (`RuntimeError: Either 'SQLALCHEMY_DATABASE_URI' or
        'SQLALCHEMY_BINDS' must be set.`), 2.x silently uses an in-memory SQLite database
        (`UserWarning: Neither SQLALCHEMY_DATABASE_URI nor SQLALCHEMY_BINDS is set. Defaulting
        SQLALCHEMY_DATABASE_URI to "sqlite:///:memory:".`), or, worse, a base class's URI
        stays in force and production talks to the development database. A misspelt
        `SQLALCHEMY_ENGINE_OPTIONS` drops `pool_pre_ping` and `pool_recycle`, and idle
        connections fail with `(2006, 'MySQL server has gone away')`.
    """
    example = Example(
        """
        import os


        class ProductionConfig:
            SQLALCHEMY_DATABASE_URL = os.environ.get("DATABASE_URL", "mysql+pymysql://app@db/app")
            SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        """,
        path="config.py",
        files={"app.py": "from flask_sqlalchemy import SQLAlchemy\n"},
    )
    use_instead = Example(
        """
        import os


        class ProductionConfig:
            SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", "mysql+pymysql://app@db/app")
            SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        """,
        path="config.py",
        files={"app.py": "from flask_sqlalchemy import SQLAlchemy\n"},
    )
    fix = """
        Unsafe: renames the key to the one Flask-SQLAlchemy reads (`SQLALCHEMY_DATABASE_URL`
        -> `SQLALCHEMY_DATABASE_URI`). It changes what the application connects to, so it is
        applied only with `--unsafe-fixes`, and not offered where the right key is already set
        in the same place.
    """
    help = "Rename it to the key Flask-SQLAlchemy reads."
    references = ("[Flask-SQLAlchemy configuration keys](https://flask-sqlalchemy.readthedocs.io/en/stable/config/)",)
    invalid = (
        Invalid(
            """
            from flask import Flask
            from flask_sqlalchemy import SQLAlchemy

            app = Flask(__name__)
            app.config["SQLALCHEMY_TRACK_MODIFICATION"] = False
            app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///app.db"
            db = SQLAlchemy(app)
            """,
            line=5,
            message="SQLALCHEMY_TRACK_MODIFICATIONS",
        ),
        Invalid(
            """
            class Config:
                SQLALCHEMY_DATABASE_URI = "mysql+pymysql://app@db/app"
                SQLALCHEMY_ENGINE_OPTION = {"pool_recycle": 280}
            """,
            path="app/config.py",
            files={"app/__init__.py": "from flask_sqlalchemy import SQLAlchemy\n"},
            line=3,
            note="a dropped letter in SQLALCHEMY_ENGINE_OPTIONS",
        ),
        Invalid(
            "FLASK_SQLALCHEMY_DATABASE_URL=mysql+pymysql://app@db/app\n",
            path=".flaskenv",
            files={
                "app.py": "from flask import Flask\nfrom flask_sqlalchemy import SQLAlchemy\n\napp = Flask(__name__)\napp.config.from_prefixed_env()\n"
            },
            line=1,
            note=".flaskenv read by from_prefixed_env",
        ),
        Invalid(
            """
            from flask import Flask
            from flask_sqlalchemy import SQLAlchemy


            def create_app():
                app = Flask(__name__)
                app.config.from_mapping(
                    SQLALCHEMY_DATABSE_URI="postgresql://app@db/app",
                )
                return app
            """,
            line=8,
            message="SQLALCHEMY_DATABASE_URI",
            note="a swapped letter, from_mapping in an app factory",
        ),
        Invalid(
            """
            from flask import Flask
            from flask_sqlalchemy import SQLAlchemy

            app = Flask(__name__)
            app.config["sqlalchemy_database_uri"] = "sqlite:///app.db"
            """,
            line=5,
            message="case",
            note="the right key in the wrong case",
        ),
        Invalid(
            """
            class Config:
                SQLALCHEMEY_DATABASE_URI = "mysql+pymysql://app@db/app"
            """,
            path="settings/base.py",
            files={"app.py": "from flask_sqlalchemy import SQLAlchemy\n"},
            note="a typo in the SQLALCHEMY prefix",
        ),
    )
    valid = (
        Valid(
            """
            class Config:
                SQLALCHEMY_DATABASE_URI = "sqlite:///app.db"
                SQLALCHEMY_MIGRATE_REPO = "db_repository"
            """,
            path="config.py",
            files={"app.py": "from flask_sqlalchemy import SQLAlchemy\n"},
            note="an application key that is not a near miss",
        ),
        Valid(
            """
            class TestConfig:
                SQLALCHEMY_DATABASE_URI = "sqlite://"
                SQLALCHEMY_DATABASE_URI_TEST = "sqlite:///test.db"
            """,
            path="config.py",
            files={"app.py": "from flask_sqlalchemy import SQLAlchemy\n"},
            note="a known key with a suffix is the application's own",
        ),
        Valid(
            """
            from flask import current_app
            from flask_sqlalchemy import SQLAlchemy
            from sqlalchemy import create_engine


            def analytics_engine():
                return create_engine(current_app.config["SQLALCHEMY_DATABASE_URL"])
            """,
            path="app/analytics.py",
            files={
                "app/config.py": "class Config:\n    SQLALCHEMY_DATABASE_URI = 'sqlite://'\n    SQLALCHEMY_DATABASE_URL = 'mysql://ro@db/app'\n"
            },
            note="the application reads the key itself",
        ),
        Valid(
            """
            class Config:
                SQLALCHEMY_DATABASE_URL = "mysql://app@db/app"
            """,
            path="config.py",
            note="the project does not use Flask-SQLAlchemy",
        ),
        Valid(
            """
            from flask import Flask
            from flask_sqlalchemy import SQLAlchemy

            app = Flask(__name__)
            app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
            app.config["SQLALCHEMY_RECORD_QUERIES"] = True
            """,
        ),
        Valid(
            """
            class Config:
                SQLALCHEMY_POOL_PRE_PING = True
            """,
            path="config.py",
            files={"app.py": "from flask_sqlalchemy import SQLAlchemy\n"},
            note="an engine option as a key is PC203's",
        ),
    )

    def check_entries(self, ctx: RuleContext, entries) -> None:
        release = used_release(ctx.project)
        known = keys_read(release.version)
        for entry in entries:
            key = entry.key
            if entry.nested or key in KNOWN_KEYS or "SQL" not in key.upper():
                continue
            if not key.isupper() and entry.form not in ("subscript", "keyword", "dict-key", "setdefault"):
                continue
            meant = near_miss(key, known)
            if meant is None or engine_option_for(key) is not None or is_read_by_project(ctx, entry):
                continue
            if key.upper().replace("_", "") == meant.replace("_", "") and key != meant and key.upper() != key:
                detail = f"Flask config keys are case-sensitive; it reads `{meant}`"
            else:
                detail = f"it reads `{meant}`"
            message = f"{written_as(entry)} is not a {PACKAGE} setting: {detail}, so this value is never used"
            fix = self.rename(ctx, entry, meant)
            ctx.report(entry.key_span, message, help=f"Rename it to `{meant}`.", fix=fix)

    @staticmethod
    def rename(ctx: RuleContext, entry, meant: str) -> Optional[Fix]:
        from poolcheck.flask_config.edits import plan_rename

        if entry.unit is not None and entry.unit.own(meant) is not None:
            return None  # both are set: which one was meant is for the author to say
        message = f"Rename to `{meant}`"
        if entry.form == "dotenv":
            prefix = (
                entry.written_key[: len(entry.written_key) - len(entry.key)]
                if entry.written_key.endswith(entry.key)
                else None
            )
            if prefix is None or entry.nested:
                return None
            span = entry.key_span
            return Fix(message, Applicability.UNSAFE, (Edit(span.start, span.end, prefix + meant),))
        if entry.form == "data-file":
            span = entry.key_span
            text = (
                split_lines(ctx.text)[span.start.line - 1][span.start.column : span.end.column]
                if span.start.line == span.end.line
                else ""
            )
            quote = text[:1] if text[:1] in "\"'" else ""
            return Fix(message, Applicability.UNSAFE, (Edit(span.start, span.end, f"{quote}{meant}{quote}"),))
        plan = plan_rename(entry, meant)
        if plan is None:
            return None
        return Fix(message, Applicability.UNSAFE, ctx.rewrite(plan.changes, file=plan.file))


# --- PC203 ------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def engine_keywords() -> frozenset:
    """``create_engine`` keywords, from the installed SQLAlchemy."""
    from poolcheck.sqla import installed_knowledge

    knowledge = installed_knowledge()
    return frozenset(knowledge.kwargs_accepted_by_any_dialect() or ()) | frozenset(
        knowledge.all_pool_kwarg_names() or ()
    )


@lru_cache(maxsize=1)
def pool_keywords() -> frozenset:
    """The pool's own keywords: the only bare UPPERCASE keys (``POOL_RECYCLE``) judged, since
    a bare ``ECHO`` or ``MODULE`` is as likely the application's own setting."""
    from poolcheck.sqla import installed_knowledge

    names = installed_knowledge().all_pool_kwarg_names() or ()
    return frozenset(k for k in names if k.startswith("pool_") or k in ("max_overflow", "echo_pool")) | {"poolclass"}


def engine_option_for(key: str) -> Optional[str]:
    """The ``create_engine`` option a config key spells, or None: ``pool_recycle``,
    ``POOL_RECYCLE``, ``SQLALCHEMY_POOL_PRE_PING``, ``SQLALCHEMY_PRE_PING``."""
    from poolcheck.sqla import suggest_kwarg

    if key in KNOWN_KEYS or not _looks_like_engine_key(key):
        return None
    if key.upper().startswith("SQLALCHEMY_"):
        rest = key[len("SQLALCHEMY_") :].lower()
        keywords = engine_keywords()
        if rest in keywords:
            return rest
        guess = suggest_kwarg(rest, keywords)
        if guess is not None and (
            guess.replace("_", "") == rest.replace("_", "")
            or guess.endswith("_" + rest)
            or set(guess.split("_")) == set(rest.split("_"))
        ):
            return guess
        return None
    lowered = key.lower()
    return lowered if lowered in pool_keywords() else None


def _looks_like_engine_key(key: str) -> bool:
    """A cheap test before asking SQLAlchemy (which imports every dialect or pool to answer);
    the answer itself always comes from SQLAlchemy."""
    lowered = key.lower()
    if lowered.startswith("sqlalchemy_"):
        return True
    return (lowered.startswith("pool") or lowered in ("max_overflow", "echo_pool")) and lowered in pool_keywords()


class EngineOptionsAsConfigKeys(_FlaskConfigRule):
    code = "PC203"
    name = "engine-options-as-config-keys"
    severity = Severity.ERROR
    summary = 'A `create_engine` option written as a Flask config key (`app.config["pool_recycle"]`, `SQLALCHEMY_POOL_PRE_PING`).'
    # SQLALCHEMY_* and UPPERCASE pool keys; lower-case keys only in app.config writes.
    tokens = RefinedTokens(
        (b"SQLALCHEMY_", b"POOL_", b"MAX_OVERFLOW", b"POOLCLASS", b".config[", b".config.update", b".config.setdefault"), holds_config
    )
    what = """
        Flags engine and pool options written as Flask config keys, wherever Flask reads
        config: lower-case `create_engine` keywords set on `app.config`
        (`app.config["pool_recycle"] = 280`, `app.config.update(pool_pre_ping=True)`), pool
        options as bare keys (`POOL_RECYCLE = 280` in a config class, `FLASK_POOL_SIZE` in a
        `.env`), and `SQLALCHEMY_` followed by an engine option Flask-SQLAlchemy has never read
        (`SQLALCHEMY_POOL_PRE_PING`, `SQLALCHEMY_ISOLATION_LEVEL`, `SQLALCHEMY_CONNECT_ARGS`,
        `SQLALCHEMY_POOL_CLASS`). The option names come from the installed SQLAlchemy.

        A key the application reads itself (`SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": POOL_SIZE}`)
        is its own setting and is not flagged.
    """
    why = f"""
        Flask-SQLAlchemy passes exactly one config key to `create_engine`:
        `SQLALCHEMY_ENGINE_OPTIONS` (plus the URI, echo, and binds). No release has read
        `SQLALCHEMY_POOL_PRE_PING`, and nothing reads `POOL_RECYCLE` or `pool_recycle` in the
        config. The setting looks right in review and does nothing: without pre-ping or
        recycling, connections the server dropped after `wait_timeout` fail on their next use
        with `{GONE_AWAY}`.
    """
    example = Example(
        """
        import os


        class Config:
            SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", "mysql+pymysql://app@db/app")
            SQLALCHEMY_POOL_PRE_PING = True
        """,
        path="config.py",
        files={"app.py": "from flask_sqlalchemy import SQLAlchemy\n"},
    )
    use_instead = Example(
        """
        import os


        class Config:
            SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", "mysql+pymysql://app@db/app")
            SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        """,
        path="config.py",
        files={"app.py": "from flask_sqlalchemy import SQLAlchemy\n"},
    )
    fix = """
        Unsafe: moves the options into `SQLALCHEMY_ENGINE_OPTIONS`. The options of one scope
        move together, as with [PC201](PC201.md)'s fix. It is unsafe because the key's intent
        is inferred from its name, and making the option take effect changes the running pool.
    """
    help = "Put the option in `SQLALCHEMY_ENGINE_OPTIONS`."
    references = (
        "[Flask-SQLAlchemy configuration keys](https://flask-sqlalchemy.readthedocs.io/en/stable/config/)",
        "[SQLAlchemy: create_engine parameters](https://docs.sqlalchemy.org/en/20/core/engines.html#sqlalchemy.create_engine)",
    )
    invalid = (
        Invalid(
            """
            from flask import Flask
            from flask_sqlalchemy import SQLAlchemy

            app = Flask(__name__)
            app.config["SQLALCHEMY_DATABASE_URI"] = "mysql+pymysql://app@db/app"
            app.config["pool_recycle"] = 280
            db = SQLAlchemy(app)
            """,
            line=6,
            message="pool_recycle",
            note="a lower-case create_engine keyword on app.config",
        ),
        Invalid(
            """
            import os


            class ProductionConfig:
                SQLALCHEMY_DATABASE_URI = os.environ["DATABASE_URL"]
                POOL_RECYCLE = int(os.environ.get("POOL_RECYCLE", 280))
            """,
            path="app/config.py",
            files={
                "app/__init__.py": "from flask import Flask\nfrom flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy()\n\n\ndef create_app():\n    app = Flask(__name__)\n    app.config.from_object('app.config.ProductionConfig')\n    return app\n"
            },
            line=6,
            note="a bare pool key in a config class",
        ),
        Invalid(
            """
            from flask import Flask
            from flask_sqlalchemy import SQLAlchemy


            def create_app():
                app = Flask(__name__)
                app.config.update(
                    SQLALCHEMY_DATABASE_URI="mysql+pymysql://app@db/app",
                    SQLALCHEMY_ISOLATION_LEVEL="READ COMMITTED",
                )
                return app
            """,
            line=9,
            message="isolation_level",
        ),
        Invalid(
            "FLASK_SQLALCHEMY_DATABASE_URI=mysql+pymysql://app@db/app\nFLASK_POOL_SIZE=20\n",
            path="prod.env",
            files={
                "app.py": "from flask import Flask\nfrom flask_sqlalchemy import SQLAlchemy\n\napp = Flask(__name__)\napp.config.from_prefixed_env()\n"
            },
            line=2,
            note="*.env file read by from_prefixed_env",
        ),
        Invalid(
            """
            class Config:
                SQLALCHEMY_DATABASE_URI = "mariadb+mariadbconnector://app@db/app"
                SQLALCHEMY_PRE_PING = True
            """,
            path="config.py",
            files={"app.py": "from flask_sqlalchemy import SQLAlchemy\n"},
            line=3,
            message="pool_pre_ping",
            note="SQLALCHEMY_ plus a shortened option name",
        ),
        Invalid(
            'SQLALCHEMY_DATABASE_URI = "mysql+pymysql://app@db/app"\nSQLALCHEMY_POOL_CLASS = "NullPool"\n',
            path="config.toml",
            files={
                "app.py": "import tomllib\n\nfrom flask import Flask\nfrom flask_sqlalchemy import SQLAlchemy\n\napp = Flask(__name__)\napp.config.from_file('config.toml', load=tomllib.load, text=False)\n"
            },
            line=2,
            note="TOML file loaded with from_file",
        ),
    )
    valid = (
        Valid(
            """
            import os


            class Config:
                POOL_SIZE = int(os.environ.get("POOL_SIZE", 10))
                SQLALCHEMY_DATABASE_URI = "mysql+pymysql://app@db/app"
                SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": POOL_SIZE, "pool_pre_ping": True}
            """,
            path="config.py",
            files={"app.py": "from flask_sqlalchemy import SQLAlchemy\n"},
            note="the key feeds SQLALCHEMY_ENGINE_OPTIONS",
        ),
        Valid(
            """
            from flask import Flask
            from flask_sqlalchemy import SQLAlchemy

            app = Flask(__name__)
            app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_recycle": 280}
            app.config["SQLALCHEMY_ECHO"] = True
            """,
        ),
        Valid(
            """
            from sqlalchemy import create_engine

            from app import celery


            def make_engine(config):
                return create_engine(config["SQLALCHEMY_DATABASE_URI"], pool_size=config["POOL_SIZE"])
            """,
            path="app/worker.py",
            files={
                "app/__init__.py": "from flask_sqlalchemy import SQLAlchemy\ncelery = None\n",
                "app/config.py": "class Config:\n    SQLALCHEMY_DATABASE_URI = 'sqlite://'\n    POOL_SIZE = 5\n",
            },
            note="the application reads the key itself",
        ),
        Valid(
            """
            class Config:
                ECHO = True
                MODULE = "app"
                SQLALCHEMY_DATABASE_URI = "sqlite:///app.db"
            """,
            path="config.py",
            files={"app.py": "from flask_sqlalchemy import SQLAlchemy\n"},
            note="bare keys that are not pool options",
        ),
        Valid(
            """
            class Settings:
                def __init__(self):
                    self.config = {}
                    self.config["pool_size"] = 5
            """,
            path="app/plugin.py",
            files={"app/__init__.py": "from flask_sqlalchemy import SQLAlchemy\n"},
            note="a .config that is not a Flask app's",
        ),
        Valid(
            """
            class Config:
                SQLALCHEMY_POOL_PRE_PING = True
            """,
            path="config.py",
            note="the project does not use Flask-SQLAlchemy",
        ),
    )

    def check_entries(self, ctx: RuleContext, entries) -> None:
        flagged = []
        for entry in entries:
            if entry.nested or entry.key in KNOWN_KEYS or not _looks_like_engine_key(entry.key):
                continue
            if not entry.key.upper().startswith("SQLALCHEMY_") and entry.form in (
                "subscript",
                "keyword",
                "dict-key",
                "setdefault",
            ):
                if not is_app_receiver(entry.receiver):
                    continue
            if not entry.key.isupper() and entry.form not in ("subscript", "keyword", "dict-key", "setdefault"):
                continue
            if is_read_by_project(ctx, entry):
                continue
            option = engine_option_for(entry.key)  # asks SQLAlchemy: after the cheap tests
            if option is not None:
                flagged.append((entry, option))
        options = {id(entry): option for entry, option in flagged}

        def option_of(entry) -> Optional[str]:
            return options.get(id(entry))

        entries_flagged = [entry for entry, _ in flagged]
        for entry, option in flagged:
            message = (
                f"{written_as(entry)} is not a config key {PACKAGE} reads: `{option}` is a `create_engine` option, "
                f"and only `{ENGINE_OPTIONS}` reaches the engine, so the pool never gets it"
            )
            fix = move_fix(ctx, entry, entries_flagged, option_of, force_unsafe=True)
            ctx.report(entry.key_span, message, help=f'Put it in `{ENGINE_OPTIONS}` as `"{option}"`.', fix=fix)


RULES = [RemovedConfigKey, UnknownConfigKey, EngineOptionsAsConfigKeys]
