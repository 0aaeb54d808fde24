"""Count, Sum, Min, Max, Avg, AllTrue, AnyTrue (CQL 1.5 §21); nulls in the list are ignored."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..runtime import quantity as q
from ..runtime import values
from ..runtime.logic import Bool3


def _present(xs: Any) -> list[Any]:
    return [x for x in xs if x is not None] if xs else []


def count(xs: Any) -> int:
    return len(_present(xs))


def sum_(xs: Any) -> Any:
    items = _present(xs)
    if not items:
        return None
    total = items[0]
    for x in items[1:]:
        if isinstance(total, q.Quantity) and isinstance(x, q.Quantity):
            added = q.add(total, x)
            if added is None:
                return None
            total = added
        else:
            total = total + x
    return total


def _extreme(xs: Any, sign: int) -> Any:
    items = _present(xs)
    if not items:
        return None
    best = items[0]
    for x in items[1:]:
        c = values.compare(x, best)
        if c is None:
            return None
        if c * sign > 0:
            best = x
    return best


def min_(xs: Any) -> Any:
    return _extreme(xs, -1)


def max_(xs: Any) -> Any:
    return _extreme(xs, 1)


def avg(xs: Any) -> Any:
    items = _present(xs)
    if not items:
        return None
    total = sum_(items)
    if isinstance(total, q.Quantity):
        return q.Quantity(total.value / len(items), total.unit)
    return Decimal(total) / len(items)


def all_true(xs: Any) -> Bool3:
    return all(x is True for x in _present(xs))


def any_true(xs: Any) -> Bool3:
    return any(x is True for x in _present(xs))
