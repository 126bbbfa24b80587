"""PC201/PC202/PC203 fixes through the real runner and command line: what they write, when
they are safe, that comments travel, that a second run changes nothing, that files with a
syntax error are never touched."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import libcst
import pytest

from poolcheck.cli import main
from poolcheck.config import Settings
from poolcheck.registry import load_rules
from poolcheck.runner import RunOptions, Runner

RULES = load_rules()
FLASK_APP = "from flask import Flask\nfrom flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy()\n"


def project(root: Path, files) -> Path:
    (root / "pyproject.toml").write_text("", encoding="utf-8")
    (root / "requirements.txt").write_text("Flask-SQLAlchemy==3.1.1\n", encoding="utf-8")
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8", newline="")
    return root


def run(root: Path, *paths, unsafe=False, fix=True, diff=False, codes=("PC201", "PC202", "PC203")):
    runner = Runner(Settings(), RULES, frozenset(codes), cwd=root)
    return runner.run(RunOptions(paths=[root / p for p in paths] or [root], fix=fix, unsafe_fixes=unsafe, diff=diff))


def fixed(tmp_path, files, path, unsafe=False, codes=("PC201", "PC202", "PC203")):
    root = project(tmp_path, files)
    result = run(root, unsafe=unsafe, codes=codes)
    text = (root / path).read_text(encoding="utf-8")
    if path.endswith(".py"):
        libcst.parse_module(text)
    again = run(root, unsafe=unsafe, codes=codes)
    assert again.fixed == [], "a second --fix changes nothing"
    return text, result


def test_a_config_class_gets_one_options_dict_with_the_comments(tmp_path):
    text, result = fixed(
        tmp_path,
        {
            "app.py": FLASK_APP,
            "config.py": """
            class Config:
                SQLALCHEMY_DATABASE_URI = "mysql+pymysql://app:secret@db/app"
                # sized for 4 gunicorn workers
                SQLALCHEMY_POOL_SIZE = 10
                SQLALCHEMY_TRACK_MODIFICATIONS = False
                SQLALCHEMY_POOL_RECYCLE = 280  # below wait_timeout
            """,
        },
        "config.py",
    )
    assert text == textwrap.dedent("""\
        class Config:
            SQLALCHEMY_DATABASE_URI = "mysql+pymysql://app:secret@db/app"
            SQLALCHEMY_TRACK_MODIFICATIONS = False
            SQLALCHEMY_ENGINE_OPTIONS = {
                # sized for 4 gunicorn workers
                "pool_size": 10,
                "pool_recycle": 280,  # below wait_timeout
            }
        """)
    assert sum(len(f.fixed) for f in result.fixed) == 2 and result.findings == []


def test_one_key_becomes_a_one_line_dict_in_place(tmp_path):
    text, _ = fixed(
        tmp_path,
        {
            "app.py": FLASK_APP,
            "config.py": "class Config:\n    # recycle before MySQL drops them\n    SQLALCHEMY_POOL_RECYCLE = 280  # seconds\n    DEBUG = False\n",
        },
        "config.py",
    )
    assert (
        text
        == 'class Config:\n    # recycle before MySQL drops them\n    SQLALCHEMY_ENGINE_OPTIONS = {"pool_recycle": 280}  # seconds\n    DEBUG = False\n'
    )


@pytest.mark.parametrize(
    "options, expected",
    [
        ('{"pool_pre_ping": True}', '{"pool_pre_ping": True, "pool_size": 10}'),
        ("{'pool_pre_ping': True,}", "{'pool_pre_ping': True, 'pool_size': 10,}"),
        (
            '{\n        "pool_pre_ping": True,\n    }',
            '{\n        "pool_pre_ping": True,\n        "pool_size": 10,\n    }',
        ),
        (
            '{\n        "pool_pre_ping": True\n    }',
            '{\n        "pool_pre_ping": True,\n        "pool_size": 10\n    }',
        ),
        ("{}", '{"pool_size": 10}'),
    ],
    ids=["inline", "inline-trailing-comma", "one-per-line", "one-per-line-no-trailing-comma", "empty"],
)
def test_keys_join_the_options_dict_of_the_same_class_in_its_layout(tmp_path, options, expected):
    text, _ = fixed(
        tmp_path,
        {
            "app.py": FLASK_APP,
            "config.py": f"class Config:\n    SQLALCHEMY_ENGINE_OPTIONS = {options}\n    SQLALCHEMY_POOL_SIZE = 10\n",
        },
        "config.py",
    )
    assert text == f"class Config:\n    SQLALCHEMY_ENGINE_OPTIONS = {expected}\n"


def test_comments_of_a_key_joining_a_one_line_dict_go_above_it(tmp_path):
    text, _ = fixed(
        tmp_path,
        {
            "app.py": FLASK_APP,
            "config.py": "class Config:\n    SQLALCHEMY_ENGINE_OPTIONS = {'pool_pre_ping': True}\n    SQLALCHEMY_POOL_SIZE = 10  # four workers\n",
        },
        "config.py",
    )
    assert (
        text
        == "class Config:\n    # four workers\n    SQLALCHEMY_ENGINE_OPTIONS = {'pool_pre_ping': True, 'pool_size': 10}\n"
    )


def test_unsafe_where_the_options_are_not_a_dict_display_or_are_inherited(tmp_path):
    files = {
        "app.py": FLASK_APP,
        "config.py": """
        BASE_OPTIONS = {"pool_pre_ping": True}


        class Config:
            SQLALCHEMY_ENGINE_OPTIONS = BASE_OPTIONS
            SQLALCHEMY_POOL_SIZE = 10


        class Production(Config):
            SQLALCHEMY_POOL_RECYCLE = 280
        """,
    }
    root = project(tmp_path, files)
    before = (root / "config.py").read_text(encoding="utf-8")
    result = run(root)
    assert (root / "config.py").read_text(encoding="utf-8") == before, "nothing safe to apply"
    assert result.unsafe_fixable == 2
    run(root, unsafe=True)
    text = (root / "config.py").read_text(encoding="utf-8")
    assert 'SQLALCHEMY_ENGINE_OPTIONS = {**BASE_OPTIONS, "pool_size": 10}' in text
    assert (
        'SQLALCHEMY_ENGINE_OPTIONS = {\n        **Config.SQLALCHEMY_ENGINE_OPTIONS,\n        "pool_recycle": 280,\n    }'
        in text
    )


def test_a_value_naming_something_defined_later_is_unsafe_to_move_up(tmp_path):
    files = {
        "app.py": FLASK_APP,
        "config.py": "class Config:\n    SQLALCHEMY_ENGINE_OPTIONS = {'pool_pre_ping': True}\n    SIZE = 5\n    SQLALCHEMY_POOL_SIZE = SIZE\n",
    }
    root = project(tmp_path, files)
    result = run(root)
    assert result.fixed == [] and result.unsafe_fixable == 1


def test_app_factory_writes_merge_with_options_set_elsewhere(tmp_path):
    text, _ = fixed(
        tmp_path,
        {
            "config.py": "class Config:\n    SQLALCHEMY_ENGINE_OPTIONS = {'pool_pre_ping': True}\n",
            "app.py": FLASK_APP + textwrap.dedent("""
            def create_app():
                app = Flask(__name__)
                app.config.from_object("config.Config")
                app.config["SQLALCHEMY_POOL_SIZE"] = 20
                app.config.update(
                    SQLALCHEMY_MAX_OVERFLOW=5,  # burst
                    DEBUG=False,
                )
                db.init_app(app)
                return app
            """),
        },
        "app.py",
    )
    assert (
        'app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {\n        **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}),\n        "pool_size": 20,\n    }\n'
        in text
    )
    assert (
        'SQLALCHEMY_ENGINE_OPTIONS={**app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}), "max_overflow": 5},  # burst'
        in text
    )


def test_app_factory_writes_without_other_options(tmp_path):
    text, _ = fixed(
        tmp_path,
        {
            "app.py": FLASK_APP
            + "app = Flask(__name__)\napp.config['SQLALCHEMY_POOL_RECYCLE'] = 280\napp.config['SQLALCHEMY_DATABASE_URI'] = 'sqlite://'\n"
        },
        "app.py",
    )
    assert text.endswith(
        "app.config['SQLALCHEMY_ENGINE_OPTIONS'] = {\"pool_recycle\": 280}\napp.config['SQLALCHEMY_DATABASE_URI'] = 'sqlite://'\n"
    )


def test_a_dict_handed_to_update_and_from_mapping(tmp_path):
    text, _ = fixed(
        tmp_path,
        {
            "app.py": FLASK_APP
            + "app = Flask(__name__)\napp.config.update({\n    'SQLALCHEMY_DATABASE_URI': 'sqlite://',\n    'SQLALCHEMY_POOL_SIZE': 10,\n"
            "    'SQLALCHEMY_ENGINE_OPTIONS': {'pool_pre_ping': True},\n})\n",
        },
        "app.py",
    )
    assert (
        "    'SQLALCHEMY_ENGINE_OPTIONS': {'pool_pre_ping': True, 'pool_size': 10},\n})" in text
        and "POOL_SIZE" not in text
    )


def test_keys_inside_an_if_block_are_reported_but_not_moved(tmp_path):
    root = project(
        tmp_path,
        {"app.py": FLASK_APP, "settings.py": "import os\nif os.environ.get('PROD'):\n    SQLALCHEMY_POOL_SIZE = 10\n"},
    )
    result = run(root, fix=False)
    (finding,) = result.findings
    assert finding.code == "PC201" and finding.fix is None


def test_env_files_are_fixed_by_nesting(tmp_path):
    text, _ = fixed(
        tmp_path,
        {
            "app.py": FLASK_APP + "app = Flask(__name__)\napp.config.from_prefixed_env()\n",
            ".env": "FLASK_SQLALCHEMY_DATABASE_URI=sqlite://\nFLASK_SQLALCHEMY_POOL_RECYCLE=280  # seconds\n",
        },
        ".env",
    )
    assert (
        text
        == "FLASK_SQLALCHEMY_DATABASE_URI=sqlite://\nFLASK_SQLALCHEMY_ENGINE_OPTIONS__pool_recycle=280  # seconds\n"
    )


def test_pc202_renames_only_with_unsafe_fixes(tmp_path):
    files = {
        "app.py": FLASK_APP
        + "app = Flask(__name__)\napp.config['SQLALCHEMY_TRACK_MODIFICATION'] = False\napp.config.from_prefixed_env()\n",
        "config.py": "class Config:\n    SQLALCHEMY_DATABASE_URL = 'sqlite://'\n",
        ".flaskenv": "FLASK_SQLALCHEMY_ENGINE_OPTION='{\"pool_pre_ping\": true}'\n",
    }
    root = project(tmp_path, files)
    assert run(root).fixed == []
    run(root, unsafe=True)
    assert "app.config['SQLALCHEMY_TRACK_MODIFICATIONS'] = False" in (root / "app.py").read_text(encoding="utf-8")
    assert "SQLALCHEMY_DATABASE_URI = 'sqlite://'" in (root / "config.py").read_text(encoding="utf-8")
    assert (root / ".flaskenv").read_text(encoding="utf-8").startswith("FLASK_SQLALCHEMY_ENGINE_OPTIONS=")


def test_pc202_no_rename_where_the_right_key_is_also_set(tmp_path):
    root = project(
        tmp_path,
        {
            "app.py": FLASK_APP,
            "config.py": "class Config:\n    SQLALCHEMY_DATABASE_URI = 'sqlite://'\n    SQLALCHEMY_DATABASE_URL = 'mysql://a@b/c'\n",
        },
    )
    (finding,) = run(root, fix=False).findings
    assert finding.code == "PC202" and finding.fix is None


def test_pc203_moves_only_with_unsafe_fixes(tmp_path):
    files = {
        "app.py": FLASK_APP,
        "config.py": "class Config:\n    SQLALCHEMY_DATABASE_URI = 'sqlite:///a.db'\n    SQLALCHEMY_POOL_PRE_PING = True\n",
    }
    root = project(tmp_path, files)
    assert run(root).fixed == []
    run(root, unsafe=True)
    assert (root / "config.py").read_text(
        encoding="utf-8"
    ) == "class Config:\n    SQLALCHEMY_DATABASE_URI = 'sqlite:///a.db'\n    SQLALCHEMY_ENGINE_OPTIONS = {\"pool_pre_ping\": True}\n"


def test_a_file_with_a_syntax_error_is_never_touched(tmp_path):
    files = {"app.py": FLASK_APP, "config.py": "class Config:\n    SQLALCHEMY_POOL_SIZE = 10\n    oops = (\n"}
    root = project(tmp_path, files)
    result = run(root, unsafe=True, codes=("PC001", "PC201"))
    assert (root / "config.py").read_text(encoding="utf-8") == files["config.py"]
    assert [f.code for f in result.findings] == ["PC001"]


def test_crlf_files_stay_crlf(tmp_path):
    root = project(tmp_path, {"app.py": FLASK_APP})
    (root / "config.py").write_bytes(
        b"class Config:\r\n    SQLALCHEMY_POOL_SIZE = 10\r\n    SQLALCHEMY_POOL_RECYCLE = 280\r\n"
    )
    run(root)
    assert (root / "config.py").read_bytes() == (
        b'class Config:\r\n    SQLALCHEMY_ENGINE_OPTIONS = {\r\n        "pool_size": 10,\r\n        "pool_recycle": 280,\r\n    }\r\n'
    )


# --- the command line ------------------------------------------------------------------------


@pytest.fixture
def cli_project(tmp_path, monkeypatch):
    root = project(
        tmp_path,
        {
            "app.py": FLASK_APP,
            "config.py": "class Config:\n    SQLALCHEMY_POOL_SIZE = 10\n    SQLALCHEMY_DATABASE_URL = 'sqlite://'\n",
        },
    )
    monkeypatch.chdir(root)
    monkeypatch.setenv("NO_COLOR", "1")
    return root


def test_diff_writes_nothing_and_exits_one_when_it_would_change(cli_project, capsys):
    before = (cli_project / "config.py").read_text(encoding="utf-8")
    assert main(["check", "--diff"]) == 1
    out = capsys.readouterr().out
    assert (
        out.startswith("--- a/config.py\n+++ b/config.py\n")
        and '+    SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": 10}' in out
    )
    assert "SQLALCHEMY_DATABASE_URI" not in out, "the unsafe rename is not in a safe diff"
    assert (cli_project / "config.py").read_text(encoding="utf-8") == before
    assert main(["check", "--diff", "--unsafe-fixes"]) == 1
    assert "+    SQLALCHEMY_DATABASE_URI = 'sqlite://'" in capsys.readouterr().out
    main(["check", "--fix", "--unsafe-fixes"])
    capsys.readouterr()
    assert main(["check", "--diff"]) == 0 and capsys.readouterr().out == ""


def test_fix_show_fixes_and_the_hint_for_unsafe_ones(cli_project, capsys):
    assert main(["check", "--fix", "--show-fixes"]) == 1
    out = capsys.readouterr().out
    assert (
        "Fixed 1 problem in config.py:\n    1 x PC201 (Move `SQLALCHEMY_POOL_SIZE` into `SQLALCHEMY_ENGINE_OPTIONS`)"
        in out
    )
    assert "config.py:3:5: PC202" in out and "(1 hidden fix can be enabled with the `--unsafe-fixes` option.)" in out


def test_json_carries_each_fix(cli_project, capsys):
    assert main(["check", "--format", "json"]) == 1
    items = {item["code"]: item for item in json.loads(capsys.readouterr().out)}
    assert items["PC201"]["fix"]["applicability"] == "safe" and items["PC201"]["fix"]["edits"]
    assert items["PC202"]["fix"]["applicability"] == "unsafe"
    assert items["PC202"]["fix"]["edits"] == [
        {"content": "I", "location": {"row": 3, "column": 27}, "end_location": {"row": 3, "column": 28}}
    ]


def test_fixes_rewrite_the_whole_file_when_the_parse_was_pruned(tmp_path):
    """The runner parses only top-level statements that can matter; the fix must still keep
    the comments between them and the definitions it left out."""
    settings = (
        "import os\n\n# Pool sizing for production\nSQLALCHEMY_POOL_SIZE = 10\n\n\n"
        "def helper():\n    # nothing poolcheck looks for\n    return os.getpid()\n\n\n"
        "SQLALCHEMY_POOL_RECYCLE = 280  # below wait_timeout\n"
    )
    text, _ = fixed(
        tmp_path,
        {"settings.py": settings, "app.py": FLASK_APP + "app = Flask(__name__)\napp.config.from_object('settings')\n"},
        "settings.py",
    )
    assert text == (
        "import os\n\n\ndef helper():\n    # nothing poolcheck looks for\n    return os.getpid()\n\n\n"
        'SQLALCHEMY_ENGINE_OPTIONS = {\n    # Pool sizing for production\n    "pool_size": 10,\n'
        '    "pool_recycle": 280,  # below wait_timeout\n}\n'
    )


def test_the_whole_file_counterpart_of_a_pruned_node(make_project):
    import libcst as cst

    project = make_project({"m.py": "def unrelated():\n    return 1\n\n\nX = 1  # x\n"}, keep_tokens=("X",))
    parsed = project.parsed("m.py")
    assert parsed.line_map is not None, "unrelated() was left out"
    statement = parsed.module.body[0]
    whole = parsed.whole()
    found = parsed.same_node_in_whole(statement)
    assert isinstance(found, cst.SimpleStatementLine) and whole.code(found).strip() == "X = 1  # x"
    assert whole.module.code == parsed.source.text
