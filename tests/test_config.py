"""[tool.poolcheck] loading: discovery, validation, and errors that say where and what."""

from __future__ import annotations

import pytest

from poolcheck.config import ConfigError, Settings, discover_settings, find_config_file, load_settings


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_pyproject_without_a_poolcheck_table_is_skipped(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.poolcheck]\nselect = ['PC1']\n")
    write(tmp_path / "sub" / "pyproject.toml", "[project]\nname = 'x'\n")
    assert find_config_file(tmp_path / "sub") == tmp_path / "pyproject.toml"


def test_poolcheck_toml_wins_in_its_folder(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.poolcheck]\nselect = ['PC1']\n")
    write(tmp_path / "poolcheck.toml", "select = ['PC2']\n")
    assert discover_settings(tmp_path).select == ("PC2",)


def test_all_keys(tmp_path):
    path = write(
        tmp_path / "pyproject.toml",
        """
[tool.poolcheck]
select = ["PC1"]
extend-select = ["PC002"]
ignore = ["PC108"]
per-file-ignores = { "tests/*" = ["PC401"] }
exclude = ["vendor"]
extend-exclude = ["migrations"]

[tool.poolcheck.database]
dialect = "mysql"
wait-timeout = 600
max-connections = 100
workers = 4
""",
    )
    settings = load_settings(path)
    assert settings.select == ("PC1",) and settings.extend_select == ("PC002",) and settings.ignore == ("PC108",)
    assert settings.per_file_ignores == {"tests/*": ("PC401",)}
    assert settings.database.dialect == "mysql" and settings.database.wait_timeout == 600
    assert settings.database.max_connections == 100 and settings.database.workers == 4
    assert settings.database.locations["wait-timeout"].line == 12


@pytest.mark.parametrize(
    "text, words",
    [
        ("[tool.poolcheck]\nselec = ['PC1']\n", ["unknown key 'selec'", "did you mean 'select'"]),
        ("[tool.poolcheck]\nselect = 'PC1'\n", ["'select' must be a list of strings"]),
        ("[tool.poolcheck.database]\nwait-timeout = -5\n", ["'wait-timeout' must be a positive integer"]),
        ("[tool.poolcheck.database]\nwait_timeout = 600\n", ["unknown key 'wait_timeout'", "did you mean 'wait-timeout'"]),
        ("[tool.poolcheck.database]\ndialect = 'My SQL'\n", ["'dialect' must be a dialect name"]),
        ("[tool.poolcheck]\nper-file-ignores = { 'x' = 'PC1' }\n", ["per-file-ignores"]),
        ("[tool.poolcheck]\ndatabase = 3\n", ["'database' must be a table"]),
        ("[tool.poolcheck\nselect = []\n", ["is not valid TOML"]),
    ],
)
def test_errors_name_the_file_and_the_key(tmp_path, text, words):
    path = write(tmp_path / "pyproject.toml", text)
    with pytest.raises(ConfigError) as error:
        load_settings(path)
    message = str(error.value)
    assert str(path) in message
    for word in words:
        assert word in message


def test_broken_pyproject_is_an_error_during_discovery(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.poolcheck\nnot = [toml\n")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        discover_settings(tmp_path)


def test_a_pyproject_that_never_says_poolcheck_is_not_parsed(tmp_path, monkeypatch):
    """Its TOML cannot hold a [tool.poolcheck] table (in any spelling: dotted keys, quoted
    names, inline tables), so it is not read as TOML: a broken one is someone else's to
    report, and a one-file run does not import tomllib for it."""
    import sys

    write(tmp_path / "pyproject.toml", "[project]\nname = 'app'\nnot = [toml\n")
    monkeypatch.delitem(sys.modules, "tomllib", raising=False)
    assert discover_settings(tmp_path) == Settings()
    assert "tomllib" not in sys.modules
    for spelling in ("tool.poolcheck.select = ['PC1']", "[tool]\npoolcheck = { select = ['PC1'] }", "[tool.'poolcheck']\nselect = ['PC1']", '[ tool . "poolcheck" ]\nselect = ["PC1"]'):
        write(tmp_path / "pyproject.toml", spelling + "\n")
        assert discover_settings(tmp_path).select == ("PC1",), spelling


def test_boolean_is_not_a_positive_integer(tmp_path):
    path = write(tmp_path / "poolcheck.toml", "[database]\nworkers = true\n")
    with pytest.raises(ConfigError, match="'workers' must be a positive integer"):
        load_settings(path)
