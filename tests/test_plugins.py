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


# --- the saved index of entry points (one-file runs skip importlib.metadata) -------------------

INDEX_PROBE = """
import sys
from poolcheck.cli import main
main(sys.argv[1:])
print()
print("metadata imported:", "importlib.metadata" in sys.modules)
"""


def probe(site: Path, cwd: Path, *args: str, **environ: str):
    """(codes found, whether importlib.metadata was imported) of `check --format json`, with
    the user's cache folder next to ``site``."""
    env = dict(os.environ, PYTHONPATH=str(site), NO_COLOR="1", XDG_CACHE_HOME=str(site.parent / "user-cache"), **environ)
    done = subprocess.run([sys.executable, "-c", INDEX_PROBE, "check", "--format", "json", *args], capture_output=True, text=True, cwd=cwd, env=env)
    report, _, last = done.stdout.rstrip().rpartition("\n")
    assert last.startswith("metadata imported:"), done.stdout + done.stderr
    return sorted({f["code"] for f in json.loads(report)}), last.endswith("True")


def install(site: Path, name: str, module: str) -> Path:
    shutil.copy(HERE / "plugin_example" / "pc_extra_rules.py", site / f"{module}.py")
    info = site / f"{name}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[poolcheck.rules]\nextra = {module}\n", encoding="utf-8")
    return info


def test_the_saved_rule_index_follows_installs_and_removals(tmp_path, project):
    site = tmp_path / "site"
    site.mkdir()
    codes, imported = probe(site, project, "app.py")
    assert "XY101" not in codes and imported
    assert len(list((tmp_path / "user-cache" / "poolcheck" / "v1").glob("rules-*.json"))) == 1
    assert probe(site, project, "app.py")[1] is False  # the index answered
    # It is kept per installation, not per project: --no-cache runs use it too.
    assert probe(site, project, "--no-cache", "app.py")[1] is False

    info = install(site, "pc-extra-rules", "pc_extra_rules")  # a plugin installed since
    codes, imported = probe(site, project, "app.py")
    assert "XY101" in codes and imported
    codes, imported = probe(site, project, "app.py")
    assert "XY101" in codes and not imported  # loaded through the index

    # Its entry point rewritten in place (a reinstall pointing elsewhere), then removed.
    shutil.copy(site / "pc_extra_rules.py", site / "pc_other_rules.py")
    (site / "pc_extra_rules.py").unlink()
    (info / "entry_points.txt").write_text("[poolcheck.rules]\nextra = pc_other_rules\n", encoding="utf-8")
    codes, imported = probe(site, project, "app.py")
    assert "XY101" in codes and imported
    shutil.rmtree(info)
    codes, imported = probe(site, project, "app.py")
    assert "XY101" not in codes and imported
    assert probe(site, project, "app.py")[1] is False
    # POOLCHECK_RULE_INDEX=0: neither read nor written.
    assert probe(site, project, "app.py", POOLCHECK_RULE_INDEX="0")[1] is True
