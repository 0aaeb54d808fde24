"""Static types as strings: a tuple type names its elements, and they are read back from the name."""

from __future__ import annotations

import pytest

from cql_like.compile.types import tuple_elements, tuple_of


@pytest.mark.parametrize(
    "elements",
    [
        {"phase": "Integer", "amount": "Decimal"},
        {"order": "FHIR.MedicationRequest", "lines": 'List<Tuple { "phase" Integer, "mg" Decimal }>'},
        {"x": tuple_of({"a, b }": "Interval<DateTime>", "c": "String"}), "y": "List<Any>"},
        {'we"ird, name': "Boolean", "é": "Code"},
    ],
)
def test_a_tuple_type_gives_back_its_elements(elements: dict[str, str]) -> None:
    assert tuple_elements(tuple_of(elements)) == elements


def test_an_unknown_shape_has_no_elements() -> None:
    assert tuple_of({}) == "Tuple"
    assert tuple_elements("Tuple") is None
    assert tuple_elements("Any") is None
    assert tuple_of({"code": "String"}) == 'Tuple { "code" String }'
