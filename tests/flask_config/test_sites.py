"""The engines Flask-SQLAlchemy makes from the configuration, as engine sites for the PC1xx
checks: the options each engine really gets, per release, and where each is reported."""

from __future__ import annotations

import pytest

from poolcheck.flask_config import project_engine_sites
from poolcheck.testing import check_example
from poolcheck.api import Example
from poolcheck.values import ImportedName, Known
from poolcheck_rules.flask_sqlalchemy_data import behaviour

IMPORTS = "from flask import Flask\nfrom flask_sqlalchemy import SQLAlchemy\n"


def sites(make_project, files, version="3.1.1", settings=None):
    project = make_project(files, settings) if settings else make_project(files)
    found = project_engine_sites(project, behaviour(version))
    return sorted(found, key=lambda s: (str(s.file.relative), s.file.span(s.node).start.line, s.label))


def options(site):
    return {
        name: (option.value.value if isinstance(option.value, Known) else "?", bool(option.implicit))
        for name, option in site.options.items()
    }


def where(site):
    return (str(site.file.relative), site.file.span(site.node).start.line)


def single_app(uri_line, *more):
    return (
        IMPORTS
        + "app = Flask(__name__)\n"
        + f"app.config['SQLALCHEMY_DATABASE_URI'] = {uri_line}\n"
        + "".join(m + "\n" for m in more)
        + "db = SQLAlchemy(app)\n"
    )


def test_mysql_gets_the_implicit_recycle_on_3x_and_pool_size_too_on_2x(make_project):
    (site,) = sites(make_project, {"app.py": single_app("'mysql+pymysql://a@db/app'")})
    assert options(site) == {"pool_recycle": (7200, True)} and site.complete and site.coerces_strings
    assert where(site) == ("app.py", 4) and site.label == "SQLALCHEMY_DATABASE_URI" and site.kind == "flask_sqlalchemy"
    assert "Flask-SQLAlchemy 3.1.1" in site.options["pool_recycle"].implicit
    (old,) = sites(make_project, {"app.py": single_app("'mysql://a@db/app'")}, version="2.5.1")
    assert options(old) == {"pool_size": (10, True), "pool_recycle": (7200, True)} and not old.coerces_strings


def test_mariadb_urls_get_nothing(make_project):
    (site,) = sites(make_project, {"app.py": single_app("'mariadb+mariadbconnector://a@db/app'")})
    assert options(site) == {} and site.complete


def test_engine_options_are_merged_and_anchor_the_site(make_project):
    files = {
        "app.py": single_app(
            "'mysql+pymysql://a@db/app'",
            "app.config['SQLALCHEMY_ENGINE_OPTIONS'] = {'pool_recycle': 280, 'pool_size': '20'}",
        ),
    }
    (site,) = sites(make_project, files)
    assert where(site) == ("app.py", 5), "reported where the options are written"
    assert options(site) == {"pool_recycle": (280, False), "pool_size": ("20", False)}


def test_constructor_options_and_their_precedence_by_release(make_project):
    files = {
        "config.py": "class Config:\n    SQLALCHEMY_DATABASE_URI = 'postgresql://a@db/app'\n    SQLALCHEMY_ENGINE_OPTIONS = {'pool_size': 5}\n",
        "ext.py": "from flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy(engine_options={'pool_size': 50, 'pool_pre_ping': True})\n",
    }
    (new,) = sites(make_project, files)
    assert options(new) == {
        "pool_size": (5, False),
        "pool_pre_ping": (True, False),
    }, "3.x: SQLALCHEMY_ENGINE_OPTIONS wins"
    assert new.options["pool_pre_ping"].file.relative.name == "ext.py", "an option written in another file says so"
    (old,) = sites(make_project, files, version="2.5.1")
    assert options(old)["pool_size"] == (50, False), "2.x: the constructor's engine_options win"


def test_legacy_keys_are_options_before_3_0_only(make_project):
    files = {
        "config.py": "class Config:\n    SQLALCHEMY_DATABASE_URI = 'postgresql://a@db/app'\n    SQLALCHEMY_POOL_RECYCLE = 30\n",
        "app.py": IMPORTS,
    }
    (old,) = sites(make_project, files, version="2.5.1")
    assert options(old) == {"pool_recycle": (30, False)}
    (new,) = sites(make_project, files)
    assert options(new) == {}


def test_binds_3x_get_the_constructor_options_but_not_sqlalchemy_engine_options(make_project):
    files = {
        "config.py": "class Config:\n    SQLALCHEMY_DATABASE_URI = 'sqlite:///app.db'\n    SQLALCHEMY_ENGINE_OPTIONS = {'pool_pre_ping': True}\n"
        "    SQLALCHEMY_BINDS = {\n        'users': 'mariadb+pymysql://u@db/users',\n"
        "        'audit': {'url': 'mysql+pymysql://a@db/audit', 'pool_recycle': 100},\n    }\n",
        "app.py": IMPORTS + "db = SQLAlchemy(engine_options={'echo': True})\n",
    }
    by_label = {s.label: s for s in sites(make_project, files)}
    assert options(by_label["SQLALCHEMY_BINDS['users']"]) == {"echo": (True, False)}
    assert options(by_label["SQLALCHEMY_BINDS['audit']"]) == {"echo": (True, False), "pool_recycle": (100, False)}
    assert where(by_label["SQLALCHEMY_BINDS['users']"]) == ("config.py", 5)
    old = {s.label: s for s in sites(make_project, files, version="2.5.1")}
    assert options(old["SQLALCHEMY_BINDS['users']"])["pool_pre_ping"] == (True, False), "2.x applies them to binds"
    assert "SQLALCHEMY_BINDS['audit']" not in old, "2.x cannot use a dict bind"


def test_in_memory_sqlite_gets_static_pool(make_project):
    (site,) = sites(
        make_project,
        {"app.py": single_app("'sqlite://'", "app.config['SQLALCHEMY_ENGINE_OPTIONS'] = {'pool_size': 5}")},
    )
    assert site.options["poolclass"].value.value == ImportedName("sqlalchemy.pool.StaticPool")
    (old,) = sites(make_project, {"app.py": single_app("'sqlite:///app.db'")}, version="2.5.1")
    assert old.options["poolclass"].value.value == ImportedName("sqlalchemy.pool.NullPool")


def test_a_base_class_whose_subclasses_are_loaded_is_not_an_engine(make_project):
    files = {
        "app.py": IMPORTS
        + "from config import config\n\n\ndef create_app(name):\n    app = Flask(__name__)\n    app.config.from_object(config[name])\n",
        "config.py": "class Base:\n    SQLALCHEMY_DATABASE_URI = 'mysql://base@db/app'\n\n\n"
        "class Prod(Base):\n    SQLALCHEMY_DATABASE_URI = 'mariadb+pymysql://prod@db/app'\n\n\n"
        "class Dev(Base):\n    SQLALCHEMY_ECHO = True\n\n\nconfig = {'prod': Prod, 'dev': Dev}\n",
    }
    found = sites(make_project, files)
    assert sorted((where(s), s.url.value) for s in found) == [
        (("config.py", 2), "mysql://base@db/app"),
        (("config.py", 6), "mariadb+pymysql://prod@db/app"),
    ]
    # Every from_object is resolved and loads Prod alone: Base and Dev are no app's engine.
    files["app.py"] = files["app.py"].replace("config[name]", "config['prod']")
    assert [where(s) for s in sites(make_project, files)] == [("config.py", 6)]
    # Nothing says which class is loaded: every class no other class derives from counts.
    files["app.py"] = files["app.py"].replace("config['prod']", "os.environ['CONFIG']")
    assert [where(s) for s in sites(make_project, files)] == [("config.py", 2), ("config.py", 6)]


def test_unknown_sources_and_custom_subclasses_make_options_incomplete(make_project):
    base = {"config.py": "class Config:\n    SQLALCHEMY_DATABASE_URI = 'mysql://a@db/app'\n"}
    assert all(
        s.complete
        for s in sites(
            make_project,
            {**base, "app.py": IMPORTS + "app = Flask(__name__)\napp.config.from_object('config.Config')\n"},
        )
    )
    unknown = {
        **base,
        "app.py": IMPORTS
        + "app = Flask(__name__)\napp.config.from_object('config.Config')\napp.config.from_envvar('SETTINGS')\n",
    }
    assert not any(s.complete for s in sites(make_project, unknown))
    custom = {
        **base,
        "app.py": IMPORTS,
        "ext.py": "from flask_sqlalchemy import SQLAlchemy\n\n\nclass DB(SQLAlchemy):\n    def apply_driver_hacks(self, app, url, options):\n        options['pool_pre_ping'] = True\n        return url, options\n",
    }
    assert not any(s.complete for s in sites(make_project, custom, version="2.5.1"))
    # 3.x never calls apply_driver_hacks: the override changes nothing, the options are known.
    assert all(s.complete for s in sites(make_project, custom))


def test_a_layer_setting_engine_options_elsewhere(make_project):
    files = {
        "config.py": "class Config:\n    SQLALCHEMY_DATABASE_URI = 'mysql://a@db/app'\n",
        "app.py": IMPORTS
        + "def create_app():\n    app = Flask(__name__)\n    app.config.from_object('config.Config')\n"
        "    app.config['SQLALCHEMY_ENGINE_OPTIONS'] = {'pool_pre_ping': True}\n    return app\n",
    }
    (site,) = sites(make_project, files)
    assert where(site) == ("app.py", 6) and site.complete and options(site)["pool_pre_ping"] == (True, False)


def test_env_files_anchor_at_the_call_that_reads_them(make_project):
    files = {
        "app.py": IMPORTS + "app = Flask(__name__)\napp.config.from_prefixed_env()\ndb = SQLAlchemy(app)\n",
        ".env": "FLASK_SQLALCHEMY_DATABASE_URI=mariadb+pymysql://a@db/app\nFLASK_SQLALCHEMY_ENGINE_OPTIONS__pool_recycle=300\n",
    }
    (site,) = sites(make_project, files)
    assert where(site) == ("app.py", 4) and options(site) == {"pool_recycle": (300, False)}
    assert site.options["pool_recycle"].key_node is None, "nothing in Python to point at"


def test_engine_options_alone_are_still_a_site(make_project):
    files = {
        "ext.py": "from flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy(engine_options={'pool_recyle': 100})\n"
    }
    (site,) = sites(make_project, files)
    assert site.label == "SQLAlchemy(engine_options=...)" and where(site) == ("ext.py", 3) and not site.complete


def test_no_sites_without_flask_sqlalchemy(make_project):
    assert (
        sites(
            make_project, {"config.py": "class Config:\n    SQLALCHEMY_DATABASE_URI = 'mariadb+pymysql://a@db/app'\n"}
        )
        == []
    )


# --- through the real rules ---------------------------------------------------------------------


def findings(code, files, path):
    return [
        f
        for f in check_example(
            Example(files[path], path=path, files={k: v for k, v in files.items() if k != path}), ["ALL"]
        )
        if f.code == code
    ]


MARIADB_CONFIG = {
    "app.py": IMPORTS + "app = Flask(__name__)\napp.config.from_object('config.Config')\ndb = SQLAlchemy(app)\n",
    "config.py": "class Config:\n    SECRET_KEY = 'x'\n    SQLALCHEMY_DATABASE_URI = 'mariadb+mariadbconnector://app@db/app'\n",
}


def test_pc101_reports_a_mariadb_uri_with_no_options_once_at_the_uri():
    (finding,) = findings("PC101", MARIADB_CONFIG, "config.py")
    assert finding.line == 3 and "MariaDB engine" in finding.message
    assert findings("PC101", MARIADB_CONFIG, "app.py") == [], "reported in the URI's file only"


def test_pc101_is_silent_where_flask_sqlalchemy_recycles_or_options_ping():
    mysql = dict(
        MARIADB_CONFIG,
        **{"config.py": MARIADB_CONFIG["config.py"].replace("mariadb+mariadbconnector", "mysql+pymysql")},
    )
    assert findings("PC101", mysql, "config.py") == [], "Flask-SQLAlchemy adds pool_recycle=7200 to mysql URLs"
    pinged = dict(
        MARIADB_CONFIG,
        **{"config.py": MARIADB_CONFIG["config.py"] + "    SQLALCHEMY_ENGINE_OPTIONS = {'pool_pre_ping': True}\n"},
    )
    assert findings("PC101", pinged, "config.py") == []


def test_pc101_on_a_3x_bind_that_expects_sqlalchemy_engine_options():
    files = dict(
        MARIADB_CONFIG,
        **{
            "config.py": "class Config:\n    SQLALCHEMY_DATABASE_URI = 'sqlite:///app.db'\n    SQLALCHEMY_ENGINE_OPTIONS = {'pool_pre_ping': True}\n"
            "    SQLALCHEMY_BINDS = {'users': 'mariadb+pymysql://u@db/users'}\n",
        },
    )
    (finding,) = findings("PC101", files, "config.py")
    assert finding.line == 4
    files["requirements.txt"] = "Flask-SQLAlchemy==2.5.1\n"
    assert findings("PC101", files, "config.py") == [], "2.x applies SQLALCHEMY_ENGINE_OPTIONS to binds"


def test_pc102_fires_at_the_uri_for_the_implicit_recycle():
    from poolcheck.registry import load_rules

    if load_rules().get("PC102") is None:
        pytest.skip("PC102 is not in this tree yet (it lands with the pc1xx branch)")
    files = dict(
        MARIADB_CONFIG,
        **{
            "config.py": MARIADB_CONFIG["config.py"].replace("mariadb+mariadbconnector", "mysql+pymysql"),
            "my.cnf": "[mysqld]\nwait_timeout = 3600\n",
        },
    )
    (finding,) = findings("PC102", files, "config.py")
    assert finding.line == 3 and "7200" in finding.message
    files["my.cnf"] = "[mysqld]\nwait_timeout = 28800\n"
    assert findings("PC102", files, "config.py") == []


def test_tests_configuring_their_own_apps_are_not_engines_or_layers(make_project):
    files = {
        "config.py": "class Config:\n    SQLALCHEMY_DATABASE_URI = 'mariadb+pymysql://a@db/app'\n",
        "app.py": IMPORTS + "app = Flask(__name__)\napp.config.from_object('config.Config')\n",
        "tests/conftest.py": IMPORTS
        + "def make():\n    app = Flask(__name__)\n    app.config['SQLALCHEMY_DATABASE_URI'] = 'mariadb+pymysql://t@db/test'\n    return app\n",
    }
    (site,) = sites(make_project, files)
    assert where(site) == ("config.py", 2) and site.complete
