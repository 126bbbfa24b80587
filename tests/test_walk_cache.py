"""A project's walk kept in the cache (poolcheck.walkcache) is served only while it is what a
fresh walk finds: every change that alters a walk's result is noticed, and a walk whose
folders changed too recently to be judged by their times is not kept."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Dict

import pytest

from poolcheck import walkcache
from poolcheck.cache import Cache
from poolcheck.config import Settings
from poolcheck.discovery import Walker

FILES = {
    "pyproject.toml": "[project]\nname = 'shop'\n",
    ".gitignore": "generated/\n",
    ".git/info/exclude": "# git's own ignore file\n",
    "shop/__init__.py": "",
    "shop/db.py": "engine = None\n",
    "shop/api/views.py": "x = 1\n",
    "generated/out.py": "y = 2\n",
    "env/pyvenv.cfg": "home = /usr\n",
    "env/lib/site.py": "z = 3\n",
    "deploy/my.cnf": "[mysqld]\nwait_timeout = 600\n",
}


def write(root: Path, files: Dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def age(root: Path) -> None:
    """Every file and folder's modification time a minute back: a change made by the test a
    moment later then changes a time, however coarse the file system's clock is."""
    past = time.time() - 60
    for folder, names, files in os.walk(root):
        for name in names + files:
            os.utime(os.path.join(folder, name), (past, past), follow_symlinks=False)
    os.utime(root, (past, past))


@pytest.fixture
def later_clock(monkeypatch):
    """The walk starts ten seconds from now: the folders the test has just made (their change
    times cannot be set back) are old enough to be judged by their times."""
    monkeypatch.setattr(walkcache, "now_ns", lambda: time.time_ns() + 10_000_000_000)


@pytest.fixture
def project(tmp_path, later_clock):
    root = tmp_path / "shop"
    write(root, FILES)
    age(root)
    return root.resolve()


def kept_walk(root: Path, cache_dir: Path, settings: Settings = Settings()):
    """(the tree a walker with the cache gives, whether it walked) and the cache saved."""
    cache = Cache(cache_dir, "configuration")
    walker = Walker(settings, store=cache.walks)
    walked = []
    original = walker._walk
    walker._walk = lambda *args: walked.append(args) or original(*args)  # type: ignore[method-assign]
    tree = walker.tree(root)
    cache.save()
    return tree, bool(walked)


def fresh_walk(root: Path, settings: Settings = Settings()):
    return Walker(settings).tree(root)


def names(tree):
    return list(tree.file_names())


def test_an_unchanged_tree_is_not_walked_again(project, tmp_path):
    first, walked = kept_walk(project, tmp_path / "cache")
    assert walked
    assert "shop/api/views.py" in names(first) and "generated/out.py" not in names(first) and "env/lib/site.py" not in names(first)
    second, walked = kept_walk(project, tmp_path / "cache")
    assert not walked
    assert second == fresh_walk(project)


def _add_nested(root: Path) -> None:
    write(root, {"shop/api/orders.py": "o = 1\n"})


def _remove(root: Path) -> None:
    (root / "shop" / "db.py").unlink()


def _rename_folder(root: Path) -> None:
    (root / "shop" / "api").rename(root / "shop" / "web")


def _edit_gitignore(root: Path) -> None:
    # The file's own times change, not its folder's: an edit in place.
    with open(root / ".gitignore", "a", encoding="utf-8") as handle:
        handle.write("shop/api/\n")


def _unignore(root: Path) -> None:
    with open(root / ".gitignore", "w", encoding="utf-8") as handle:
        handle.write("# nothing\n")


def _info_exclude(root: Path) -> None:
    with open(root / ".git" / "info" / "exclude", "a", encoding="utf-8") as handle:
        handle.write("shop/db.py\n")


def _nested_gitignore(root: Path) -> None:
    write(root, {"shop/api/.gitignore": "views.py\n"})


def _new_virtualenv(root: Path) -> None:
    write(root, {"shop/api/pyvenv.cfg": "home = /usr\n"})


def _virtualenv_no_more(root: Path) -> None:
    (root / "env" / "pyvenv.cfg").unlink()


@pytest.mark.parametrize(
    "change",
    [_add_nested, _remove, _rename_folder, _edit_gitignore, _unignore, _info_exclude, _nested_gitignore, _new_virtualenv, _virtualenv_no_more],
)
def test_a_change_that_alters_the_walk_is_seen(project, tmp_path, change):
    before, _ = kept_walk(project, tmp_path / "cache")
    change(project)
    after, walked = kept_walk(project, tmp_path / "cache")
    assert walked
    assert after == fresh_walk(project)
    assert names(after) != names(before)


def test_a_link_whose_target_goes_is_seen(tmp_path, later_clock):
    # The target lives outside every folder the walk lists: only the link's own watch sees it.
    outside = tmp_path / "outside"
    write(outside, {"real.py": "r = 1\n"})
    root = tmp_path / "shop"
    write(root, {"pyproject.toml": "", "shop/a.py": "a = 1\n"})
    os.symlink(outside / "real.py", root / "shop" / "linked.py")
    age(root)
    root = root.resolve()
    before, _ = kept_walk(root, tmp_path / "cache")
    assert "shop/linked.py" in names(before)
    (outside / "real.py").unlink()
    after, walked = kept_walk(root, tmp_path / "cache")
    assert walked and "shop/linked.py" not in names(after)
    assert after == fresh_walk(root)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads every folder whatever its mode")
def test_a_folder_that_cannot_be_listed_any_more_is_seen(project, tmp_path):
    kept_walk(project, tmp_path / "cache")
    folder = project / "shop" / "api"
    folder.chmod(0)
    try:
        after, walked = kept_walk(project, tmp_path / "cache")
        assert walked and "shop/api" in after.unreadable_dirs
    finally:
        folder.chmod(0o755)


def test_a_folder_made_unlistable_changes_its_status(project):
    # (What the test above relies on, checked where it cannot run as root: a chmod changes a
    # folder's change time, which the walk records.)
    folder = project / "shop" / "api"
    before = walkcache.status_of(str(folder))
    folder.chmod(0o700)
    assert walkcache.status_of(str(folder)) != before


def test_other_excludes_are_another_walk(project, tmp_path):
    kept_walk(project, tmp_path / "cache", Settings(path=project / "pyproject.toml"))
    settings = Settings(path=project / "pyproject.toml", extend_exclude=("shop/api",))
    tree, walked = kept_walk(project, tmp_path / "cache", settings)
    assert walked and "shop/api/views.py" not in names(tree)
    assert tree == fresh_walk(project, settings)


def test_a_walk_of_folders_changed_a_moment_ago_is_not_kept(tmp_path):
    # The real clock: the folders were made just now, within the racy window, so a change in
    # the same clock tick could leave their times as they are.
    root = tmp_path / "shop"
    write(root, FILES)
    kept_walk(root.resolve(), tmp_path / "cache")
    assert not list((tmp_path / "cache").glob("v*/walk-*.json"))
    _, walked = kept_walk(root.resolve(), tmp_path / "cache")
    assert walked


def test_a_damaged_walk_file_is_walked_again(project, tmp_path):
    kept_walk(project, tmp_path / "cache")
    [kept] = (tmp_path / "cache").glob("v*/walk-*.json")
    import json

    good = json.loads(kept.read_text(encoding="utf-8"))
    for damage in ([[1]], [[1, "s", None]], [["/", "x", None]], 7):
        kept.write_text(json.dumps({**good, "watches": damage}), encoding="utf-8")
        tree, walked = kept_walk(project, tmp_path / "cache")
        assert walked and tree == fresh_walk(project)
        kept.write_text(json.dumps(good), encoding="utf-8")
    kept.write_text("[not json", encoding="utf-8")
    tree, walked = kept_walk(project, tmp_path / "cache")
    assert walked and tree == fresh_walk(project)


def test_a_file_added_after_a_kept_walk_is_checked_with_the_project(tmp_path, later_clock):
    # End to end, as pre-commit runs it: one file named, the project's facts from its walk.
    # A module added next to the session factory's is part of the project at once.
    from poolcheck.cli import main

    root = tmp_path / "shop"
    write(
        root,
        {
            "pyproject.toml": "[project]\nname = 'shop'\n",
            "shop/__init__.py": "",
            "shop/db.py": "from sqlalchemy.orm import sessionmaker\n\nSessionLocal = sessionmaker()\n",
            "shop/views.py": "from shop.db import SessionLocal\n\n\ndef orders():\n    return SessionLocal().execute('SELECT 1')\n",
        },
    )
    age(root)
    cache = str(tmp_path / "cache")
    assert main(["check", "--cache-dir", cache, "--output-format", "concise", str(root / "shop" / "views.py")]) == 1
    assert list((tmp_path / "cache").glob("v*/walk-*.json"))
    # The factory moves to a new module; db.py re-exports nothing. Only the walk finds it.
    write(root, {"shop/sessions.py": "from sqlalchemy.orm import sessionmaker\n\nMakeSession = sessionmaker()\n"})
    write(root, {"shop/views.py": "from shop.sessions import MakeSession\n\n\ndef orders():\n    return MakeSession().execute('SELECT 1')\n"})
    with_cache = main(["check", "--cache-dir", cache, "--output-format", "concise", str(root / "shop" / "views.py")])
    assert with_cache == main(["check", "--no-cache", "--output-format", "concise", str(root / "shop" / "views.py")]) == 1
