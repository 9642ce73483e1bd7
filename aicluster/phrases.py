"""Generated sentences: plurals, counts, ranges and shares that read right at every value.

A sentence built from computed numbers must read correctly at the values it has now and at the
edge values it could have: 0, 1, a range whose ends are equal, a share of 100 %. Chapters build
such sentences with these helpers (and glue the result) instead of writing "cluster(s)" or
"ranges from 1 to 1".

>>> count(1, "cluster"), count(0, "noise point"), count(3, "copy", "copies")
('1 cluster', '0 noise points', '3 copies')
>>> span(1, 1, "m"), span(1, 3, "m")
('1 m in every case', 'from 1 to 3 m')
>>> share(20, 20, "copies"), share(0, 20, "copies"), share(9, 20, "events")
('all 20 copies', 'none of the 20 copies', '9 of 20 events (45 %)')
"""
from __future__ import annotations

import math


def number(value, digits: int = 0) -> str:
    """A number with thousands separators; integers never get a decimal part."""
    value = float(value)
    if value.is_integer() and digits == 0:
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}"


def plural(n, singular: str, plural_form: str | None = None) -> str:
    """The noun for n things: 'cluster' for exactly 1, else 'clusters' (or `plural_form`)."""
    return singular if float(n) == 1 else (plural_form or singular + "s")


def count(n, singular: str, plural_form: str | None = None, digits: int = 0) -> str:
    """'1 cluster', '0 clusters', '2 clusters'."""
    return f"{number(n, digits)} {plural(n, singular, plural_form)}"


def span(low, high, unit: str = "", digits: int = 0) -> str:
    """A range of computed values: 'from 1 to 3 m', or '1 m in every case' when the ends agree
    at the printed precision. Raises ValueError if low > high."""
    if float(low) > float(high):
        raise ValueError(f"span: low {low} is above high {high}")
    lo, hi = number(low, digits), number(high, digits)
    tail = f" {unit}" if unit else ""
    if lo == hi:
        return f"{lo}{tail} in every case"
    return f"from {lo} to {hi}{tail}"


def percent(part, whole, digits: int = 0) -> str:
    """'45 %' (the book's style: a space before %). Raises ValueError for an empty whole."""
    if float(whole) <= 0:
        raise ValueError("percent: the whole must be positive")
    return f"{number(100 * float(part) / float(whole), digits)} %"


def share(part, whole, noun: str, plural_noun: str | None = None, digits: int = 0) -> str:
    """k of n things: 'all 20 copies', 'none of the 20 copies', '9 of 20 events (45 %)',
    'the only event' (1 of 1). Raises ValueError if part is negative or above whole."""
    part, whole = int(part), int(whole)
    if not 0 <= part <= whole or whole == 0:
        raise ValueError(f"share: {part} of {whole} is not a share")
    things = plural(whole, noun, plural_noun)
    if whole == 1:
        return f"the only {noun}" if part == 1 else f"not the only {noun}"
    if part == whole:
        return f"all {number(whole)} {things}"
    if part == 0:
        return f"none of the {number(whole)} {things}"
    return f"{number(part)} of {number(whole)} {things} ({percent(part, whole, digits)})"


def fraction_words(fraction: float) -> str:
    """How much of something, in words, for 0 <= fraction <= 1: 'none', 'all', 'almost all'
    (>= 0.9), 'most' (> 0.5), 'half', 'some' (< 0.5), 'almost none' (<= 0.1)."""
    if not 0 <= fraction <= 1 or math.isnan(fraction):
        raise ValueError(f"fraction_words: {fraction} is not between 0 and 1")
    if fraction == 0:
        return "none"
    if fraction == 1:
        return "all"
    if fraction >= 0.9:
        return "almost all"
    if fraction <= 0.1:
        return "almost none"
    if fraction == 0.5:
        return "half"
    return "most" if fraction > 0.5 else "some"
