"""Finding Flask configuration wherever Flask reads it (poolcheck.flask_config.collect)."""

from __future__ import annotations

from pathlib import PurePosixPath

from poolcheck.flask_config import flask_config

APP_IMPORT = "from flask import Flask\nfrom flask_sqlalchemy import SQLAlchemy\n"


def keys(config, kind=None):
    return sorted((u.name, e.key, e.form) for u in config.units if kind in (None, u.kind) for e in u.entries)


def test_a_project_without_flask_sqlalchemy_costs_nothing(make_project):
    project = make_project(
        {"config.py": "class Config:\n    SQLALCHEMY_POOL_SIZE = 5\n", "notes.py": "# flask_sqlalchemy is great\n"}
    )
    config = flask_config(project)
    assert not config.uses_flask_sqlalchemy and config.units == []
    assert "evaluator" not in project._facts, "nothing was parsed"


def test_config_classes_by_every_kind_of_reference(make_project):
    project = make_project(
        {
            "app/__init__.py": APP_IMPORT
            + "from app.config import config, BaseConfig\n\n\ndef create_app(name, config_class=BaseConfig):\n"
            "    app = Flask(__name__)\n    app.config.from_object(config[name])\n    app.config.from_object(config_class)\n"
            "    app.config.from_object('app.extra.ExtraConfig')\n    app.config.from_object(Plain())\n    return app\n\n\n"
            "class Plain:\n    SECRET_KEY = 'x'\n",
            "app/config.py": "class BaseConfig:\n    DEBUG = False\n\n\nclass Dev(BaseConfig):\n    SQLALCHEMY_ECHO = True\n\n\n"
            "class Prod(BaseConfig):\n    pass\n\n\nconfig = {'dev': Dev, 'prod': Prod}\n",
            "app/extra.py": "class ExtraConfig:\n    POOL_SIZE = 5\n",
            "app/unrelated.py": "class Helper:\n    LIMIT = 5\n",
        }
    )
    config = flask_config(project)
    names = {u.name for u in config.units if u.kind == "class"}
    assert names == {"class BaseConfig", "class Dev", "class Prod", "class ExtraConfig", "class Plain"}
    assert config.unknown_sources == []
    dev = next(u for u in config.units if u.name == "class Dev")
    assert [b.name for b in dev.bases] == ["class BaseConfig"]
    assert dev.lookup("DEBUG")[0].path == PurePosixPath("app/config.py")


def test_classes_with_sqlalchemy_keys_count_without_a_reference(make_project):
    project = make_project(
        {
            "app.py": APP_IMPORT,
            "config.py": "class Settings:\n    SQLALCHEMY_POOL_SIZE = 5\n\n\nclass Other:\n    LIMIT = 1\n",
        }
    )
    assert keys(flask_config(project), "class") == [("class Settings", "SQLALCHEMY_POOL_SIZE", "attribute")]


def test_settings_modules(make_project):
    project = make_project(
        {
            "app.py": APP_IMPORT
            + "app = Flask(__name__)\napp.config.from_object('settings')\napp.config.from_pyfile('local.cfg')\n"
            "app.config.from_object(__name__)\nSQLALCHEMY_ECHO = True\n",
            "settings.py": "import os\nSQLALCHEMY_DATABASE_URI = os.environ.get('DB', 'sqlite://')\nif os.environ.get('PROD'):\n    SQLALCHEMY_POOL_SIZE = 10\nlower = 1\n",
            "local.cfg": "SQLALCHEMY_POOL_RECYCLE = 30\n",
            "config/production.py": "SQLALCHEMY_MAX_OVERFLOW = 5\n",
            "tasks.py": "SQLALCHEMY_POOL_TIMEOUT = 1\n",
        }
    )
    found = keys(flask_config(project), "module")
    assert ("settings module settings.py", "SQLALCHEMY_POOL_SIZE", "attribute") in found, "inside an if block too"
    assert ("settings module local.cfg", "SQLALCHEMY_POOL_RECYCLE", "attribute") in found, "from_pyfile of a .cfg"
    assert ("settings module app.py", "SQLALCHEMY_ECHO", "attribute") in found, "from_object(__name__)"
    assert (
        "settings module config/production.py",
        "SQLALCHEMY_MAX_OVERFLOW",
        "attribute",
    ) in found, "looks like settings"
    assert not any(path == "settings module tasks.py" for path, _, _ in found), "neither loaded nor settings-like"
    assert not any(key == "lower" for _, key, _ in found)


def test_app_config_writes_grouped_by_function(make_project):
    project = make_project(
        {
            "app.py": APP_IMPORT
            + "OPTIONS = {'SQLALCHEMY_POOL_SIZE': 3}\n\n\ndef create_app():\n    app = Flask(__name__)\n"
            "    app.config['SQLALCHEMY_DATABASE_URI'] = 'sqlite://'\n    app.config.update(SQLALCHEMY_ECHO=True)\n"
            "    app.config.update(OPTIONS)\n    app.config.from_mapping({'SQLALCHEMY_RECORD_QUERIES': True, 'lower': 1})\n"
            "    app.config.setdefault('SQLALCHEMY_BINDS', {})\n    return app\n\n\ndef other(app, extra):\n    app.config.update(**extra)\n",
        }
    )
    config = flask_config(project)
    assert keys(config, "app") == [
        ("create_app()", "SQLALCHEMY_BINDS", "setdefault"),
        ("create_app()", "SQLALCHEMY_DATABASE_URI", "subscript"),
        ("create_app()", "SQLALCHEMY_ECHO", "keyword"),
        ("create_app()", "SQLALCHEMY_POOL_SIZE", "dict-key"),
        ("create_app()", "SQLALCHEMY_RECORD_QUERIES", "dict-key"),
    ]
    units = {u.name: u for u in config.units if u.kind == "app"}
    assert units["create_app()"].complete and not units["other()"].complete


def test_env_files_for_each_prefix_in_use(make_project):
    project = make_project(
        {
            "app.py": APP_IMPORT
            + "app = Flask(__name__)\napp.config.from_prefixed_env()\napp.config.from_prefixed_env(prefix='MYAPP')\n",
            ".env": "FLASK_SQLALCHEMY_POOL_SIZE=9\nexport MYAPP_SQLALCHEMY_ECHO=true\nOTHER_SQLALCHEMY_ECHO=1\n",
            ".flaskenv": "FLASK_SQLALCHEMY_ENGINE_OPTIONS__pool_recycle=300\n",
            "deploy/prod.env": "FLASK_SQLALCHEMY_DATABASE_URI='mysql://a@b/c'  # prod\n",
            ".env.example": "FLASK_SQLALCHEMY_POOL_SIZE=1\n",
        }
    )
    config = flask_config(project)
    assert config.prefixes == ("FLASK", "MYAPP")
    entries = {(str(e.path), e.written_key): e for u in config.units if u.kind == "env-file" for e in u.entries}
    assert set(entries) == {
        (".env", "FLASK_SQLALCHEMY_POOL_SIZE"),
        (".env", "MYAPP_SQLALCHEMY_ECHO"),
        (".flaskenv", "FLASK_SQLALCHEMY_ENGINE_OPTIONS__pool_recycle"),
        ("deploy/prod.env", "FLASK_SQLALCHEMY_DATABASE_URI"),
    }
    assert entries[(".env", "FLASK_SQLALCHEMY_POOL_SIZE")].value.value == 9, "JSON-decoded like from_prefixed_env"
    assert entries[(".env", "MYAPP_SQLALCHEMY_ECHO")].value.value is True
    assert entries[("deploy/prod.env", "FLASK_SQLALCHEMY_DATABASE_URI")].value.value == "mysql://a@b/c"
    nested = entries[(".flaskenv", "FLASK_SQLALCHEMY_ENGINE_OPTIONS__pool_recycle")]
    assert (nested.key, nested.nested, nested.value.value) == ("SQLALCHEMY_ENGINE_OPTIONS", ("pool_recycle",), 300)


def test_env_files_are_not_config_without_from_prefixed_env(make_project):
    project = make_project({"app.py": APP_IMPORT, ".env": "FLASK_SQLALCHEMY_POOL_SIZE=9\n"})
    assert keys(flask_config(project)) == []


def test_json_and_toml_files_loaded_with_from_file(make_project):
    project = make_project(
        {
            "app/__init__.py": "import json, tomllib\n" + APP_IMPORT + "app = Flask(__name__)\n"
            "app.config.from_file('config.json', load=json.load)\napp.config.from_file('../settings.toml', tomllib.load, text=False)\n",
            "app/config.json": '{\n  "SQLALCHEMY_POOL_SIZE": 3,\n  "lower": 1\n}\n',
            "settings.toml": "SQLALCHEMY_ECHO = true\n[SQLALCHEMY_ENGINE_OPTIONS]\npool_size = 5\n",
        }
    )
    config = flask_config(project)
    found = {(str(e.path), e.key): e for u in config.units if u.kind == "loaded-file" for e in u.entries}
    assert set(found) == {
        ("app/config.json", "SQLALCHEMY_POOL_SIZE"),
        ("settings.toml", "SQLALCHEMY_ECHO"),
        ("settings.toml", "SQLALCHEMY_ENGINE_OPTIONS"),
    }
    assert found[("app/config.json", "SQLALCHEMY_POOL_SIZE")].key_span.start.line == 2
    assert found[("settings.toml", "SQLALCHEMY_ENGINE_OPTIONS")].key_span.start.line == 2


def test_what_cannot_be_resolved_is_an_unknown_source(make_project):
    project = make_project(
        {
            "app.py": "import os\n" + APP_IMPORT + "app = Flask(__name__)\napp.config.from_envvar('SETTINGS')\n"
            "app.config.from_object(os.environ['CONFIG'])\napp.config.from_pyfile('instance.cfg', silent=True)\n"
            "app.config.from_object(os.environ.get('CONFIG', 'settings'))\n",
            "settings.py": "SQLALCHEMY_ECHO = True\n",
        }
    )
    config = flask_config(project)
    assert sorted(loader.method for loader in config.unknown_sources) == ["from_envvar", "from_object", "from_pyfile"]
    assert ("settings module settings.py", "SQLALCHEMY_ECHO", "attribute") in keys(
        config
    ), "an environment default names it"


def test_constructions_and_subclasses_that_change_engines(make_project):
    project = make_project(
        {
            "ext.py": "from flask_sqlalchemy import SQLAlchemy as _Base\n\n\nclass SQLAlchemy(_Base):\n"
            "    def apply_pool_defaults(self, app, options):\n        options['pool_pre_ping'] = True\n\n\n"
            "db = SQLAlchemy(engine_options={'pool_size': 5})\n",
        }
    )
    config = flask_config(project)
    assert "overrides `apply_pool_defaults`" in config.customised(("apply_pool_defaults",))
    assert config.customised(("_apply_driver_defaults",)) is None, "a hook the release does not call changes nothing"
    (construction,) = config.constructions
    assert construction.engine_options.value.get("pool_size").value.value == 5


def test_an_instance_of_a_config_class(make_project):
    project = make_project(
        {
            "app/__init__.py": APP_IMPORT
            + "\n\ndef create_app(config='app.config.Config'):\n    app = Flask(__name__)\n    app.config.from_object(config)\n    return app\n",
            "app/config.py": "class ServerConfig(object):\n    DEBUG = False\n\n\nConfig = ServerConfig()\n",
        }
    )
    config = flask_config(project)
    assert config.unknown_sources == []
    assert [u.name for u in config.units if u.kind == "class"] == ["class ServerConfig"]
