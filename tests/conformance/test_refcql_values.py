"""The comparison rules of the reference cross-check (refcql_values), without Node."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.conformance.refcql_values import from_fhir_json, from_ours, from_reference, multiset_same, same


class Code:
    def __init__(self, code: str, system: str | None, version: str | None = None, display: str | None = None):
        self.code, self.system, self.version, self.display = code, system, version, display


class Concept:
    def __init__(self, codes: tuple[Code, ...], display: str | None = None):
        self.codes, self.display = codes, display


class Quantity:
    def __init__(self, value: Decimal, unit: str):
        self.value, self.unit = value, unit


class DateTime:
    def __init__(self, text: str):
        self.text = text

    def __str__(self) -> str:
        return self.text


class Date(DateTime):
    pass


class Interval:
    def __init__(self, low: Any, high: Any, low_closed: bool = True, high_closed: bool = True):
        self.low, self.high, self.low_closed, self.high_closed = low, high, low_closed, high_closed


def agree(ref: Any, ours: Any) -> bool:
    return bool(same(from_reference(ref), from_ours(ours)))


def test_numbers_agree_within_decimal_precision_only() -> None:
    assert agree(0.3333333333333333, Decimal("0.33333333"))
    assert agree(3, 3)
    assert agree(2.5, Decimal("2.50"))
    assert not agree(2.5, Decimal("2.6"))
    assert not agree(1, True)
    assert not agree(0, None)
    assert not agree(None, False)


def test_lists_are_multisets() -> None:
    assert agree([1, 2, 2], [2, 1, 2])
    assert not agree([1, 2, 2], [1, 1, 2])
    assert not agree([1], [1, 1])
    assert multiset_same([], [])


def test_codes_compare_system_and_code_and_optional_fields() -> None:
    ref = {"@type": "Code", "code": "4", "system": "http://cancerstaging.org", "version": None, "display": "IV"}
    assert agree(ref, Code("4", "http://cancerstaging.org"))
    assert agree(ref, Code("4", "http://cancerstaging.org", display="IV"))
    assert not agree(ref, Code("4", "http://cancerstaging.org", display="Stage IV"))
    assert not agree(ref, Code("4", "http://snomed.info/sct"))
    concept = {"@type": "Concept", "codes": [ref], "display": None}
    assert agree(concept, Concept((Code("4", "http://cancerstaging.org"),)))
    assert not agree(concept, Code("4", "http://cancerstaging.org"))


def test_quantities_convert_mass_and_fixed_time_units() -> None:
    assert agree({"@type": "Quantity", "value": 1005, "unit": "mg"}, Quantity(Decimal("1.005"), "g"))
    assert agree({"@type": "Quantity", "value": 14, "unit": "d"}, Quantity(Decimal(2), "wk"))
    assert agree({"@type": "Quantity", "value": 3, "unit": "days"}, Quantity(Decimal(3), "d"))
    assert not agree({"@type": "Quantity", "value": 1, "unit": "mo"}, Quantity(Decimal(1), "month"))
    assert not agree({"@type": "Quantity", "value": 5, "unit": "mg"}, Quantity(Decimal(5), "mL"))


def test_datetimes_compare_as_instants_at_their_precision() -> None:
    assert agree(
        {"@type": "DateTime", "value": "2024-01-31T10:30:00.000+00:00"}, DateTime("2024-01-31T05:30:00.000-05:00")
    )
    assert not agree(
        {"@type": "DateTime", "value": "2024-01-31T10:30:00.000+00:00"}, DateTime("2024-01-31T10:30:00+00:00")
    )
    assert agree({"@type": "Date", "value": "2024-02-29"}, Date("2024-02-29"))
    assert not agree({"@type": "Date", "value": "2024-02-29"}, DateTime("2024-02-29"))
    interval = {"@type": "Interval", "low": {"@type": "Date", "value": "2024-01-01"}, "high": None,
                "lowClosed": True, "highClosed": True}  # fmt: skip
    assert agree(interval, Interval(Date("2024-01-01"), None))
    assert not agree(interval, Interval(Date("2024-01-01"), None, high_closed=False))


def test_tuples_resources_and_fhir_elements() -> None:
    assert agree({"@type": "Tuple", "elements": {"a": 1, "b": "x"}}, {"b": "x", "a": 1})
    assert not agree({"@type": "Tuple", "elements": {"a": 1}}, {"a": 1, "b": None})
    assert agree(
        {"@type": "Resource", "resourceType": "Condition", "id": "c1"}, {"resourceType": "Condition", "id": "c1"}
    )
    assert not agree(
        {"@type": "Resource", "resourceType": "Condition", "id": "c1"}, {"resourceType": "Condition", "id": "c2"}
    )
    birth = {"@type": "FHIR", "fhirType": "date", "json": {"value": "1973-01-01"}}
    assert agree(birth, Date("1973-01-01"))
    cc = from_fhir_json("CodeableConcept", {"coding": [{"system": "s", "code": "c"}], "text": "t"})
    assert same(cc, from_ours(Concept((Code("c", "s"),), "t")))
