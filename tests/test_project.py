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


def test_engine_site_tokens_include_sources_registered_later():
    from poolcheck.site_sources import ENGINE_SITE_TOKENS, SITE_SOURCES, _SOURCE_TOKENS, register_site_source

    def source(ctx):
        return []

    assert b"MY_ENGINE_KEY" not in ENGINE_SITE_TOKENS
    register_site_source(source, tokens=(b"MY_ENGINE_KEY",))
    try:
        assert b"MY_ENGINE_KEY" in ENGINE_SITE_TOKENS and b"create_engine" in ENGINE_SITE_TOKENS
        assert any(t in b"x = MY_ENGINE_KEY" for t in ENGINE_SITE_TOKENS)
    finally:
        SITE_SOURCES.remove(source)
        del _SOURCE_TOKENS[source]
