"""ToString, ToDecimal, ToInteger, ToBoolean, ToDate, ToDateTime, ToQuantity, ToConcept, ToCode (CQL 1.5 §22).

A value that cannot be converted gives null, as the spec requires.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from ..runtime import temporal as t
from ..runtime.clinical import Code, Concept
from ..runtime.interval import Interval
from ..runtime.quantity import Quantity

_QUANTITY_RE = re.compile(r"^\s*([+-]?\d+(?:\.\d+)?)\s*(?:'([^']*)')?\s*$")


def to_string(x: Any) -> str | None:
    if x is None:
        return None
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, Code):
        return x.code
    if isinstance(x, Quantity):
        return f"{x.value} '{x.unit}'"
    return str(x)


def to_decimal(x: Any) -> Decimal | None:
    if isinstance(x, bool) or x is None:
        return None
    if isinstance(x, Decimal):
        return x
    if isinstance(x, int):
        return Decimal(x)
    if isinstance(x, str):
        try:
            return Decimal(x.strip()) if re.fullmatch(r"\s*[+-]?\d+(\.\d+)?\s*", x) else None
        except InvalidOperation:
            return None
    return None


def to_integer(x: Any) -> int | None:
    if isinstance(x, bool):
        return int(x)
    if isinstance(x, int):
        return x
    if isinstance(x, str) and re.fullmatch(r"\s*[+-]?\d+\s*", x):
        return int(x)
    return None


def to_boolean(x: Any) -> bool | None:
    if isinstance(x, bool):
        return x
    if isinstance(x, str):
        low = x.strip().lower()
        if low in ("true", "t", "yes", "y", "1"):
            return True
        if low in ("false", "f", "no", "n", "0"):
            return False
    if isinstance(x, int):
        return {1: True, 0: False}.get(x)
    return None


def to_date(x: Any) -> t.Date | None:
    if isinstance(x, t.Date):
        return x
    if isinstance(x, t.DateTime):
        return t.date_of(x)
    if isinstance(x, str):
        parsed = t.parse_datetime(x)
        return t.date_of(parsed) if parsed is not None else None
    return None


def to_datetime(x: Any) -> t.DateTime | None:
    if isinstance(x, t.Date | t.DateTime):
        return t.to_datetime(x)
    if isinstance(x, str):
        return t.parse_datetime(x)
    return None


def to_quantity(x: Any) -> Quantity | None:
    if isinstance(x, Quantity):
        return x
    if isinstance(x, int | Decimal) and not isinstance(x, bool):
        return Quantity(Decimal(x), "1")
    if isinstance(x, str):
        m = _QUANTITY_RE.match(x)
        return Quantity(Decimal(m.group(1)), m.group(2) or "1") if m else None
    return None


def to_concept(x: Any) -> Concept | None:
    if isinstance(x, Concept):
        return x
    if isinstance(x, Code):
        return Concept((x,), x.display)
    if isinstance(x, list):
        codes = tuple(c for c in x if isinstance(c, Code))
        return Concept(codes) if codes else None
    return None


def to_code(x: Any) -> Code | None:
    return x if isinstance(x, Code) else None


def to_interval(x: Any) -> Interval | None:
    return x if isinstance(x, Interval) else None


def to_list(x: Any) -> list[Any]:
    if x is None:
        return []
    return x if isinstance(x, list) else [x]
