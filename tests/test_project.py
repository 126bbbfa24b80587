"""The project a run shares between files: parses reused, facts forgotten when content changes."""

from __future__ import annotations

from pathlib import PurePosixPath


def test_the_runner_reuses_a_parse_made_of_the_same_bytes(make_project):
    project = make_project({"app.py": "x = 1\n"})
    parsed = project.parsed(PurePosixPath("app.py"))
    assert project.parsed_as_read(PurePosixPath("app.py"), b"x = 1\n") is parsed
    assert project.parsed_as_read(PurePosixPath("app.py"), b"x = 2\n") is None


def test_an_overlay_forgets_the_parse_and_the_facts(make_project):
    project = make_project({"app.py": "x = 1\n"})
    before = project.parsed(PurePosixPath("app.py"))
    project.fact("answer", lambda p: "computed from x = 1")
    project.set_overlay(PurePosixPath("app.py"), b"x = 2\n")
    assert project.read_bytes(PurePosixPath("app.py")) == b"x = 2\n"
    after = project.parsed(PurePosixPath("app.py"))
    assert after is not before and after.source.text == "x = 2\n"
    assert project.fact("answer", lambda p: "recomputed") == "recomputed"
    project.set_overlay(PurePosixPath("app.py"), None)
    assert project.read_bytes(PurePosixPath("app.py")) == b"x = 1\n"


def test_an_overlay_forgets_the_whole_parse_too(make_project):
    # A fix rewrites a file (an overlay) and the project's facts are computed again: a rule
    # reading the whole file (a definition its pruned parse left out) must see the new text.
    project = make_project({"app.py": "from sqlalchemy import create_engine\nengine = create_engine('sqlite://')\n\n\ndef helper():\n    return 1\n"}, keep_tokens=("create_engine",))
    path = PurePosixPath("app.py")
    assert "helper" in project.parsed(path).pruned_names
    assert "return 1" in project.unpruned(path).module.code
    project.set_overlay(path, b"from sqlalchemy import create_engine\nengine = create_engine('sqlite://')\n\n\ndef helper():\n    return 2\n")
    assert "return 2" in project.unpruned(path).module.code


def test_engine_site_tokens_include_sources_registered_later():
    from poolcheck.site_sources import ENGINE_SITE_FACT_TOKENS, ENGINE_SITE_TOKENS, register_site_source, unregister_site_source

    def source(ctx):
        return []

    assert b"MY_ENGINE_KEY" not in ENGINE_SITE_TOKENS and b"MY_FACT" not in ENGINE_SITE_FACT_TOKENS
    len(ENGINE_SITE_TOKENS)  # (read once before: what was read is not kept past a registration)
    register_site_source(source, tokens=(b"MY_ENGINE_KEY",), fact_tokens=(b"MY_FACT",))
    try:
        assert b"MY_ENGINE_KEY" in ENGINE_SITE_TOKENS and b"create_engine" in ENGINE_SITE_TOKENS
        assert any(t in b"x = MY_ENGINE_KEY" for t in ENGINE_SITE_TOKENS)
        assert b"MY_FACT" in ENGINE_SITE_FACT_TOKENS
    finally:
        unregister_site_source(source)
    assert b"MY_ENGINE_KEY" not in ENGINE_SITE_TOKENS and b"MY_FACT" not in ENGINE_SITE_FACT_TOKENS


def test_token_presence_from_the_cache_stores_equals_reading_the_files(tmp_path, monkeypatch):
    """``index_tokens`` takes unchanged files' tokens from the file stamps and the token
    store in one loop: the same answer as reading every file, including for files changed,
    added or grown since the stores were written."""
    from poolcheck.cache import FileStamps, TokenStore
    from poolcheck.config import Settings
    from poolcheck.discovery import Walker
    from poolcheck.project import Project

    monkeypatch.setattr(FileStamps, "_RACY_NS", 0)  # trust stamps at once (no 2 s wait)
    root = tmp_path.resolve()
    (root / "pyproject.toml").write_text("")
    files = {f"pkg/m{i}.py": ("from sqlalchemy.orm import sessionmaker\n" if i % 3 == 0 else "") + ("Session()\n" if i % 4 == 0 else "x = 1\n") for i in range(30)}
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    tokens = (b"sessionmaker", b"Session", b"create_engine")

    def project(stores: bool) -> Project:
        settings = Settings()
        kwargs = {}
        if stores:
            kwargs = {"file_stamps": FileStamps(tmp_path / "stamps.json"), "token_store": TokenStore(tmp_path / "tokens.json")}
        return Project(root, Walker(settings).tree(root), settings, prefilter_tokens=(b"create_engine", b".connect("), **kwargs)

    def answer(p: Project):
        return {token: p.files_containing((token,)) for token in tokens}

    first = project(True)
    assert answer(first) == answer(project(False))
    first.file_stamps.write()
    first.token_store.write()
    (root / "pkg/m1.py").write_text("from sqlalchemy import create_engine\n")  # changed
    (root / "pkg/m3.py").write_text("y = 2\n")  # lost its tokens
    (root / "pkg/new.py").write_text("Session()\n")  # added
    served = project(True)
    assert answer(served) == answer(project(False))
    assert PurePosixPath("pkg/m1.py") in served.files_containing((b"create_engine",))
    assert PurePosixPath("pkg/m0.py") in served._stamped  # unchanged files came from the stores


def test_token_presence_from_worker_processes_equals_reading_the_files(tmp_path):
    """A run without a cache has a large tree searched by worker processes (bulkscan): for
    every question (fixed tokens, any-case ones, asked one after another), the same files as
    this process's own search, with an unreadable file, an editor's buffer and a file
    already read here."""
    from poolcheck.bulkscan import BulkScanner
    from poolcheck.config import Settings
    from poolcheck.discovery import Walker
    from poolcheck.project import Project
    from poolcheck.tokenscan import NoCase

    root = tmp_path.resolve()
    (root / "pyproject.toml").write_text("")
    for i in range(40):
        text = ("from sqlalchemy.orm import sessionmaker\n" if i % 3 == 0 else "") + ("Session()\n" if i % 4 == 0 else "x = 1\n")
        text += "cursor.execute('SET SESSION WAIT_TIMEOUT=5')\n" if i % 7 == 0 else ""
        (root / f"pkg/m{i}.py").parent.mkdir(parents=True, exist_ok=True)
        (root / f"pkg/m{i}.py").write_text(text)
    unreadable = root / "pkg/m5.py"
    unreadable.write_text("Session()\n")
    unreadable.chmod(0)
    questions = [(b"sessionmaker", b"Session"), (b"create_engine",), (NoCase(b"wait_timeout"),), (b"m8",)]

    class Counted(BulkScanner):
        answered = 0

        def scan(self, names, tokens):
            found = super().scan(names, tokens)
            self.answered += found is not None
            return found

    def answers(workers: bool):
        settings = Settings()
        scanner = Counted(str(root), 2, minimum=1) if workers else None
        project = Project(root, Walker(settings).tree(root), settings, prefilter_tokens=(b"create_engine", b".connect("), bulk_scanner=scanner)
        project.set_overlay(PurePosixPath("pkg/m1.py"), b"sessionmaker()\n")
        project.read_bytes(PurePosixPath("pkg/m2.py"))
        try:
            return [project.files_containing(tokens) for tokens in questions], scanner
        finally:
            if scanner is not None:
                scanner.close()

    try:
        searched, scanner = answers(True)
        assert searched == answers(False)[0]
        # Each question went to the workers, but the second: create_engine is a prefilter
        # token, searched for with the first question.
        assert scanner.answered == len(questions) - 1
    finally:
        unreadable.chmod(0o644)
    assert PurePosixPath("pkg/m1.py") in searched[0] and PurePosixPath("pkg/m14.py") in searched[2]


def test_without_processes_to_fork_the_tree_is_searched_here(tmp_path, monkeypatch):
    """A pool that cannot start (a limit on processes) costs the speed, not the run."""
    import multiprocessing

    from poolcheck.bulkscan import BulkScanner
    from poolcheck.config import Settings
    from poolcheck.discovery import Walker
    from poolcheck.project import Project

    root = tmp_path.resolve()
    for i in range(5):
        (root / f"m{i}.py").write_text("Session()\n" if i % 2 else "x = 1\n")

    def no_fork(self, *args, **kwargs):
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(type(multiprocessing.get_context("fork")), "Pool", no_fork)
    scanner = BulkScanner(str(root), 2, minimum=1)
    project = Project(root, Walker(Settings()).tree(root), Settings(), bulk_scanner=scanner)
    assert [str(p) for p in project.files_containing((b"Session",))] == ["m1.py", "m3.py"]
    assert scanner.scan(["m1.py"], frozenset({b"Session"})) is None  # and it does not try again


def test_summaries_made_by_worker_processes_are_this_processes(tmp_path):
    """The name scan's files are parsed and summarized by the bulk search's processes in a
    run without a cache (``Project.prefetch_summaries``): the same summaries as computed
    here, served without computing them again, with each file's outline for pruning; not
    asked when those processes are not running (a small tree) or there is a cache."""
    import ast

    from poolcheck.bulkscan import BulkScanner
    from poolcheck.config import Settings
    from poolcheck.discovery import Walker
    from poolcheck.lifecycle.tokens import _summarize
    from poolcheck.outline import outline_of
    from poolcheck.project import Project

    root = tmp_path.resolve()
    (root / "pyproject.toml").write_text("")
    for i in range(6):
        (root / f"m{i}.py").write_text(f"from sqlalchemy.orm import sessionmaker\nSession{i} = sessionmaker()\n\ndef get():\n    return Session{i}()\n")
    (root / "broken.py").write_text("sessionmaker(\n")
    paths = [PurePosixPath(f"m{i}.py") for i in range(6)] + [PurePosixPath("broken.py")]
    settings = Settings()

    def refuse(data):
        raise AssertionError("computed again here")

    idle = BulkScanner(str(root), 2, minimum=1)
    assert not Project(root, Walker(settings).tree(root), settings, bulk_scanner=idle).prefetch_summaries("kind", _summarize, paths)
    scanner = BulkScanner(str(root), 2, minimum=1)
    waited = []
    try:
        project = Project(root, Walker(settings).tree(root), settings, bulk_scanner=scanner)
        project.while_summarizing = waited.append  # (the runner imports the parser)
        project.files_containing((b"sessionmaker",))  # the first question starts the processes
        assert waited == []
        assert project.prefetch_summaries("kind", _summarize, paths)
        assert project.prefetch_summaries("other kind", _summarize, paths[:2])
        assert project.prefetch_summaries("other kind", _summarize, paths[:2])  # made already
        assert waited == [paths, paths[:2]]
        for path in paths:
            data = (root / path).read_bytes()
            assert project.summary("kind", path, refuse) == _summarize(data)
            outline = project.outline(data)
            if path.name == "broken.py":
                assert outline is None
            else:
                assert outline == outline_of(ast.parse(data)) and outline._nodes is None
        assert project.outline(b"other content") is None
    finally:
        scanner.close()
    cached = Project(root, Walker(settings).tree(root), settings, bulk_scanner=BulkScanner(str(root), 2, minimum=1), summary_store=object())
    assert not cached.prefetch_summaries("kind", _summarize, paths)
