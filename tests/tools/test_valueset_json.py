"""The shared ValueSet renderer (tools/terminology/valueset_json.py) both value-set builders write with."""

from __future__ import annotations

from typing import Any

from tools.terminology.valueset_json import (
    EXPANSION_TIMESTAMP,
    LOINC,
    RXNORM,
    SNOMED,
    ValueSetSpec,
    rxnorm_codes,
    rxnorm_named,
    to_resource,
    unique_concepts,
)

CONCEPTS = [
    (SNOMED, "300", "third"),
    (LOINC, "2-2", "loinc"),
    (SNOMED, "100", "first"),
    (SNOMED, "300", "third, listed again with another display"),
]


def render(concepts: list[tuple[str, str, str]], order: Any, version: str = "1.0.0") -> dict[str, Any]:
    return to_resource(ValueSetSpec("test-set", "Test set", "For tests.", concepts), version=version, order=order)


def test_sorted_order_sorts_by_system_then_code_in_compose_and_expansion() -> None:
    resource = render(CONCEPTS, "sorted")
    assert [(c["system"], c["code"]) for c in resource["expansion"]["contains"]] == [
        (LOINC, "2-2"),
        (SNOMED, "100"),
        (SNOMED, "300"),
    ]
    assert [(i["system"], [c["code"] for c in i["concept"]]) for i in resource["compose"]["include"]] == [
        (LOINC, ["2-2"]),
        (SNOMED, ["100", "300"]),
    ]


def test_first_seen_order_keeps_the_listed_order_and_groups_compose_by_first_system() -> None:
    resource = render(CONCEPTS, "first-seen")
    assert [c["code"] for c in resource["expansion"]["contains"]] == ["300", "2-2", "100"]
    assert [(i["system"], [c["code"] for c in i["concept"]]) for i in resource["compose"]["include"]] == [
        (SNOMED, ["300", "100"]),
        (LOINC, ["2-2"]),
    ]


def test_a_repeated_system_and_code_is_listed_once_with_its_first_display() -> None:
    assert unique_concepts(CONCEPTS, "first-seen") == CONCEPTS[:3]
    resource = render(CONCEPTS, "sorted")
    assert resource["expansion"]["total"] == 3
    assert {c["code"]: c["display"] for c in resource["expansion"]["contains"]}["300"] == "third"


def test_header_carries_the_callers_version_and_a_name_from_the_id() -> None:
    resource = render(CONCEPTS, "sorted", version="2025.02")
    assert resource["version"] == "2025.02"
    assert resource["name"] == "TestSet"
    assert resource["url"] == "https://coverage-hooks.example.org/fhir/ValueSet/test-set"
    assert list(resource) == [
        "resourceType",
        "id",
        "url",
        "version",
        "name",
        "title",
        "status",
        "description",
        "compose",
        "expansion",
    ]


def test_an_empty_value_set_is_an_expansion_with_total_0_and_no_compose() -> None:
    for order in ("sorted", "first-seen"):
        resource = render([], order)
        assert "compose" not in resource
        assert resource["expansion"] == {"timestamp": EXPANSION_TIMESTAMP, "total": 0}


def test_rxnorm_rows_are_matched_by_ingredient_name_once_each_by_numeric_code() -> None:
    rows = [
        {"code": "20", "display": "Letrozole 2.5 MG Oral Tablet"},
        {"code": "3", "display": "letrozole"},
        {"code": "3", "display": "letrozole"},
        {"code": "100", "display": "letrozole / ribociclib Pack"},
        {"code": "7", "display": "anastrozole"},
    ]
    assert rxnorm_named(rows, ["letrozole"], exclude=["ribociclib"]) == [
        (RXNORM, "3", "letrozole"),
        (RXNORM, "20", "Letrozole 2.5 MG Oral Tablet"),
    ]
    assert rxnorm_codes(rows, ["7", "20"]) == [
        (RXNORM, "7", "anastrozole"),
        (RXNORM, "20", "Letrozole 2.5 MG Oral Tablet"),
    ]
