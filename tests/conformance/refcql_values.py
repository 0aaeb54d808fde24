"""Canonical forms of CQL values from both engines, and a define-level comparison.

The reference side arrives as typed JSON from tools/reference-cql (lib/values.mjs); our side as the
Python values cql_like returns (docs/architecture.md §1). Both are turned into one canonical shape:

    None | bool | Num | str | ("Code", ...) | ("Concept", ...) | ("Quantity", ...) | ("Date", str)
    | ("DateTime", str) | ("Interval", ...) | ("Tuple", ...) | ("Resource", "Type/id") | ("List", [...])

and compared with `same()`: numbers within a relative 1e-8 (the reference engine holds Decimals as
doubles; CQL Decimal has 8 decimal places), lists as multisets, tuples field by field, Codes by
system/code (version and display only when both sides give them), quantities after converting
mass and fixed time units, date-times as instants in UTC at the same precision.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

Canon = Any


@dataclass(frozen=True)
class Num:
    value: Decimal

    def __repr__(self) -> str:
        return str(self.value.normalize()) if self.value == self.value else "NaN"


_MASS_MG = {"ug": Decimal("0.001"), "mcg": Decimal("0.001"), "mg": Decimal(1), "g": Decimal(1000),
            "kg": Decimal(1000000)}  # fmt: skip
_TIME_S = {"ms": Decimal("0.001"), "s": Decimal(1), "min": Decimal(60), "h": Decimal(3600),
           "d": Decimal(86400), "wk": Decimal(604800)}  # fmt: skip
_CALENDAR = {"millisecond": "ms", "second": "s", "minute": "min", "hour": "h", "day": "d", "week": "wk"}
_DT_RE = re.compile(
    r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?)?(Z|[+-]\d{2}:\d{2})?$"
)


def _num(x: Any) -> Num:
    try:
        return Num(Decimal(str(x)))
    except InvalidOperation:
        return Num(Decimal("NaN"))


def _unit(unit: str | None) -> str:
    if unit in (None, "", "1"):
        return "1"
    u = unit.rstrip("s") if unit.rstrip("s") in _CALENDAR else unit
    return _CALENDAR.get(u, u)


def _quantity(value: Any, unit: str | None) -> Canon:
    if value is None:
        return ("Quantity", None, _unit(unit))
    u = _unit(unit)
    v = Decimal(str(value))
    if u in _MASS_MG:
        return ("Quantity", Num(v * _MASS_MG[u]), "mg")
    if u in _TIME_S:
        return ("Quantity", Num(v * _TIME_S[u]), "s")
    return ("Quantity", Num(v), u)


def _datetime(text: str) -> Canon:
    """A date-time string at its own precision, shifted to UTC when it has hours and an offset."""
    m = _DT_RE.match(text)
    if not m:
        return ("DateTime", text)
    parts = [int(g) if g else None for g in m.groups()[:6]]
    ms = int((m.group(7) + "00")[:3]) if m.group(7) else None
    precision = sum(1 for p in parts if p is not None) + (1 if ms is not None else 0)
    offset = m.group(8)
    if parts[3] is not None:
        minutes = 0
        if offset and offset != "Z":
            sign = -1 if offset[0] == "-" else 1
            minutes = sign * (int(offset[1:3]) * 60 + int(offset[4:6]))
        dt = datetime(parts[0] or 1, parts[1] or 1, parts[2] or 1, parts[3], parts[4] or 0,
                      parts[5] or 0, (ms or 0) * 1000, tzinfo=UTC) - timedelta(minutes=minutes)  # fmt: skip
        full = dt.strftime("%Y-%m-%dT%H:%M:%S") + f".{dt.microsecond // 1000:03d}"
        cut = {4: 13, 5: 16, 6: 19, 7: 23}[precision]
        return ("DateTime", full[:cut] + "Z")
    return (
        "DateTime",
        "-".join(f"{p:04d}" if i == 0 else f"{p:02d}" for i, p in enumerate(parts[:3]) if p is not None),
    )


def _code(code: Any, system: Any, version: Any, display: Any) -> Canon:
    return ("Code", system, code, version, display)


def _concept(codes: list[Canon], display: Any) -> Canon:
    return ("Concept", ("List", codes), display)


# ---- reference side -------------------------------------------------------------------------------------


def from_reference(v: Any) -> Canon:
    """Typed JSON from tools/reference-cql -> canonical form."""
    if v is None or isinstance(v, bool | str):
        return v
    if isinstance(v, int | float):
        return _num(v)
    if isinstance(v, list):
        return ("List", [from_reference(x) for x in v])
    t = v.get("@type")
    if t == "Code":
        return _code(v.get("code"), v.get("system"), v.get("version"), v.get("display"))
    if t == "Concept":
        return _concept([from_reference(c) for c in v.get("codes") or []], v.get("display"))
    if t == "Quantity":
        return _quantity(v.get("value"), v.get("unit"))
    if t == "Ratio":
        return ("Ratio", from_reference(v.get("numerator")), from_reference(v.get("denominator")))
    if t == "Date":
        return ("Date", v["value"])
    if t == "DateTime":
        return _datetime(v["value"])
    if t == "Time":
        return ("Time", v["value"])
    if t == "Interval":
        return ("Interval", from_reference(v.get("low")), from_reference(v.get("high")),
                bool(v.get("lowClosed")), bool(v.get("highClosed")))  # fmt: skip
    if t == "Tuple":
        return ("Tuple", {k: from_reference(x) for k, x in v["elements"].items()})
    if t == "Resource":
        return ("Resource", f"{v['resourceType']}/{v['id']}")
    if t == "FHIR":
        return from_fhir_json(v.get("fhirType"), v.get("json"))
    return ("Unknown", repr(v))


def from_fhir_json(fhir_type: str | None, js: Any) -> Canon:
    """A FHIR element the reference engine left unconverted, read with FHIRHelpers semantics."""
    if isinstance(js, list):
        return ("List", [from_fhir_json(fhir_type, x) for x in js])
    if not isinstance(js, dict):
        return from_fhir_json(fhir_type, {"value": js})
    if fhir_type == "CodeableConcept":
        codes = [from_fhir_json("Coding", c) for c in js.get("coding") or []]
        return _concept(codes, js.get("text"))
    if fhir_type == "Coding":
        return _code(js.get("code"), js.get("system"), js.get("version"), js.get("display"))
    if fhir_type in ("Quantity", "SimpleQuantity", "Duration", "Age", "Count", "Distance"):
        return _quantity(js.get("value"), js.get("code") or js.get("unit"))
    if fhir_type == "Period":
        low = _datetime(js["start"]) if js.get("start") else None
        high = _datetime(js["end"]) if js.get("end") else None
        return ("Interval", low, high, js.get("start") is not None, True)
    if "value" in js:
        value = js["value"]
        if fhir_type == "date" and isinstance(value, str):
            return ("Date", value)
        if fhir_type in ("dateTime", "instant") and isinstance(value, str):
            return _datetime(value)
        if fhir_type in ("integer", "decimal", "positiveInt", "unsignedInt") and value is not None:
            return _num(value)
        return value
    return ("FHIRElement", fhir_type, js)


# ---- our side -------------------------------------------------------------------------------------------


def fhir_type_hint(ref: Any) -> str | None:
    """The FHIR type of a reference value the engine left as a FHIR element (or of a list's first such element)."""
    if isinstance(ref, dict) and ref.get("@type") == "FHIR":
        return str(ref.get("fhirType"))
    if isinstance(ref, list):
        return next((h for h in (fhir_type_hint(x) for x in ref) if h), None)
    return None


def from_ours(v: Any, fhir_type: str | None = None) -> Canon:
    """A cql_like value -> canonical form (duck-typed on the runtime classes' names and fields).

    `fhir_type`: when the reference left this value as a FHIR element of that type, a plain dict on our side
    is the same FHIR element (JSON as parsed) and is read with the same FHIRHelpers semantics.
    """
    if v is None or isinstance(v, bool | str):
        return v
    if isinstance(v, int | float | Decimal):
        return _num(v)
    if isinstance(v, list | tuple):
        return ("List", [from_ours(x, fhir_type) for x in v])
    if fhir_type and isinstance(v, dict) and "resourceType" not in v:
        return from_fhir_json(fhir_type, v)
    kind = type(v).__name__
    if kind == "Code":
        return _code(v.code, v.system, v.version, v.display)
    if kind == "Concept":
        return _concept([from_ours(c) for c in v.codes], v.display)
    if kind == "Quantity":
        return _quantity(v.value, v.unit)
    if kind == "Ratio":
        return ("Ratio", from_ours(v.numerator), from_ours(v.denominator))
    if kind == "Date":
        return ("Date", str(v))
    if kind == "DateTime":
        return _datetime(str(v))
    if kind == "Time":
        return ("Time", str(v))
    if kind == "Interval":
        return ("Interval", from_ours(v.low), from_ours(v.high), bool(v.low_closed), bool(v.high_closed))
    if isinstance(v, dict):
        if "resourceType" in v:
            return ("Resource", f"{v['resourceType']}/{v.get('id')}")
        return ("Tuple", {k: from_ours(x) for k, x in v.items()})
    if hasattr(v, "resource_type") and hasattr(v, "id"):
        return ("Resource", f"{v.resource_type}/{v.id}")
    return ("Unknown", f"{kind}: {v!r}")


# ---- comparison -----------------------------------------------------------------------------------------


def _num_same(a: Num, b: Num) -> bool:
    if a.value.is_nan() or b.value.is_nan():
        return False
    scale = max(Decimal(1), abs(a.value), abs(b.value))
    return abs(a.value - b.value) <= scale * Decimal("1e-8")


def _optional_same(a: Any, b: Any) -> bool:
    return a is None or b is None or a == b


def same(a: Canon, b: Canon) -> bool:
    """Whether two canonical values agree (see the module docstring for the rules)."""
    if isinstance(a, Num) and isinstance(b, Num):
        return _num_same(a, b)
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return a is b
    if isinstance(a, str) or isinstance(b, str):
        return bool(a == b)
    if isinstance(a, Num) or isinstance(b, Num):
        return False
    if isinstance(a, tuple) and isinstance(b, tuple):
        return _same_tagged(a, b)
    return bool(a == b)


def _same_tagged(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    # A one-code Concept and a Code are different CQL types; no leniency there.
    if a[0] != b[0]:
        return False
    tag = a[0]
    if tag == "List":
        return multiset_same(a[1], b[1])
    if tag == "Code":
        return a[1] == b[1] and a[2] == b[2] and _optional_same(a[3], b[3]) and _optional_same(a[4], b[4])
    if tag == "Concept":
        return same(a[1], b[1]) and _optional_same(a[2], b[2])
    if tag == "Quantity":
        return a[2] == b[2] and same(a[1], b[1])
    if tag == "Interval":
        return same(a[1], b[1]) and same(a[2], b[2]) and a[3] == b[3] and a[4] == b[4]
    if tag == "Tuple":
        return a[1].keys() == b[1].keys() and all(same(a[1][k], b[1][k]) for k in a[1])
    if tag == "Ratio":
        return same(a[1], b[1]) and same(a[2], b[2])
    return a == b


def multiset_same(xs: list[Canon], ys: list[Canon]) -> bool:
    """Lists as multisets: every element of one matched to a distinct equal element of the other."""
    if len(xs) != len(ys):
        return False
    unmatched = list(ys)
    for x in xs:
        for i, y in enumerate(unmatched):
            if same(x, y):
                del unmatched[i]
                break
        else:
            return False
    return True


def show(v: Canon, limit: int = 300) -> str:
    """Short readable text of a canonical value for disagreement reports."""
    text = _show(v)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _show(v: Canon) -> str:
    if isinstance(v, tuple) and v and v[0] == "List":
        return "{" + ", ".join(_show(x) for x in v[1]) + "}"
    if isinstance(v, tuple) and v and v[0] == "Tuple":
        return "Tuple{" + ", ".join(f"{k}: {_show(x)}" for k, x in v[1].items()) + "}"
    if isinstance(v, tuple) and v and v[0] == "Code":
        return f"Code '{v[2]}' from '{v[1]}'"
    if isinstance(v, tuple) and v and v[0] == "Concept":
        return f"Concept{_show(v[1])}"
    if isinstance(v, tuple) and v and v[0] == "Quantity":
        return f"{v[1]!r} '{v[2]}'"
    if isinstance(v, tuple) and v and v[0] in ("Date", "DateTime", "Resource", "Time"):
        return f"{v[0]}({v[1]})"
    if isinstance(v, tuple) and v and v[0] == "Interval":
        return f"Interval{'[' if v[3] else '('}{_show(v[1])}, {_show(v[2])}{']' if v[4] else ')'}"
    return "null" if v is None else repr(v)
