"""The bundled example project (the README's quick start runs poolcheck on it).

Each mistake planted in ``examples/`` is reported exactly once, at its line, and nothing else
is: the example is the first thing a new user sees, so a finding too many there is as bad as
one too few. ``examples/README.md`` lists the same mistakes; its table is checked too.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

EXPECTED = Counter(
    {
        ("shop/app.py", 10, "PC203"): 1,
        ("shop/app.py", 17, "PC405"): 1,  # opt-in; examples/pyproject.toml selects it
        ("shop/config.py", 8, "PC102"): 1,
        ("shop/config.py", 9, "PC202"): 1,
        ("shop/config.py", 12, "PC201"): 1,
        ("shop/config.py", 13, "PC201"): 1,
        ("shop/config.py", 14, "PC201"): 1,
        ("shop/reporting.py", 10, "PC101"): 1,
        ("shop/reporting.py", 10, "PC106"): 1,
        ("shop/reporting.py", 12, "PC402"): 1,
        ("shop/views.py", 11, "PC401"): 1,
        ("shop/views.py", 24, "PC404"): 1,
        ("worker/maintenance.py", 9, "PC103"): 1,
        ("worker/maintenance.py", 10, "PC104"): 1,
        ("worker/maintenance.py", 10, "PC105"): 1,
        ("worker/maintenance.py", 13, "PC403"): 1,
        ("worker/scheduler.py", 11, "PC102"): 1,
        ("worker/scheduler.py", 14, "PC107"): 1,
        ("worker/scheduler.py", 26, "PC301"): 1,
        ("worker/scheduler.py", 31, "PC101"): 1,
        ("worker/scheduler.py", 31, "PC108"): 1,
    }
)


def run_on_examples(*arguments: str) -> subprocess.CompletedProcess:
    # From the repository root, as the README's quick start does.
    return subprocess.run(
        [sys.executable, "-m", "poolcheck", "check", "examples", *arguments],
        capture_output=True, text=True, cwd=EXAMPLES.parent,
    )  # fmt: skip


def test_every_planted_mistake_is_reported_once_and_nothing_else():
    result = run_on_examples("--format", "json")
    assert result.returncode == 1, result.stderr
    found = Counter(
        (Path(item["filename"]).resolve().relative_to(EXAMPLES).as_posix(), item["location"]["row"], item["code"])
        for item in json.loads(result.stdout)
    )
    assert found == EXPECTED


def test_the_readme_table_lists_what_is_reported():
    rows = re.findall(r"^\| `([^`]+)` \| ([^|]+) \|", (EXAMPLES / "README.md").read_text(), re.MULTILINE)
    listed = Counter()
    for path, rules in rows:
        count = re.search(r"×(\d+)", rules)
        for code in re.findall(r"PC\d{3}", rules):
            listed[(path, code)] += int(count.group(1)) if count else 1
    reported = Counter()
    for (path, _line, code), times in EXPECTED.items():
        reported[(path, code)] += times
    assert listed == reported


def test_no_password_of_the_example_reaches_the_report():
    # reporting.py and scheduler.py carry passwords in their URLs.
    result = run_on_examples()
    for password in ("report-secret", "shop-secret"):
        assert password not in result.stdout + result.stderr
    assert "***" in result.stdout
