"""Quantity(value, unit) with a small UCUM subset: mass, time (definite and calendar), volume, count.

Units in one dimension convert to each other; a comparison across dimensions returns None.
`mg/d`-style ratios convert factor by factor.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

_D = Decimal
# unit -> (dimension, factor to the dimension's base unit)
_UNITS: dict[str, tuple[str, Decimal]] = {
    "g": ("mass", _D(1)), "mg": ("mass", _D("0.001")), "mcg": ("mass", _D("0.000001")),
    "ug": ("mass", _D("0.000001")), "kg": ("mass", _D(1000)), "ng": ("mass", _D("1E-9")),
    "ms": ("time", _D("0.001")), "s": ("time", _D(1)), "min": ("time", _D(60)),
    "h": ("time", _D(3600)), "d": ("time", _D(86400)), "wk": ("time", _D(604800)),
    "mo": ("time", _D(2629800)), "a": ("time", _D(31557600)),
    "millisecond": ("time", _D("0.001")), "milliseconds": ("time", _D("0.001")),
    "second": ("time", _D(1)), "seconds": ("time", _D(1)),
    "minute": ("time", _D(60)), "minutes": ("time", _D(60)),
    "hour": ("time", _D(3600)), "hours": ("time", _D(3600)),
    "day": ("time", _D(86400)), "days": ("time", _D(86400)),
    "week": ("time", _D(604800)), "weeks": ("time", _D(604800)),
    "month": ("time", _D(2629800)), "months": ("time", _D(2629800)),
    "year": ("time", _D(31557600)), "years": ("time", _D(31557600)),
    "L": ("volume", _D(1)), "l": ("volume", _D(1)), "mL": ("volume", _D("0.001")),
    "ml": ("volume", _D("0.001")), "dL": ("volume", _D("0.1")),
    "1": ("count", _D(1)),
}  # fmt: skip

CALENDAR_WORDS = frozenset(k for k, (dim, _) in _UNITS.items() if dim == "time" and len(k) > 3)


@dataclass(frozen=True, slots=True)
class Quantity:
    value: Decimal
    unit: str = "1"

    def __str__(self) -> str:
        return f"{self.value} '{self.unit}'"


def _strip_annotation(unit: str) -> str:
    # UCUM annotations like {tbl} or {tablet} denote a count
    if unit.startswith("{") and unit.endswith("}"):
        return "1"
    return unit or "1"


def dimension(unit: str) -> tuple[tuple[str, ...], Decimal, Decimal] | None:
    """(dimension signature, factor numerator, factor denominator) or None for an unknown unit.

    The factor stays a fraction so `mg/d` -> `g/d` converts exactly (one division at the end).
    """
    unit = _strip_annotation(unit)
    if unit in _UNITS:
        dim, factor = _UNITS[unit]
        return (dim,), factor, Decimal(1)
    if "/" in unit:
        num, _, den = unit.partition("/")
        a, b = dimension(num), dimension(den)
        if a is None or b is None:
            return None
        return a[0] + ("per",) + b[0], a[1] * b[2], a[2] * b[1]
    return None


def convert(q: Quantity, unit: str) -> Quantity | None:
    if _strip_annotation(q.unit) == _strip_annotation(unit):
        return Quantity(q.value, unit)
    src, dst = dimension(q.unit), dimension(unit)
    if src is None or dst is None or src[0] != dst[0]:
        return None
    return Quantity(q.value * src[1] * dst[2] / (src[2] * dst[1]), unit)


def compare(a: Quantity, b: Quantity) -> int | None:
    converted = convert(b, a.unit)
    if converted is None:
        return None
    x, y = a.value, converted.value
    return -1 if x < y else (1 if x > y else 0)


def add(a: Quantity, b: Quantity, sign: int = 1) -> Quantity | None:
    converted = convert(b, a.unit)
    if converted is None:
        return None
    return Quantity(a.value + sign * converted.value, a.unit)


def multiply(a: Quantity, b: Quantity) -> Quantity:
    if _strip_annotation(a.unit) == "1":
        return Quantity(a.value * b.value, b.unit)
    if _strip_annotation(b.unit) == "1":
        return Quantity(a.value * b.value, a.unit)
    return Quantity(a.value * b.value, f"{a.unit}.{b.unit}")


def divide(a: Quantity, b: Quantity) -> Quantity | None:
    if b.value == 0:
        return None
    if _strip_annotation(b.unit) == "1":
        return Quantity(a.value / b.value, a.unit)
    converted = convert(b, a.unit)
    if converted is not None:
        return Quantity(a.value / converted.value, "1")
    return Quantity(a.value / b.value, f"{a.unit}/{b.unit}")
