"""Server facts: wait_timeout / max_connections / workers found in a project, with their places."""

from __future__ import annotations

import textwrap
from pathlib import Path, PurePosixPath
from typing import List, Optional, Tuple

import pytest

from poolcheck.facts.server import (
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_WAIT_TIMEOUT,
    MAX_CONNECTIONS,
    WAIT_TIMEOUT,
    WORKERS,
    ServerOverrides,
    ServerSettings,
    Setting,
    collect_server_settings,
)
from poolcheck.findings import Location


def collect(project, overrides: Optional[ServerOverrides] = None) -> ServerSettings:
    return collect_server_settings(project.files(), overrides)


def found(project, name: Optional[str] = None) -> List[Tuple[str, int, str]]:
    """(name, value, "path:line") of every candidate, for short assertions."""
    return [
        (setting.name, setting.value, str(setting.location))
        for setting in collect(project).found
        if name is None or setting.name == name
    ]


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


# --------------------------------------------------------------------------------------------
# Option files (my.cnf, mariadb.cnf, conf.d)
# --------------------------------------------------------------------------------------------


def test_seed_003_my_cnf(project):
    # The field report's /etc/mysql/my.cnf, one option per line as in the real file.
    project.write("etc/mysql/my.cnf", dedent("""
        [mysqld]
        max_connections = 100
        connect_timeout = 5
        wait_timeout = 600
        max_allowed_packet = 16M
        thread_cache_size = 128
        interactive_timeout = 1000
    """))
    settings = collect(project)
    assert found(project) == [
        (MAX_CONNECTIONS, 100, "etc/mysql/my.cnf:2"),
        (WAIT_TIMEOUT, 600, "etc/mysql/my.cnf:4"),
    ]
    assert settings.wait_timeout.describe() == "wait_timeout = 600 (etc/mysql/my.cnf:4)"
    assert settings.wait_timeout.source == "my.cnf [mysqld]"


@pytest.mark.parametrize("group", [
    "mysqld", "mariadb", "server", "mariadbd", "mysqld-8.0", "mysqld-10.11", "mariadb-10.11",
    "mariadbd-10.11", "client-server", "galera", "MYSQLD", "mysqld ",
])
def test_server_groups_apply(project, group):
    project.write("my.cnf", f"[{group}]\nwait_timeout = 600\n")
    assert found(project) == [(WAIT_TIMEOUT, 600, "my.cnf:2")]


@pytest.mark.parametrize("group", [
    "client", "mysql", "mysqldump", "mysqld_safe", "embedded", "mariadb-client", " mysqld",
    "server-10.11", "mysqld-8",
])
def test_other_groups_do_not_apply(project, group):
    project.write("my.cnf", f"[{group}]\nwait_timeout = 600\nmax_connections = 500\n")
    assert found(project) == []


def test_client_group_after_server_group_ends_it(project):
    project.write("my.cnf", "[mysqld]\nmax_connections=500\n[client]\nwait_timeout=5\n")
    assert found(project) == [(MAX_CONNECTIONS, 500, "my.cnf:2")]


def test_options_before_any_group_are_ignored(project):
    project.write("my.cnf", "wait_timeout=5\n[mysqld]\nmax_connections=500\n")
    assert found(project) == [(MAX_CONNECTIONS, 500, "my.cnf:3")]


@pytest.mark.parametrize("line, value", [
    ("wait_timeout=600", 600),
    ("wait-timeout=600", 600),
    ("WAIT_TIMEOUT = 600", 600),
    ("Wait-Timeout = 600", 600),
    ("loose-wait-timeout = 600", 600),
    ("loose_wait_timeout = 600", 600),
    ("   wait_timeout   =   600   ", 600),
    ("wait_timeout\t=\t600", 600),
    ('wait_timeout = "600"', 600),
    ("wait_timeout = '600'", 600),
    ('wait_timeout = " 600"', 600),
    ("wait_timeout = +600", 600),
    ("wait_timeout = 600 # ten minutes", 600),
    ("wait_timeout = 600#no space", 600),
    ('wait_timeout = "600" # quoted', 600),
    ("wait_timeout = 600\r", 600),
])
def test_option_spellings(project, line, value):
    project.write("my.cnf", f"[mysqld]\n{line}\n")
    assert found(project) == [(WAIT_TIMEOUT, value, "my.cnf:2")]


@pytest.mark.parametrize("value, expected", [
    ("1K", 1 << 10), ("2k", 2048), ("1M", 1 << 20), ("3m", 3 << 20), ("1G", 1 << 30),
    ("1T", 1 << 40), ("1P", 1 << 50), ("1E", 1 << 60), ("1e", 1 << 60),
    # mysqld looks at one character after the digits only: "1KB" runs with 1024.
    ("1KB", 1024),
])
def test_size_suffixes(project, value, expected):
    project.write("my.cnf", f"[mysqld]\nwait_timeout = {value}\n")
    assert found(project) == [(WAIT_TIMEOUT, expected, "my.cnf:2")]


@pytest.mark.parametrize("line", [
    "wait_timeout = 1x",  # Unknown suffix 'x': the server refuses to start
    "wait_timeout = 10s",
    "wait_timeout = abc",
    "wait_timeout = 0x10",
    "wait_timeout = -5",
    "wait_timeout = 600 ; semicolon is no comment here",
    "wait_timeout = 600 600",
    'wait_timeout = "600',
    "wait_timeout = 6.5",
    "wait_timeout =",
    "wait_timeout",
    "wait_timeout 600",
    "wait_timeout: 600",
    "# wait_timeout = 600",
    "; wait_timeout = 600",
    "    # wait_timeout = 600",
    "maximum-wait-timeout = 600",
    "loose-maximum-wait-timeout = 600",
    "interactive_timeout = 600",
    "net_read_timeout = 600",
    "wait_time = 600",
    "max_connect_errors = 600",
    "max_user_connections = 600",
])
def test_lines_that_state_nothing(project, line):
    project.write("my.cnf", f"[mysqld]\n{line}\n")
    assert found(project) == []


def test_later_value_in_same_group_overrides_earlier(project):
    project.write("my.cnf", "[mysqld]\nwait_timeout = 60\nmax_connections = 90\nwait_timeout = 900\n")
    assert found(project) == [(MAX_CONNECTIONS, 90, "my.cnf:3"), (WAIT_TIMEOUT, 900, "my.cnf:4")]


def test_a_refused_value_after_a_good_one_leaves_nothing(project):
    # The server stops at "Unknown suffix": it never runs with the 600.
    project.write("my.cnf", "[mysqld]\nwait_timeout = 600\nwait_timeout = 1x\nmax_connections = 90\n")
    assert found(project) == [(MAX_CONNECTIONS, 90, "my.cnf:4")]


def test_override_across_groups_depends_on_which_servers_read_them(project):
    # [mysqld] is read by every server, so it overrides an earlier [mariadb] value; a later
    # [mariadb] value does not override [mysqld] for MySQL, and a version group overrides
    # nothing outside its version: those stay candidates.
    project.write("a.cnf", "[mariadb]\nwait_timeout = 100\n[mysqld]\nwait_timeout = 200\n")
    project.write("b.cnf", "[mysqld]\nwait_timeout = 300\n[mariadb]\nwait_timeout = 400\n")
    project.write("c.cnf", "[mysqld]\nwait_timeout = 500\n[mysqld-8.0]\nwait_timeout = 600\n")
    project.write("d.cnf", "[mysqld-8.0]\nwait_timeout = 700\n[server]\nwait_timeout = 800\n")
    project.write("e.cnf", "[mariadb-10.11]\nwait_timeout = 900\n[mariadbd]\nwait_timeout = 1000\n")
    assert [value for _, value, _ in found(project)] == [200, 300, 400, 500, 600, 800, 1000]


def test_any_cnf_file_anywhere_in_the_project(project):
    project.write("docker/mysql/conf.d/tuning.cnf", "[mysqld]\nwait_timeout=300\n")
    project.write("deploy/mariadb.conf.d/50-server.cnf", "[mariadb]\nmax_connections=400\n")
    project.write("etc/mysql.conf.d/mysqld.cnf", "[mysqld]\nmax_connections=450\n")
    project.write("windows/my.ini", "[mysqld]\nwait_timeout=350\n")
    project.write("openssl.cnf", "[req]\ndistinguished_name = req_distinguished_name\n")
    assert found(project) == [
        (MAX_CONNECTIONS, 400, "deploy/mariadb.conf.d/50-server.cnf:2"),
        (WAIT_TIMEOUT, 300, "docker/mysql/conf.d/tuning.cnf:2"),
        (MAX_CONNECTIONS, 450, "etc/mysql.conf.d/mysqld.cnf:2"),
        (WAIT_TIMEOUT, 350, "windows/my.ini:2"),
    ]


def test_source_names_the_file_and_group(project):
    project.write("deploy/conf.d/tuning.cnf", "[mariadb]\nwait_timeout=300\n")
    (setting,) = collect(project).found
    assert setting.source == "tuning.cnf [mariadb]"
    assert setting.location == Location(Path("deploy/conf.d/tuning.cnf"), 2)


def test_include_is_resolved_against_the_including_file(project):
    project.write("deploy/my.cnf", "[mysqld]\nmax_connections = 300\n!include extra/server.conf\n")
    project.write("deploy/extra/server.conf", "# not a .cnf name: read only through the include\n"
                                              "[mysqld]\nwait_timeout = 450\n")
    assert found(project) == [
        (WAIT_TIMEOUT, 450, "deploy/extra/server.conf:3"),
        (MAX_CONNECTIONS, 300, "deploy/my.cnf:2"),
    ]


def test_value_after_an_include_overrides_the_included_one(project):
    project.write("my.cnf", "[mysqld]\n!include tuning.cnf\nwait_timeout = 28800\n")
    project.write("tuning.cnf", "[mysqld]\nwait_timeout = 60\n")
    # tuning.cnf is a *.cnf file on its own too, but my.cnf reads it and then overrides it.
    assert found(project) == [(WAIT_TIMEOUT, 28800, "my.cnf:3")]


def test_included_file_keeps_its_own_groups(project):
    # After the include, my.cnf is still in [client]: the server does not read line 3.
    project.write("my.cnf", "[client]\n!include server.conf\nwait_timeout = 5\n")
    project.write("server.conf", "[mysqld]\nmax_connections = 99\n")
    assert found(project) == [(MAX_CONNECTIONS, 99, "server.conf:2")]


def test_includedir_reads_cnf_files_in_name_order(project):
    project.write("mysql/my.cnf", "[mysqld]\nwait_timeout = 600\n!includedir conf.d\n")
    project.write("mysql/conf.d/b.cnf", "[mysqld]\nwait_timeout = 222\n")
    project.write("mysql/conf.d/a.cnf", "[mysqld]\nwait_timeout = 333\n")
    project.write("mysql/conf.d/c.ini", "[mysqld]\nwait_timeout = 44\n")
    project.write("mysql/conf.d/d.conf", "[mysqld]\nmax_connections = 55\n")
    project.write("mysql/conf.d/sub/e.cnf", "[client]\nwait_timeout = 66\n")
    # Read order: my.cnf (600), a.cnf (333), b.cnf (222): the last one wins.
    assert found(project) == [(WAIT_TIMEOUT, 222, "mysql/conf.d/b.cnf:2")]


def test_include_directive_syntax(project):
    project.write("a.cnf", "[mysqld]\n   !include x.conf\n")  # indented: still a directive
    project.write("b.cnf", "[mysqld]\n!INCLUDE y.conf\n")  # directives are case-sensitive
    project.write("c.cnf", "[mysqld]\n!include z.conf # comment\n")  # the comment is part of the path
    project.write("x.conf", "[mysqld]\nwait_timeout = 1\n")
    project.write("y.conf", "[mysqld]\nwait_timeout = 2\n")
    project.write("z.conf", "[mysqld]\nwait_timeout = 3\n")
    assert found(project) == [(WAIT_TIMEOUT, 1, "x.conf:2")]


def test_include_outside_the_project_is_not_followed(project, tmp_path):
    outside = tmp_path / "outside.cnf"
    outside.write_text("[mysqld]\nwait_timeout = 1\n")
    project.write("my.cnf", dedent(f"""
        [mysqld]
        !include ../outside.cnf
        !include {outside}
        !includedir ..
        !includedir {tmp_path}
        !include /etc/mysql/my.cnf
        max_connections = 300
    """))
    assert found(project) == [(MAX_CONNECTIONS, 300, "my.cnf:7")]


def test_include_loop_ends(project):
    project.write("a.cnf", "[mysqld]\nwait_timeout = 5\n!include b.cnf\n")
    project.write("b.cnf", "[mysqld]\nmax_connections = 50\n!include a.cnf\n")
    project.write("self.cnf", "[mysqld]\n!include self.cnf\nmax_connections = 70\n")
    assert found(project) == [
        (WAIT_TIMEOUT, 5, "a.cnf:2"),
        (MAX_CONNECTIONS, 50, "b.cnf:2"),
        (MAX_CONNECTIONS, 70, "self.cnf:3"),
    ]


def test_binary_garbage_in_cnf(project):
    project.write("garbage.cnf", bytes(range(256)) * 40 + b"\xff\xfe\x00[mysqld\x00]\n\x00")
    project.write("utf16.cnf", "[mysqld]\nwait_timeout=600\n".encode("utf-16"))
    project.write("empty.cnf", b"")
    assert found(project) == []


def test_valid_lines_around_garbage_still_count(project):
    # mariadbd reads these two lines too (checked with --print-defaults).
    project.write("my.cnf", b"[mysqld]\nwait_timeout=600\n\x00\x01\xff garbage\nmax_connections=44\n")
    assert found(project) == [(WAIT_TIMEOUT, 600, "my.cnf:2"), (MAX_CONNECTIONS, 44, "my.cnf:4")]


def test_broken_group_header_ends_the_group(project):
    project.write("my.cnf", "[mysqld]\nwait_timeout=600\n[mysqld\nmax_connections=44\n")
    assert found(project) == [(WAIT_TIMEOUT, 600, "my.cnf:2")]


def test_option_file_reader_does_not_raise_on_random_input(project):
    import random

    from poolcheck.facts.server.option_files import read_option_files

    generator = random.Random(7)
    for index in range(30):
        lines = [generator.choice(["[mysqld]", "[client]", "!include x.cnf", "!includedir .",
                                   "!includedir ..", "wait_timeout=1K", "max-connections = 'x",
                                   "\x00\xff", "# c", "[", "]", "=", "!include", ""])
                 for _ in range(20)]
        project.write(f"x{index % 3}.cnf", "\n".join(lines))
    files = project.files()
    read_option_files(files, [p for p in files.paths()], files.paths())


# --------------------------------------------------------------------------------------------
# The data model: effective values, overrides, places
# --------------------------------------------------------------------------------------------


def test_ties_resolve_to_the_first_place(project):
    project.write("a/my.cnf", "[mysqld]\nwait_timeout = 600\n")
    project.write("b/my.cnf", "[mysqld]\nwait_timeout = 600\n")
    assert str(collect(project).wait_timeout.location) == "a/my.cnf:2"


def test_overrides_without_any_file(project):
    settings = collect(project, ServerOverrides(max_connections=1000))
    assert settings.max_connections == Setting(MAX_CONNECTIONS, 1000, None, "[tool.poolcheck.database] max-connections")
    assert settings.max_connections.describe() == "max_connections = 1000 ([tool.poolcheck.database] max-connections)"
    assert settings.wait_timeout is None and settings.workers is None


def test_nothing_found_means_no_value_not_the_default(project):
    project.write("app.py", "print('hello')\n")
    settings = collect(project)
    assert settings.found == ()
    assert settings.wait_timeout is None and settings.max_connections is None and settings.workers is None


def test_defaults_are_the_servers():
    # MariaDB 10.11 measured, MySQL 8 documented (reference/ground-truth.md, section 5).
    assert (DEFAULT_WAIT_TIMEOUT, DEFAULT_MAX_CONNECTIONS) == (28800, 151)
    default = Setting(WAIT_TIMEOUT, DEFAULT_WAIT_TIMEOUT, None, "MySQL/MariaDB default")
    assert default.describe() == "wait_timeout = 28800 (MySQL/MariaDB default)"


def test_included_file_is_one_candidate_not_two(project):
    project.write("my.cnf", "[mysqld]\n!include tuning.cnf\n")
    project.write("tuning.cnf", "[mysqld]\nwait_timeout = 60\n")
    assert found(project) == [(WAIT_TIMEOUT, 60, "tuning.cnf:2")]


def test_settings_are_immutable(project):
    project.write("my.cnf", "[mysqld]\nwait_timeout = 60\n")
    setting = collect(project).wait_timeout
    with pytest.raises(AttributeError):
        setting.value = 1  # type: ignore[misc]


def test_paths_are_relative_posix_paths(project):
    project.write("deploy/mysql/my.cnf", "[mysqld]\nwait_timeout = 60\n")
    (setting,) = collect(project).found
    assert setting.location.path == Path("deploy/mysql/my.cnf")
    assert not setting.location.path.is_absolute()
    assert PurePosixPath(setting.location.path.as_posix()) == PurePosixPath("deploy/mysql/my.cnf")


# --------------------------------------------------------------------------------------------
# gunicorn configuration files and Procfiles
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("source, expected", [
    ("workers = 4\n", [(4, 1)]),
    ("bind = '0.0.0.0:8000'\nworkers = 2 * 2 + 1\n", [(5, 2)]),
    ("workers = (8 - 2) // 2\n", [(3, 1)]),
    ("workers: int = 3\n", [(3, 1)]),
    ("workers = '4'\n", [(4, 1)]),
    ("import os\nworkers = 2\nif os.environ.get('PROD'):\n    workers = 8\n", [(2, 2), (8, 4)]),
    ("import multiprocessing\nworkers = multiprocessing.cpu_count() * 2 + 1\n", []),
    ("workers = 4\nworkers = multiprocessing.cpu_count()\n", []),  # replaced by an unknown
    ("workers = 4\nworkers += 1\n", []),
    ("import os\nworkers = int(os.environ.get('WEB_CONCURRENCY', 4))\n", []),
    ("workers = 4 / 2\n", []),  # gunicorn rejects a float
    ("workers = True\n", []),
    ("workers = 0\n", []),
    ("def post_fork(server, worker):\n    workers = 9\n", []),
    ("threads = 4\nworker_connections = 1000\n", []),
    ("workers = 4 +\n", []),  # syntax error
    ("workers = 4\x00\n", []),
])
def test_gunicorn_config_file(project, source, expected):
    project.write("gunicorn.conf.py", source)
    settings = collect(project).found
    assert [(s.value, s.location.line) for s in settings] == expected
    assert all(s.source == "gunicorn.conf.py" and s.name == WORKERS for s in settings)


@pytest.mark.parametrize("name", [
    "gunicorn_config.py", "config/gunicorn.py", "deploy/gunicorn-prod.py", "Gunicorn.conf.py",
])
def test_gunicorn_config_names(project, name):
    project.write(name, "workers = 3\n")
    assert [value for _, value, _ in found(project)] == [3]


def test_workers_in_other_python_files_are_not_gunicorn_settings(project):
    project.write("settings.py", "workers = 3\n")
    project.write("celeryconfig.py", "workers = 12\n")
    assert found(project) == []


def test_procfile(project):
    project.write("Procfile", dedent("""
        release: python manage.py migrate
        web: gunicorn app:app -w 4 --timeout 60
        api: WEB_CONCURRENCY=3 uvicorn main:app
        fast: uvicorn main:app --workers 2
        worker: celery -A proj worker --concurrency 8
        # old: gunicorn app:app -w 16
        hyper: WEB_CONCURRENCY=3 hypercorn main:app
        cmdargs: WEB_CONCURRENCY=3 GUNICORN_CMD_ARGS="--workers 5" gunicorn app:app
        both: env WEB_CONCURRENCY=3 gunicorn -w 6 app:app
    """))
    settings = collect(project).found
    assert [(s.value, str(s.location), s.source) for s in settings] == [
        (4, "Procfile:2", "Procfile: web"),
        (3, "Procfile:3", "Procfile: api"),
        (2, "Procfile:4", "Procfile: fast"),
        # hypercorn does not read WEB_CONCURRENCY; GUNICORN_CMD_ARGS and -w beat it in gunicorn.
        (5, "Procfile:8", "Procfile: cmdargs"),
        (6, "Procfile:9", "Procfile: both"),
    ]
