"""CQL values as JSON: Code/Concept as FHIR Coding/CodeableConcept shapes, Quantity as {value, unit},
Date/DateTime as ISO strings, Interval as {low, high, lowClosed, highClosed}."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .runtime.clinical import Code, Concept
from .runtime.interval import Interval
from .runtime.quantity import Quantity
from .runtime.temporal import Date, DateTime


def _coding(c: Code) -> dict[str, Any]:
    out: dict[str, Any] = {"system": c.system, "code": c.code}
    if c.version is not None:
        out["version"] = c.version
    if c.display is not None:
        out["display"] = c.display
    return out


def to_json(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str | float):
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and "." not in str(value) else float(value)
    if isinstance(value, Date | DateTime):
        return str(value)
    if isinstance(value, Quantity):
        return {"value": to_json(value.value), "unit": value.unit}
    if isinstance(value, Code):
        return _coding(value)
    if isinstance(value, Concept):
        out: dict[str, Any] = {"coding": [_coding(c) for c in value.codes]}
        if value.display is not None:
            out["text"] = value.display
        return out
    if isinstance(value, Interval):
        return {"low": to_json(value.low), "high": to_json(value.high),
                "lowClosed": value.low_closed, "highClosed": value.high_closed}  # fmt: skip
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    return str(value)
