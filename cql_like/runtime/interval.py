"""Interval(low, high, low_closed, high_closed) and its relations (CQL 1.5 §19).

A null bound that is closed stands for the end of the point type's range (so a Period without an
end is ongoing); a null bound that is open is unknown, and relations that need it return None.
Relations combine partial answers through runtime.logic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .logic import Bool3, and3, not3, or3

Compare = Callable[[Any, Any], "int | None"]


@dataclass(frozen=True, slots=True)
class Interval:
    low: Any
    high: Any
    low_closed: bool = True
    high_closed: bool = True

    def __str__(self) -> str:
        left = "[" if self.low_closed else "("
        right = "]" if self.high_closed else ")"
        return f"Interval{left}{self.low}, {self.high}{right}"


_INF = object()
_UNKNOWN = object()


def _low(iv: Interval) -> Any:
    if iv.low is None:
        return _INF if iv.low_closed else _UNKNOWN
    return iv.low


def _high(iv: Interval) -> Any:
    if iv.high is None:
        return _INF if iv.high_closed else _UNKNOWN
    return iv.high


def _le(cmp: Compare, x: Any, y: Any, strict: bool) -> Bool3:
    c = cmp(x, y)
    if c is None:
        return None
    return c < 0 if strict else c <= 0


def contains_point(iv: Interval, point: Any, cmp: Compare) -> Bool3:
    if point is None:
        return None
    lo, hi = _low(iv), _high(iv)
    if lo is _UNKNOWN:
        low_ok: Bool3 = None
    elif lo is _INF:
        low_ok = True
    else:
        low_ok = _le(cmp, lo, point, strict=not iv.low_closed)
    if hi is _UNKNOWN:
        high_ok: Bool3 = None
    elif hi is _INF:
        high_ok = True
    else:
        high_ok = _le(cmp, point, hi, strict=not iv.high_closed)
    return and3(low_ok, high_ok)


def _starts_no_later(a: Interval, b: Interval, cmp: Compare) -> Bool3:
    """a's low bound <= b's low bound."""
    return _reaches(_low(a), _low(b), a.low_closed, b.low_closed, cmp, outward=-1)


def _ends_no_earlier(a: Interval, b: Interval, cmp: Compare) -> Bool3:
    """a's high bound >= b's high bound."""
    return _reaches(_high(a), _high(b), a.high_closed, b.high_closed, cmp, outward=1)


def _reaches(bound_a: Any, bound_b: Any, a_closed: bool, b_closed: bool, cmp: Compare, outward: int) -> Bool3:
    """Whether bound_a reaches at least as far out as bound_b: below it for low bounds (outward -1), above it for
    high bounds (outward 1). An unbounded end reaches everything; an unknown one leaves the answer unknown."""
    if bound_a is _INF:
        return True
    if bound_a is _UNKNOWN or bound_b is _UNKNOWN:
        return None
    if bound_b is _INF:
        return False
    c = cmp(bound_a, bound_b)
    if c is None:
        return None
    if c != 0:
        return c * outward > 0
    return a_closed or not b_closed


def includes(a: Interval, b: Interval, cmp: Compare) -> Bool3:
    return and3(_starts_no_later(a, b, cmp), _ends_no_earlier(a, b, cmp))


def properly_includes(a: Interval, b: Interval, cmp: Compare) -> Bool3:
    both = and3(_starts_no_later(a, b, cmp), _ends_no_earlier(a, b, cmp))
    strict = or3(not3(_starts_no_later(b, a, cmp)), not3(_ends_no_earlier(b, a, cmp)))
    return and3(both, strict)


def _low_le_high(a: Interval, b: Interval, cmp: Compare) -> Bool3:
    """a starts no later than b ends."""
    la, hb = _low(a), _high(b)
    if la is _INF or hb is _INF:
        return True
    if la is _UNKNOWN or hb is _UNKNOWN:
        return None
    return _le(cmp, la, hb, strict=not (a.low_closed and b.high_closed))


def overlaps(a: Interval, b: Interval, cmp: Compare) -> Bool3:
    return and3(_low_le_high(a, b, cmp), _low_le_high(b, a, cmp))


def before(a: Interval, b: Interval, cmp: Compare) -> Bool3:
    """a ends before b starts."""
    return not3(_low_le_high(b, a, cmp))


def starts(a: Interval, b: Interval, cmp: Compare) -> Bool3:
    same_start = and3(_starts_no_later(a, b, cmp), _starts_no_later(b, a, cmp))
    return and3(same_start, _ends_no_earlier(b, a, cmp))


def ends(a: Interval, b: Interval, cmp: Compare) -> Bool3:
    same_end = and3(_ends_no_earlier(a, b, cmp), _ends_no_earlier(b, a, cmp))
    return and3(same_end, _starts_no_later(b, a, cmp))


def meets(a: Interval, b: Interval, cmp: Compare, successor: Callable[[Any], Any]) -> Bool3:
    """a meets b before: the point after a's end is b's start (closed bounds only)."""
    if a.high is None or b.low is None:
        return None
    c = cmp(successor(a.high), b.low)
    return None if c is None else c == 0
