"""The verdict on one creation: what is wrong with how it is released, if anything."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional, Tuple

from .flow import Interpreter
from .ownership import Ownership
from .patterns import decorator_last, is_generator
from .states import HANDED, LEAKING, LOST, NONE, OPEN, Out

# Problem kinds.
NEVER_CLOSED = "never-closed"  # no path releases it
SOME_PATHS = "some-paths"  # some normal path (return, end of function) leaves it open
HAPPY_PATH = "happy-path"  # released on normal paths only: an exception leaves it open
YIELD_OUTSIDE_FINALLY = "yield"  # a generator yields while it is open, outside try/finally
REBOUND = "rebound"  # its names were rebound while it was open


@dataclass(frozen=True)
class Problem:
    """Why a created session or connection is not released on every path."""
    kind: str  # NEVER_CLOSED, SOME_PATHS, HAPPY_PATH, YIELD_OUTSIDE_FINALLY, REBOUND
    release_line: Optional[int] = None  # a line where it is released on some path
    generator: bool = False  # the function is a generator


def release_problem(site, resolver, consumers: Optional[Dict] = None) -> Optional[Problem]:
    """What is wrong with how the resource created at ``site`` (a ``CreationSite`` bound to
    names inside a function) is released; None when it is released (or handed on) on every
    path, or when the analysis cannot tell."""
    function = site.function
    if function is None or not site.names or site.statement is None:
        return None
    names = set(site.names)
    context = Ownership(resolver, site.where, consumers if consumers is not None else {})
    generator = is_generator(function)
    # pytest resumes a fixture's generator for teardown whatever the test did: its yield
    # never raises into the fixture.
    yields = generator and not any(decorator_last(d.decorator) in ("fixture", "yield_fixture") for d in function.decorators)

    allow_yields = yields

    def run(exceptions: bool, yields: bool) -> Tuple[Out, Interpreter]:
        interpreter = Interpreter(names, site.statement, context, exceptions, yields and allow_yields)
        return interpreter.suite(function.body, frozenset({NONE})), interpreter

    full, interpreter = run(True, True)
    normal = full.normal | full.returns
    if not (normal | full.raises) & LEAKING:
        return None
    release_line = interpreter.release_lines[0] if interpreter.release_lines else None
    line = site.where.file.span(release_line).start.line if release_line is not None else None
    if OPEN in normal:
        return Problem(SOME_PATHS if line is not None else NEVER_CLOSED, line, generator)
    if LOST in normal | full.raises:
        return Problem(REBOUND, line, generator)
    if allow_yields:
        # The yield alone leaves it open (a consumer throwing in or closing the generator).
        yields_only, _ = run(False, True)
        if (yields_only.normal | yields_only.returns | yields_only.raises) & LEAKING:
            return Problem(YIELD_OUTSIDE_FINALLY, line, generator)
    if HANDED in normal or line is None:
        return None  # handed on where it works out; exceptions before that: not judged
    return Problem(HAPPY_PATH, line, generator)
