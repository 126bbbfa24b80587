"""``prefilter.ProjectTokens``: prefilter tokens the project defines, for the prefilter and
for pruned parses, without the engine knowing any rule."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from hypothesis import given
from hypothesis import strategies as st

from poolcheck.config import Settings
from poolcheck.discovery import Walker
from poolcheck.prefilter import ProjectTokens, wants
from poolcheck.project import Project


def names_in_registry(project):
    """A toy source: every name listed in registry.txt."""
    return tuple((project.read_bytes(PurePosixPath("registry.txt")) or b"").split())


def make(tmp_path: Path, files, sources=(names_in_registry,)) -> Project:
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    root = tmp_path.resolve()
    return Project(root, Walker(Settings()).tree(root), Settings(), keep_tokens=("fixed",), token_sources=tuple(sources))


def test_project_tokens_make_a_file_wanted(tmp_path):
    project = make(tmp_path, {"registry.txt": "make_thing\n"})
    tokens = ProjectTokens((b"fixed",), names_in_registry)
    assert wants(tokens, b"x = make_thing()", project, PurePosixPath("a.py"))
    assert wants(tokens, b"fixed()", project, PurePosixPath("a.py"))
    assert not wants(tokens, b"other()", project, PurePosixPath("a.py"))


def test_refine_is_asked_only_about_files_holding_a_token(tmp_path):
    project = make(tmp_path, {"registry.txt": "make_thing\n"})
    asked = []

    def refine(raw, project, relative):
        asked.append(raw)
        return b"(" in raw

    tokens = ProjectTokens((b"fixed",), names_in_registry, refine=refine)
    assert not wants(tokens, b"make_thing", project, PurePosixPath("a.py"))
    assert wants(tokens, b"make_thing()", project, PurePosixPath("a.py"))
    assert not wants(tokens, b"nothing", project, PurePosixPath("a.py"))
    assert asked == [b"make_thing", b"make_thing()"]


def test_a_broken_source_parses_the_file_rather_than_hide_it(tmp_path):
    project = make(tmp_path, {})

    def broken(project):
        raise RuntimeError("bug")

    assert wants(ProjectTokens((b"fixed",), broken), b"anything", project, PurePosixPath("a.py"))


def test_pruned_parses_keep_definitions_using_project_tokens(tmp_path):
    code = "def uses():\n    return make_thing()\n\n\ndef other():\n    return 1\n"
    project = make(tmp_path, {"registry.txt": "make_thing\n", "m.py": code})
    assert project.pruning_tokens() == ("fixed", "make_thing")
    parsed = project.parsed(PurePosixPath("m.py"))
    assert set(parsed.pruned_names) == {"other"}


def test_an_overlay_that_changes_the_names_reparses_other_files(tmp_path):
    code = "def uses():\n    return new_name()\n"
    project = make(tmp_path, {"registry.txt": "make_thing\n", "m.py": code})
    assert set(project.parsed(PurePosixPath("m.py")).pruned_names) == {"uses"}
    project.set_overlay(PurePosixPath("registry.txt"), b"new_name\n")
    assert "new_name" in project.pruning_tokens()
    assert project.parsed(PurePosixPath("m.py")).pruned_names == {}


@given(
    st.lists(st.sampled_from(["Session", "SessionLocal", "maker", "as", "import", "from", "x", "S", " ", "  ", "\n", "\t", "(", ")", ",", "_", "é"]), max_size=30).map("".join),
    st.sets(st.sampled_from(["Session", "SessionLocal", "maker", "x", "é"]), max_size=4),
)
def test_aliases_of_finds_every_alias_the_general_pattern_finds(text, words):
    """The pruning tests and the connection prefilter look for `name as alias` only for the
    names they care about: never fewer aliases than the general pattern gives, in text and
    in bytes."""
    import re

    from poolcheck.lifecycle.tokens import _aliases_of

    general = {(o, a) for o, a in re.findall(r"\b(\w+)\s+as\s+(\w+)", text) if o in words}
    assert general <= set(_aliases_of(text, words))
    data = text.encode("utf-8")
    general_bytes = {(o, a) for o, a in re.findall(rb"\b(\w+)\s+as\s+(\w+)", data) if o.decode("utf-8", "replace") in words}
    assert general_bytes <= set(_aliases_of(data, words))


@given(
    st.lists(st.sampled_from(["x", "Session(", ")(", "\n", "\r\n", "\r", " ", "é"]), max_size=40).map("".join),
    st.data(),
)
def test_candidate_lines_are_counted_as_the_line_starts_give_them(text, data):
    """`_lines_at` counts line breaks between positions instead of listing every line's
    start: the same lines, with \\n, \\r\\n and a lone \\r ending lines."""
    import bisect
    import re

    from poolcheck.lifecycle.tokens import _lines_at

    # Positions where a call may start: never between a \r and its \n.
    allowed = [i for i in range(len(text) + 1) if not (0 < i < len(text) and text[i - 1] == "\r" and text[i] == "\n")]
    positions = data.draw(st.lists(st.sampled_from(allowed), max_size=6))
    starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]
    expected = sorted({bisect.bisect_right(starts, position) for position in positions})
    assert _lines_at(text, positions) == expected


def test_fact_tokens_are_searched_in_each_files_first_pass(tmp_path, monkeypatch):
    # Rule.fact_tokens: what project facts ask of every file is answered by the first search
    # of each file, not by a pass over the tree of its own.
    from poolcheck.tokenscan import NoCase

    files = {"a.py": "create_engine(); SET_GLOBAL = 'set global WAIT_TIMEOUT=60'\n", "b.py": "x = 1\n", "c.py": "import flask_sqlalchemy\n"}
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    root = tmp_path.resolve()
    facts = (NoCase(b"wait_timeout"), b"flask_sqlalchemy")
    project = Project(root, Walker(Settings()).tree(root), Settings(), prefilter_tokens=(b"create_engine",), fact_tokens=facts)
    searched = []
    original = Project._scan
    monkeypatch.setattr(Project, "_scan", lambda self, path, tokens: searched.append((str(path), tokens)) or original(self, path, tokens))
    assert project.python_files_containing((b"create_engine",)) == [PurePosixPath("a.py")]
    assert sorted(name for name, _ in searched) == ["a.py", "b.py", "c.py"]
    assert all(set(facts) <= tokens for _, tokens in searched)
    searched.clear()
    assert project.python_files_containing((NoCase(b"wait_timeout"),)) == [PurePosixPath("a.py")]
    assert project.python_files_containing((b"flask_sqlalchemy",)) == [PurePosixPath("c.py")]
    assert searched == []


def test_the_runner_gives_projects_every_loaded_rules_fact_tokens(tmp_path):
    from poolcheck.facts.tokens import SERVER_VARIABLE_TOKENS
    from poolcheck.flask_config.tokens import IMPORT_TOKENS
    from poolcheck.registry import load_rules
    from poolcheck.runner import Runner

    rules = load_rules()
    # Only PC001 enabled: the facts pruned parses ask (every loaded rule's) still count.
    runner = Runner(Settings(), rules, frozenset({"PC001"}), cwd=tmp_path)
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    project = runner.project(tmp_path.resolve())
    assert set(SERVER_VARIABLE_TOKENS) | set(IMPORT_TOKENS) | {b"before_request("} <= project._first_pass
