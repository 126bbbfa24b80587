"""Reading a Python file the way the interpreter would, without ever failing loudly.

A file becomes a :class:`SourceFile` (decoded text plus what is needed to write it back
byte-for-byte in the same shape: encoding, BOM, newline style) or a :class:`SourceError`
that says in one line why it could not be read or decoded.
"""

from __future__ import annotations

import codecs
import io
import re
from pathlib import Path
from typing import List, NamedTuple, Optional, Union

UTF8_BOM = codecs.BOM_UTF8


class ParseFailure(Exception):
    """Code poolcheck cannot parse (raised by ``poolcheck.syntax``; defined here, without
    libcst, so the runner can catch it in a run that never parses)."""

    def __init__(self, message: str, line: int = 1, column: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


class SourceError(NamedTuple):
    """Why a file could not be turned into text. ``decode`` errors are the file's content's
    fault (reported as PC001 syntax-error); ``read`` errors are the file system's (reported on
    standard error)."""

    kind: str  # "read" | "decode"
    message: str
    line: int = 1
    column: int = 0


class SourceFile:
    """A file's bytes and their text, with what writing it back byte for byte needs (its
    encoding, whether it had a BOM). A plain class: a dataclass costs its module (and
    ``inspect``) at the start of every run."""

    __slots__ = ("path", "raw", "text", "encoding", "has_bom", "_line_starts")

    def __init__(self, path: Path, raw: bytes, text: str, encoding: str = "utf-8", has_bom: bool = False) -> None:
        self.path = path
        self.raw = raw
        self.text = text
        self.encoding = encoding
        self.has_bom = has_bom
        self._line_starts: Optional[List[int]] = None

    def __repr__(self) -> str:
        return f"SourceFile(path={self.path!r}, encoding={self.encoding!r}, has_bom={self.has_bom!r}, {len(self.raw)} bytes)"

    @property
    def newline(self) -> str:
        """The file's dominant newline, used when fixes insert new lines."""
        crlf = self.text.count("\r\n")
        lf = self.text.count("\n") - crlf
        cr = self.text.count("\r") - crlf
        if crlf >= lf and crlf >= cr and crlf:
            return "\r\n"
        if cr > lf:
            return "\r"
        return "\n"

    @property
    def lines(self) -> List[str]:
        """The lines without their line endings (\\n, \\r\\n and lone \\r all end a line)."""
        return split_lines(self.text)

    def line_text(self, line: int) -> str:
        """Line ``line`` (1-based) without its line ending; "" past the end. (Sliced out of the
        text by the lines' starts: splitting the whole text for every line asked about showed
        in the workers' profiles.)"""
        starts = self._starts()
        if not 0 < line <= len(starts):
            return ""
        end = starts[line] if line < len(starts) else len(self.text)
        return self.text[starts[line - 1] : end].rstrip("\r\n")

    def _starts(self) -> List[int]:
        """The offset where each line starts (\\n, \\r\\n and a lone \\r end a line)."""
        if self._line_starts is None:
            self._line_starts = [0] + [match.end() for match in _LINE_BREAK.finditer(self.text)]
        return self._line_starts

    def offset(self, line: int, column: int) -> int:
        """Character offset of a 1-based line and 0-based column."""
        starts = self._starts()
        if line < 1:
            return 0
        if line > len(starts):
            return len(self.text)
        return min(starts[line - 1] + column, len(self.text))

    def encode(self, text: str) -> bytes:
        """``text`` as bytes in this file's encoding, with its BOM if it had one."""
        data = text.encode(self.encoding)
        return (UTF8_BOM + data) if self.has_bom else data


_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_LINE_WITH_END = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def split_lines(text: str) -> List[str]:
    """``text``'s lines as Python numbers them: only \\n, \\r\\n and \\r end a line
    (``str.splitlines`` also breaks at form feeds and other separators, which Python treats as
    whitespace, and which would shift every later line number)."""
    # (Most files have no \r: str.split is five times faster than the pattern.)
    lines = text.split("\n") if "\r" not in text else _LINE_BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def split_lines_keepends(text: str) -> List[str]:
    """``text``'s lines with their line endings, numbered as Python numbers them (see
    :func:`split_lines`; ``"".join(split_lines_keepends(text)) == text``)."""
    return _LINE_WITH_END.findall(text)


def read_source(path: Path, data: Optional[bytes] = None, python: bool = True) -> Union[SourceFile, SourceError]:
    """Read and decode ``path`` (or the given bytes, for standard input) like CPython does:
    PEP 263 coding cookie or BOM, else UTF-8. A non-Python file (``python=False``: a
    ``.env``, JSON, TOML) is UTF-8, with or without a BOM."""
    if data is None:
        try:
            data = path.read_bytes()
        except IsADirectoryError:
            return SourceError("read", "is a directory")
        except FileNotFoundError:
            return SourceError("read", "no such file (was it deleted during the run?)")
        except PermissionError:
            return SourceError("read", "permission denied")
        except OSError as exc:
            return SourceError("read", exc.strerror or str(exc))
    return decode_source(path, data) if python else decode_text(path, data)


def decode_text(path: Path, data: bytes) -> Union[SourceFile, SourceError]:
    """A non-Python text file: UTF-8 (a BOM is kept on write), no coding cookies."""
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        return SourceError("decode", "the file contains a NUL byte (is it binary?)", line)
    has_bom = data.startswith(UTF8_BOM)
    body = data[len(UTF8_BOM):] if has_bom else data
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = body.count(b"\n", 0, exc.start) + 1
        return SourceError("decode", f"the file is not valid UTF-8 (byte {exc.start}: {exc.reason})", line)
    return SourceFile(path=path, raw=data, text=text, encoding="utf-8", has_bom=has_bom)


def decode_source(path: Path, data: bytes) -> Union[SourceFile, SourceError]:
    if b"\x00" in data:
        # Checked before decoding: for a binary file "is it binary?" is the useful answer.
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        return SourceError("decode", "the file contains a NUL byte (is it binary?)", line)
    try:
        encoding = _python_encoding(data)
    except SyntaxError as exc:
        # An unknown codec in the cookie, or a cookie that contradicts the BOM.
        return SourceError("decode", f"invalid encoding declaration: {exc.msg}", exc.lineno or 1)
    has_bom = encoding == "utf-8-sig"
    codec = "utf-8" if has_bom else encoding
    body = data[len(UTF8_BOM):] if has_bom else data
    try:
        text = body.decode(codec)
    except UnicodeDecodeError as exc:
        line = body.count(b"\n", 0, exc.start) + 1
        return SourceError("decode", f"the file is not valid {codec} (byte {exc.start}: {exc.reason})", line)
    except LookupError:
        return SourceError("decode", f"unknown encoding {encoding!r}")
    return SourceFile(path=path, raw=data, text=text, encoding=codec, has_bom=has_bom)


def _python_encoding(data: bytes) -> str:
    """The encoding the interpreter reads ``data`` in (``tokenize.detect_encoding``'s answer,
    or its SyntaxError). Most files have no BOM and no coding cookie in their first two lines,
    which are UTF-8: their answer is "utf-8" without importing ``tokenize``."""
    first = data.find(b"\n")
    second = data.find(b"\n", first + 1) if first >= 0 else -1
    head = data[: second + 1] if second >= 0 else data  # the lines a cookie may be on
    if not data.startswith(UTF8_BOM) and b"coding" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError:
            pass  # detect_encoding's own message says why
        else:
            return "utf-8"
    import tokenize

    return tokenize.detect_encoding(io.BytesIO(data).readline)[0]


def encode_text(text: str) -> bytes:
    """``text`` (an editor's buffer, the lines flake8 read) as the bytes a file holding it would
    contain, so that :func:`decode_source` gives ``text`` back: in the encoding its PEP 263
    coding cookie declares, else UTF-8. A character that encoding cannot represent becomes
    ``?`` (one byte per character in the single-byte encodings cookies name, so columns stay)."""
    head = "\n".join(text.split("\n", 2)[:2]).encode("utf-8", "replace")
    try:
        encoding = _python_encoding(head)
        codecs.lookup(encoding)
    except (SyntaxError, LookupError):
        encoding = "utf-8"  # decode_source reports the bad cookie
    if encoding == "utf-8-sig":
        encoding = "utf-8"  # the text's own U+FEFF becomes the BOM
    return text.encode(encoding, "replace")
