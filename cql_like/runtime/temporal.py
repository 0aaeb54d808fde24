"""Date and DateTime with precision (CQL 1.5 §5.6, §22.21).

Values keep only the components they were given. Comparisons go component by component and
return None when one side stops before the components differ (the answer depends on digits
that are not known). Calendar arithmetic clamps the day to the end of the month.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from functools import lru_cache

PRECISIONS = ("year", "month", "day", "hour", "minute", "second", "millisecond")
_INDEX = {p: i for i, p in enumerate(PRECISIONS)}
_DATETIME_RE = re.compile(
    r"^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?)?)?)?"
    r"(?:T)?(Z|[+-]\d{2}:\d{2})?$"
)
_MIN_MAX = {1: (1, 12), 2: (1, 31), 3: (0, 23), 4: (0, 59), 5: (0, 59), 6: (0, 999)}


@dataclass(frozen=True, slots=True)
class Date:
    year: int
    month: int | None = None
    day: int | None = None

    @property
    def components(self) -> tuple[int | None, ...]:
        return (self.year, self.month, self.day)

    @property
    def precision(self) -> str:
        return PRECISIONS[_precision_index(self.components)]

    def __str__(self) -> str:
        return _format(self.components, None, date_only=True)


@dataclass(frozen=True, slots=True)
class DateTime:
    year: int
    month: int | None = None
    day: int | None = None
    hour: int | None = None
    minute: int | None = None
    second: int | None = None
    millisecond: int | None = None
    offset_minutes: int | None = None  # None: no offset given (treated as UTC, the evaluation zone)

    @property
    def components(self) -> tuple[int | None, ...]:
        return (self.year, self.month, self.day, self.hour, self.minute, self.second, self.millisecond)

    @property
    def precision(self) -> str:
        return PRECISIONS[_precision_index(self.components)]

    def __str__(self) -> str:
        return _format(self.components, self.offset_minutes, date_only=False)


Temporal = Date | DateTime


def _precision_index(components: tuple[int | None, ...]) -> int:
    last = 0
    for i, c in enumerate(components):
        if c is None:
            break
        last = i
    return last


def _format(comps: tuple[int | None, ...], offset: int | None, *, date_only: bool) -> str:
    y, mo, d = comps[0], comps[1], comps[2]
    out = f"{y:04d}"
    if mo is not None:
        out += f"-{mo:02d}"
        if d is not None:
            out += f"-{d:02d}"
    if date_only or len(comps) < 4 or comps[3] is None:
        return out if date_only or d is None else out
    out += f"T{comps[3]:02d}"
    if comps[4] is not None:
        out += f":{comps[4]:02d}"
        if comps[5] is not None:
            out += f":{comps[5]:02d}"
            if comps[6] is not None:
                out += f".{comps[6]:03d}"
    if offset is not None:
        sign = "+" if offset >= 0 else "-"
        out += f"{sign}{abs(offset) // 60:02d}:{abs(offset) % 60:02d}"
    return out


# Parsing and calendar arithmetic are pure functions of immutable values; caching them is safe
# across threads and keeps repeated FHIR date strings and `Today() - 1 year` cheap.
@lru_cache(maxsize=16384)
def parse_date(text: str) -> Date | None:
    m = _DATETIME_RE.match(text)
    if not m or m.group(4) is not None:
        return None
    parts = [int(g) if g else None for g in m.groups()[:3]]
    if not _valid(parts):
        return None
    return Date(parts[0] or 0, parts[1], parts[2])


@lru_cache(maxsize=16384)
def parse_datetime(text: str) -> DateTime | None:
    m = _DATETIME_RE.match(text)
    if not m:
        return None
    g = m.groups()
    ms = int((g[6] + "00")[:3]) if g[6] else None
    offset = _parse_offset(g[7])
    parts = [int(x) if x else None for x in g[:6]]
    if not _valid(parts + [ms]):
        return None
    return DateTime(parts[0] or 0, parts[1], parts[2], parts[3], parts[4], parts[5], ms, offset)


def _valid(parts: list[int | None]) -> bool:
    for i, v in enumerate(parts[1:], start=1):
        if v is not None:
            lo, hi = _MIN_MAX[i]
            if not lo <= v <= hi:
                return False
    y, mo, d = parts[0], parts[1], parts[2]
    if y is not None and mo is not None and d is not None:
        return d <= calendar.monthrange(y, mo)[1]
    return True


def _parse_offset(text: str | None) -> int | None:
    if not text:
        return None
    if text == "Z":
        return 0
    sign = -1 if text[0] == "-" else 1
    return sign * (int(text[1:3]) * 60 + int(text[4:6]))


def from_python(now: datetime) -> DateTime:
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    offset = now.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    return DateTime(
        now.year, now.month, now.day, now.hour, now.minute, now.second,
        now.microsecond // 1000, minutes,
    )  # fmt: skip


def date_of(value: Temporal) -> Date:
    return Date(value.year, value.month, value.day)


def to_datetime(value: Temporal) -> DateTime:
    if isinstance(value, DateTime):
        return value
    return DateTime(value.year, value.month, value.day)


def _utc_components(value: DateTime) -> tuple[int | None, ...]:
    """Shift to UTC when the value carries hours and an offset, so two zones compare correctly."""
    comps = value.components
    if value.offset_minutes in (None, 0) or value.hour is None:
        return comps
    filled = datetime(
        value.year, value.month or 1, value.day or 1, value.hour, value.minute or 0,
        tzinfo=timezone(timedelta(minutes=value.offset_minutes or 0)),
    ).astimezone(UTC)  # fmt: skip
    shifted = (filled.year, filled.month, filled.day, filled.hour, filled.minute)
    return tuple(s if c is not None else None for s, c in zip(shifted, comps[:5], strict=True)) + comps[5:]


def _aligned(a: Temporal, b: Temporal) -> tuple[tuple[int | None, ...], tuple[int | None, ...]]:
    if type(a) is Date and type(b) is Date:
        return a.components, b.components
    da = a if type(a) is DateTime else to_datetime(a)
    db = b if type(b) is DateTime else to_datetime(b)
    ca = da.components if not da.offset_minutes or da.hour is None else _utc_components(da)
    cb = db.components if not db.offset_minutes or db.hour is None else _utc_components(db)
    return ca, cb


def compare(a: Temporal, b: Temporal, precision: str | None = None) -> int | None:
    """-1, 0, 1, or None when the known components cannot decide."""
    ca, cb = _aligned(a, b)
    limit = min(len(ca), _INDEX[precision] + 1) if precision else len(ca)
    for i in range(limit):
        x, y = ca[i], cb[i]
        if x is None and y is None:
            return 0
        if x is None or y is None:
            # seconds and milliseconds form one precision for comparison purposes
            if i == 6:
                x, y = x or 0, y or 0
            else:
                return None
        if x != y:
            return -1 if x < y else 1
    return 0


def equivalent(a: Temporal, b: Temporal, precision: str | None = None) -> bool:
    ca, cb = _aligned(a, b)
    limit = min(len(ca), _INDEX[precision] + 1) if precision else len(ca)
    return ca[:limit] == cb[:limit]


# ---- arithmetic

CALENDAR_UNITS = {
    "year": "year", "years": "year", "a": "year",
    "month": "month", "months": "month", "mo": "month",
    "week": "week", "weeks": "week", "wk": "week",
    "day": "day", "days": "day", "d": "day",
    "hour": "hour", "hours": "hour", "h": "hour",
    "minute": "minute", "minutes": "minute", "min": "minute",
    "second": "second", "seconds": "second", "s": "second",
    "millisecond": "millisecond", "milliseconds": "millisecond", "ms": "millisecond",
}  # fmt: skip
_FINE_UNIT_MS = {"day": 86_400_000, "hour": 3_600_000, "minute": 60_000, "second": 1000, "millisecond": 1}


def _with_components(value: Temporal, comps: list[int | None]) -> Temporal:
    if isinstance(value, Date):
        return Date(comps[0] or 0, comps[1], comps[2])
    return DateTime(comps[0] or 0, comps[1], comps[2], comps[3], comps[4], comps[5], comps[6],
                    value.offset_minutes)  # fmt: skip


@lru_cache(maxsize=4096)
def add(value: Temporal, amount: Decimal | int, unit: str) -> Temporal | None:
    """value + amount unit; None when the unit is not a calendar duration."""
    cal = CALENDAR_UNITS.get(unit)
    if cal is None:
        return None
    n = int(amount)
    comps = list(value.components) + [None] * (7 - len(value.components))
    prec = _INDEX[value.precision]
    if cal == "week":
        cal, n = "day", n * 7
    if cal in ("year", "month"):
        months = n * 12 if cal == "year" else n
        if prec == 0:
            comps[0] = (comps[0] or 0) + int(months / 12)
            return _with_components(value, comps)
        total = (comps[0] or 0) * 12 + (comps[1] or 1) - 1 + months
        year, month = total // 12, total % 12 + 1
        comps[0], comps[1] = year, month
        if comps[2] is not None:
            comps[2] = min(comps[2], calendar.monthrange(year, month)[1])
        return _with_components(value, comps)
    unit_ms = _FINE_UNIT_MS[cal]
    value_unit = PRECISIONS[max(prec, 2)]
    if prec < _INDEX["day"]:
        # coarser value than the quantity: convert the quantity to the value's precision, truncating
        days = n * unit_ms // 86_400_000
        return add(value, int(days / (365 if prec == 0 else 30)), "year" if prec == 0 else "month")
    step_ms = _FINE_UNIT_MS[value_unit]
    n_in_value_unit = int(n * unit_ms / step_ms)
    base = datetime(comps[0] or 1, comps[1] or 1, comps[2] or 1, comps[3] or 0, comps[4] or 0,
                    comps[5] or 0, (comps[6] or 0) * 1000)  # fmt: skip
    shifted = base + timedelta(milliseconds=n_in_value_unit * step_ms)
    full = [shifted.year, shifted.month, shifted.day, shifted.hour, shifted.minute, shifted.second,
            shifted.microsecond // 1000]  # fmt: skip
    return _with_components(value, [f if c is not None else None for f, c in zip(full, comps, strict=False)])


def _fill(value: Temporal, high: bool) -> datetime:
    """The earliest (or latest) instant the value can stand for; a Date has no time of day."""
    if isinstance(value, Date):
        high_time = False
    else:
        high_time = high
    c = to_datetime(value).components
    y = c[0] or 1
    mo = c[1] if c[1] is not None else (12 if high else 1)
    d = c[2] if c[2] is not None else (calendar.monthrange(y, mo)[1] if high else 1)
    h = c[3] if c[3] is not None else (23 if high_time else 0)
    mi = c[4] if c[4] is not None else (59 if high_time else 0)
    s = c[5] if c[5] is not None else (59 if high_time else 0)
    ms = c[6] if c[6] is not None else (999 if high_time else 0)
    return datetime(y, mo, d, h, mi, s, ms * 1000)


def _whole_between(a: datetime, b: datetime, unit: str) -> int:
    if unit in ("year", "month"):
        months = (b.year - a.year) * 12 + (b.month - a.month)
        # Whole months are counted the way Add counts them (§18.2): the day clamps to the end of the shorter
        # month, so @2024-01-31 + 1 month = @2024-02-29 and the months between those two dates are 1.
        a_day = min(a.day, calendar.monthrange(b.year, b.month)[1]) if months > 0 else a.day
        b_day = min(b.day, calendar.monthrange(a.year, a.month)[1]) if months < 0 else b.day
        tail_a = (a_day, a.hour, a.minute, a.second, a.microsecond)
        tail_b = (b_day, b.hour, b.minute, b.second, b.microsecond)
        if months > 0 and tail_b < tail_a:
            months -= 1
        elif months < 0 and tail_b > tail_a:
            months += 1
        return int(months / 12) if unit == "year" else months
    if unit == "week":
        return int((b - a) / timedelta(days=7))
    delta_ms = (b - a) // timedelta(milliseconds=1)
    per = _FINE_UNIT_MS[unit]
    return int(delta_ms / per)


def duration_between(a: Temporal, b: Temporal, unit: str) -> int | None:
    """Whole calendar periods from a to b; None when unknown digits change the answer."""
    if isinstance(a, DateTime) or isinstance(b, DateTime):
        a, b = to_datetime(a), to_datetime(b)
    lo = _whole_between(_fill(a, True), _fill(b, False), unit)
    hi = _whole_between(_fill(a, False), _fill(b, True), unit)
    return lo if lo == hi else None


def difference_between(a: Temporal, b: Temporal, unit: str) -> int | None:
    """Number of unit boundaries crossed from a to b (both truncated to unit)."""
    need = _INDEX["day" if unit == "week" else unit]
    if _INDEX[a.precision] < need or _INDEX[b.precision] < need:
        return None
    if unit == "year":
        return b.year - a.year
    if unit == "month":
        return (b.year - a.year) * 12 + ((b.month or 1) - (a.month or 1))
    fa, fb = _fill(a, False), _fill(b, False)
    if unit == "week":
        return ((fb - timedelta(days=fb.weekday())).date() - (fa - timedelta(days=fa.weekday())).date()).days // 7
    trunc = {"day": 3, "hour": 4, "minute": 5, "second": 6, "millisecond": 7}[unit]

    def cut(d: datetime) -> datetime:
        parts = [d.year, d.month, d.day, d.hour, d.minute, d.second, d.microsecond]
        return datetime(*[p if i < trunc else (1 if i < 3 else 0) for i, p in enumerate(parts)])  # type: ignore[arg-type]

    return _whole_between(cut(fa), cut(fb), unit)


def component(value: Temporal, name: str) -> int | Date | None:
    if name == "date":
        return date_of(value)
    if name in _INDEX:
        comps = value.components
        i = _INDEX[name]
        return comps[i] if i < len(comps) else None
    return None


def truncate(value: Temporal, precision: str) -> Temporal:
    i = _INDEX[precision]
    comps = [c if k <= i else None for k, c in enumerate(value.components)]
    return _with_components(value, comps)
