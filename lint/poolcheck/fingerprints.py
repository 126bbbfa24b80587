"""Fingerprints: identify a finding across runs, whatever moved around it.

One implementation serves the baseline, SARIF ``partialFingerprints`` and the GitLab
``fingerprint``. A fingerprint hashes

- the rule code;
- the file's path relative to the repository root (the same from any working folder);
- the normalised text of the flagged statement (``Finding.statement``, found with
  ``statements.StatementIndex``: a simple statement, a compound statement's header, a
  decorator): comments dropped,
  whitespace outside string literals dropped, a trailing comma before a closing bracket
  dropped, simple string literals written with double quotes, and passwords masked (a rotated
  password is not a new finding, and no hash of one is ever written);
- an occurrence index: 0 for the first finding of this rule on this statement text in the
  file, 1 for the next, and so on (two identical ``create_engine(URL)`` lines stay two).

So a finding keeps its fingerprint when lines are inserted above it, when other statements of
the file change, and when its own statement is reformatted (black, a comment); it gets a new
one when its statement's code changes or it moves to another statement.

Computing them costs a parse of each file with findings (with ``ast``), so the runner does it
only when something needs them (a CI format, a baseline; ``RunOptions.fingerprints``).

The normalisation is a small scanner of its own, not ``tokenize``: tokenize's output differs
between Python versions (f-strings since 3.12), and a baseline written on a laptop must match
in CI.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Dict, List, Optional, Sequence, Tuple

from .findings import Finding, Span
from .masking import mask_secrets
from .source import split_lines
from .statements import StatementIndex

# Bump when the normalisation changes: old baselines then stop matching, visibly.
VERSION = "1"
# The key under SARIF ``partialFingerprints``.
SARIF_KEY = f"poolcheck/v{VERSION}"

_CLOSERS = ")]}"
_STRING_PREFIX_LETTERS = set("rRbBuUfF")


def normalise(text: str, *, strip_comments: bool = True) -> str:
    """``text`` with its formatting taken out: see the module docstring."""
    out: List[str] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch in "\"'":
            end = _string_end(text, i)
            out.append(_canonical_string(text, i, end, out))
            i = end
        elif ch == "#":
            end = text.find("\n", i)
            end = n if end < 0 else end
            if not strip_comments:
                out.append(" " + text[i:end].strip())
            i = end
        elif ch.isspace() or (ch == "\\" and text[i + 1 : i + 2] in ("\n", "\r")):
            i += 1
            # Keep one space between two words (`not x`, `lambda x`), where it is meaning.
            while i < n and (text[i].isspace() or (text[i] == "\\" and text[i + 1 : i + 2] in ("\n", "\r"))):
                i += 1
            if out and i < n and _is_word_char(out[-1][-1:]) and _is_word_char(text[i]):
                out.append(" ")
        elif ch in _CLOSERS and out and out[-1] == ",":
            out[-1] = ch  # black's magic trailing comma
            i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out).strip()


def _is_word_char(ch: str) -> bool:
    return bool(ch) and (ch.isalnum() or ch == "_")


def _string_end(text: str, start: int) -> int:
    """The index just past the string literal opening at ``start`` (or the text's end)."""
    quote = text[start]
    triple = text[start : start + 3] == quote * 3
    delimiter = quote * 3 if triple else quote
    i = start + len(delimiter)
    n = len(text)
    while i < n:
        if text[i] == "\\":
            i += 2
            continue
        if text.startswith(delimiter, i):
            return i + len(delimiter)
        if not triple and text[i] in "\r\n":
            return i  # an unterminated literal ends with its line
        i += 1
    return n


def _canonical_string(text: str, start: int, end: int, out: List[str]) -> str:
    """A string literal with double quotes when that changes nothing else (black's style)."""
    literal = text[start:end]
    prefix_is_raw = bool(out) and any(c in "rR" for c in _trailing_prefix(out))
    quote = literal[0]
    width = 3 if literal.startswith(quote * 3) else 1
    terminated = len(literal) >= 2 * width and literal.endswith(quote * width)
    body = literal[width:-width] if terminated else None
    if quote == "'" and body is not None and not prefix_is_raw and not any(c in body for c in "'\"\\"):
        return '"' * width + body + '"' * width
    return literal


def _trailing_prefix(out: List[str]) -> str:
    letters = []
    for piece in reversed(out):
        if len(piece) == 1 and piece in _STRING_PREFIX_LETTERS:
            letters.append(piece)
        else:
            break
    return "".join(letters)


def span_text(lines: Sequence[str], span: Span) -> str:
    """The text ``span`` covers, from ``lines`` (a file's lines without their endings)."""
    first, last = span.start.line, span.end.line
    if not 0 < first <= len(lines):
        return ""
    if first == last:
        return lines[first - 1][span.start.column : span.end.column]
    parts = [lines[first - 1][span.start.column :]]
    parts.extend(lines[first : min(last - 1, len(lines))])
    if last <= len(lines):
        parts.append(lines[last - 1][: span.end.column])
    return "\n".join(parts)


def statement_key(finding: Finding, lines: Sequence[str]) -> str:
    """The normalised, masked text a finding's fingerprint is computed from: its statement,
    or, outside any statement, its own lines (comments kept: they are all there is)."""
    if finding.statement is not None:
        return normalise(mask_secrets(span_text(lines, finding.statement)))
    whole_lines = Span.at(finding.span.start.line, 0, finding.span.end.line, 1 << 30)
    return normalise(mask_secrets(span_text(lines, whole_lines)), strip_comments=False)


def fingerprint(code: str, path: str, statement: str, occurrence: int) -> str:
    data = "\x1f".join((f"poolcheck-fingerprint-v{VERSION}", code, path, statement, str(occurrence)))
    return hashlib.sha256(data.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def with_fingerprints(findings: Sequence[Finding], text: str, path: str) -> List[Finding]:
    """``findings`` of one file (``text`` as checked, ``path`` relative to the repository
    root), each with its statement and fingerprint set, in their original order."""
    lines = split_lines(text)
    index: Optional[StatementIndex] = None
    located: List[Finding] = []
    for finding in findings:
        if finding.statement is None:
            index = index or StatementIndex.of(text)
            finding = finding._replace(statement=index.unit_at(finding.line))
        located.append(finding)
    order = sorted(range(len(located)), key=lambda i: located[i].sort_key())
    seen: Dict[Tuple[str, str], int] = Counter()
    result: List[Optional[Finding]] = [None] * len(located)
    for position in order:
        finding = located[position]
        key = (finding.code, statement_key(finding, lines))
        occurrence = seen[key]
        seen[key] += 1
        result[position] = finding._replace(fingerprint=fingerprint(finding.code, path, key[1], occurrence))
    return [f for f in result if f is not None]
