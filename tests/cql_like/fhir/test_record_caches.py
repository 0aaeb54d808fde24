"""What a PatientRecord keeps for every evaluation of it: element conversions (Concepts interned) and value-set
retrieves. Each is found once per record and gives what computing it afresh gives."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from cql_like import PatientRecord
from cql_like.fhir import model
from cql_like.fhir.retrieve import codes_at
from tests.cql_like.helpers import load

NOW = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
RX = "http://www.nlm.nih.gov/research/umls/rxnorm"


def _order(rid: str, code: str) -> dict[str, Any]:
    return {"resourceType": "MedicationRequest", "id": rid, "status": "active",
            "medicationCodeableConcept": {"coding": [{"system": RX, "code": code}]}}  # fmt: skip


def test_a_conversion_is_made_once_and_equal_concepts_are_one_object() -> None:
    first, second, other = _order("a", "1"), _order("b", "1"), _order("c", "2")
    record = PatientRecord.from_resources([first, second, other])
    calls: list[Any] = []

    def counting(element: Any) -> Any:
        calls.append(element)
        return model.to_concept(element)

    a = record.converted_value("CodeableConcept", first["medicationCodeableConcept"], counting)
    again = record.converted_value("CodeableConcept", first["medicationCodeableConcept"], counting)
    b = record.converted_value("CodeableConcept", second["medicationCodeableConcept"], counting)
    c = record.converted_value("CodeableConcept", other["medicationCodeableConcept"], counting)
    assert len(calls) == 3  # the second read of the first element is the kept value
    assert a is again and a is b  # equal concepts of different elements: one object
    assert c is not a and c == model.to_concept(other["medicationCodeableConcept"])


def test_a_value_set_retrieve_is_found_once_per_record_in_record_order() -> None:
    orders = [_order("a", "1"), _order("b", "2"), _order("c", "1")]
    record = PatientRecord.from_resources(orders)
    wanted = frozenset({(RX, "1")})

    def keys(rec: PatientRecord, resource: Any) -> Any:
        return codes_at(rec, resource, "medication")

    found = record.coded_in("MedicationRequest", "medication", keys, wanted)
    assert [r["id"] for r in found] == ["a", "c"]
    assert record.coded_in("MedicationRequest", "medication", keys, wanted) is found
    assert record.coded_in("MedicationRequest", "medication", keys, frozenset({(RX, "2")})) == [orders[1]]


LIB = """library Kept version '1'
using FHIR version '4.0.1'
include FHIRHelpers version '4.0.1' called FHIRHelpers
valueset "Sotorasib": 'https://example.org/fhir/ValueSet/sotorasib'
context Patient
define "Sotorasib Orders": [MedicationRequest: "Sotorasib"]
define "Drugs": [MedicationRequest] M return FHIRHelpers.ToConcept(M.medication)
"""


def test_evaluating_a_record_again_gives_the_same_answer_and_evidence(tmp_path: Path) -> None:
    lib = load(tmp_path, "Kept", LIB)
    resources = [_order("a", "2550714"), _order("b", "1"), _order("c", "2550714")]
    kept = PatientRecord.from_resources(resources)
    first = lib.evaluate(kept, now=NOW)
    again = lib.evaluate(kept, now=NOW)
    fresh = lib.evaluate(PatientRecord.from_resources(resources), now=NOW)
    for results in (again, fresh):
        assert results.values == first.values
        assert results.evidence == first.evidence
    assert [r["id"] for r in first.values["Sotorasib Orders"]] == ["a", "c"]
    assert first.evidence["Sotorasib Orders"] == ("MedicationRequest/a", "MedicationRequest/c")
    assert [c.codes[0].code for c in first.values["Drugs"]] == ["2550714", "1"]
