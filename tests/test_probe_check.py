"""``poolcheck check --database-url``: the live server's values as server-settings facts.

Precedence (docs/probe.md): ``[tool.poolcheck.database]`` explicit keys > live server >
project files > defaults. A failed probe is an error line and exit 2, after the static report.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from poolcheck.cli import main
from poolcheck.config import ConfigError, load_settings
from poolcheck.facts.server import IDLE_SESSION_TIMEOUT, MAX_CONNECTIONS, WAIT_TIMEOUT, ServerSettings, Setting
from poolcheck.findings import Location
from poolcheck.probe import ConnectionLimit, ProbedValue, ServerProbe
from poolcheck.probe.live import live_settings, override_conflicts, with_live_server

SECRET = "live-secret-5d2e"


def mysql_probe(wait_timeout=600, max_connections=500, max_user_connections=0) -> ServerProbe:
    values = (
        ProbedValue("wait_timeout", wait_timeout, 28800, "s"),
        ProbedValue("max_connections", max_connections, max_connections),
        ProbedValue("max_user_connections", max_user_connections, 0),
    )
    if max_user_connections:
        limit = ConnectionLimit(max_user_connections, "max_user_connections", f"max_user_connections = {max_user_connections} for app@%")
    else:
        limit = ConnectionLimit(max_connections, "max_connections", f"max_connections = {max_connections}")
    return ServerProbe("mysql", "MariaDB", "10.11.19", "mysql+pymysql://app:***@db/app", "app@%", values, limit)


def postgresql_probe(idle_ms) -> ServerProbe:
    values = (ProbedValue("max_connections", 100, 100), ProbedValue("idle_session_timeout", idle_ms, idle_ms, "ms"))
    limit = ConnectionLimit(97, "max_connections", "max_connections = 100 - superuser_reserved_connections 3")
    return ServerProbe("postgresql", "PostgreSQL", "16.4", "postgresql://app:***@db/app", "app", values, limit)


# --- the facts ---------------------------------------------------------------------------------


def test_mysql_values_become_settings_naming_the_server():
    settings = {s.name: s for s in live_settings(mysql_probe())}
    assert settings[WAIT_TIMEOUT].describe() == "wait_timeout = 600 (live server mysql+pymysql://app:***@db/app)"
    assert settings[MAX_CONNECTIONS].value == 500 and settings[WAIT_TIMEOUT].location is None


def test_an_account_limit_below_max_connections_is_the_connection_limit():
    setting = {s.name: s for s in live_settings(mysql_probe(max_user_connections=20))}[MAX_CONNECTIONS]
    assert setting.value == 20
    assert setting.describe() == "max_connections = 20 (max_user_connections = 20 for app@%, live server mysql+pymysql://app:***@db/app)"


@pytest.mark.parametrize("idle_ms, seconds", [(300000, 300), (1500, 2), (0, None)])
def test_postgresql_idle_session_timeout_in_seconds(idle_ms, seconds):
    settings = {s.name: s for s in live_settings(postgresql_probe(idle_ms))}
    assert WAIT_TIMEOUT not in settings
    assert (settings[IDLE_SESSION_TIMEOUT].value if IDLE_SESSION_TIMEOUT in settings else None) == seconds
    assert settings[MAX_CONNECTIONS].value == 97


def test_precedence_explicit_config_then_live_then_files():
    in_file = Setting(WAIT_TIMEOUT, 300, Location(Path("my.cnf"), 2), "my.cnf [mysqld]")
    live = Setting(WAIT_TIMEOUT, 600, None, "live server mysql://app:***@db/app")
    configured = Setting(WAIT_TIMEOUT, 900, Location(Path("pyproject.toml"), 9), "[tool.poolcheck.database] wait-timeout")
    assert ServerSettings(found=(in_file,)).wait_timeout is in_file
    # The live value wins over a smaller one in the files: it is what the server runs with.
    assert ServerSettings(found=(in_file,), live=(live,)).wait_timeout is live
    assert ServerSettings(found=(in_file,), overrides=(configured,), live=(live,)).wait_timeout is configured


def test_live_values_apply_to_engines_of_the_probed_family_only():
    live = Setting(MAX_CONNECTIONS, 20, None, "live server mysql://app:***@db/app")
    in_file = Setting(MAX_CONNECTIONS, 300, Location(Path("my.cnf"), 3), "my.cnf [mysqld]")
    settings = ServerSettings(found=(in_file,), live=(live,), live_family="mysql")
    assert settings.for_family("mysql").max_connections is live
    assert settings.for_family("postgresql").max_connections is in_file
    assert settings.for_family(None).max_connections is in_file  # an engine whose URL is unknown


def _config(tmp_path, text: str) -> Path:
    path = tmp_path / "pyproject.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_differing_explicit_key_is_warned_about(tmp_path):
    settings = load_settings(_config(tmp_path, "[tool.poolcheck.database]\nwait-timeout = 3600\nmax-connections = 500\n"))
    warnings = override_conflicts(settings, mysql_probe(wait_timeout=600, max_connections=500))
    assert warnings == [
        f"{tmp_path / 'pyproject.toml'}:2: wait-timeout = 3600 overrides the live server's wait_timeout = 600 "
        "(mysql+pymysql://app:***@db/app); remove the key to check against the server"
    ]
    assert with_live_server(settings, mysql_probe()).database.live == live_settings(mysql_probe())


def test_url_env_in_the_configuration(tmp_path):
    settings = load_settings(_config(tmp_path, '[tool.poolcheck.database]\nurl-env = "POOLCHECK_DATABASE_URL"\n'))
    assert settings.database.url_env == "POOLCHECK_DATABASE_URL"
    with pytest.raises(ConfigError, match="the URL itself never belongs in a file"):
        load_settings(_config(tmp_path, f'[tool.poolcheck.database]\nurl-env = "mysql://app:{SECRET}@db/app"\n'))
    with pytest.raises(ConfigError, match="did you mean 'url-env'"):
        load_settings(_config(tmp_path, f'[tool.poolcheck.database]\nurl = "mysql://app:{SECRET}@db/app"\n'))


# --- the command line ----------------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "app.py").write_text("import os\n\nDEBUG = os.environ.get('DEBUG')\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("POOLCHECK_DATABASE_URL", raising=False)
    return tmp_path


def test_a_failed_probe_is_an_error_after_the_static_report(project, capsys):
    code = main(["check", "--database-url", f"mysql://app:{SECRET}@127.0.0.1:{_closed_port()}/app", "--format", "json"])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out.strip() == "[]"  # the static check still ran and reported
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("poolcheck: error: cannot probe mysql://app:***@127.0.0.1:")
    assert "checked against the project's own settings only" in lines[0] and SECRET not in captured.err


def test_database_url_env_that_is_unset_is_an_error(project, capsys):
    assert main(["check", "--database-url-env", "POOLCHECK_DATABASE_URL"]) == 2
    assert "POOLCHECK_DATABASE_URL: the environment variable is not set or is empty" in capsys.readouterr().err


@pytest.mark.parametrize("value", [None, "", "  "])
def test_configured_url_env_that_is_unset_or_empty_means_a_static_check(project, capsys, monkeypatch, value):
    # A developer's machine, or a CI job that withholds the secret (GitHub gives forks "").
    (project / "pyproject.toml").write_text('[tool.poolcheck.database]\nurl-env = "POOLCHECK_DATABASE_URL"\n', encoding="utf-8")
    if value is not None:
        monkeypatch.setenv("POOLCHECK_DATABASE_URL", value)
    assert main(["check"]) == 0
    assert capsys.readouterr().err == ""


def test_configured_url_env_with_an_unreachable_server_fails_the_run(project, capsys, monkeypatch):
    (project / "pyproject.toml").write_text('[tool.poolcheck.database]\nurl-env = "POOLCHECK_DATABASE_URL"\n', encoding="utf-8")
    monkeypatch.setenv("POOLCHECK_DATABASE_URL", f"postgresql://app:{SECRET}@127.0.0.1:{_closed_port()}/app")
    assert main(["check"]) == 2
    err = capsys.readouterr().err
    assert "cannot probe postgresql://app:***@127.0.0.1:" in err and SECRET not in err


# --- against the real servers ----------------------------------------------------------------------

MYSQL_ENGINE = 'from sqlalchemy import create_engine\n\nengine = create_engine("mysql+pymysql://app@db/app", pool_size=10)\n'


def _check_json(capsys, *argv):
    import json

    code = main(["check", "--format", "json", *argv])
    captured = capsys.readouterr()
    return code, json.loads(captured.out), captured.err


@pytest.mark.database
def test_pc101_names_the_live_server(project, capsys, mariadb_url):
    from sqlalchemy.engine import make_url

    (project / "app.py").write_text(MYSQL_ENGINE, encoding="utf-8")
    code, findings, err = _check_json(capsys, "--database-url", mariadb_url)
    assert (code, err) == (1, "")
    [finding] = findings
    shown = make_url(mariadb_url).render_as_string(hide_password=True)
    assert finding["code"] == "PC101" and f"(live server {shown})" in finding["message"]


@pytest.mark.database
def test_a_postgresql_probe_says_nothing_about_a_mysql_engine(project, capsys, postgresql_url):
    (project / "app.py").write_text(MYSQL_ENGINE, encoding="utf-8")
    code, findings, err = _check_json(capsys, "--database-url", postgresql_url)
    assert (code, err) == (1, "")
    [finding] = findings
    assert "live server" not in finding["message"] and "the MySQL/MariaDB default" in finding["message"]
