"""Keep secrets out of every output: passwords in URLs and in ``password=`` style settings.

Every reporter passes all free text (messages, source excerpts, related notes, help) through
:func:`mask_secrets`; rules additionally render URLs through SQLAlchemy's own masking. Two
layers, because a password that reaches a CI log is leaked for good.
"""

from __future__ import annotations

import functools
import re

MASK = "***"

# The patterns below are sources, compiled when first used (`_regex`): most runs print no
# secret-looking text, and compiling the four took 2 ms of every run's start.

# scheme://user:password@host — the password runs to the last "@" of the URL token, so an
# unencoded "@" inside it (p@ss) is masked too. One slash counts too: a URL given where a
# path was expected comes back from pathlib as scheme:/user:password@host. The user name and
# the password may hold spaces, and the user name "@", "?" and "#", as SQLAlchemy's make_url
# reads them (its user name is anything up to the first ":" or "/": `user name:pass word@db`
# and `@:pw@db`, user "@", are valid URLs to it; the fuzzing found both leaking through):
# within one line, so on a line holding a URL with a port and a later "@", more than the
# password may be masked, which is the safe side. The scheme may be missing: a string that
# is the rest of a URL (`DIALECT + "://app:pw@db/app"`) holds a password all the same (the
# fuzzing found `'://:pw@db'` leaking, run 12).
_URL_PASSWORD = (
    r"(?P<head>(?:\b[a-zA-Z][a-zA-Z0-9+.\-]*)?:/{1,2}[^:/\n\r'\"]*:)(?P<secret>[^\n\r'\"]*?)(?P<tail>@)(?=[^@\s'\"]*(?:[\s'\"]|$))"
)

# password="x", PASSWORD: x, "db_password": "x", MYSQL_ROOT_PASSWORD=x, passwd=..., pwd=...
_KEY_VALUE = (
    r"(?P<head>(?P<key>(?i:\b[\w.\-]*(?:password|passwd|pwd|secret)[\w.\-]*))[\"']?\s*(?P<separator>[:=])\s*)"
    r"(?P<quote>[\"'])?(?P<secret>(?(quote)[^\"'\n]*|[^\s,;)}\]]+))"
)

# The same key starting a line of a file (.env, my.cnf, compose; a diff's +/- and `export `
# may precede it): an unquoted value runs to the end of the line, `DB_PASSWORD=correct horse
# battery` is one value and masking only its first word would print the rest. Only for text
# that is lines of files (mask_source): in a message the value is one word.
_LINE_KEY_VALUE = (
    r"(?m)^(?P<head>(?:[ \t]*\d+[ \t]*\|)?[ \t]*[-+]?[ \t]*(?:export[ \t]+)?"
    r"(?i:[\w.\-]*(?:password|passwd|pwd|secret)[\w.\-]*)[ \t]*[:=][ \t]*)"
    r"(?P<secret>[^\s\"'][^\n\r]*?)[ \t]*$"
)

# `secrets.py:3:5: PC101 ...`, `password_reset.py: cannot read`: a file name and a location or
# a message, not a key and its value.
_FILE_NAME = r"(?i)\.(?:py|pyi|pyw|env|flaskenv|cfg|ini|toml|json|ya?ml|txt|cnf|conf|sql|lock|md|rst|sh|j2|tpl)$"


@functools.lru_cache(maxsize=None)
def _regex(source: str) -> "re.Pattern[str]":
    return re.compile(source)


def mask_secrets(text: str) -> str:
    if not text:
        return text
    lowered = text.lower()
    if ":/" in text:
        text = _regex(_URL_PASSWORD).sub(_mask_url_password, text)
    if any(word in lowered for word in ("pass", "pwd", "secret")):
        text = _regex(_KEY_VALUE).sub(_mask_key_value, text)
    return text


def mask_source(text: str) -> str:
    """:func:`mask_secrets` for lines of files shown as they are (source excerpts, diffs):
    also masks every word of an unquoted ``KEY_PASSWORD=several words`` value."""
    if not text:
        return text
    if any(word in text.lower() for word in ("pass", "pwd", "secret")):
        text = _regex(_LINE_KEY_VALUE).sub(_mask_line_value, text)
    return mask_secrets(text)


def _mask_url_password(match: "re.Match[str]") -> str:
    secret = match.group("secret")
    if not secret or re.fullmatch(r"\{[^{}]*\}|\$\{?\w+\}?|\*+", secret):
        # An f-string placeholder or an environment reference (${DB_PASSWORD}) is not a secret.
        return match.group(0)
    return match.group("head") + MASK + match.group("tail")


def _mask_key_value(match: "re.Match[str]") -> str:
    secret = match.group("secret")
    if match.group("separator") == ":" and _regex(_FILE_NAME).search(match.group("key")):
        return match.group(0)
    if not secret or secret == MASK or secret.startswith(("{", "$", "os.", "environ", "getenv")):
        # A placeholder or a lookup, not a literal secret: keep it readable.
        return match.group(0)
    return match.group("head") + (match.group("quote") or "") + MASK


def _mask_line_value(match: "re.Match[str]") -> str:
    secret = match.group("secret")
    if secret.startswith((MASK, "{", "$", "os.", "environ", "getenv")):
        return match.group(0)
    return match.group("head") + MASK
