"""The FakeFhirServer other suites rely on: search semantics, paging links, recording, documents."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from tests.support.fhir_server import FakeFhirServer, Fault

PATIENT = {"resourceType": "Patient", "id": "123"}
PAYER = {"resourceType": "Organization", "id": "payer-1"}
COVERAGE = {
    "resourceType": "Coverage",
    "id": "cov-1",
    "status": "active",
    "beneficiary": {"reference": "Patient/123"},
    "payor": [{"reference": "Organization/payer-1"}],
}
ORDER = {
    "resourceType": "MedicationRequest",
    "id": "mr-1",
    "subject": {"reference": "Patient/123"},
    "medicationCodeableConcept": {
        "coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "2550714"}]
    },
}


def get(url: str, token: str | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def ids(bundle: dict[str, Any]) -> list[str]:
    return [entry["resource"]["id"] for entry in bundle["entry"]]


@pytest.fixture
def server() -> Any:
    with FakeFhirServer([PATIENT, PAYER, COVERAGE, ORDER]) as running:
        yield running


def test_search_by_patient_status_and_include(server: FakeFhirServer) -> None:
    status, bundle = get(f"{server.url}/Coverage?patient=Patient/123&status=active&_include=Coverage:payor")
    assert status == 200
    assert ids(bundle) == ["cov-1", "payer-1"]
    assert [e["search"]["mode"] for e in bundle["entry"]] == ["match", "include"]
    assert ids(get(f"{server.url}/Coverage?patient=999")[1]) == []
    assert ids(get(f"{server.url}/Coverage?status=cancelled")[1]) == []


def test_search_by_code_token_with_and_without_system(server: FakeFhirServer) -> None:
    rxnorm = "http://www.nlm.nih.gov/research/umls/rxnorm"
    assert ids(get(f"{server.url}/MedicationRequest?code={rxnorm}|2550714")[1]) == ["mr-1"]
    assert ids(get(f"{server.url}/MedicationRequest?code=2550714")[1]) == ["mr-1"]
    assert ids(get(f"{server.url}/MedicationRequest?code=http://loinc.org|2550714")[1]) == []


def test_read_and_missing_read(server: FakeFhirServer) -> None:
    assert get(f"{server.url}/Patient/123") == (200, PATIENT)
    status, outcome = get(f"{server.url}/Patient/nope")
    assert status == 404
    assert outcome["resourceType"] == "OperationOutcome"


def test_records_every_request_with_its_authorization(server: FakeFhirServer) -> None:
    get(f"{server.url}/Patient/123", token="t1")
    server.set_fault(Fault.HTTP_500)
    assert get(f"{server.url}/Patient/123")[0] == 500
    assert [(r.path, r.authorization) for r in server.requests] == [
        ("/fhir/Patient/123", "Bearer t1"),
        ("/fhir/Patient/123", None),
    ]
    server.clear_faults()
    assert get(f"{server.url}/Patient/123")[0] == 200


def test_paging_links_walk_all_results() -> None:
    with FakeFhirServer([{**PATIENT, "id": str(n)} for n in range(5)], page_size=2) as server:
        url: str | None = f"{server.url}/Patient"
        seen: list[str] = []
        for _ in range(10):
            if url is None:
                break
            bundle = get(url)[1]
            seen += ids(bundle)
            url = next((link["url"] for link in bundle["link"] if link["relation"] == "next"), None)
    assert seen == ["0", "1", "2", "3", "4"]


def test_serves_static_json_documents(server: FakeFhirServer) -> None:
    url = server.serve_json("/.well-known/jwks.json", {"keys": []})
    assert get(url) == (200, {"keys": []})


def test_redirect_fault_needs_a_target(server: FakeFhirServer) -> None:
    with pytest.raises(ValueError, match="redirect_to"):
        server.set_fault(Fault.REDIRECT)
