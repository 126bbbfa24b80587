"""Which rules run: ``select`` / ``extend-select`` / ``ignore``, with ruff's semantics.

A selector is ``ALL`` or a code prefix (``PC``, ``PC1``, ``PC10``, ``PC101``). For each rule
the most specific matching selector decides; on a tie ``ignore`` wins. Without ``select``,
the rules that are on by default are selected (opt-in rules need a selector that matches
them). A selector that matches no rule is an error with a did-you-mean.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, FrozenSet, Iterable, List, NamedTuple, Optional, Sequence, Tuple

from .registry import RuleSet

if TYPE_CHECKING:  # pragma: no cover
    from .config import Settings

ALL = "ALL"


class SelectionError(ValueError):
    pass


def normalise_selector(selector: str) -> str:
    text = selector.strip()
    return ALL if text.upper() == ALL else text.upper()


def selector_matches(selector: str, code: str) -> bool:
    return selector == ALL or code.startswith(selector)


def specificity(selector: str) -> int:
    return 0 if selector == ALL else len(selector)


def unknown_selector_message(selector: str, rules: RuleSet, where: str) -> str:
    normalised = normalise_selector(selector)
    full_length = {len(code) for code in rules.codes}
    if len(normalised) in full_length:
        candidates = list(rules.codes)  # a whole code: suggest a whole code
    else:  # a prefix: suggest a prefix of the same length
        candidates = sorted({c[: len(normalised)] for c in rules.codes})
    import difflib  # only for a suggestion: most runs make none

    near = difflib.get_close_matches(normalised, candidates, n=1, cutoff=0.75)
    hint = f"; did you mean {near[0]}?" if near else ""
    return f"{where}: unknown rule selector {selector!r}{hint} (run `poolcheck rules` for the list)"


def validate_selectors(selectors: Iterable[str], rules: RuleSet, where: str) -> List[str]:
    """Normalise ``selectors``; raise SelectionError naming ``where`` for any matching no rule."""
    result = []
    for raw in selectors:
        selector = normalise_selector(raw)
        if not selector:
            # "" is a prefix of every code: it would select (or ignore) everything.
            raise SelectionError(f"{where}: empty rule selector {raw!r} (use \"ALL\" to mean every rule)")
        if selector != ALL and not any(selector_matches(selector, code) for code in rules.codes):
            raise SelectionError(unknown_selector_message(raw, rules, where))
        result.append(selector)
    return result


class Selection(NamedTuple):
    select: Optional[Tuple[str, ...]]  # None: the default set
    extend_select: Tuple[str, ...] = ()
    ignore: Tuple[str, ...] = ()

    def enabled_codes(self, rules: RuleSet) -> FrozenSet[str]:
        enabled = set()
        for rule in rules:
            chosen = [specificity(s) for s in (self.select or ()) + self.extend_select if selector_matches(s, rule.code)]
            if self.select is None and rule.default_enabled:
                chosen.append(-1)  # the default set: less specific than any selector
            if not chosen:
                continue
            ignored = [specificity(s) for s in self.ignore if selector_matches(s, rule.code)]
            if ignored and max(ignored) >= max(chosen):
                continue
            enabled.add(rule.code)
        return frozenset(enabled)


def configured_selection(
    settings: "Settings",
    rules: RuleSet,
    select: Optional[Sequence[str]] = None,
    extend_select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    origin: str = "--",
) -> Selection:
    """The selection a run uses: the configuration's, with command-line style selectors on
    top (``select`` replaces the configured one; ``extend_select`` and ``ignore`` add to it).
    Every selector is validated, naming where it came from (the configuration file, or
    ``{origin}select`` and so on for the given ones)."""
    where = str(settings.path) if settings.path else "configuration"
    config_select = validate_selectors(settings.select, rules, f"{where}: select") if settings.select is not None else None
    config_extend = validate_selectors(settings.extend_select, rules, f"{where}: extend-select")
    config_ignore = validate_selectors(settings.ignore, rules, f"{where}: ignore")
    for glob, codes in settings.per_file_ignores.items():
        validate_selectors(codes, rules, f"{where}: per-file-ignores {glob!r}")
    chosen = validate_selectors(select, rules, f"{origin}select") if select is not None else config_select
    extend = config_extend + validate_selectors(extend_select, rules, f"{origin}extend-select")
    ignored = config_ignore + validate_selectors(ignore, rules, f"{origin}ignore")
    return Selection(tuple(chosen) if chosen is not None else None, tuple(extend), tuple(ignored))


def codes_matching(selectors: Sequence[str], code: str) -> bool:
    return any(selector_matches(s, code) for s in selectors)
