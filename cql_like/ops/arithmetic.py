"""+ - * / div mod ^ negate on Integer, Decimal, Quantity, and Date/DateTime +/- duration (CQL 1.5 §16)."""

from __future__ import annotations

from decimal import Decimal, DivisionByZero, InvalidOperation
from typing import Any

from ..runtime import quantity as q
from ..runtime import temporal as t


def _num(x: Any) -> bool:
    return isinstance(x, int | Decimal) and not isinstance(x, bool)


def _as_quantity(x: Any) -> q.Quantity | None:
    if isinstance(x, q.Quantity):
        return x
    if _num(x):
        return q.Quantity(Decimal(x), "1")
    return None


def add(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    if _num(a) and _num(b):
        return a + b
    if isinstance(a, t.Date | t.DateTime) and isinstance(b, q.Quantity):
        return t.add(a, b.value, b.unit)
    if isinstance(a, q.Quantity) and isinstance(b, q.Quantity):
        return q.add(a, b)
    if isinstance(a, str) and isinstance(b, str):
        return a + b
    return None


def subtract(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    if _num(a) and _num(b):
        return a - b
    if isinstance(a, t.Date | t.DateTime) and isinstance(b, q.Quantity):
        return t.add(a, -b.value, b.unit)
    if isinstance(a, q.Quantity) and isinstance(b, q.Quantity):
        return q.add(a, b, -1)
    return None


def multiply(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    if _num(a) and _num(b):
        return a * b
    qa, qb = _as_quantity(a), _as_quantity(b)
    if qa is None or qb is None:
        return None
    return q.multiply(qa, qb)


def divide(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    if _num(a) and _num(b):
        if b == 0:
            return None
        try:
            return Decimal(a) / Decimal(b)
        except (DivisionByZero, InvalidOperation):
            return None
    qa, qb = _as_quantity(a), _as_quantity(b)
    if qa is None or qb is None:
        return None
    return q.divide(qa, qb)


def truncated_divide(a: Any, b: Any) -> Any:
    if a is None or b is None or not (_num(a) and _num(b)) or b == 0:
        return None
    result = abs(a) // abs(b)
    return result if (a >= 0) == (b >= 0) else -result


def modulo(a: Any, b: Any) -> Any:
    if a is None or b is None or not (_num(a) and _num(b)) or b == 0:
        return None
    return a - b * truncated_divide(a, b)


def power(a: Any, b: Any) -> Any:
    if a is None or b is None or not (_num(a) and _num(b)):
        return None
    try:
        result = a**b
    except (ZeroDivisionError, InvalidOperation):
        return None
    return result


def negate(a: Any) -> Any:
    if a is None:
        return None
    if _num(a):
        return -a
    if isinstance(a, q.Quantity):
        return q.Quantity(-a.value, a.unit)
    return None


def concatenate(a: Any, b: Any) -> Any:
    """`&` treats null as the empty string."""
    return ("" if a is None else str(a)) + ("" if b is None else str(b))
