"""Physical lines, numbered as an editor numbers them."""

from __future__ import annotations

import re
from typing import List

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> List[str]:
    """Physical lines as an editor numbers them (``\\r\\n``, ``\\r`` and ``\\n`` end a line)."""
    return _LINE_BREAK.split(text)
