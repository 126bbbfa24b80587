"""The option-file and command-line readers against the real server's own reading.

``mariadbd --defaults-file=X --verbose --help`` prints the values the server would run with,
without starting it; a value it refuses makes it exit non-zero. Each case is read both ways
and must agree: where the server runs with a value, poolcheck finds that value (and, for
groups every server reads, only that value); where it refuses or ignores the setting,
poolcheck finds nothing.

Marked ``database``: skipped where no mariadbd binary is installed, unless
POOLCHECK_REQUIRE_DATABASES=1 makes that a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import pytest

from poolcheck.facts.server import (
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_WAIT_TIMEOUT,
    MAX_CONNECTIONS,
    WAIT_TIMEOUT,
    collect_server_settings,
)

pytestmark = pytest.mark.database

_VARIABLES = {"wait-timeout": WAIT_TIMEOUT, "max-connections": MAX_CONNECTIONS}
_DEFAULTS = {WAIT_TIMEOUT: DEFAULT_WAIT_TIMEOUT, MAX_CONNECTIONS: DEFAULT_MAX_CONNECTIONS}


def _mariadbd() -> str:
    for candidate in (shutil.which("mariadbd"), "/usr/sbin/mariadbd", "/usr/sbin/mysqld"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    if os.environ.get("POOLCHECK_REQUIRE_DATABASES") == "1":
        pytest.fail("POOLCHECK_REQUIRE_DATABASES=1 but no mariadbd binary is installed")
    pytest.skip("no mariadbd binary installed")


def server_reading(arguments: Sequence[str], cwd: Path) -> Optional[Dict[str, int]]:
    """What mariadbd runs with, or None when it refuses the options."""
    result = subprocess.run(
        [_mariadbd(), *arguments, "--verbose", "--help"],
        cwd=cwd, capture_output=True, text=True, timeout=60,
    )
    if result.returncode != 0:
        return None
    values = {}
    for line in result.stdout.splitlines():
        match = re.match(r"(wait-timeout|max-connections)\s+(\d+)$", line)
        if match:
            values[_VARIABLES[match.group(1)]] = int(match.group(2))
    assert set(values) == {WAIT_TIMEOUT, MAX_CONNECTIONS}, result.stdout[-2000:]
    return values


def assert_agree(project, start: str, server: Optional[Dict[str, int]], only_value: bool = True) -> None:
    settings = collect_server_settings(project.files())
    for name in (WAIT_TIMEOUT, MAX_CONNECTIONS):
        ours = [setting.value for setting in settings.candidates(name)]
        if server is None or server[name] == _DEFAULTS[name]:
            # Refused, or not set: the cases never set a value equal to the default.
            assert ours == [], (start, name, ours)
        elif only_value:
            assert ours == [server[name]], (start, name, ours, server)
        else:
            assert server[name] in ours, (start, name, ours, server)


OPTION_FILES: List[str] = [
    "[mysqld]\nwait_timeout = 600 # comment\n",
    "[mysqld]\nwait_timeout = 600 ; not a comment\n",
    "[mysqld]\nwait_timeout = 600#comment\n",
    "[mysqld]\nwait_timeout = 2k\nmax_connections = 1K\n",
    "[mysqld]\nwait_timeout = 1KB\n",
    "[mysqld]\nwait_timeout = 1x\n",
    "[mysqld]\nwait_timeout = abc\n",
    "[mysqld]\nwait_timeout = -5\n",
    "[mysqld]\nwait_timeout = +600\n",
    "[mysqld]\nwait-timeout = \"600\"\n",
    "[mysqld]\nwait_timeout = ' 600'\n",
    "[MYSQLD]\nWAIT_TIMEOUT=600\n",
    "[ mysqld ]\nwait_timeout=600\n",
    "[mysqld ]\nwait_timeout=600\n",
    "[mysqld] # comment\nwait_timeout=600\n",
    "[client]\nwait_timeout=600\n",
    "[mysqld_safe]\nwait_timeout=600\n",
    "[mariadb]\nmax_connections=77\n",
    "[server]\nmax_connections=78\n",
    "[galera]\nmax_connections=79\n",
    "[client-server]\nmax_connections=80\n",
    "[mariadbd]\nmax_connections=81\n",
    "[mysqld]\nloose-max-connections=82\n",
    "[mysqld]\nmaximum-wait-timeout=600\n",
    "[mysqld]\nwait_timeout=600\nwait_timeout=700\n",
    "[mysqld]\nwait_timeout=600\nwait_timeout=7x\n",
    "[mysqld]\nwait_timeout=600\n[mysqld]\nmax_connections=20\n",
    "[mysqld]\n# wait_timeout=1\n;wait_timeout=2\n   # wait_timeout=3\nwait_timeout=600\n",
    "[mysqld]\ninteractive_timeout=600\n",
    # A line starting with NUL is empty to the server. (Other junk is an unknown option, which
    # makes the server refuse the whole file; poolcheck does not know every option, so it
    # keeps reading the lines it does know.)
    "[mysqld]\nwait_timeout=600\n\x00\x01\x7f garbage\nmax_connections=44\n",
]


@pytest.mark.parametrize("content", OPTION_FILES)
def test_option_file_read_as_the_server_reads_it(project, content):
    cnf = project.write("my.cnf", content)
    assert_agree(project, content, server_reading([f"--defaults-file={cnf}"], project.root))


def test_includedir_order_and_extension(project):
    main = project.write("my.cnf", "[mysqld]\nwait_timeout=600\n!includedir conf.d\n")
    project.write("conf.d/b.cnf", "[mysqld]\nwait_timeout=222\n")
    project.write("conf.d/a.cnf", "[mysqld]\nwait_timeout=333\nmax_connections=66\n")
    project.write("conf.d/c.ini", "[mysqld]\nwait_timeout=444\n")
    project.write("conf.d/d.conf", "[mysqld]\nmax_connections=55\n")
    # mariadbd resolves a relative directive against its working directory: run it from the
    # including file's directory, which is how poolcheck resolves it.
    assert_agree(project, "includedir", server_reading([f"--defaults-file={main}"], main.parent))


def test_include_then_override_and_group_after_include(project):
    main = project.write("my.cnf", "[mysqld]\n!include tuning.conf\nwait_timeout=700\n"
                                   "[client]\n!include more.conf\nmax_connections=5\n")
    project.write("tuning.conf", "[mysqld]\nwait_timeout=60\nmax_connections=90\n")
    project.write("more.conf", "[mariadb]\nmax_connections=91\n")
    # MariaDB runs with [mariadb] 91; a MySQL server would not read that group and run with 90,
    # so both stay candidates.
    assert_agree(project, "include", server_reading([f"--defaults-file={main}"], main.parent), only_value=False)
    assert [s.value for s in collect_server_settings(project.files()).candidates(MAX_CONNECTIONS)] == [91, 90]


def test_include_directive_with_a_trailing_comment_reads_nothing(project):
    main = project.write("my.cnf", "[mysqld]\n!include extra.conf # comment\n")
    project.write("extra.conf", "[mysqld]\nwait_timeout=600\n")
    assert_agree(project, "include comment", server_reading([f"--defaults-file={main}"], main.parent))


def test_include_loop(project):
    first = project.write("a.cnf", "[mysqld]\nwait_timeout=5\n!include b.cnf\n")
    project.write("b.cnf", "[mysqld]\nmax_connections=50\n!include a.cnf\n")
    assert_agree(project, "loop", server_reading([f"--defaults-file={first}"], first.parent))


@pytest.mark.parametrize("command", [
    ["--wait_timeout", "700"],
    ["--wait-timeout=1M"],
    ["--wait_timeout=600", "--wait_timeout=900"],
    ["--wait_timeout=600", "--wait_timeout=9x"],
    ["--loose-max-connections", "300"],
    ["--max_connections=1k"],
    ["--wait-timeout=10s"],
    ["--max-connections=0x10"],
])
def test_command_line_read_as_the_server_reads_it(project, command):
    # The same arguments as a compose command (the image's entrypoint prepends mariadbd).
    quoted = ", ".join(f'"{argument}"' for argument in command)
    project.write("compose.yaml", f"services:\n  db:\n    image: mariadb:10.11\n    command: [{quoted}]\n")
    assert_agree(project, str(command), server_reading(["--no-defaults", *command], project.root))
