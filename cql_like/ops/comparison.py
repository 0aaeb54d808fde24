"""= != ~ !~ < <= > >= and between (CQL 1.5 §12); null in, null out, except for ~."""

from __future__ import annotations

from typing import Any

from ..runtime import values
from ..runtime.logic import Bool3, and3, not3


def equal(a: Any, b: Any) -> Bool3:
    return values.equal(a, b)


def not_equal(a: Any, b: Any) -> Bool3:
    return not3(values.equal(a, b))


def equivalent(a: Any, b: Any) -> bool:
    return values.equivalent(a, b)


def not_equivalent(a: Any, b: Any) -> bool:
    return not values.equivalent(a, b)


def _cmp(a: Any, b: Any, precision: str | None = None) -> int | None:
    if a is None or b is None:
        return None
    return values.compare(a, b, precision)


def less(a: Any, b: Any, precision: str | None = None) -> Bool3:
    c = _cmp(a, b, precision)
    return None if c is None else c < 0


def less_or_equal(a: Any, b: Any, precision: str | None = None) -> Bool3:
    c = _cmp(a, b, precision)
    return None if c is None else c <= 0


def greater(a: Any, b: Any, precision: str | None = None) -> Bool3:
    c = _cmp(a, b, precision)
    return None if c is None else c > 0


def greater_or_equal(a: Any, b: Any, precision: str | None = None) -> Bool3:
    c = _cmp(a, b, precision)
    return None if c is None else c >= 0


def between(x: Any, low: Any, high: Any, properly: bool) -> Bool3:
    if properly:
        return and3(greater(x, low), less(x, high))
    return and3(greater_or_equal(x, low), less_or_equal(x, high))
