"""What a rule is: its metadata, its documentation, its own examples, and its check.

A rule is a small class. Everything about it lives on it (fixit's model): the code and name
users type, the severity, whether it is on by default, the byte tokens that decide whether a
file is worth parsing for it, the sections of its documentation page (ruff's *What it does /
Why is this bad? / Example / Use instead / Options / References*), and examples that must and
must not be flagged. The test suite runs every rule's examples; ``poolcheck rule CODE`` and
``docs/rules/`` render its page from the same data.

Rule modules should stay cheap to import: they are loaded on every run, and most runs parse
nothing. Rules work on the semantic model the context offers (engine sites, configuration
values) and import libcst inside ``check`` when they need raw syntax.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from .findings import Severity

if TYPE_CHECKING:  # pragma: no cover
    from .context import RuleContext
    from .source import SourceError

CODE_PATTERN = re.compile(r"^[A-Z]{1,4}[0-9]{3,4}$")
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")

# Where the built-in rules' pages live. Third-party rules set ``Rule.docs_url`` themselves.
DOCS_BASE_URL = "https://github.com/poolcheck/poolcheck/blob/main/docs/rules/"


class Example:
    """A small project: ``code`` at ``path``, plus any other ``files`` it needs (a ``my.cnf``,
    a ``requirements.txt``, a ``db.py`` it imports) and ``settings`` for ``[tool.poolcheck]``.

    Immutable, compared by value. A plain class rather than a frozen dataclass: every rule
    module builds its examples when it loads, on every run, and only the test suite and the
    rule pages read them; the code and files, written indented inside class bodies, are
    dedented (as files would be) when first read."""

    __slots__ = ("_code", "path", "_files", "settings", "note", "_dedented")
    _FIELDS: ClassVar[Tuple[str, ...]] = ("code", "path", "files", "settings", "note")

    def __init__(
        self,
        code: str,
        path: str = "app.py",
        files: Optional[Mapping[str, str]] = None,
        settings: Optional[Mapping[str, Any]] = None,
        note: str = "",
    ) -> None:
        for name, value in (("_code", code), ("path", path), ("_files", dict(files or {})), ("settings", dict(settings or {})), ("note", note), ("_dedented", None)):
            object.__setattr__(self, name, value)

    def _texts(self) -> Tuple[str, Mapping[str, str]]:
        if self._dedented is None:
            object.__setattr__(self, "_dedented", (_dedent(self._code), {name: _dedent(text) for name, text in self._files.items()}))
        return self._dedented

    @property
    def code(self) -> str:
        return self._texts()[0]

    @property
    def files(self) -> Mapping[str, str]:
        return self._texts()[1]

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"cannot assign to field {name!r}: examples are immutable")

    __delattr__ = __setattr__  # type: ignore[assignment]

    def _values(self) -> Tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._FIELDS)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((self.__class__, self.code, self.path, tuple(sorted(self.files.items())), self.note))

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({', '.join(f'{name}={getattr(self, name)!r}' for name in self._FIELDS)})"


def _dedent(text: str) -> str:
    """``textwrap.dedent(text)``, less its first line when that is empty. Written out: it
    runs for every example of every rule when the rule modules load (460 texts, a few ms of
    every run through textwrap's regular expressions)."""
    lines = text.split("\n")
    margin = None
    for index, line in enumerate(lines):
        content = line.lstrip(" \t")
        if not content:
            lines[index] = ""  # whitespace-only lines become empty, as textwrap does
            continue
        indent = line[: len(line) - len(content)]
        if margin is None:
            margin = indent
        elif not indent.startswith(margin):
            common = 0
            for a, b in zip(margin, indent):
                if a != b:
                    break
                common += 1
            margin = margin[:common]
    if margin:
        cut = len(margin)
        lines = [line[cut:] if line else line for line in lines]
    result = "\n".join(lines)
    return result.lstrip("\n") if text.startswith("\n") else result


class Valid(Example):
    """Must produce no finding of the rule."""

    __slots__ = ()


class Invalid(Example):
    """Must produce at least one finding of the rule; at ``line`` when given, and with a
    message containing ``message`` when given."""

    __slots__ = ("line", "message")
    _FIELDS: ClassVar[Tuple[str, ...]] = Example._FIELDS + ("line", "message")

    def __init__(self, *args: Any, line: Optional[int] = None, message: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # code, path, files, settings, note as for Example
        object.__setattr__(self, "line", line)
        object.__setattr__(self, "message", message)


class Rule:
    # --- identity -------------------------------------------------------------------------
    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]
    default_enabled: ClassVar[bool] = True
    summary: ClassVar[str]  # one line: what it flags

    # --- prefilter: a Python file is parsed only if its bytes contain one of these ----------
    # (a non-Python file is handed to ``check_text`` only if it contains one)
    tokens: ClassVar[Tuple[bytes, ...]] = ()
    # Parsing keeps only the top-level definitions that mention a token (syntax.parse_pruned).
    # A rule that reads other project files for facts names here what must survive there too
    # (a scheduler's ``.configure(``); unlike ``tokens`` these never make a file checked.
    keep_tokens: ClassVar[Tuple[bytes, ...]] = ()
    # A finer pruning test than ``tokens``, for a rule whose tokens are common words
    # (``Session``, ``.connect(``): ``pruning(project, text)`` gives, for a file's text, a
    # test of one top-level statement's text (True: it matters to the rule). A rule with one
    # keeps definitions by it alone (plus its ``keep_tokens``), not by its ``tokens``.
    pruning: ClassVar[Optional[Callable[[Any, str], Callable[[str], bool]]]] = None
    # Project facts the rule reads for every file it checks (``f(project)``, computed through
    # ``Project.fact``): a run checking files in several processes computes them once, before
    # the processes start, which then inherit them instead of each computing them again.
    shared_facts: ClassVar[Tuple[Callable[[Any], Any], ...]] = ()
    # Tokens the project facts the rule reads ask of every Python file of the project
    # (``Project.python_files_containing``) in most runs: those of every loaded rule (pruned
    # parses ask every loaded rule's project tokens, enabled or not) are looked for by the
    # first search of each file, so that such a question takes no pass over the tree of its
    # own (and worker processes inherit its answer). Only a matter of speed: a token left out
    # is searched for when asked; one asked only now and then costs every run a search.
    fact_tokens: ClassVar[Sequence[Any]] = ()

    # --- non-Python files the rule checks (``check_text``) ----------------------------------
    # fnmatch patterns on the file name (".env", "*.env", "*.toml"). While the rule is
    # enabled, files whose name matches are targets too: found when a folder is walked,
    # checked when named, never parsed as Python. Their findings are suppressed with
    # ``# noqa`` comments on the line, as in Python.
    file_patterns: ClassVar[Tuple[str, ...]] = ()

    # --- documentation (Markdown) ---------------------------------------------------------
    what: ClassVar[str] = ""
    why: ClassVar[str] = ""
    # Flagged code shown under "Example", and its fixed form under "Use instead": a string of
    # Python, or an Example when the case needs other files (a my.cnf) or settings. Both are
    # run by the test suite like the other examples.
    example: ClassVar[Union[str, Example]] = ""
    use_instead: ClassVar[Union[str, Example]] = ""
    options: ClassVar[str] = ""
    references: ClassVar[Tuple[str, ...]] = ()
    fix: ClassVar[str] = ""  # what the autofix does, if there is one (and whether it is safe)
    help: ClassVar[str] = ""  # default "help:" line of a finding: what to do
    docs_url: ClassVar[Optional[str]] = None

    # --- examples the test suite runs (the doc examples are run too) -----------------------
    valid: ClassVar[Tuple[Valid, ...]] = ()
    invalid: ClassVar[Tuple[Invalid, ...]] = ()

    # --- the check ------------------------------------------------------------------------
    def check(self, ctx: "RuleContext") -> None:
        """Inspect one parsed file and report findings with ``ctx.report(...)``."""

    def check_text(self, ctx: "RuleContext") -> None:
        """Inspect one non-Python file matching ``file_patterns`` (``ctx.text``; no parse)."""

    def check_unparsable(self, ctx: "RuleContext", error: "SourceError") -> None:
        """Called, instead of ``check``, for a file that could not be decoded or parsed."""

    def check_suppressions(self, ctx: "RuleContext", unused: Iterable[Any]) -> None:
        """Called after suppression with the ``# noqa`` comments that suppressed nothing."""

    # --- derived --------------------------------------------------------------------------
    @classmethod
    def url(cls) -> Optional[str]:
        if cls.docs_url:
            return cls.docs_url
        if cls.__module__.split(".")[0] == "poolcheck_rules":
            return f"{DOCS_BASE_URL}{cls.code}.md"
        return None

    @classmethod
    def all_valid(cls) -> Tuple[Valid, ...]:
        return tuple(_as(Valid, cls.use_instead)) + tuple(cls.valid)

    @classmethod
    def all_invalid(cls) -> Tuple[Invalid, ...]:
        return tuple(_as(Invalid, cls.example)) + tuple(cls.invalid)

    @classmethod
    def metadata_problems(cls) -> list:
        """What is wrong with this rule's metadata (empty when it can be loaded)."""
        problems = []
        for attr in ("code", "name", "severity", "summary"):
            if not getattr(cls, attr, None):
                problems.append(f"missing {attr}")
        code = getattr(cls, "code", "")
        if code and not CODE_PATTERN.match(code):
            problems.append(f"code {code!r} is not letters followed by 3-4 digits")
        name = getattr(cls, "name", "")
        if name and not NAME_PATTERN.match(name):
            problems.append(f"name {name!r} is not kebab-case")
        if getattr(cls, "severity", None) is not None and not isinstance(cls.severity, Severity):
            problems.append("severity is not a poolcheck.Severity")
        for token in tuple(getattr(cls, "tokens", ())) + tuple(getattr(cls, "keep_tokens", ())):
            if not isinstance(token, bytes) or not token:
                problems.append(f"token {token!r} is not non-empty bytes")
        for pattern in getattr(cls, "file_patterns", ()):
            if not isinstance(pattern, str) or not pattern or "/" in pattern or pattern.endswith(".py"):
                problems.append(f"file pattern {pattern!r} is not a non-Python file name pattern")
        return problems

    def __repr__(self) -> str:
        return f"<rule {self.code} {self.name}>"


def _as(kind, example) -> List[Example]:
    if not example:
        return []
    if isinstance(example, str):
        return [kind(example)]
    return [kind(example.code, example.path, example.files, example.settings, example.note)]
