"""Interval operators and timing phrases (CQL 1.5 §19, §5.6); delegates to runtime.interval.

Timing phrases between points and intervals reduce to point comparisons the way the CQL
translator expands them: `X before Y` compares the end of X with the start of Y, and so on.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ..runtime import interval as iv
from ..runtime import temporal as t
from ..runtime import values
from ..runtime.interval import Interval
from ..runtime.logic import Bool3, and3
from ..runtime.quantity import Quantity
from . import arithmetic
from .comparison import greater, greater_or_equal, less, less_or_equal
from .lists import in_list


def _cmp_at(precision: str | None) -> Callable[[Any, Any], int | None]:
    return lambda a, b: values.compare(a, b, precision)


def interval(low: Any, high: Any, low_closed: bool, high_closed: bool) -> Interval:
    return Interval(low, high, low_closed, high_closed)


def start(x: Any) -> Any:
    if isinstance(x, Interval):
        return x.low
    return x


def end(x: Any) -> Any:
    if isinstance(x, Interval):
        return x.high
    return x


def width(x: Any) -> Any:
    if not isinstance(x, Interval) or x.low is None or x.high is None:
        return None
    return arithmetic.subtract(x.high, x.low)


def successor(x: Any) -> Any:
    if isinstance(x, int) and not isinstance(x, bool):
        return x + 1
    if isinstance(x, Decimal):
        return x + Decimal("0.00000001")
    if isinstance(x, t.Date | t.DateTime):
        return t.add(x, 1, x.precision)
    return None


def predecessor(x: Any) -> Any:
    if isinstance(x, int) and not isinstance(x, bool):
        return x - 1
    if isinstance(x, Decimal):
        return x - Decimal("0.00000001")
    if isinstance(x, t.Date | t.DateTime):
        return t.add(x, -1, x.precision)
    return None


def _as_interval(x: Any) -> Interval:
    return x if isinstance(x, Interval) else Interval(x, x, True, True)


def contains(container: Any, item: Any, precision: str | None = None) -> Bool3:
    """`I contains x` for a point x, or `I includes J`."""
    if container is None:
        return None
    if isinstance(item, Interval):
        return iv.includes(container, item, _cmp_at(precision))
    return iv.contains_point(container, item, _cmp_at(precision))


def _list_includes(container: list[Any], items: Any, properly: bool) -> Bool3:
    """CQL 1.5 §20.12 Includes (List): every element of the right is in the left (equality semantics)."""
    wanted = items if isinstance(items, list) else [items]
    result: Bool3 = True
    for y in wanted:
        found = in_list(y, container)
        if found is False:
            return False
        if found is None:
            result = None
    if result is True and properly:
        return any(in_list(x, wanted) is False for x in container)
    return result


def included_in(x: Any, container: Any, precision: str | None = None, properly: bool = False) -> Bool3:
    if x is None or container is None:
        return None
    if isinstance(container, list):
        return _list_includes(container, x, properly)
    if not isinstance(container, Interval):
        return values.equal(x, container) if not properly else False
    if isinstance(x, Interval):
        if properly:
            return iv.properly_includes(container, x, _cmp_at(precision))
        return iv.includes(container, x, _cmp_at(precision))
    return iv.contains_point(container, x, _cmp_at(precision))


def includes(a: Any, b: Any, precision: str | None = None, properly: bool = False) -> Bool3:
    if a is None or b is None:
        return None
    if isinstance(a, list):
        return _list_includes(a, b, properly)
    return included_in(b, _as_interval(a), precision, properly)


def overlaps(a: Any, b: Any, precision: str | None = None, relation: str | None = None) -> Bool3:
    if a is None or b is None:
        return None
    ia, ib = _as_interval(a), _as_interval(b)
    result = iv.overlaps(ia, ib, _cmp_at(precision))
    if relation == "before":
        return and3(result, less(start(ia), start(ib), precision))
    if relation == "after":
        return and3(result, greater(end(ia), end(ib), precision))
    return result


def starts(a: Any, b: Any, precision: str | None = None) -> Bool3:
    if a is None or b is None:
        return None
    return iv.starts(_as_interval(a), _as_interval(b), _cmp_at(precision))


def ends(a: Any, b: Any, precision: str | None = None) -> Bool3:
    if a is None or b is None:
        return None
    return iv.ends(_as_interval(a), _as_interval(b), _cmp_at(precision))


def meets(a: Any, b: Any, precision: str | None = None, relation: str | None = None) -> Bool3:
    if a is None or b is None:
        return None
    ia, ib = _as_interval(a), _as_interval(b)
    cmp = _cmp_at(precision)
    if relation == "before":
        return iv.meets(ia, ib, cmp, successor)
    if relation == "after":
        return iv.meets(ib, ia, cmp, successor)
    forward = iv.meets(ia, ib, cmp, successor)
    return True if forward is True else iv.meets(ib, ia, cmp, successor)


def _boundary(x: Any, boundary: str | None, default: str) -> Any:
    if not isinstance(x, Interval):
        return x
    which = {"starts": "start", "ends": "end"}.get(boundary or "", default)
    return x.low if which == "start" else x.high


def before_after(
    a: Any, b: Any, *, relation: str, or_on: bool, boundary: str | None, precision: str | None,
    offset: Quantity | None, offset_mode: str | None,
) -> Bool3:  # fmt: skip
    """`A [starts|ends] [offset] before|after [precision of] B`."""
    if a is None or b is None:
        return None
    if relation == "before":
        x, y = _boundary(a, boundary, "end"), _boundary(b, None, "start")
    else:
        x, y = _boundary(a, boundary, "start"), _boundary(b, None, "end")
    if x is None or y is None:
        return None
    if offset is None:
        if relation == "before":
            return (less_or_equal if or_on else less)(x, y, precision)
        return (greater_or_equal if or_on else greater)(x, y, precision)
    sign = -1 if relation == "before" else 1
    shifted = arithmetic.add(y, Quantity(offset.value * sign, offset.unit))
    if shifted is None:
        return None
    if offset_mode == "exact":
        c = values.compare(x, shifted, precision)
        return None if c is None else c == 0
    if offset_mode in ("or_more", "more_than"):
        strict = offset_mode == "more_than"
        if relation == "before":
            return (less if strict else less_or_equal)(x, shifted, precision)
        return (greater if strict else greater_or_equal)(x, shifted, precision)
    # `or less` / `less than`: between the shifted point and the anchor
    low, high = (shifted, y) if relation == "before" else (y, shifted)
    closed_far = offset_mode == "or_less"
    if relation == "before":
        window = Interval(low, high, closed_far, False)
    else:
        window = Interval(low, high, False, closed_far)
    return iv.contains_point(window, x, _cmp_at(precision))


def within(a: Any, b: Any, quantity: Quantity, boundary: str | None, properly: bool) -> Bool3:
    """`A within 90 days of B`: A's point lies in [B start - q, B end + q]."""
    if a is None or b is None:
        return None
    x = _boundary(a, boundary, "start") if boundary else a
    ib = _as_interval(b)
    low = arithmetic.subtract(ib.low, quantity) if ib.low is not None else None
    high = arithmetic.add(ib.high, quantity) if ib.high is not None else None
    if low is None or high is None:
        return None
    window = Interval(low, high, not properly, not properly)
    if isinstance(x, Interval):
        return iv.includes(window, x, values.compare)
    return iv.contains_point(window, x, values.compare)


def same_as(a: Any, b: Any, *, precision: str | None, relation: str | None, boundary: str | None) -> Bool3:
    x = _boundary(a, boundary, "start") if boundary else a
    if x is None or b is None:
        return None
    if isinstance(x, Interval) or isinstance(b, Interval):
        ia, ib = _as_interval(x), _as_interval(b)
        if relation is None:
            return and3(
                values.equal(*_trunc(ia.low, ib.low, precision)),
                values.equal(*_trunc(ia.high, ib.high, precision)),
            )
        x, b = (ia.low, ib.low) if relation == "after" else (ia.high, ib.high)
    if relation == "before":
        return less_or_equal(x, b, precision)
    if relation == "after":
        return greater_or_equal(x, b, precision)
    c = values.compare(x, b, precision)
    return None if c is None else c == 0


def _trunc(a: Any, b: Any, precision: str | None) -> tuple[Any, Any]:
    if precision and isinstance(a, t.Date | t.DateTime) and isinstance(b, t.Date | t.DateTime):
        return t.truncate(a, precision), t.truncate(b, precision)
    return a, b
