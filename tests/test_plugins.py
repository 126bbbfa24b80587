"""A third-party rule package works exactly like the built-in rules: it is discovered
through the same ``poolcheck.rules`` entry-point group, and its findings, selection,
suppression and documentation go through the same machinery."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def plugin_path(tmp_path_factory):
    """A folder on PYTHONPATH holding the package and a dist-info with its entry point, which
    is all importlib.metadata needs to find it (what `pip install` would leave behind)."""
    folder = tmp_path_factory.mktemp("site")
    shutil.copy(HERE / "plugin_example" / "pc_extra_rules.py", folder / "pc_extra_rules.py")
    info = folder / "pc_extra_rules-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: pc-extra-rules\nVersion: 0.1\n", encoding="utf-8")
    (info / "entry_points.txt").write_text("[poolcheck.rules]\nextra = pc_extra_rules\n", encoding="utf-8")
    return folder


def run(plugin_path: Path, cwd: Path, *args: str):
    env = dict(os.environ, PYTHONPATH=str(plugin_path), NO_COLOR="1")
    return subprocess.run([sys.executable, "-m", "poolcheck", *args], capture_output=True, text=True, cwd=cwd, env=env)


@pytest.fixture
def project(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n", encoding="utf-8")
    (tmp_path / "app.py").write_text('from sqlalchemy import create_engine\nengine = create_engine("sqlite://", echo=True)\n', encoding="utf-8")
    return tmp_path


def test_plugin_findings_and_documentation(plugin_path, project):
    result = run(plugin_path, project, "check", "--format", "json")
    assert result.returncode == 1, result.stderr
    (finding,) = [f for f in json.loads(result.stdout) if f["code"] == "XY101"]
    assert finding["name"] == "echo-enabled" and finding["location"] == {"row": 2, "column": 37}
    assert finding["url"] == "https://example.org/xy/XY101"

    listed = json.loads(run(plugin_path, project, "rules", "--format", "json").stdout)
    assert {"code": "XY101", "origin": "pc_extra_rules"}.items() <= next(r for r in listed if r["code"] == "XY101").items()
    page = run(plugin_path, project, "rule", "XY101").stdout
    assert page.startswith("# echo-enabled (XY101)") and "## Why is this bad?" in page


def test_plugin_selection(plugin_path, project):
    assert run(plugin_path, project, "check", "--ignore", "XY").returncode == 0
    assert run(plugin_path, project, "check", "--select", "XY101").returncode == 1
    assert run(plugin_path, project, "check", "--select", "PC001").returncode == 0
    bad = run(plugin_path, project, "check", "--select", "XY9")
    assert bad.returncode == 2 and "unknown rule selector 'XY9'" in bad.stderr


def test_plugin_suppression(plugin_path, project):
    app = project / "app.py"
    app.write_text(app.read_text().replace("echo=True)", "echo=True)  # noqa: XY101"))
    assert run(plugin_path, project, "check").returncode == 0
    unused = run(plugin_path, project, "check", "--extend-select", "PC002", "--ignore", "XY101", "--format", "json")
    # XY101 is not enabled, so its noqa is not judged; PC002 itself knows the XY namespace.
    assert unused.returncode == 0, unused.stdout


def test_plugin_examples_pass_the_same_harness(plugin_path):
    env = dict(os.environ, PYTHONPATH=str(plugin_path))
    code = "from poolcheck.registry import load_rules; from poolcheck.testing import example_failures; r = load_rules(); print(example_failures(r.get('XY101'), r))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert result.stdout.strip() == "[]", result.stderr


def test_a_broken_plugin_does_not_take_the_builtin_rules_down(tmp_path, project):
    (tmp_path / "broken_rules.py").write_text("raise ImportError('missing dependency of the plugin')\n", encoding="utf-8")
    info = tmp_path / "broken_rules-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-rules\nVersion: 0.1\n", encoding="utf-8")
    (info / "entry_points.txt").write_text("[poolcheck.rules]\nbroken = broken_rules\n", encoding="utf-8")
    (project / "bad.py").write_text("from sqlalchemy import create_engine\nif True\n", encoding="utf-8")
    result = run(tmp_path, project, "check", "--select", "PC001,PC101")
    assert result.returncode == 1 and "PC001" in result.stdout
    assert "could not load rule plugin 'broken'" in result.stderr and "Traceback" not in result.stderr
