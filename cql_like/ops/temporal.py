"""Today/Now, date constructors and parts, durations and differences, ages (CQL 1.5 §18, §23)."""

from __future__ import annotations

from typing import Any

from ..runtime import temporal as t


def date(year: int, month: int | None = None, day: int | None = None) -> t.Date:
    return t.Date(year, month, day)


def datetime_(
    year: int, month: int | None = None, day: int | None = None, hour: int | None = None,
    minute: int | None = None, second: int | None = None, millisecond: int | None = None,
) -> t.DateTime:  # fmt: skip
    return t.DateTime(year, month, day, hour, minute, second, millisecond)


def duration_between(a: Any, b: Any, unit: str) -> int | None:
    if not isinstance(a, t.Date | t.DateTime) or not isinstance(b, t.Date | t.DateTime):
        return None
    return t.duration_between(a, b, unit)


def difference_between(a: Any, b: Any, unit: str) -> int | None:
    if not isinstance(a, t.Date | t.DateTime) or not isinstance(b, t.Date | t.DateTime):
        return None
    return t.difference_between(a, b, unit)


def component(value: Any, name: str) -> Any:
    if not isinstance(value, t.Date | t.DateTime):
        return None
    return t.component(value, name)


def age_at(birth: Any, as_of: Any, unit: str) -> int | None:
    """CalculateAgeIn<unit>At: whole periods from the birth date to the date given."""
    if not isinstance(birth, t.Date | t.DateTime) or not isinstance(as_of, t.Date | t.DateTime):
        return None
    if isinstance(as_of, t.Date):
        birth = t.date_of(birth)
    return t.duration_between(birth, as_of, unit)
