"""``# noqa`` comments, file-level ``# poolcheck: noqa``, and ``per-file-ignores``.

- ``# noqa`` (every code), ``# noqa: PC101`` or ``# noqa: PC101, PC102`` on the line a
  finding is reported on, or on the first line of its statement;
- ``# poolcheck: noqa`` (the whole file) and ``# poolcheck: noqa: PC401`` (one rule, the
  whole file), on a line of their own;
- ``per-file-ignores`` globs from the configuration.

Comments are found with Python's tokenizer, so a ``# noqa`` inside a string is not one.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, Dict, FrozenSet, Iterable, List, Mapping, Optional, Sequence, Set, Tuple

from .findings import Edit, Finding, Position
from .selection import normalise_selector, selector_matches
from .source import split_lines

# A code is letters then a digit then letters and digits: "PC1O1" (a letter O typed for a zero)
# is read whole, and reported as the unknown code it is rather than as "PC1".
NOQA = re.compile(r"#\s*noqa(?::[\s]?(?P<codes>[A-Z]+[0-9][A-Z0-9]*(?:[,\s]+[A-Z]+[0-9][A-Z0-9]*)*))?", re.IGNORECASE)
FILE_NOQA = re.compile(r"#\s*poolcheck\s*:\s*noqa(?::\s?(?P<codes>[A-Z]+[0-9][A-Z0-9]*(?:[,\s]+[A-Z]+[0-9][A-Z0-9]*)*))?\s*$", re.IGNORECASE)
CODE = re.compile(r"[A-Z]+[0-9][A-Z0-9]*", re.IGNORECASE)


@dataclass
class NoqaComment:
    """A ``# noqa`` comment on a line: the codes it names (None: all), and those it suppressed."""
    line: int
    column: int
    codes: Optional[Tuple[str, ...]]  # None: a blanket ``# noqa``
    text: str
    used: Set[str] = field(default_factory=set)  # codes it suppressed ("*" for blanket)


@dataclass
class FileDirectives:
    """A file's suppression comments: its ``# noqa`` lines and its file-wide directives."""
    line_comments: Dict[int, NoqaComment] = field(default_factory=dict)
    file_all: bool = False
    file_codes: FrozenSet[str] = frozenset()
    file_code_lines: Dict[str, int] = field(default_factory=dict)  # code -> its first line


def _comments(text: str):
    """The file's comment tokens, up to the first point the tokenizer gives up (an unclosed
    bracket or string): a syntax error late in a file must not disable every ``# noqa``
    before it."""
    tokens = tokenize.generate_tokens(io.StringIO(text, newline=None).readline)
    while True:
        try:
            token = next(tokens)
        except (StopIteration, tokenize.TokenError, SyntaxError, IndentationError):
            return
        if token.type == tokenize.COMMENT:
            yield token


def parse_directives(text: str) -> FileDirectives:
    directives = FileDirectives()
    if "noqa" not in text.lower():
        return directives
    file_codes: Set[str] = set()
    for token in _comments(text):
        if token.type != tokenize.COMMENT:
            continue
        comment = token.string
        file_match = FILE_NOQA.search(comment)
        if file_match:
            if file_match.group("codes"):
                for code in CODE.findall(file_match.group("codes")):
                    file_codes.add(code.upper())
                    directives.file_code_lines.setdefault(code.upper(), token.start[0])
            else:
                directives.file_all = True
            continue
        match = NOQA.search(comment)
        if match:
            codes = match.group("codes")
            directives.line_comments[token.start[0]] = NoqaComment(
                line=token.start[0],
                column=token.start[1] + match.start(),
                codes=tuple(code.upper() for code in CODE.findall(codes)) if codes else None,
                text=match.group(0),
            )
    directives.file_codes = frozenset(file_codes)
    return directives


def parse_text_directives(text: str) -> FileDirectives:
    """The same directives in a non-Python file (``.env``, TOML, ...): a ``#`` comment that
    starts a line or follows whitespace outside quotes. Formats without comments (JSON) have
    none, which is right: there is nowhere to write one."""
    directives = FileDirectives()
    if "noqa" not in text.lower():
        return directives
    file_codes: Set[str] = set()
    for number, line in enumerate(split_lines(text), start=1):
        start = _comment_start(line)
        if start is None:
            continue
        comment = line[start:]
        file_match = FILE_NOQA.search(comment)
        if file_match:
            if file_match.group("codes"):
                for code in CODE.findall(file_match.group("codes")):
                    file_codes.add(code.upper())
                    directives.file_code_lines.setdefault(code.upper(), number)
            else:
                directives.file_all = True
            continue
        match = NOQA.search(comment)
        if match:
            codes = match.group("codes")
            directives.line_comments[number] = NoqaComment(
                line=number,
                column=start + match.start(),
                codes=tuple(code.upper() for code in CODE.findall(codes)) if codes else None,
                text=match.group(0),
            )
    directives.file_codes = frozenset(file_codes)
    return directives


def _comment_start(line: str) -> Optional[int]:
    quote = None
    index = 0
    while index < len(line):
        char = line[index]
        if quote is not None:
            if char == "\\" and quote == '"':
                index += 1  # an escaped character inside double quotes
            elif char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or line[index - 1].isspace()):
            return index
        index += 1
    return None


def unknown_file_codes(directives: FileDirectives, known: FrozenSet[str], prefixes: FrozenSet[str]) -> List[Tuple[int, str]]:
    """(line, code) of each code in poolcheck's namespaces that a ``# poolcheck: noqa: ...``
    names and no rule has: it suppresses nothing, for the whole file, and nothing else would
    say so (as ruff warns about ``# ruff: noqa: XYZ``)."""
    return sorted(
        (line, code)
        for code, line in directives.file_code_lines.items()
        if re.match(r"[A-Z]+", code).group(0) in prefixes and code not in known
    )


def _matches(comment: NoqaComment, code: str) -> bool:
    return comment.codes is None or code in comment.codes


def apply_noqa(findings: Sequence[Finding], directives: FileDirectives) -> List[Finding]:
    """Drop suppressed findings, recording on each comment which codes it was used for."""
    kept = []
    for finding in findings:
        if directives.file_all or finding.code in directives.file_codes:
            continue
        suppressed = False
        for line in {finding.line, finding.noqa_line or finding.line}:
            comment = directives.line_comments.get(line)
            if comment is not None and _matches(comment, finding.code):
                comment.used.add(finding.code if comment.codes is not None else "*")
                suppressed = True
        if not suppressed:
            kept.append(finding)
    return kept


@dataclass(frozen=True)
class UnusedNoqa:
    """A ``# noqa`` comment that suppressed nothing, or names codes no rule has."""
    comment: NoqaComment
    unused_codes: Tuple[str, ...]
    unknown_codes: Tuple[str, ...]


def unused_noqa(directives: FileDirectives, enabled: FrozenSet[str], known: FrozenSet[str], prefixes: FrozenSet[str]) -> List[UnusedNoqa]:
    """``# noqa: CODE`` comments naming poolcheck codes that suppressed nothing.

    Only codes in poolcheck's namespaces (the letter prefixes of loaded rules) are judged: a
    ``# noqa: E501`` belongs to another tool. A blanket ``# noqa`` is never reported, for the
    same reason. A code of a rule that is not enabled in this run cannot have been used and
    is not reported either (a narrower ``--select`` must not make comments "unused")."""
    results = []
    for comment in directives.line_comments.values():
        if comment.codes is None:
            continue
        ours = [code for code in comment.codes if re.match(r"[A-Z]+", code).group(0) in prefixes]
        unknown = tuple(code for code in ours if code not in known)
        unused = tuple(code for code in ours if code in enabled and code not in comment.used)
        if unused or unknown:
            results.append(UnusedNoqa(comment, unused, unknown))
    return results


class PerFileIgnores:
    """``per-file-ignores``: gitignore-style globs relative to the configuration file's
    folder (a pattern without ``/`` matches a file name at any depth)."""

    def __init__(self, table: Mapping[str, Sequence[str]]) -> None:
        self.entries: List[Tuple[str, Any, Tuple[str, ...]]] = []
        self.matched_globs: Set[str] = set()
        if not table:
            return  # pathspec is not even imported
        import pathspec

        self.entries = [
            (glob, pathspec.GitIgnoreSpec.from_lines([glob]), tuple(normalise_selector(c) for c in codes))
            for glob, codes in table.items()
        ]

    def ignored(self, relative: Optional[PurePosixPath], code: str) -> bool:
        if relative is None:
            return False
        for glob, spec, selectors in self.entries:
            if spec.match_file(str(relative)):
                self.matched_globs.add(glob)
                if any(selector_matches(s, code) for s in selectors):
                    return True
        return False

    def globs_matching(self, relatives: Iterable[PurePosixPath]) -> Set[str]:
        matched = set()
        for relative in relatives:
            for glob, spec, _ in self.entries:
                if spec.match_file(str(relative)):
                    matched.add(glob)
        return matched


# --- editing comments (the editor's "ignore PCnnn on this line", hover on a code) -------------

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class NoqaCode:
    """One code written in a ``# noqa: ...`` or ``# poolcheck: noqa: ...`` comment."""

    code: str
    line: int  # 1-based
    start: int  # 0-based columns, in characters
    end: int


def _comments_and_unsafe_lines(text: str) -> Tuple[Dict[int, Tuple[int, str]], Set[int]]:
    """Each line's comment (column, text), and the lines whose end lies inside a token (a
    multi-line string, an f-string spanning lines): no comment can be added there. Raises
    what the tokenizer raises on text it cannot tokenize."""
    comments: Dict[int, Tuple[int, str]] = {}
    unsafe: Set[int] = set()
    fstring_start = getattr(tokenize, "FSTRING_START", None)  # Python 3.12+
    fstring_end = getattr(tokenize, "FSTRING_END", None)
    open_fstrings: List[int] = []
    for token in tokenize.generate_tokens(io.StringIO(text, newline=None).readline):
        if token.type == tokenize.COMMENT:
            comments[token.start[0]] = (token.start[1], token.string)
        elif fstring_start is not None and token.type == fstring_start:
            open_fstrings.append(token.start[0])
        elif fstring_end is not None and token.type == fstring_end and open_fstrings:
            unsafe.update(range(open_fstrings.pop(), token.end[0]))
        elif token.end[0] > token.start[0] and token.type not in (tokenize.NEWLINE, tokenize.NL):
            unsafe.update(range(token.start[0], token.end[0]))
    return comments, unsafe


def noqa_edit(text: str, lines: Sequence[int], code: str) -> Optional[Edit]:
    """The edit that makes a ``# noqa`` comment on the first suitable line of ``lines`` name
    ``code``: it extends the line's ``# noqa: ...`` (``# noqa: PC101`` becomes
    ``# noqa: PC101, PC102``) or adds ``  # noqa: CODE`` at the end of the line, after any
    other comment. A line is unsuitable when it ends inside a string or with a backslash
    continuation. None when no line is suitable, when the code is already suppressed there,
    or when the text cannot be tokenized (its ``# noqa`` comments would not be read either)."""
    try:
        comments, unsafe = _comments_and_unsafe_lines(text)
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None
    source_lines = _LINE_BREAK.split(text)
    for line in lines:
        if not 0 < line <= len(source_lines) or line in unsafe:
            continue
        content = source_lines[line - 1]
        stripped = content.rstrip()
        comment = comments.get(line)
        if comment is not None:
            column, comment_text = comment
            if FILE_NOQA.search(comment_text):
                continue  # anything added would turn the file-level directive into another
            match = NOQA.search(comment_text)
            if match is not None:
                codes = match.group("codes")
                if codes is None:
                    return None  # a blanket `# noqa` already suppresses every code
                if code.upper() in (c.upper() for c in CODE.findall(codes)):
                    return None
                at = column + match.end("codes")
                return Edit(Position(line, at), Position(line, at), f", {code}")
        elif stripped.endswith("\\"):
            continue
        end = Position(line, len(content))
        return Edit(Position(line, len(stripped)), end, f"  # noqa: {code}")
    return None


def noqa_codes(text: str) -> List[NoqaCode]:
    """Every code written in the text's ``# noqa`` comments, with where it is written."""
    if "noqa" not in text.lower():
        return []
    try:
        comments, _ = _comments_and_unsafe_lines(text)
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return []
    found = []
    for line, (column, comment) in sorted(comments.items()):
        match = FILE_NOQA.search(comment) or NOQA.search(comment)
        if match is None or match.group("codes") is None:
            continue
        offset = column + match.start("codes")
        for code in CODE.finditer(match.group("codes")):
            found.append(NoqaCode(code.group(0).upper(), line, offset + code.start(), offset + code.end()))
    return found
