"""``poolcheck probe``: what it reads from real servers, and how it fails.

Against this machine's MariaDB and PostgreSQL (the ``mariadb_url`` / ``postgresql_url``
fixtures). Only account- and session-level state is changed: a dedicated MariaDB user
``WITH MAX_USER_CONNECTIONS 2``, a PostgreSQL role with ``CONNECTION LIMIT 2`` and a role-level
``idle_session_timeout``, all dropped afterwards. Never a global setting.
"""

from __future__ import annotations

import json
import socket

import pytest
from sqlalchemy.engine import make_url

from poolcheck.cli import main
from poolcheck.probe import ProbeError, parse_target, probe
from poolcheck.probe.report import render_text

PROBE_USER = "poolcheck_probe"
PROBE_PASSWORD = "probe-pass-7f3a"
WRONG_PASSWORD = "wrong-pass-c91e"


# --- servers and accounts --------------------------------------------------------------------


def _mysql_admin(mariadb_url):
    import pymysql

    url = make_url(mariadb_url)
    return pymysql.connect(host=url.host, port=url.port or 3306, user=url.username,
                           password=url.password or "", database=url.database, autocommit=True)


@pytest.fixture(scope="module")
def mariadb_probe_user(mariadb_url):
    """A MariaDB account whose own limit is 2 connections (a user-level limit, not global)."""
    admin = _mysql_admin(mariadb_url)
    with admin.cursor() as cursor:
        cursor.execute(f"DROP USER IF EXISTS '{PROBE_USER}'@'%'")
        cursor.execute(f"CREATE USER IF NOT EXISTS '{PROBE_USER}'@'%' IDENTIFIED BY '{PROBE_PASSWORD}' WITH MAX_USER_CONNECTIONS 2")
        # An application account can use its database; nothing more is needed for the probe.
        database = make_url(mariadb_url).database
        if database:
            cursor.execute(f"GRANT SELECT ON `{database}`.* TO '{PROBE_USER}'@'%'")
    url = make_url(mariadb_url).set(username=PROBE_USER, password=PROBE_PASSWORD)
    try:
        yield url
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP USER IF EXISTS '{PROBE_USER}'@'%'")
        admin.close()


@pytest.fixture(scope="module")
def postgresql_probe_role(postgresql_url):
    """A PostgreSQL role with CONNECTION LIMIT 2 and its own idle_session_timeout (role-level)."""
    import psycopg

    url = make_url(postgresql_url)
    admin = psycopg.connect(host=url.host, port=url.port or 5432, user=url.username, dbname=url.database, autocommit=True)
    admin.execute(f"DROP ROLE IF EXISTS {PROBE_USER}")
    admin.execute(f"CREATE ROLE {PROBE_USER} LOGIN CONNECTION LIMIT 2")
    admin.execute(f"ALTER ROLE {PROBE_USER} SET idle_session_timeout = '90s'")
    try:
        yield url.set(username=PROBE_USER)
    finally:
        admin.execute(f"DROP ROLE IF EXISTS {PROBE_USER}")
        admin.close()


def _url(url) -> str:
    return url.render_as_string(hide_password=False)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --- MariaDB ---------------------------------------------------------------------------------


@pytest.mark.database
def test_mariadb_values_are_the_servers(mariadb_url):
    admin = _mysql_admin(mariadb_url)
    with admin.cursor() as cursor:
        cursor.execute("SELECT @@GLOBAL.wait_timeout, @@GLOBAL.interactive_timeout, @@GLOBAL.max_connections")
        wait_timeout, interactive_timeout, max_connections = cursor.fetchone()
    admin.close()
    result = probe(mariadb_url)
    assert (result.family, result.product) == ("mysql", "MariaDB")
    assert result.get("wait_timeout").value == wait_timeout
    assert result.get("wait_timeout").global_value == wait_timeout
    assert result.get("interactive_timeout").value == interactive_timeout
    assert result.get("max_connections").value == max_connections
    assert result.get("Threads_connected").value >= 1  # the probe's own connection at least
    assert result.get("Max_used_connections").value >= result.get("Threads_connected").value


@pytest.mark.database
def test_mariadb_account_limit_is_reported_and_is_the_limit_that_bites(mariadb_probe_user):
    import pymysql

    result = probe(_url(mariadb_probe_user))
    per_user = result.get("max_user_connections")
    assert per_user.value == 2
    assert per_user.global_value != 2 and per_user.differs
    assert result.account == f"{PROBE_USER}@%"
    assert (result.connection_limit.value, result.connection_limit.setting) == (2, "max_user_connections")
    assert "max_user_connections  2" in render_text(result)

    # The limit the probe reports is the one the server enforces on this account.
    held = [pymysql.connect(host=mariadb_probe_user.host, port=mariadb_probe_user.port or 3306,
                            user=PROBE_USER, password=PROBE_PASSWORD) for _ in range(2)]
    try:
        with pytest.raises(pymysql.err.OperationalError) as refused:
            pymysql.connect(host=mariadb_probe_user.host, port=mariadb_probe_user.port or 3306,
                            user=PROBE_USER, password=PROBE_PASSWORD)
        # ER_USER_LIMIT_REACHED: "User 'poolcheck_probe' has exceeded the 'max_user_connections'
        # resource (current value: 2)" (1203 is the global max_user_connections' error).
        assert refused.value.args[0] == 1226 and "max_user_connections" in refused.value.args[1]
    finally:
        for connection in held:
            connection.close()


@pytest.mark.database
def test_mariadb_cli_text_and_json(mariadb_probe_user, capsys, monkeypatch):
    monkeypatch.setenv("POOLCHECK_PROBE_URL", _url(mariadb_probe_user))
    code, out, err = _run(capsys, "probe", "--url-env", "POOLCHECK_PROBE_URL", "--format", "json")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert data["settings"]["max_user_connections"]["value"] == 2
    assert data["settings"]["wait_timeout"]["unit"] == "s"
    assert data["connection_limit"] == {"value": 2, "setting": "max_user_connections",
                                        "explanation": f"max_user_connections = 2 for {PROBE_USER}@%"}
    assert PROBE_PASSWORD not in out and ":***@" in data["url"]

    code, out, err = _run(capsys, "probe", _url(mariadb_probe_user))
    assert (code, err) == (0, "")
    assert out.startswith("MariaDB ") and "wait_timeout" in out and PROBE_PASSWORD not in out


@pytest.mark.database
def test_mariadb_wrong_password_is_one_line_without_the_password(mariadb_probe_user, capsys):
    url = _url(mariadb_probe_user.set(password=WRONG_PASSWORD))
    code, out, err = _run(capsys, "probe", url)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("poolcheck: error: cannot probe ")
    assert "Access denied" in err and PROBE_USER in err
    assert WRONG_PASSWORD not in err and PROBE_PASSWORD not in err


@pytest.mark.database
def test_mariadb_probe_runs_read_statements_only(mariadb_url, monkeypatch):
    import pymysql.cursors

    statements = []
    original = pymysql.cursors.Cursor.execute

    def recording(self, query, args=None):
        statements.append(query)
        return original(self, query, args)

    monkeypatch.setattr(pymysql.cursors.Cursor, "execute", recording)
    probe(mariadb_url)
    assert statements and all(s.lstrip().upper().startswith(("SELECT ", "SHOW ")) for s in statements)


@pytest.mark.database
def test_init_command_in_the_url_is_not_run(mariadb_url):
    # PyMySQL would run it on connect; a probe must not run arbitrary statements.
    target = parse_target(mariadb_url + "?init_command=SET+SESSION+wait_timeout%3D7&charset=utf8mb4")
    assert "init_command" not in target.connect_kwargs and target.connect_kwargs["charset"] == "utf8mb4"
    result = probe(mariadb_url + "?init_command=SET+SESSION+wait_timeout%3D7")
    assert result.get("wait_timeout").value != 7


# --- PostgreSQL --------------------------------------------------------------------------------


@pytest.mark.database
def test_postgresql_values_are_the_servers(postgresql_url):
    import psycopg

    url = make_url(postgresql_url)
    with psycopg.connect(host=url.host, port=url.port or 5432, user=url.username, dbname=url.database) as admin:
        max_connections = int(admin.execute("SHOW max_connections").fetchone()[0])
        reserved = int(admin.execute("SHOW superuser_reserved_connections").fetchone()[0])
    result = probe(postgresql_url)
    assert (result.family, result.product) == ("postgresql", "PostgreSQL")
    assert result.get("max_connections").value == max_connections
    assert result.get("superuser_reserved_connections").value == reserved
    for name in ("idle_session_timeout", "idle_in_transaction_session_timeout", "tcp_keepalives_idle"):
        assert result.get(name) is not None
    assert result.get("idle_session_timeout").unit == "ms"
    assert result.get("client_connections").value >= 1


@pytest.mark.database
def test_postgresql_role_settings_and_connection_limit(postgresql_probe_role):
    result = probe(_url(postgresql_probe_role))
    timeout = result.get("idle_session_timeout")
    assert (timeout.value, timeout.unit, timeout.seconds()) == (90000, "ms", 90)
    assert timeout.global_value is None and "set for this role" in timeout.note
    assert result.get("rolconnlimit").value == 2
    assert (result.connection_limit.value, result.connection_limit.setting) == (2, "rolconnlimit")


@pytest.mark.database
def test_postgresql_connection_options_in_the_url_are_the_sessions(postgresql_url):
    # An application that starts its sessions with options=-c ... gets those values.
    result = probe(postgresql_url + "?options=-c%20idle_session_timeout%3D60000&application_name=poolcheck")
    timeout = result.get("idle_session_timeout")
    assert timeout.value == 60000 and "set by the connection" in timeout.note


@pytest.mark.database
def test_postgresql_non_superuser_limit_leaves_out_reserved_slots(postgresql_url):
    import psycopg

    url = make_url(postgresql_url)
    with psycopg.connect(host=url.host, port=url.port or 5432, user=url.username, dbname=url.database, autocommit=True) as admin:
        admin.execute("DROP ROLE IF EXISTS poolcheck_plain")
        admin.execute("CREATE ROLE poolcheck_plain LOGIN")
        try:
            result = probe(_url(url.set(username="poolcheck_plain")))
        finally:
            admin.execute("DROP ROLE IF EXISTS poolcheck_plain")
    reserved = sum(result.get(name).value for name in ("superuser_reserved_connections", "reserved_connections") if result.get(name))
    assert result.connection_limit.value == result.get("max_connections").value - reserved
    assert "superuser_reserved_connections" in result.connection_limit.explanation


@pytest.mark.database
def test_postgresql_unknown_role_is_one_line_without_the_password(postgresql_url, capsys):
    url = _url(make_url(postgresql_url).set(username="poolcheck_nobody", password=WRONG_PASSWORD))
    code, out, err = _run(capsys, "probe", url)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "poolcheck_nobody" in err and WRONG_PASSWORD not in err


@pytest.mark.database
def test_postgresql_probe_runs_read_statements_only(postgresql_url, monkeypatch):
    import psycopg

    statements = []
    original = psycopg.Cursor.execute

    def recording(self, query, params=None, **kwargs):
        statements.append(str(query))
        return original(self, query, params, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", recording)
    probe(postgresql_url)
    assert statements and all(s.lstrip().upper().startswith("SELECT ") for s in statements)


# --- failures without a server -------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["mysql+pymysql", "postgresql+psycopg"])
def test_refused_connection(scheme, capsys):
    code, out, err = _run(capsys, "probe", f"{scheme}://app:{WRONG_PASSWORD}@127.0.0.1:{_closed_port()}/app")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "refused" in err.lower() and WRONG_PASSWORD not in err
    assert f"{scheme}://app:***@127.0.0.1:" in err


@pytest.mark.parametrize("scheme", ["mysql", "postgresql"])
def test_a_server_that_never_answers_times_out(scheme, capsys):
    with socket.socket() as silent:  # accepts TCP connections (the backlog does) and says nothing
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        port = silent.getsockname()[1]
        code, out, err = _run(capsys, "probe", "--timeout", "1", f"{scheme}://app:{WRONG_PASSWORD}@127.0.0.1:{port}/app")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "timed out after" in err and WRONG_PASSWORD not in err


@pytest.mark.parametrize("module, extra", [("pymysql", "poolcheck[mysql]"), ("psycopg", "poolcheck[postgresql]")])
def test_missing_driver_names_the_extra(module, extra, capsys, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, module, None)  # makes `import module` fail
    scheme = "mariadb+mariadbconnector" if module == "pymysql" else "postgresql+asyncpg"
    code, out, err = _run(capsys, "probe", f"{scheme}://app:{WRONG_PASSWORD}@127.0.0.1/app")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and extra in err and WRONG_PASSWORD not in err


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///app.db", f"mssql+pyodbc://sa:{WRONG_PASSWORD}@db/app"])
def test_unsupported_servers(url, capsys):
    code, out, err = _run(capsys, "probe", url)
    assert code == 2 and out == ""
    assert "only MySQL, MariaDB and PostgreSQL" in err and WRONG_PASSWORD not in err


@pytest.mark.parametrize("url", [f"mysql//app:{WRONG_PASSWORD}@db/app", f"mysql://app:{WRONG_PASSWORD}@db:port/app", "  "])
def test_an_unparseable_url_is_not_echoed(url, capsys, monkeypatch):
    monkeypatch.setenv("POOLCHECK_PROBE_URL", url)
    code, out, err = _run(capsys, "probe", "--url-env", "POOLCHECK_PROBE_URL")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and WRONG_PASSWORD not in err
    assert "$POOLCHECK_PROBE_URL" in err or "not set or is empty" in err


def test_usage_errors(capsys, monkeypatch):
    monkeypatch.delenv("POOLCHECK_PROBE_URL", raising=False)
    assert _run(capsys, "probe")[0] == 2
    code, _, err = _run(capsys, "probe", "--url-env", "POOLCHECK_PROBE_URL")
    assert code == 2 and "POOLCHECK_PROBE_URL" in err
    with pytest.raises(SystemExit) as exit_info:  # argparse: a misplaced URL is masked in its message
        main(["probe", "--timeout", f"mysql://app:{WRONG_PASSWORD}@db/app"])
    assert exit_info.value.code == 2 and WRONG_PASSWORD not in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["probe", f"mysql://app:{WRONG_PASSWORD}@db/app", f"mysql://app:{WRONG_PASSWORD}@db/other"])
    assert WRONG_PASSWORD not in capsys.readouterr().err


def test_target_keeps_the_server_part_only():
    target = parse_target("mysql+aiomysql://app:p%40ss@db:3307/app?unix_socket=/run/mysqld.sock&ssl_verify_cert=false&init_command=DROP+TABLE+t&pool_size=3")
    assert target.display == "mysql+aiomysql://app:***@db:3307/app?init_command=DROP+TABLE+t&pool_size=3&ssl_verify_cert=false&unix_socket=%2Frun%2Fmysqld.sock"
    assert target.connect_kwargs == {"host": "db", "port": 3307, "user": "app", "password": "p@ss", "database": "app",
                                     "unix_socket": "/run/mysqld.sock", "ssl_verify_cert": False}
    assert parse_target("postgres://u@h/d").family == "postgresql"
    with pytest.raises(ProbeError, match="ssl_verify_cert"):
        parse_target("mysql://app@db/app?ssl_verify_cert=maybe")


@pytest.mark.parametrize(
    "password, message, expected",
    [
        ("s3cr3t-pw", "failed for 's3cr3t-pw' at\n\thost", "failed for '***' at; host"),
        ("abc", "abcdef user abc", "abcdef user ***"),  # a short password only as a whole token
    ],
)
def test_scrub(password, message, expected):
    target = parse_target(f"mysql://app:{password}@db/app")
    assert target.scrub(message) == expected
