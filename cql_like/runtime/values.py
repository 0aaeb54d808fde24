"""Ordering, equality and equivalence across CQL runtime values (CQL 1.5 §12).

`compare` returns -1/0/1 or None when the values cannot be ordered (mixed types, incompatible
units, unknown precision). Callers handle null operands before calling.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from . import quantity as q
from . import temporal as t
from .clinical import Code, Concept, clinical_equivalent
from .interval import Interval

_WS = re.compile(r"\s+")


def compare(a: Any, b: Any, precision: str | None = None) -> int | None:
    if isinstance(a, bool) or isinstance(b, bool):
        return None
    if isinstance(a, int | Decimal) and isinstance(b, int | Decimal):
        return -1 if a < b else (1 if a > b else 0)
    if isinstance(a, str) and isinstance(b, str):
        return -1 if a < b else (1 if a > b else 0)
    if isinstance(a, t.Date | t.DateTime) and isinstance(b, t.Date | t.DateTime):
        return t.compare(a, b, precision)
    if isinstance(a, q.Quantity) and isinstance(b, q.Quantity):
        return q.compare(a, b)
    return None


def equal(a: Any, b: Any) -> bool | None:
    """CQL `=`: None when either side is null or the answer is uncertain."""
    if a is None or b is None:
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return False
        result: bool | None = True
        for x, y in zip(a, b, strict=True):
            e = equal(x, y)
            if e is False:
                return False
            if e is None:
                result = None
        return result
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return False
        return equal(list(a.values()), [b[k] for k in a])  # element by element name, not position
    if isinstance(a, Code) and isinstance(b, Code):
        return a.code == b.code and a.system == b.system and a.version == b.version
    if isinstance(a, Concept) and isinstance(b, Concept):
        return equal(list(a.codes), list(b.codes))
    if isinstance(a, Interval) and isinstance(b, Interval):
        if a.low_closed != b.low_closed or a.high_closed != b.high_closed:
            return False
        lo, hi = equal(a.low, b.low), equal(a.high, b.high)
        if lo is False or hi is False:
            return False
        return None if lo is None or hi is None else True
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b if isinstance(a, bool) and isinstance(b, bool) else False
    c = compare(a, b)
    if c is not None:
        return c == 0
    if isinstance(a, t.Date | t.DateTime) and isinstance(b, t.Date | t.DateTime):
        return None
    if isinstance(a, q.Quantity) and isinstance(b, q.Quantity):
        return None
    return bool(a == b)


def equivalent(a: Any, b: Any) -> bool:
    """CQL `~`: never null; two nulls are equivalent, strings ignore case and whitespace runs."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, str) and isinstance(b, str):
        return _WS.sub(" ", a.strip()).casefold() == _WS.sub(" ", b.strip()).casefold()
    if isinstance(a, Code | Concept) and isinstance(b, Code | Concept):
        return clinical_equivalent(a, b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(equivalent(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(equivalent(a[k], b[k]) for k in a)
    if isinstance(a, t.Date | t.DateTime) and isinstance(b, t.Date | t.DateTime):
        return type(a) is type(b) and a.precision == b.precision and t.equivalent(a, b)
    if isinstance(a, Interval) and isinstance(b, Interval):
        return (
            equivalent(a.low, b.low) and equivalent(a.high, b.high)
            and a.low_closed == b.low_closed and a.high_closed == b.high_closed
        )  # fmt: skip
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    c = compare(a, b)
    if c is not None:
        return c == 0
    return bool(a == b)
