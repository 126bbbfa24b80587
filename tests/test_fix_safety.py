"""`--fix` never loses data: atomic writes under SIGKILL, links, read-only files, encodings,
files changed while the run was fixing them, and temporary files a killed run leaves."""

from __future__ import annotations

import os
import random
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from poolcheck.cli import main
from poolcheck.fixes import TEMPORARY_SUFFIX, FileChanged, write_atomically
from poolcheck.source import read_source

# PC101's (unsafe) fix adds pool_pre_ping=True.
FIXABLE = 'from sqlalchemy import create_engine\nengine = create_engine("mysql+pymysql://app@db/app")\n'
FIXED = 'from sqlalchemy import create_engine\nengine = create_engine("mysql+pymysql://app@db/app", pool_pre_ping=True)\n'

# The shapes a file may have, each as (old bytes, new bytes): the fix must keep all of them.
VARIANTS = {
    "lf": (FIXABLE.encode(), FIXED.encode()),
    "crlf": (FIXABLE.replace("\n", "\r\n").encode(), FIXED.replace("\n", "\r\n").encode()),
    "bom": (b"\xef\xbb\xbf" + FIXABLE.encode(), b"\xef\xbb\xbf" + FIXED.encode()),
    "latin1": (
        ("# -*- coding: latin-1 -*-\n# caf\xe9\n" + FIXABLE).encode("latin-1"),
        ("# -*- coding: latin-1 -*-\n# caf\xe9\n" + FIXED).encode("latin-1"),
    ),
}


def temporaries(folder: Path):
    return sorted(p.name for p in folder.rglob(f"*{TEMPORARY_SUFFIX}"))


def fix_command(folder: Path):
    return [sys.executable, "-m", "poolcheck", "check", "--fix", "--unsafe-fixes", "--no-color", str(folder)]


def test_every_variant_is_fixed_in_its_own_shape(tmp_path):
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    for name, (old, _) in VARIANTS.items():
        (tmp_path / f"{name}.py").write_bytes(old)
    os.chmod(tmp_path / "lf.py", 0o600)
    os.chmod(tmp_path / "crlf.py", 0o755)
    assert main(["check", "--fix", "--unsafe-fixes", str(tmp_path)]) == 0
    for name, (_, new) in VARIANTS.items():
        assert (tmp_path / f"{name}.py").read_bytes() == new, name
    assert stat.S_IMODE(os.stat(tmp_path / "lf.py").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "crlf.py").st_mode) == 0o755
    assert temporaries(tmp_path) == []


def test_a_fixing_run_killed_at_any_moment_leaves_every_file_old_or_new(tmp_path):
    """200 files fixed by a subprocess SIGKILLed at random moments of its run: each file is
    always byte-identical to its old or its new version, and a last full run fixes the rest
    and leaves no temporary file behind.

    The moments are fractions of how long a whole run takes on this machine (measured on a
    copy first): fixed delays ended up after the run on a fast machine, and the test then
    proved nothing. Every round starts from the old files, so each run is a whole one."""
    project = tmp_path / "project"
    expected = {}
    names = list(VARIANTS)
    for folder in (project, tmp_path / "timing"):
        (folder / "pkg").mkdir(parents=True)
        (folder / "pyproject.toml").write_text("", encoding="utf-8")
        for i in range(200):
            old, new = VARIANTS[names[i % len(names)]]
            (folder / "pkg" / f"m{i:03}.py").write_bytes(old)
            if folder == project:
                expected[folder / "pkg" / f"m{i:03}.py"] = (old, new)
    started = time.perf_counter()
    subprocess.run(fix_command(tmp_path / "timing"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
    whole_run = time.perf_counter() - started

    def states():
        counts = {"old": 0, "new": 0}
        for path, (old, new) in expected.items():
            data = path.read_bytes()
            assert data in (old, new), f"{path.name} is neither the old nor the new version: {data!r}"
            counts["old" if data == old else "new"] += 1
        return counts

    rng = random.Random(8)
    kills = 0
    halfway = 0  # kills that left some files fixed and others not: during the writing
    for _ in range(7):
        for path, (old, _) in expected.items():
            path.write_bytes(old)
        process = subprocess.Popen(fix_command(project), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(whole_run * rng.uniform(0.3, 0.95))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait()
        counts = states()  # never partial, after any kill
        halfway += bool(counts["old"] and counts["new"])
        # A temporary file a kill left is never mistaken for a source file.
        assert all(name.endswith(TEMPORARY_SUFFIX) and name.startswith(".") for name in temporaries(project))
    assert kills >= 3 and halfway >= 1, f"{kills} kills, {halfway} while writing: the test proves nothing"
    finished = subprocess.run(fix_command(project), capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert "Traceback" not in finished.stderr
    assert states() == {"old": 0, "new": 200}
    assert temporaries(project) == []


def test_a_leftover_temporary_file_is_ignored_and_then_removed(tmp_path):
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    (tmp_path / "a.py").write_text(FIXABLE, encoding="utf-8")
    leftover = tmp_path / f".a.py.k1ll3d_x{TEMPORARY_SUFFIX}"
    leftover.write_bytes(FIXABLE.encode()[:40])  # a killed run's half-written temporary file
    other = tmp_path / f".a.py.bak.abcdefgh{TEMPORARY_SUFFIX}"  # another file's: not ours
    other.write_bytes(b"x")
    assert main(["check", "--select", "ALL", str(tmp_path)]) == 1  # PC101 on a.py only, no PC001
    assert main(["check", "--fix", "--unsafe-fixes", str(tmp_path)]) == 0
    assert (tmp_path / "a.py").read_text(encoding="utf-8") == FIXED
    assert temporaries(tmp_path) == [other.name]


def test_a_symbolic_link_stays_a_link_and_its_target_is_fixed(tmp_path):
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    real = tmp_path / "real"
    real.mkdir()
    (real / "db.py").write_text(FIXABLE, encoding="utf-8")
    link = tmp_path / "db_link.py"
    link.symlink_to(real / "db.py")
    source = read_source(link)
    write_atomically(link, source, FIXED)
    assert link.is_symlink() and os.readlink(link) == str(real / "db.py")
    assert (real / "db.py").read_text(encoding="utf-8") == FIXED
    assert temporaries(tmp_path) == []


def test_a_read_only_file_is_not_fixed(tmp_path, capsys):
    # Renaming over it would work (and root may write anything): still not ours to change.
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    path = tmp_path / "a.py"
    path.write_text(FIXABLE, encoding="utf-8")
    os.chmod(path, 0o444)
    try:
        assert main(["check", "--fix", "--unsafe-fixes", str(tmp_path)]) == 2
        err = capsys.readouterr().err
        assert "a.py: cannot write the fixed file: Permission denied (the file is read-only)" in err
        assert path.read_text(encoding="utf-8") == FIXABLE
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o444
        assert temporaries(tmp_path) == [] and "Traceback" not in err
    finally:
        os.chmod(path, 0o644)


def test_a_fix_the_file_encoding_cannot_hold_is_an_error_not_a_crash(tmp_path):
    path = tmp_path / "a.py"
    path.write_bytes(b"# -*- coding: latin-1 -*-\nx = 1\n")
    source = read_source(path)
    with pytest.raises(OSError, match="iso-8859-1 cannot encode"):
        write_atomically(path, source, "# -*- coding: latin-1 -*-\nx = '\u20ac'\n")
    assert path.read_bytes() == b"# -*- coding: latin-1 -*-\nx = 1\n"
    assert temporaries(tmp_path) == []


def test_a_file_saved_while_the_temporary_file_was_written_wins(tmp_path, monkeypatch):
    path = tmp_path / "a.py"
    path.write_text("x = 1\n", encoding="utf-8")
    source = read_source(path)
    real_fsync = os.fsync

    def editor_saves(fd):
        real_fsync(fd)
        path.write_text("x = 'the editor'\n", encoding="utf-8")

    monkeypatch.setattr(os, "fsync", editor_saves)
    with pytest.raises(FileChanged):
        write_atomically(path, source, "x = 2\n")
    monkeypatch.undo()
    assert path.read_text(encoding="utf-8") == "x = 'the editor'\n"
    assert temporaries(tmp_path) == []


def test_a_file_changed_during_the_run_is_skipped_with_a_warning(tmp_path, monkeypatch, capsys):
    """The documented behaviour: a one-line warning, the file left as the other writer saved
    it, its findings reported as read (so the exit code is 1, not 0: nothing was fixed)."""
    import poolcheck.fixes as fixes

    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    path = tmp_path / "a.py"
    path.write_text(FIXABLE, encoding="utf-8")
    edited = FIXABLE + "# saved by the editor meanwhile\n"
    real_still_valid = fixes.still_valid

    def editor_saves_meanwhile(text, name, is_python):
        path.write_text(edited, encoding="utf-8")
        return real_still_valid(text, name, is_python)

    monkeypatch.setattr(fixes, "still_valid", editor_saves_meanwhile)
    assert main(["check", "--fix", "--unsafe-fixes", "--no-color", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert "poolcheck: warning: " in err and "a.py: not fixed: it changed on disk since it was read" in err
    assert len(err.strip().splitlines()) == 1
    assert "PC101" in out
    assert path.read_text(encoding="utf-8") == edited
    assert temporaries(tmp_path) == []
