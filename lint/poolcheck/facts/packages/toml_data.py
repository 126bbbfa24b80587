"""Loading TOML without raising: a malformed file simply has no data."""

from __future__ import annotations

import sys
from typing import Any, Dict, Optional

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python < 3.11 only
    import tomli as tomllib


def load_toml(text: str) -> Optional[Dict[str, Any]]:
    try:
        return tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError):
        return None


def table(data: Any, *keys: str) -> Dict[str, Any]:
    """``data[k1][k2]...`` when every step is a table, else an empty one."""
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data if isinstance(data, dict) else {}
