"""# noqa parsing and matching, file-level directives, unused-noqa bookkeeping."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from poolcheck.findings import Finding, Severity, Span
from poolcheck.suppression import PerFileIgnores, apply_noqa, parse_directives, unused_noqa


def finding(code: str, line: int, noqa_line: int = None) -> Finding:
    return Finding(code, "n", "m", Severity.WARNING, Path("a.py"), Span.at(line), noqa_line=noqa_line or line)


def test_line_directives():
    directives = parse_directives("a = 1  # noqa\nb = 2  # noqa: PC101, PC102\nc = 3  # NOQA:PC103\nd = 4  # noqa:E501\n")
    assert directives.line_comments[1].codes is None
    assert directives.line_comments[2].codes == ("PC101", "PC102")
    assert directives.line_comments[3].codes == ("PC103",)
    assert directives.line_comments[4].codes == ("E501",)


def test_noqa_inside_a_string_is_not_a_directive():
    assert parse_directives("s = '# noqa: PC101'\n").line_comments == {}


def test_suppression_on_the_line_or_the_statement_start():
    directives = parse_directives("engine = create_engine(  # noqa: PC101\n    url,\n)\nx = 1  # noqa: PC102\n")
    kept = apply_noqa([finding("PC101", 2, noqa_line=1), finding("PC102", 4), finding("PC103", 4)], directives)
    assert [f.code for f in kept] == ["PC103"]


def test_file_level_directives():
    assert apply_noqa([finding("PC101", 3)], parse_directives("# poolcheck: noqa\nx = 1\n")) == []
    kept = apply_noqa([finding("PC101", 3), finding("PC401", 3)], parse_directives("# poolcheck: noqa: PC401\n"))
    assert [f.code for f in kept] == ["PC101"]


def test_unused_codes_only_in_our_namespaces_and_for_enabled_rules():
    directives = parse_directives("a = 1  # noqa: PC101, E501, PC999, PC405\nb = 2  # noqa\n")
    apply_noqa([], directives)
    unused = unused_noqa(directives, enabled=frozenset({"PC101"}), known=frozenset({"PC101", "PC405"}), prefixes=frozenset({"PC"}))
    assert len(unused) == 1
    assert unused[0].unused_codes == ("PC101",)  # PC405 is not enabled: not judged
    assert unused[0].unknown_codes == ("PC999",)


def test_used_codes_are_not_reported():
    directives = parse_directives("a = 1  # noqa: PC101\n")
    apply_noqa([finding("PC101", 1)], directives)
    assert unused_noqa(directives, frozenset({"PC101"}), frozenset({"PC101"}), frozenset({"PC"})) == []


def test_per_file_ignores_globs():
    ignores = PerFileIgnores({"tests/*": ["PC4"], "conftest.py": ["PC101"]})
    assert ignores.ignored(PurePosixPath("tests/test_a.py"), "PC401")
    assert not ignores.ignored(PurePosixPath("tests/test_a.py"), "PC101")
    assert ignores.ignored(PurePosixPath("deep/conftest.py"), "PC101")
    assert not ignores.ignored(PurePosixPath("app/db.py"), "PC401")


def test_directives_before_a_tokenizer_error_still_count():
    directives = parse_directives("# poolcheck: noqa: PC401\nx = 1  # noqa: PC101\ny = (\n")
    assert directives.file_codes == frozenset({"PC401"})
    assert directives.line_comments[2].codes == ("PC101",)


def test_noqa_lines_in_files_with_lone_carriage_returns():
    """Found by fuzzing: the tokenizer read the text through io.StringIO, which ends lines
    only at \\n, so in a file with classic Mac line endings every comment was on line 1 and a
    `# noqa` suppressed findings there instead of on its own line."""
    from poolcheck.suppression import noqa_codes

    text = "engine = create_engine(url)\rother = create_engine(url)  # noqa: PC101\r"
    directives = parse_directives(text)
    assert list(directives.line_comments) == [2] and directives.line_comments[2].column == 28
    assert [(c.line, c.start) for c in noqa_codes(text)] == [(2, 36)]
