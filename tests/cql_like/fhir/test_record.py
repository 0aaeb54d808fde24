"""PatientRecord indexing, reference resolution and the retrieve code paths."""

from __future__ import annotations

from cql_like import PatientRecord
from cql_like.fhir.retrieve import default_codes

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


def test_medication_reference_resolves_to_the_medication_code() -> None:
    med = {"resourceType": "Medication", "id": "m", "code": {"coding": [{"system": RXNORM, "code": "2550714"}]}}
    by_ref = {"resourceType": "MedicationRequest", "id": "a", "medicationReference": {"reference": "Medication/m"}}
    contained = {
        "resourceType": "MedicationRequest", "id": "b", "medicationReference": {"reference": "#c"},
        "contained": [{"resourceType": "Medication", "id": "c", "code": {"coding": [{"system": RXNORM, "code": "1"}]}}],
    }  # fmt: skip
    dangling = {"resourceType": "MedicationRequest", "id": "d", "medicationReference": {"reference": "Medication/x"}}
    record = PatientRecord.from_resources([med, by_ref, contained, dangling])
    assert default_codes(record, by_ref) == frozenset({(RXNORM, "2550714")})
    assert default_codes(record, contained) == frozenset({(RXNORM, "1")})
    assert default_codes(record, dangling) == frozenset()


def test_bundle_index_by_type_and_reference() -> None:
    bundle = {"resourceType": "Bundle", "entry": [
        {"fullUrl": "urn:uuid:1234", "resource": {"resourceType": "Observation", "status": "final"}},
        {"fullUrl": "https://ehr/Patient/p", "resource": {"resourceType": "Patient", "id": "p"}},
        {"resource": {"resourceType": "Condition", "id": "c"}},
        {"request": {"method": "DELETE"}},
    ]}  # fmt: skip
    record = PatientRecord.from_bundle(bundle)
    assert len(record) == 3
    assert record.patient == {"resourceType": "Patient", "id": "p"}
    (obs,) = record.of_type("Observation")
    assert record.ref_of(obs) == "Observation/1234"
    assert record.resolve("Patient/p") is record.patient
    assert record.resolve("https://ehr/Patient/p") is record.patient
    assert record.resolve("urn:uuid:1234") is obs
    assert record.of_type("Procedure") == []


def test_malformed_contained_is_no_contained_resource() -> None:
    # found by the fuzz campaign: `"contained": true` made indexing raise TypeError (a 500 for the caller)
    medication = {"resourceType": "Medication", "id": "m"}
    odd: dict[str, object] = {"resourceType": "MedicationRequest", "id": "a", "contained": True}
    mixed: dict[str, object] = {"resourceType": "MedicationRequest", "id": "b", "contained": [1, "x", medication]}
    record = PatientRecord.from_resources([odd, mixed])
    assert len(record) == 2
    assert record.resolve("#m", odd) is None
    assert record.resolve("#m", mixed) == {"resourceType": "Medication", "id": "m"}
    assert record.ref_of(medication) == "MedicationRequest/b#m"


def test_every_medication_history_type_reads_its_drug_through_contained_and_record_references() -> None:
    # PriorTherapy.cql reads MedicationStatement, MedicationAdministration and MedicationDispense like requests
    med = {"resourceType": "Medication", "id": "m", "code": {"coding": [{"system": RXNORM, "code": "2626149"}]}}
    contained = [{"resourceType": "Medication", "id": "c", "code": {"coding": [{"system": RXNORM, "code": "1"}]}}]
    for kind in ("MedicationStatement", "MedicationAdministration", "MedicationDispense"):
        by_ref = {"resourceType": kind, "id": "a", "medicationReference": {"reference": "Medication/m"}}
        inside = {"resourceType": kind, "id": "b", "medicationReference": {"reference": "#c"}, "contained": contained}
        record = PatientRecord.from_resources([med, by_ref, inside])
        assert default_codes(record, by_ref) == frozenset({(RXNORM, "2626149")}), kind
        assert default_codes(record, inside) == frozenset({(RXNORM, "1")}), kind
