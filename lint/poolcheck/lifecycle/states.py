"""The states a tracked resource can be in on one path, and the ways control leaves code.

- ``none``: not created yet (or known to be ``None``: ``if s is not None: s.close()``);
- ``open``: created, not yet released;
- ``closed``: released (``close()``, ``remove()``, ``with s:``, a project helper closing it);
- ``handed``: ownership handed on (returned, stored on an object or in a container, given
  to a constructor, to ``ExitStack``/``contextlib.closing``, captured by a nested function);
- ``lost``: its names were rebound while it was open: nothing can release it any more.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import FrozenSet, Iterable

NONE, OPEN, CLOSED, HANDED, LOST = "none", "open", "closed", "handed", "lost"
LEAKING = frozenset({OPEN, LOST})


@dataclass
class Out:
    """The states in which control leaves a piece of code, by way out."""

    normal: FrozenSet[str] = frozenset()
    returns: FrozenSet[str] = frozenset()
    raises: FrozenSet[str] = frozenset()
    breaks: FrozenSet[str] = frozenset()
    continues: FrozenSet[str] = frozenset()

    def merge(self, other: "Out", normal: bool = True) -> "Out":
        return Out(
            self.normal | other.normal if normal else self.normal,
            self.returns | other.returns,
            self.raises | other.raises,
            self.breaks | other.breaks,
            self.continues | other.continues,
        )


def map_states(states: FrozenSet[str], old: Iterable[str], new: str) -> FrozenSet[str]:
    old = set(old)
    return frozenset(new if s in old else s for s in states)


def drop_open(states: FrozenSet[str]) -> FrozenSet[str]:
    return frozenset(NONE if s == OPEN else s for s in states)
