"""``poolcheck probe`` output: a small table for people, a JSON object for scripts."""

from __future__ import annotations

import json
from typing import Any, Dict, Optional

from ..masking import mask_secrets
from .model import ProbedValue, ServerProbe

# What the special values mean, so nobody has to look it up.
_ZERO_MEANS = {
    "max_user_connections": "no per-account limit",
    "idle_session_timeout": "disabled",
    "idle_in_transaction_session_timeout": "disabled",
    "tcp_keepalives_idle": "the operating system's default",
}
_MINUS_ONE_MEANS = {"rolconnlimit": "no limit", "datconnlimit": "no limit"}


def _amount(value: int, unit: str) -> str:
    if unit == "ms":
        return f"{value} ms ({value / 1000:g} s)" if value >= 1000 else f"{value} ms"
    return f"{value} s" if unit == "s" else str(value)


def describe_value(setting: ProbedValue, value: Optional[int] = None) -> str:
    """``600 s``, ``0 (disabled)``, ``60000 ms (60 s)``, ``-``: the session value, or ``value``
    (the global one) in the same words."""
    if value is None:
        value = setting.value
    if value is None:
        return "-"
    text = _amount(value, setting.unit)
    meaning = _ZERO_MEANS.get(setting.name) if value == 0 else None
    if value == -1:
        meaning = _MINUS_ONE_MEANS.get(setting.name)
    return f"{text} ({meaning})" if meaning else text


def render_text(probe: ServerProbe) -> str:
    lines = [f"{probe.product} {probe.version} at {probe.url}, as {probe.account}"]
    width = max(len(value.name) for value in probe.values)
    cells = [(value, describe_value(value)) for value in probe.values]
    value_width = max(len(text) for _, text in cells)
    for value, text in cells:
        notes = []
        if value.differs:
            notes.append(f"global {describe_value(value, value.global_value)}")
        if value.note:
            notes.append(value.note)
        line = f"  {value.name.ljust(width)}  {text.ljust(value_width)}  {'; '.join(notes)}"
        lines.append(line.rstrip())
    if probe.connection_limit is not None:
        limit = probe.connection_limit
        lines.append(f"connections this account can hold: {limit.value} ({limit.explanation})")
    return mask_secrets("\n".join(lines) + "\n")


def probe_to_dict(probe: ServerProbe) -> Dict[str, Any]:
    limit = probe.connection_limit
    return {
        "server": {"family": probe.family, "product": probe.product, "version": probe.version},
        "url": probe.url,
        "account": probe.account,
        "settings": {
            value.name: {"value": value.value, "global": value.global_value, "unit": value.unit or None, "note": value.note or None}
            for value in probe.values
        },
        "connection_limit": (
            {"value": limit.value, "setting": limit.setting, "explanation": limit.explanation} if limit is not None else None
        ),
    }


def render_json(probe: ServerProbe) -> str:
    return mask_secrets(json.dumps(probe_to_dict(probe), indent=2)) + "\n"
