"""replay_inputs: hook requests, Bundles of each type, NDJSON exports and directories become replay inputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cds_service.replay.inputs import (
    HookRequestInput,
    PatientRecordInput,
    ReplayInputError,
    expand,
    patient_of,
    read_inputs,
)
from tests.support.replay_records import MCODE_BUNDLE, SAMPLES, SYNTHEA_NDJSON


def patient(pid: str) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": pid, "birthDate": "1960-01-01"}


def condition(cid: str, pid: str) -> dict[str, Any]:
    return {"resourceType": "Condition", "id": cid, "subject": {"reference": f"Patient/{pid}"}}


def bundle(kind: str, *resources: dict[str, Any]) -> dict[str, Any]:
    entries: list[dict[str, Any]] = []
    for r in resources:
        entry: dict[str, Any] = {"fullUrl": f"urn:uuid:{r['id']}", "resource": r}
        if kind == "transaction":
            entry["request"] = {"method": "POST", "url": r["resourceType"]}
        if kind == "searchset":
            entry["search"] = {"mode": "match"}
        entries.append(entry)
    return {"resourceType": "Bundle", "type": kind, "entry": entries}


def write(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document))
    return path


def records(result_inputs: list[Any]) -> list[PatientRecordInput]:
    return [i for i in result_inputs if isinstance(i, PatientRecordInput)]


def test_a_hook_request_file_is_replayed_as_it_is() -> None:
    path = SAMPLES / "centene-everolimus-tsc-seizures-age-1-not-met.json"
    [item] = read_inputs([path]).inputs
    assert isinstance(item, HookRequestInput)
    assert item.payload["hook"] == "order-sign"
    assert item.label == str(path)


@pytest.mark.parametrize("kind", ["transaction", "collection", "searchset", "batch"])
def test_a_bundle_of_any_type_becomes_one_record_per_patient(tmp_path: Path, kind: str) -> None:
    practitioner = {"resourceType": "Practitioner", "id": "prac-9"}
    path = write(
        tmp_path / f"{kind}.json",
        bundle(kind, condition("c1", "p1"), patient("p1"), practitioner, patient("p2"), condition("c2", "p2")),
    )
    found = records(read_inputs([path]).inputs)
    assert [r.patient_id for r in found] == ["p1", "p2"]
    first = found[0]
    assert first.resources[0]["resourceType"] == "Patient"  # the Patient leads the record
    assert {f"{r['resourceType']}/{r['id']}" for r in first.resources} == {
        "Patient/p1",
        "Condition/c1",
        "Practitioner/prac-9",
    }


def test_the_public_mcode_transaction_bundle() -> None:
    path = MCODE_BUNDLE
    [record] = records(read_inputs([path]).inputs)
    assert record.patient_id == "mCODETrialMatchingPatientExample02"
    kinds = {r["resourceType"] for r in record.resources}
    assert {"Patient", "Condition", "Observation", "MedicationStatement"} <= kinds


def test_ndjson_files_of_one_export_are_pooled_by_patient(tmp_path: Path) -> None:
    (tmp_path / "Patient.ndjson").write_text(json.dumps(patient("p1")) + "\n\n" + json.dumps(patient("p2")) + "\n")
    (tmp_path / "Condition.ndjson").write_text(
        "\n".join(json.dumps(c) for c in (condition("c1", "p1"), condition("c2", "p2"), condition("c3", "p2")))
    )
    (tmp_path / "Practitioner.ndjson").write_text(json.dumps({"resourceType": "Practitioner", "id": "x"}))
    found = records(read_inputs(expand([tmp_path])).inputs)
    by_patient = {r.patient_id: sorted(f"{x['resourceType']}/{x['id']}" for x in r.resources) for r in found}
    assert by_patient == {
        "p1": ["Condition/c1", "Patient/p1", "Practitioner/x"],
        "p2": ["Condition/c2", "Condition/c3", "Patient/p2", "Practitioner/x"],
    }


def test_the_synthea_bulk_export_sample() -> None:
    path = SYNTHEA_NDJSON
    [record] = records(read_inputs([path]).inputs)
    assert record.patient_id == "129c6ac7-8d06-89de-ad63-0204a93e76c3"
    assert sum(1 for r in record.resources if r["resourceType"] == "MedicationRequest") == 447
    assert any(r["resourceType"] == "PractitionerRole" for r in record.resources)


def test_two_bundles_reusing_a_patient_id_stay_two_records(tmp_path: Path) -> None:
    first = write(tmp_path / "a.json", bundle("collection", patient("p1"), condition("c1", "p1")))
    second = write(tmp_path / "b.json", bundle("collection", patient("p1"), condition("c2", "p1")))
    found = records(read_inputs([first, second]).inputs)
    assert [sorted(r["id"] for r in rec.resources) for rec in found] == [["c1", "p1"], ["c2", "p1"]]


def test_directories_are_walked_recursively_and_each_file_read_once(tmp_path: Path) -> None:
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    request = write(
        nested / "request.json",
        json.loads((SAMPLES / "centene-amlodipine-no-policy-covered.json").read_text()),
    )
    write(tmp_path / "record.json", bundle("collection", patient("p1")))
    (tmp_path / "notes.txt").write_text("not data")
    files = expand([tmp_path, request])
    assert sorted(p.name for p in files) == ["record.json", "request.json"]


def test_non_fhir_json_in_a_directory_is_skipped_but_named_files_must_be_data(tmp_path: Path) -> None:
    junk = write(tmp_path / "index.json", {"samples": []})
    write(tmp_path / "record.json", bundle("collection", patient("p1")))
    result = read_inputs(expand([tmp_path]))
    assert len(result.inputs) == 1 and "index.json" in result.skipped[0]
    with pytest.raises(ReplayInputError, match="neither a FHIR resource nor a CDS Hooks request"):
        read_inputs([junk], explicit=[junk])
    broken = tmp_path / "broken.ndjson"
    broken.write_text('{"resourceType": "Patient", "id": "p"}\n{not json\n')
    with pytest.raises(ReplayInputError, match=r"broken.ndjson:2: not valid JSON"):
        read_inputs([broken], explicit=[broken])
    with pytest.raises(ReplayInputError, match="no such file or directory"):
        expand([tmp_path / "missing.json"])


def test_patient_references_are_found_in_each_usual_field() -> None:
    assert patient_of({"resourceType": "Coverage", "beneficiary": {"reference": "Patient/b"}}) == "b"
    assert patient_of({"resourceType": "AllergyIntolerance", "patient": {"reference": "Patient/a"}}) == "a"
    assert patient_of({"resourceType": "Condition", "subject": {"reference": "urn:uuid:u1"}}) == "u1"
    assert patient_of({"resourceType": "Condition", "subject": {"reference": "Group/g"}}) is None
    assert patient_of({"resourceType": "Medication", "id": "m"}) is None
