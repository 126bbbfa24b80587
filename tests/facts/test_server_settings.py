"""Server facts: wait_timeout / max_connections / workers found in a project, with their places."""

from __future__ import annotations

import subprocess
import sys
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


# --------------------------------------------------------------------------------------------
# Compose files
# --------------------------------------------------------------------------------------------


def compose_db(image: str, command: str) -> str:
    return f"services:\n  db:\n    image: {image}\n    command: {command}\n"


@pytest.mark.parametrize("image", [
    "mysql", "mysql:8.0", "mariadb:10.11", "docker.io/library/mysql:8", "bitnami/mysql:8.0",
    "bitnami/mariadb", "percona:8.0", "percona/percona-server:8.0", "mysql/mysql-server:8.0",
    "container-registry.oracle.com/mysql/community-server:8.4", "registry.local:5000/mariadb",
    "mariadb@sha256:0123456789abcdef", "'${DB_IMAGE:-mariadb:11}'", "MySQL:8",
])
def test_mysql_family_images(project, image):
    project.write("docker-compose.yml", compose_db(image, "--wait-timeout=600"))
    assert found(project) == [(WAIT_TIMEOUT, 600, "docker-compose.yml:4")]


@pytest.mark.parametrize("image", [
    "postgres:16", "redis", "prom/mysqld-exporter", "mysql/mysql-router:8.0", "mariadb/maxscale",
    "percona/percona-server-mongodb:7.0", "myorg/app:mysql", "phpmyadmin", "adminer", "python:3.12",
])
def test_other_images_contribute_no_server_options(project, image):
    project.write("docker-compose.yml", compose_db(image, "--wait-timeout=600 --max-connections=20"))
    assert found(project) == []


@pytest.mark.parametrize("command, expected", [
    ("--wait-timeout=600", [(WAIT_TIMEOUT, 600)]),
    ("--wait_timeout=600", [(WAIT_TIMEOUT, 600)]),
    ("--wait_timeout 600", [(WAIT_TIMEOUT, 600)]),
    ("--loose-wait-timeout=600", [(WAIT_TIMEOUT, 600)]),
    ("--wait_timeout=1K", [(WAIT_TIMEOUT, 1024)]),
    ("mysqld --wait_timeout=600", [(WAIT_TIMEOUT, 600)]),
    ("mariadbd --max-connections=500", [(MAX_CONNECTIONS, 500)]),
    ("/usr/sbin/mysqld --max_connections 500", [(MAX_CONNECTIONS, 500)]),
    ("docker-entrypoint.sh mysqld --wait-timeout=600", [(WAIT_TIMEOUT, 600)]),
    ('["--wait_timeout=600", "--max-connections=500"]', [(WAIT_TIMEOUT, 600), (MAX_CONNECTIONS, 500)]),
    ('["--wait_timeout", "600"]', [(WAIT_TIMEOUT, 600)]),
    ('["mysqld", "--character-set-server=utf8mb4", "--wait_timeout=600"]', [(WAIT_TIMEOUT, 600)]),
    ("bash -c 'mysqld --wait_timeout=600'", [(WAIT_TIMEOUT, 600)]),
    ("--wait_timeout=100 --wait_timeout=700", [(WAIT_TIMEOUT, 700)]),  # the last one wins
    ("--wait_timeout=100 --wait_timeout=7x", []),  # ... and is refused
    ("--character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci", []),
    ("--wait-timeout=10s", []),  # bad suffix: the server refuses it
    ("--wait-timeout=${WAIT_TIMEOUT:-600}", []),  # depends on the environment
    ("--wait-timeout", []),
    ("--interactive-timeout=600", []),
    ("--maximum-wait-timeout=600", []),
    ("bash -c 'echo --wait-timeout=600'", []),  # not the server's command line
    ("sh ./start.sh --wait-timeout=600", []),
    ("'--wait-timeout=600", []),  # unbalanced quote: compose rejects it
])
def test_database_command_shapes(project, command, expected):
    project.write("compose.yaml", compose_db("mariadb:10.11", command))
    assert [(name, value) for name, value, _ in found(project)] == expected


def test_multi_line_command_locates_each_option(project):
    project.write("deploy/docker-compose.prod.yml", dedent("""
        services:
          db:
            image: mysql:8.0
            command: >
              --character-set-server=utf8mb4
              --wait-timeout=600
              --max-connections=500
          db2:
            image: mariadb:11
            command:
              - mariadbd
              - --max_connections
              - "300"
    """))
    assert found(project) == [
        (WAIT_TIMEOUT, 600, "deploy/docker-compose.prod.yml:6"),
        (MAX_CONNECTIONS, 500, "deploy/docker-compose.prod.yml:7"),
        (MAX_CONNECTIONS, 300, "deploy/docker-compose.prod.yml:12"),
    ]
    sources = {setting.source for setting in collect(project).found}
    assert sources == {"docker-compose.prod.yml: db command", "docker-compose.prod.yml: db2 command"}


def test_entrypoint_and_command_together(project):
    project.write("docker-compose.yml", dedent("""
        services:
          db:
            image: mariadb:11
            entrypoint: ["mariadbd"]
            command: ["--wait-timeout=120"]
    """))
    assert found(project) == [(WAIT_TIMEOUT, 120, "docker-compose.yml:5")]


def test_bitnami_extra_flags(project):
    project.write("docker-compose.yml", dedent("""
        services:
          db:
            image: bitnami/mariadb:11.4
            environment:
              - MARIADB_EXTRA_FLAGS=--max_connections=1000 --wait-timeout=300
          db2:
            image: bitnami/mysql:8.0
            environment:
              MYSQL_EXTRA_FLAGS: "--max-connections=200"
              MYSQL_DATABASE: app
    """))
    assert found(project) == [
        (MAX_CONNECTIONS, 1000, "docker-compose.yml:5"),
        (WAIT_TIMEOUT, 300, "docker-compose.yml:5"),
        (MAX_CONNECTIONS, 200, "docker-compose.yml:9"),
    ]


def test_anchors_and_merge_keys(project):
    project.write("docker-compose.yml", dedent("""
        x-db: &db
          image: mariadb:10.11
          command: --wait-timeout=600
        x-web: &web
          command: gunicorn -w 6 app:app
        services:
          db:
            <<: *db
          web:
            <<: [*web]
            build: .
    """))
    assert found(project) == [(WAIT_TIMEOUT, 600, "docker-compose.yml:3"), (WORKERS, 6, "docker-compose.yml:5")]


def test_compose_version_1_format(project):
    project.write("docker-compose.yml", "db:\n  image: mysql:5.7\n  command: --max_connections=250\n")
    assert found(project) == [(MAX_CONNECTIONS, 250, "docker-compose.yml:3")]


@pytest.mark.parametrize("name", [
    "docker-compose.yml", "docker-compose.yaml", "docker-compose.override.yml", "docker-compose-dev.yml",
    "compose.yml", "compose.yaml", "compose.prod.yaml", "ops/docker/compose.yml",
])
def test_compose_file_names(project, name):
    project.write(name, compose_db("mysql", "--wait-timeout=60"))
    assert [value for _, value, _ in found(project)] == [60]


@pytest.mark.parametrize("name", ["stack.yml", "docker-compose.yml.bak", "compose.json", "k8s/mysql.yaml"])
def test_not_compose_file_names(project, name):
    project.write(name, compose_db("mysql", "--wait-timeout=60"))
    assert found(project) == []


@pytest.mark.parametrize("content", [
    "services:\n  db:\n    image: mysql\n    command: [--wait-timeout=600\n",  # unclosed flow sequence
    "services:\n\tdb:\n\t\timage: mysql\n",  # tabs
    "services: *undefined_alias\n",
    "- just\n- a list\n",
    "services:\n  - db\n  - web\n",
    "services:\n  db:\n    image: [mysql]\n    command: {wait_timeout: 600}\n",
    "services:\n  db: ~\n",
    "",
    "%YAML 9.9\n---\nfoo: bar\n",
    "x: &a [*a]\n",
    "x: &a {<<: *a}\nservices:\n  db:\n    <<: *a\n",
])
def test_malformed_compose_files_contribute_nothing(project, content):
    project.write("docker-compose.yml", content)
    assert found(project) == []


def test_binary_compose_file(project):
    project.write("docker-compose.yml", bytes(range(256)) * 10)
    assert found(project) == []


# --- web workers in compose --------------------------------------------------------------


@pytest.mark.parametrize("command, expected", [
    ("gunicorn -w 4 app:app", [4]),
    ("gunicorn app:app -w 4", [4]),
    ("gunicorn --workers 4 app:app", [4]),
    ("gunicorn --workers=4 app:app", [4]),
    ("gunicorn -w4 app:app", [4]),
    ("gunicorn -w=4 app:app", [4]),
    ("gunicorn -k uvicorn.workers.UvicornWorker -w 3 main:app", [3]),
    ('["gunicorn", "-w", "5", "app:app"]', [5]),
    ("python -m gunicorn -w 2 app:app", [2]),
    ("/venv/bin/gunicorn --workers 2 app:app", [2]),
    ("uvicorn main:app --host 0.0.0.0 --workers 3", [3]),
    ("uvicorn main:app --workers=3", [3]),
    ("hypercorn -w 2 main:app", [2]),
    ("sh -c 'alembic upgrade head && gunicorn -w 3 app:app'", [3]),
    ("gunicorn -w 2 -w 8 app:app", [8]),  # the last one wins
    ("uvicorn main:app -w 3", []),  # uvicorn has no -w
    ("gunicorn -w $WORKERS app:app", []),
    ("gunicorn -w ${WORKERS:-4} app:app", []),
    ("gunicorn -w 0 app:app", []),
    ("gunicorn app:app", []),
    ("celery -A proj worker --concurrency 8", []),
    ("python manage.py runserver", []),
])
def test_web_service_worker_counts(project, command, expected):
    project.write("docker-compose.yml", f"services:\n  web:\n    build: .\n    command: {command}\n")
    assert [value for _, value, _ in found(project, WORKERS)] == expected


def test_workers_from_entrypoint_and_command(project):
    project.write("docker-compose.yml", dedent("""
        services:
          api:
            image: ghcr.io/example/api:1.0
            entrypoint: ["gunicorn"]
            command: ["--workers", "6", "api:app"]
    """))
    (setting,) = collect(project).found
    assert (setting.value, str(setting.location), setting.source) == (
        6, "docker-compose.yml:5", "docker-compose.yml: api command")


def test_web_concurrency_in_compose_environment(project):
    project.write("docker-compose.yml", dedent("""
        services:
          web:
            build: .
            command: gunicorn app:app
            environment:
              WEB_CONCURRENCY: 3
          api:
            build: .
            environment:
              - WEB_CONCURRENCY=5
          gunicorn_args:
            image: example/app
            command: gunicorn app:app
            environment:
              GUNICORN_CMD_ARGS: "--bind 0.0.0.0:8000 --workers 7"
          explicit:
            build: .
            command: gunicorn -w 2 app:app
            environment:
              WEB_CONCURRENCY: 9
          node:
            image: node:20
            command: node server.js
            environment:
              WEB_CONCURRENCY: 11
          worker:
            image: example/app
            environment:
              WEB_CONCURRENCY: 13
          fastapi:
            image: tiangolo/uvicorn-gunicorn-fastapi:python3.11
            environment:
              WEB_CONCURRENCY: 4
    """))
    settings = [(s.value, str(s.location), s.source) for s in collect(project).found]
    assert settings == [
        (3, "docker-compose.yml:6", "docker-compose.yml: web environment WEB_CONCURRENCY"),
        (5, "docker-compose.yml:10", "docker-compose.yml: api environment WEB_CONCURRENCY"),
        (7, "docker-compose.yml:15", "docker-compose.yml: gunicorn_args environment GUNICORN_CMD_ARGS"),
        # -w 2 on the command line beats WEB_CONCURRENCY=9; node and an image we cannot see
        # into do not read WEB_CONCURRENCY for gunicorn.
        (2, "docker-compose.yml:18", "docker-compose.yml: explicit command"),
        (4, "docker-compose.yml:33", "docker-compose.yml: fastapi environment WEB_CONCURRENCY"),
    ]


def test_no_workers_from_a_database_service(project):
    project.write("docker-compose.yml", dedent("""
        services:
          db:
            image: mysql:8
            environment:
              WEB_CONCURRENCY: 4
    """))
    assert found(project) == []


def test_yaml_is_imported_only_for_a_compose_file(project):
    project.write("my.cnf", "[mysqld]\nwait_timeout = 60\n")
    program = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from pathlib import Path
        from conftest import DirectoryProjectFiles
        from poolcheck.facts.server import collect_server_settings
        root = Path({str(project.root)!r})
        settings = collect_server_settings(DirectoryProjectFiles(root))
        before = "yaml" in sys.modules
        (root / "compose.yaml").write_text("services: {{}}\\n")
        collect_server_settings(DirectoryProjectFiles(root))
        print(settings.wait_timeout.value, before, "yaml" in sys.modules)
    """)
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["60", "False", "True"]


# --------------------------------------------------------------------------------------------
# Dockerfiles
# --------------------------------------------------------------------------------------------


def test_dockerfile_exec_and_shell_forms(project):
    project.write("Dockerfile", dedent("""
        FROM python:3.12-slim AS build
        RUN pip install gunicorn
        CMD ["python", "-m", "build"]

        FROM python:3.12-slim
        CMD gunicorn -w 2 app:app
        CMD ["gunicorn", \\
             "--workers=6", \\
             "app:app"]
    """))
    (setting,) = collect(project).found
    # The last CMD of the stage wins; the option is on the continuation line it is written on.
    assert (setting.name, setting.value, str(setting.location), setting.source) == (
        WORKERS, 6, "Dockerfile:8", "Dockerfile CMD")


def test_dockerfile_continuation_lines_keep_their_numbers(project):
    project.write("Dockerfile", dedent("""
        FROM python:3.12
        CMD \\
            # Docker drops comment lines inside an instruction

            gunicorn \\
            --bind 0.0.0.0:8000 \\
            --workers 3 \\
            app:app
    """))
    assert found(project) == [(WORKERS, 3, "Dockerfile:7")]


def test_dockerfile_entrypoint_with_cmd(project):
    project.write("docker/web.Dockerfile", dedent("""
        FROM python:3.12
        ENTRYPOINT ["gunicorn", "--workers", "3"]
        CMD ["app:app"]
    """))
    project.write("docker/Dockerfile.api", dedent("""
        FROM python:3.12
        ENTRYPOINT ["gunicorn"]
        CMD ["-w", "5", "app:app"]
    """))
    project.write("docker/Dockerfile.shell", dedent("""
        FROM python:3.12
        ENTRYPOINT exec gunicorn app:app
        CMD ["-w", "7"]
    """))
    settings = [(s.value, str(s.location), s.source) for s in collect(project).found]
    assert settings == [
        (5, "docker/Dockerfile.api:3", "Dockerfile.api CMD"),
        (3, "docker/web.Dockerfile:2", "web.Dockerfile ENTRYPOINT"),
    ]


def test_dockerfile_web_concurrency(project):
    project.write("Dockerfile", dedent("""
        FROM python:3.12
        RUN pip install gunicorn
        ENV PYTHONUNBUFFERED=1 WEB_CONCURRENCY=4
        CMD gunicorn app:app
    """))
    project.write("legacy/Dockerfile", "FROM python:3.12\nENV WEB_CONCURRENCY 5\nCMD [\"uvicorn\", \"main:app\"]\n")
    project.write("explicit/Dockerfile", "FROM python:3.12\nENV WEB_CONCURRENCY=6\nCMD gunicorn -w 2 app:app\n")
    project.write("node/Dockerfile", "FROM node:20\nENV WEB_CONCURRENCY=8\nCMD [\"node\", \"server.js\"]\n")
    settings = [(s.value, str(s.location), s.source) for s in collect(project).found]
    assert settings == [
        (4, "Dockerfile:3", "Dockerfile ENV WEB_CONCURRENCY"),
        (2, "explicit/Dockerfile:3", "Dockerfile CMD"),
        (5, "legacy/Dockerfile:2", "Dockerfile ENV WEB_CONCURRENCY"),
    ]


def test_dockerfile_from_mysql_image(project):
    project.write("db/Dockerfile", dedent("""
        # escape=`
        FROM mariadb:10.11
        COPY my.cnf /etc/mysql/conf.d/
        CMD ["mariadbd", "--wait_timeout=600", `
             "--max-connections=300"]
    """))
    project.write("app/Dockerfile", "FROM python:3.12\nCMD [\"mysqld\", \"--wait_timeout=5\"]\n")
    assert found(project) == [
        (WAIT_TIMEOUT, 600, "db/Dockerfile:4"),
        (MAX_CONNECTIONS, 300, "db/Dockerfile:5"),
    ]


@pytest.mark.parametrize("content", [
    b"CMD gunicorn -w 4 app:app\n",  # no FROM: not a build stage
    b"FROM python\nCMD [\"gunicorn\", \"-w\", 4]\n",  # not all strings: Docker rejects it
    b"FROM python\nCMD \\\n",
    b"FROM\n",
    bytes(range(256)) * 10,
])
def test_broken_dockerfiles(project, content):
    project.write("Dockerfile", content)
    assert found(project) == []


# --------------------------------------------------------------------------------------------
# SET GLOBAL in SQL files and Python strings
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("statement, expected", [
    ("SET GLOBAL wait_timeout = 600;", [(WAIT_TIMEOUT, 600)]),
    ("set global wait_timeout=600", [(WAIT_TIMEOUT, 600)]),
    ("SET @@GLOBAL.wait_timeout=600;", [(WAIT_TIMEOUT, 600)]),
    ("SET @@global.WAIT_TIMEOUT = 600;", [(WAIT_TIMEOUT, 600)]),
    ("SET @@global . wait_timeout = 600;", [(WAIT_TIMEOUT, 600)]),
    ("SET GLOBAL `wait_timeout` = 600;", [(WAIT_TIMEOUT, 600)]),
    ("SET GLOBAL wait_timeout := 600;", [(WAIT_TIMEOUT, 600)]),
    ("SET GLOBAL wait_timeout = +600;", [(WAIT_TIMEOUT, 600)]),
    ("SET GLOBAL max_connections=500;", [(MAX_CONNECTIONS, 500)]),
    # A scope keyword carries on to the following assignments ...
    ("SET GLOBAL wait_timeout=600, max_connections=500;", [(WAIT_TIMEOUT, 600), (MAX_CONNECTIONS, 500)]),
    ("SET GLOBAL sql_mode='', max_connections=500;", [(MAX_CONNECTIONS, 500)]),
    ("SET @x = CONCAT('a', 'b'), GLOBAL max_connections=500;", [(MAX_CONNECTIONS, 500)]),
    ("SET SESSION wait_timeout=600, GLOBAL max_connections=77;", [(MAX_CONNECTIONS, 77)]),
    ("SET wait_timeout=600, @@global.max_connections=78;", [(MAX_CONNECTIONS, 78)]),
    # ... the @@global. prefix does not.
    ("SET @@global.wait_timeout=601, max_connections=79;", [(WAIT_TIMEOUT, 601)]),
    ("SET GLOBAL wait_timeout=600, SESSION wait_timeout=5, max_connections=80;", [(WAIT_TIMEOUT, 600)]),
    ("/*!40101 SET GLOBAL wait_timeout=611 */;", [(WAIT_TIMEOUT, 611)]),
    ("/*M!100100 SET GLOBAL wait_timeout=612 */;", [(WAIT_TIMEOUT, 612)]),
    ("SET PERSIST wait_timeout=613;", [(WAIT_TIMEOUT, 613)]),
    ("SET PERSIST_ONLY max_connections=614;", [(MAX_CONNECTIONS, 614)]),
    ("SET @@persist.wait_timeout=615;", [(WAIT_TIMEOUT, 615)]),
    # Session scope: does not change what the pool's other connections see.
    ("SET SESSION wait_timeout=600;", []),
    ("SET wait_timeout=600;", []),
    ("SET LOCAL wait_timeout=600;", []),
    ("SET @@wait_timeout=600;", []),
    ("SET @@session.wait_timeout=600;", []),
    ("SET @@local.wait_timeout=600;", []),
    ("SET @wait_timeout=600;", []),  # a user variable
    ("UPDATE settings SET wait_timeout = 600;", []),
    # Not executed.
    ("-- SET GLOBAL wait_timeout=600;", []),
    ("# SET GLOBAL wait_timeout=600;", []),
    ("/* SET GLOBAL wait_timeout=600; */", []),
    ("INSERT INTO notes VALUES ('SET GLOBAL wait_timeout=600;');", []),
    ('INSERT INTO notes VALUES ("SET GLOBAL wait_timeout=600");', []),
    # Rejected by the server: no dashes, suffixes, strings or decimals in SQL.
    ("SET GLOBAL wait-timeout=600;", []),
    ("SET GLOBAL wait_timeout=1K;", []),
    ("SET GLOBAL wait_timeout='600';", []),
    ("SET GLOBAL wait_timeout=600.0;", []),
    ("SET GLOBAL wait_timeout=6e2;", []),
    ("SET GLOBAL wait_timeout=0x10;", []),
    ("SET GLOBAL wait_timeout=DEFAULT;", []),
    # Valid, but an expression: unknown.
    ("SET GLOBAL wait_timeout=10*60;", []),
    ("SET GLOBAL wait_timeout=@t;", []),
    ("SET GLOBAL interactive_timeout=600;", []),
])
def test_set_global_in_sql(project, statement, expected):
    project.write("db/init.sql", f"USE app;\n{statement}\n")
    settings = collect(project).found
    assert [(setting.name, setting.value) for setting in settings] == expected
    assert all(str(setting.location) == "db/init.sql:2" for setting in settings)


def test_sql_lines_and_sources(project):
    project.write("docker-entrypoint-initdb.d/01-tuning.sql", dedent("""
        -- tuning
        CREATE TABLE t (id INT);
        SET GLOBAL
          wait_timeout = 600,
          max_connections = 500;
        SET PERSIST wait_timeout = 900;
    """))
    settings = collect(project).found
    assert [(s.name, s.value, s.location.line, s.source) for s in settings] == [
        (WAIT_TIMEOUT, 600, 4, "SET GLOBAL in 01-tuning.sql"),
        (MAX_CONNECTIONS, 500, 5, "SET GLOBAL in 01-tuning.sql"),
        (WAIT_TIMEOUT, 900, 6, "SET PERSIST in 01-tuning.sql"),
    ]


def test_set_global_in_python_strings(project):
    project.write("app/db.py", dedent('''
        from sqlalchemy import text

        def tune(conn):
            conn.execute(text("SET GLOBAL wait_timeout=600"))
            conn.execute(text('SET @@GLOBAL.max_connections = 500;'))
            conn.execute(text("SELECT '#'; SET GLOBAL wait_timeout=700"))
            # conn.execute(text("SET GLOBAL wait_timeout=1"))
            conn.execute(text("SET SESSION wait_timeout=2"))
            conn.execute(text("SET wait_timeout=3"))
            conn.execute(text(f"SET GLOBAL wait_timeout={seconds}"))
            conn.execute(text("SET GLOBAL wait_timeout=%s" % seconds))
            conn.execute(text("SET GLOBAL wait_timeout = :t"), {"t": 4})

        TUNING = """
            SET GLOBAL max_connections = 800;
            # SET GLOBAL max_connections = 5;
        """
    '''))
    assert found(project) == [
        (WAIT_TIMEOUT, 600, "app/db.py:4"),
        (MAX_CONNECTIONS, 500, "app/db.py:5"),
        (WAIT_TIMEOUT, 700, "app/db.py:6"),
        (MAX_CONNECTIONS, 800, "app/db.py:15"),
    ]
    assert collect(project).found[0].source == "SET GLOBAL in db.py"


def test_only_files_that_can_contribute_are_read(project):
    project.write("README.md", "SET GLOBAL wait_timeout=600\n")
    project.write("notes.txt", "[mysqld]\nwait_timeout=600\n")
    project.write("data.json", '{"wait_timeout": 600}\n')
    project.write("k8s/mysql.yaml", "args: [--wait-timeout=600]\n")
    project.write("app/models.py", "x = 1\n")
    project.write("app/db.py", "q = 'SET GLOBAL wait_timeout=600'\n")
    project.write("schema.sql", "CREATE TABLE t (id INT);\n")
    files = project.files()
    settings = collect_server_settings(files)
    assert [(s.name, s.value) for s in settings.found] == [(WAIT_TIMEOUT, 600)]
    # Python and SQL files are read once, to look for the names; nothing else is opened.
    assert sorted(map(str, files.read_log)) == ["app/db.py", "app/models.py", "schema.sql"]


def test_bytes_prefilter_is_case_insensitive(project):
    project.write("setup.sql", "SET GLOBAL WAIT_TIMEOUT = 300;\n")
    assert found(project) == [(WAIT_TIMEOUT, 300, "setup.sql:1")]


# --------------------------------------------------------------------------------------------
# All sources together
# --------------------------------------------------------------------------------------------


def test_effective_values_are_the_ones_that_bite_first(project):
    project.write("deploy/my.cnf", "[mysqld]\nwait_timeout = 600\nmax_connections = 300\n")
    project.write("docker-compose.yml", compose_db("mysql:8", "--wait-timeout=28800 --max-connections=100"))
    project.write("init.sql", "SET GLOBAL wait_timeout = 900;\n")
    project.write("Procfile", "web: gunicorn -w 4 app:app\n")
    project.write("gunicorn.conf.py", "workers = 9\n")
    settings = collect(project)
    assert [s.value for s in settings.candidates(WAIT_TIMEOUT)] == [600, 28800, 900]
    assert settings.wait_timeout.describe() == "wait_timeout = 600 (deploy/my.cnf:2)"
    assert settings.max_connections.describe() == "max_connections = 100 (docker-compose.yml:4)"
    assert settings.workers.describe() == "workers = 9 (gunicorn.conf.py:1)"


def test_overrides_win(project):
    project.write("my.cnf", "[mysqld]\nwait_timeout = 60\nmax_connections = 50\n")
    project.write("Procfile", "web: gunicorn -w 4 app:app\n")
    config = Location(Path("pyproject.toml"), 12)
    settings = collect(project, ServerOverrides(wait_timeout=7200, workers=2, location=config))
    assert settings.wait_timeout.describe() == "wait_timeout = 7200 (pyproject.toml:12)"
    assert settings.wait_timeout.source == "[tool.poolcheck.database] wait-timeout"
    assert settings.workers.describe() == "workers = 2 (pyproject.toml:12)"
    # Not overridden: still from the files; and the found candidates are all still there.
    assert settings.max_connections.describe() == "max_connections = 50 (my.cnf:3)"
    assert [s.value for s in settings.candidates(WAIT_TIMEOUT)] == [60]


def test_garbage_of_every_kind_never_raises(project):
    garbage = bytes(range(256)) * 50
    for name in ["my.cnf", "docker-compose.yml", "schema.sql", "gunicorn.conf.py", "Procfile",
                 "Dockerfile", "app/wait_timeout_global.py", "conf.d/x.cnf"]:
        project.write(name, garbage + b"wait_timeout max_connections global workers")
    project.write("unreadable.cnf", "[mysqld]\nwait_timeout=1\n").chmod(0)
    settings = collect(project)
    assert all(s.name in (WAIT_TIMEOUT, MAX_CONNECTIONS, WORKERS) for s in settings.found)


@pytest.mark.parametrize("seed", range(20))
def test_readers_do_not_raise_on_random_input(seed):
    # Directly, without collect()'s last-resort guard: each reader must cope on its own.
    import random

    from poolcheck.facts.server.app_servers import read_gunicorn_config
    from poolcheck.facts.server.compose import read_compose_file
    from poolcheck.facts.server.dockerfile import read_dockerfile
    from poolcheck.facts.server.procfile import read_procfile
    from poolcheck.facts.server.sql import read_python_file, read_sql_file

    generator = random.Random(seed)
    alphabet = "[]!#;:=-_'\"`\\/*@,.()\n\t {}&|$<>%0123456789KkMx mysqld wait_timeout max_connections " \
               "GLOBAL SET include gunicorn -w --workers CMD FROM ENTRYPOINT ENV services image command"
    text = "".join(generator.choice(alphabet) for _ in range(2000))
    for reader in (read_compose_file, read_sql_file, read_python_file, read_gunicorn_config,
                   read_procfile, read_dockerfile):
        reader(text, PurePosixPath("x"))
