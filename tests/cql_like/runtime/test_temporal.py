"""runtime.temporal: calendar arithmetic and precision-aware comparison (property and edge cases)."""

from __future__ import annotations

import calendar
import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from cql_like.runtime import temporal as t

DATES = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31))


@given(DATES, st.integers(min_value=-240, max_value=240))
def test_adding_months_clamps_to_the_month_end(day: dt.date, months: int) -> None:
    result = t.add(t.Date(day.year, day.month, day.day), months, "month")
    assert isinstance(result, t.Date) and result.month is not None and result.day is not None
    total = day.year * 12 + day.month - 1 + months
    assert (result.year, result.month) == (total // 12, total % 12 + 1)
    assert result.day == min(day.day, calendar.monthrange(result.year, result.month)[1])


@given(DATES, st.integers(min_value=-3000, max_value=3000))
def test_adding_days_matches_python(day: dt.date, days: int) -> None:
    result = t.add(t.Date(day.year, day.month, day.day), days, "days")
    expected = day + dt.timedelta(days=days)
    assert result == t.Date(expected.year, expected.month, expected.day)


@given(DATES, DATES)
def test_comparison_of_full_dates_matches_python(a: dt.date, b: dt.date) -> None:
    got = t.compare(t.Date(a.year, a.month, a.day), t.Date(b.year, b.month, b.day))
    assert got == (a > b) - (a < b)


@given(DATES, DATES)
def test_years_between_is_the_age_rule(birth: dt.date, on: dt.date) -> None:
    got = t.duration_between(t.Date(birth.year, birth.month, birth.day), t.Date(on.year, on.month, on.day), "year")
    if on >= birth:
        expected = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
        assert got == expected


def test_partial_precision_is_uncertain_only_when_it_matters() -> None:
    assert t.compare(t.Date(2024, 1), t.Date(2024, 1, 15)) is None
    assert t.compare(t.Date(2024, 1), t.Date(2024, 2, 1)) == -1
    assert t.compare(t.Date(2024, 1, 15), t.DateTime(2024, 1, 15, 10)) is None
    assert t.compare(t.Date(2024, 1, 15), t.DateTime(2024, 1, 15, 10), "day") == 0


def test_parsing_rejects_impossible_dates_and_keeps_offsets() -> None:
    assert t.parse_date("2023-02-29") is None
    assert t.parse_datetime("2023-02-29") is None
    assert t.parse_datetime("2024-02-29T10:00:00+02:00") == t.DateTime(2024, 2, 29, 10, 0, 0, None, 120)
    assert str(t.parse_datetime("2024-02-29T10:00:00.5Z")) == "2024-02-29T10:00:00.500+00:00"
    assert t.parse_date("2024-13") is None
