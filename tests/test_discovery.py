"""Walking a project: .gitignore, default and configured excludes, explicit files, roots."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from poolcheck.config import Settings
from poolcheck.discovery import Walker, collect_targets, find_project_root


def touch(root: Path, *names: str) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x = 1\n", encoding="utf-8")


def files(root: Path, settings: Settings = Settings()):
    return [str(p) for p in Walker(settings).tree(root.resolve()).files]


def test_default_excludes_and_virtualenvs(tmp_path):
    touch(tmp_path, "app.py", ".venv/lib/x.py", "build/x.py", "node_modules/x.py", "__pycache__/x.py", "env/pyvenv.cfg", "env/lib/y.py", ".git/hooks/h.py")
    assert files(tmp_path) == ["app.py"]


def test_gitignore_nested_and_negated(tmp_path):
    touch(tmp_path, "app.py", "gen/out.py", "logs/a.py", "pkg/keep.py", "pkg/skip.py", "pkg/data/z.py")
    (tmp_path / ".gitignore").write_text("gen/\n*.log\nlogs\n", encoding="utf-8")
    (tmp_path / "pkg" / ".gitignore").write_text("skip.py\ndata/\n", encoding="utf-8")
    assert files(tmp_path) == [".gitignore", "app.py", "pkg/.gitignore", "pkg/keep.py"]


def test_configured_excludes(tmp_path):
    touch(tmp_path, "app.py", "migrations/0001.py", "vendor/lib.py")
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    settings = Settings(path=tmp_path / "pyproject.toml", extend_exclude=("migrations", "vendor/*.py"))
    assert files(tmp_path, settings) == ["app.py", "pyproject.toml"]


def test_explicit_files_are_always_checked(tmp_path):
    touch(tmp_path, "build/generated.py")
    (tmp_path / ".git").mkdir()
    targets, errors = collect_targets([tmp_path / "build" / "generated.py"], Walker(Settings()), tmp_path)
    assert [t.relative for t in targets] == [PurePosixPath("build/generated.py")] and not errors


def test_missing_path_is_reported(tmp_path):
    targets, errors = collect_targets([Path("nope.py")], Walker(Settings()), tmp_path)
    assert targets == [] and errors == ["nope.py: no such file or directory"]


def test_symlink_loops_are_not_followed(tmp_path):
    touch(tmp_path, "pkg/a.py")
    os.symlink(tmp_path / "pkg", tmp_path / "pkg" / "loop")
    assert files(tmp_path) == ["pkg/a.py"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_fifos_are_skipped_and_reported_when_named(tmp_path):
    touch(tmp_path, "a.py")
    os.mkfifo(tmp_path / "pipe.py")
    assert files(tmp_path) == ["a.py"]
    _, errors = collect_targets([Path("pipe.py")], Walker(Settings()), tmp_path)
    assert errors == ["pipe.py: not a regular file"]


def test_a_directory_named_like_a_python_file_is_walked(tmp_path):
    touch(tmp_path, "x.py/inner.py")
    targets, errors = collect_targets([Path(".")], Walker(Settings()), tmp_path)
    assert [str(t.relative) for t in targets] == ["x.py/inner.py"] and not errors


def test_project_root_markers(tmp_path):
    touch(tmp_path, "svc/app/db.py")
    (tmp_path / "svc" / "pyproject.toml").write_text("", encoding="utf-8")
    assert find_project_root(tmp_path / "svc" / "app" / "db.py") == (tmp_path / "svc").resolve()


def test_a_named_file_without_a_project_marker_is_a_project_of_its_own_folder_only(tmp_path):
    # A script in $HOME must not make poolcheck walk all of $HOME for project facts.
    touch(tmp_path, "script.py", "db.py", "deep/tree/other.py")
    walker = Walker(Settings())
    targets, errors = collect_targets([Path("script.py")], walker, tmp_path)
    assert errors == [] and [t.relative.as_posix() for t in targets] == ["script.py"]
    assert [str(p) for p in walker.tree(tmp_path.resolve()).files] == ["db.py", "script.py"]


def test_a_named_folder_without_a_project_marker_is_walked_in_full(tmp_path):
    touch(tmp_path, "script.py", "deep/tree/other.py")
    walker = Walker(Settings())
    targets, _ = collect_targets([Path("script.py"), Path(".")], walker, tmp_path)
    assert [t.relative.as_posix() for t in targets] == ["deep/tree/other.py", "script.py"]
    assert "deep/tree/other.py" in [str(p) for p in walker.tree(tmp_path.resolve()).files]


def test_a_named_file_in_a_marked_project_sees_the_whole_project(tmp_path):
    touch(tmp_path, "pkg/script.py", "deep/tree/other.py")
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    walker = Walker(Settings())
    collect_targets([Path("pkg/script.py")], walker, tmp_path)
    assert "deep/tree/other.py" in [str(p) for p in walker.tree(tmp_path.resolve()).files]


def test_the_walk_gives_each_file_as_text_too(tmp_path):
    """ProjectTree.names is str() of each path, in order (one-file runs use it rather than
    turning 1,790 paths back into text)."""
    from poolcheck.config import Settings
    from poolcheck.discovery import ProjectTree, Walker

    for name in ("a.py", "pkg/b.py", "pkg/sub/c.py", "pkg/sub/d.txt", "x y/é.py", ".hidden/e.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x = 1\n")
    tree = Walker(Settings()).tree(tmp_path)
    assert list(tree.names) == [str(path) for path in tree.files] and len(tree.files) >= 5
    assert tree.file_names() is tree.names
    bare = ProjectTree(tree.root, tree.files)  # a tree built without the names
    assert list(bare.file_names()) == list(tree.names)


def test_ignore_verdicts_from_the_patterns_a_path_can_match_are_pathspec_s():
    """A .gitignore's patterns are asked about a path only when it holds the text each
    requires (``_required_text``, read from pathspec's own translation); the verdicts are
    pathspec's, asking every pattern, for random patterns (anchors, `**`, classes,
    negations, folders only, escapes) and random paths of files and folders."""
    import random

    import pathspec

    from poolcheck.discovery import _GlobSet, _required_text

    assert _required_text(r"^(?:.+/)?[^/]*\.py[cod](?:(?P<ps_d>/)|$)") == ".py"
    assert _required_text(r"^a(?:/.+)?/b(?:(?P<ps_d>/)|$)") == "/b"
    assert _required_text(r"^(?:.+/)?\ lead(?:(?P<ps_d>/)|$)") == " lead"
    assert _required_text(r"^ab*c") == "a" and _required_text(r"^(?:a|b)") is None and _required_text(r"^x|y") is None
    rng = random.Random(5)
    names = ["build", "dist", "node_modules", "a", "b.py", "c.txt", "env", ".venv", "x y", "#n", "[z]", "docs", "_build"]
    globs = ["*", "**", "?", "*.py", "*.py[cod]", "[ab]*", "[!a]*", "b?py", "\\#n", "x\\ y", "\\[z]", "*_build"]
    for _ in range(300):
        lines = []
        for _ in range(rng.randint(1, 8)):
            parts = [rng.choice(names + globs) for _ in range(rng.randint(1, 3))]
            line = "/".join(parts)
            if rng.random() < 0.2:
                line = "/" + line
            if rng.random() < 0.2:
                line += "/"
            if rng.random() < 0.2:
                line = "!" + line
            lines.append(line)
        globs_set = _GlobSet(lines)
        spec = pathspec.GitIgnoreSpec.from_lines(lines)
        for _ in range(40):
            path = "/".join(rng.choice(names) for _ in range(rng.randint(1, 4)))
            is_dir = rng.random() < 0.3
            expected = spec.check_file(path + "/" if is_dir else path).include
            assert globs_set.matches(path, is_dir) == expected, (lines, path, is_dir)


_PART = st.sampled_from(["a", "b.py", ".py", "..py", "x.pyc", "my.cnf", ".env", "prod.env", "docker-compose.yml", "c.py.txt", "py", "d.toml", "é.py", ".x.py"])


@given(parts=st.lists(_PART, min_size=1, max_size=4))
def test_is_python_name_is_is_python_file_on_the_walks_text(parts):
    from poolcheck.discovery import is_python_file, is_python_name

    name = "/".join(parts)
    assert is_python_name(name) == is_python_file(PurePosixPath(name))


@given(
    parts=st.lists(st.lists(_PART, min_size=1, max_size=3), max_size=12),
    folder=st.sampled_from([".", "a", "b.py", "a/a"]),
    patterns=st.lists(st.sampled_from(["*.env", ".env", "my.cnf", "docker-compose*.yml", "*.toml", "[!.]*.py", "?.py"]), max_size=3),
)
@example(parts=[["a", ".env"], ["a", "my.cnf"], ["b.py"]], folder=".", patterns=[".env", "my.cnf"])  # a name in a folder
def test_files_under_picks_what_matching_each_path_picks(parts, folder, patterns):
    # The walk's text and one compiled matcher must choose exactly what a test of each path,
    # its suffix and fnmatchcase of its name against every pattern chose.
    from fnmatch import fnmatchcase

    from poolcheck.discovery import ProjectTree, is_python_file, matches_any

    names = sorted({"/".join(p) for p in parts})
    files = tuple(PurePosixPath(n) for n in names)
    tree = ProjectTree(Path("/r"), files, (), (), tuple(names))
    prefix = "" if folder == "." else folder + "/"
    matching = {f for f in files if any(fnmatchcase(f.name, pattern) for pattern in patterns)}
    expected = [f for f in files if (not prefix or str(f).startswith(prefix)) and (is_python_file(f) or f in matching)]
    assert tree.files_under(PurePosixPath(folder), tuple(patterns)) == expected
    assert {f for f in files if matches_any(f.name, patterns)} == matching


@given(parts=st.lists(st.sampled_from(["src", "app", "__init__", "a-b", "é", "x.y", "1st", "m", ".hidden"]), min_size=0, max_size=4))
def test_module_name_of_python_name_is_module_name_for(parts):
    from poolcheck.discovery import is_python_name, module_name_for, module_name_of_python_name

    for last in ("mod.py", "__init__.py", "a.b.py", "é.py"):
        name = "/".join([*parts, last])
        assert is_python_name(name)
        assert module_name_of_python_name(name) == module_name_for(PurePosixPath(name))


@given(parts=st.lists(_PART, min_size=1, max_size=4))
def test_suffix_of_name_is_the_paths_suffix(parts):
    from poolcheck.discovery import suffix_of_name

    name = "/".join(parts)
    assert suffix_of_name(name) == PurePosixPath(name).suffix


def test_walked_paths_are_made_when_asked_for_and_equal_the_paths():
    from poolcheck.discovery import WalkedPaths

    names = ("a.py", "b/c.toml", "b/d.py")
    walked = WalkedPaths(names)
    assert walked[1] == PurePosixPath("b/c.toml") and walked._paths[0] is None
    assert walked == tuple(PurePosixPath(n) for n in names) and list(walked) == [PurePosixPath(n) for n in names]
    assert walked[1:] == (PurePosixPath("b/c.toml"), PurePosixPath("b/d.py")) and len(walked) == 3
    assert walked[1] is walked[1]  # made once
    assert hash(walked) == hash(tuple(PurePosixPath(n) for n in names))
