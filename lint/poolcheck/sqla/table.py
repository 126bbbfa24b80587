"""How answers are written to JSON and read back, question by question.

The saved table is ``{"format": 1, "sqlalchemy_version": "2.1.9", "answers": {question:
{key: value}}}``, where ``key`` is the question's arguments as a JSON list (UNKNOWN written
as ``{"unknown": true}``) and ``value`` the answer in plain JSON (frozensets as sorted lists,
dataclasses as dicts).
"""

from __future__ import annotations

import json
from typing import Any, Callable, Dict, Tuple

from .model import UNKNOWN, DialectInfo, UrlInfo

FORMAT_VERSION = 1

Codec = Tuple[Callable[[Any], Any], Callable[[Any], Any]]  # (to JSON, from JSON)


def _optional(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else convert(value)


def _identity(value: Any) -> Any:
    return value


NAMES: Codec = (_optional(sorted), _optional(frozenset))
SEQUENCE: Codec = (_optional(list), _optional(tuple))
PLAIN: Codec = (_identity, _identity)  # str, int, float, bool, None, dicts of those
URL_INFO: Codec = (_optional(UrlInfo.to_dict), _optional(UrlInfo.from_dict))
DIALECT_INFO: Codec = (_optional(DialectInfo.to_dict), _optional(DialectInfo.from_dict))

CODECS: Dict[str, Codec] = {
    "sqlalchemy_version": PLAIN,
    "parse_url": URL_INFO,
    "scheme_info": DIALECT_INFO,
    "known_drivernames": SEQUENCE,
    "default_pool_class": PLAIN,
    "pool_classes": SEQUENCE,
    "resolve_pool_class": PLAIN,
    "pool_kwarg_translation": PLAIN,
    "pool_kwargs": NAMES,
    "all_pool_kwarg_names": NAMES,
    "pool_defaults": PLAIN,
    "pool_class_async_mode": PLAIN,
    "pool_mismatch_rejected": PLAIN,
    "future_false_rejected": PLAIN,
    "dialect_kwargs": NAMES,
    "engine_kwargs": NAMES,
    "special_kwargs": NAMES,
    "entry_parameters": NAMES,
    "accepted_kwargs": NAMES,
    "kwargs_accepted_by_any_dialect": NAMES,
    "engine_config_types": PLAIN,
    "engine_kwarg_defaults": PLAIN,
    "dialect_kwarg_defaults": PLAIN,
    "pool_value_failure": SEQUENCE,
    "pool_checkout_limit": PLAIN,
    "coerce_config_value": PLAIN,
}


def answer_key(args: Tuple[Any, ...]) -> str:
    """A question's arguments as a JSON string. Raises TypeError for non-plain arguments."""

    def encode(value: Any) -> Any:
        if value is UNKNOWN:
            return {"unknown": True}
        raise TypeError(f"not a plain argument: {value!r}")

    return json.dumps(list(args), default=encode, separators=(",", ":"))


def encode_answers(answers: Dict[str, Dict[str, Any]]) -> Dict[str, Dict[str, Any]]:
    return {
        question: {key: CODECS[question][0](value) for key, value in sorted(table.items())}
        for question, table in sorted(answers.items())
    }


def decode_answers(encoded: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    """The in-memory answers of a saved table; questions this version does not ask are
    dropped. Raises ValueError when the content is not what encode_answers writes."""
    try:
        return {
            question: {str(key): CODECS[question][1](value) for key, value in table.items()}
            for question, table in encoded.items()
            if question in CODECS
        }
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        raise ValueError(f"corrupt SQLAlchemy knowledge table: {error}") from error
