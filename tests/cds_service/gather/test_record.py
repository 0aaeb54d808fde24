"""Data gathering: prefetch first; what is missing comes from the EHR's FHIR server, with the bearer token,
only when that server is on the allowlist; failures become 412 or `technical` as the issue prescribes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cds_service.app import EmptyCatalog, create_app
from cds_service.settings import Settings
from tests.support.app_client import TestClient
from tests.support.connection_recorder import ConnectionRecorder
from tests.support.fhir_server import FakeFhirServer, Fault
from tests.support.hook_requests import coverage, medication_request, order_sign, organization, patient
from tests.support.inferno_checks import check_hook_response, coverage_info_values, coverage_information

SIGN = "/cds-services/crd-order-sign"
TOKEN = "ehr-access-token-123"


@pytest.fixture
def ehr() -> Iterator[FakeFhirServer]:
    with FakeFhirServer([patient(), coverage("fep-blue"), organization("fep-blue")]) as server:
        yield server


def _client(tmp_path: Path, allowed: tuple[str, ...]) -> TestClient:
    settings = Settings(auth="off", db_path=tmp_path / "audit.sqlite3", allowed_fhir_servers=allowed)
    return TestClient(create_app(settings, policies=(EmptyCatalog(), None)))


def test_without_prefetch_the_service_reads_the_ehr_with_the_bearer_token(tmp_path: Path, ehr: FakeFhirServer) -> None:
    request = order_sign(medication_request(), with_prefetch=False, fhir_server=ehr.url, access_token=TOKEN)
    with _client(tmp_path, (ehr.url,)) as client:
        response = client.post(SIGN, json=request)
    assert response.status_code == 200, response.text
    [action] = check_hook_response("order-sign", request, response.json())
    values = coverage_info_values(coverage_information(action["resource"])[0])
    assert values["covered"] == ["covered"] and values["coverage"] == [{"reference": "Coverage/cov-1"}]
    assert ehr.requests, "the EHR was queried"
    assert set(ehr.authorizations) == {f"Bearer {TOKEN}"}
    searched = {r.resource_type for r in ehr.requests}
    assert {"Coverage", "Patient", "Condition", "Observation", "MedicationRequest"} <= searched


def test_a_fhir_server_outside_the_allowlist_is_never_contacted(tmp_path: Path, ehr: FakeFhirServer) -> None:
    with ConnectionRecorder() as elsewhere:
        request = order_sign(with_prefetch=False, fhir_server=elsewhere.url + "/fhir", access_token=TOKEN)
        with _client(tmp_path, (ehr.url,)) as client:
            response = client.post(SIGN, json=request)
        assert elsewhere.connection_count == 0
    assert response.status_code == 412
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert "coverage" in outcome["issue"][0]["diagnostics"]
    assert TOKEN not in response.text


def test_partial_prefetch_fetches_only_the_missing_keys(tmp_path: Path, ehr: FakeFhirServer) -> None:
    request = order_sign(payer_key="fep-blue", fhir_server=ehr.url, access_token=TOKEN)
    del request["prefetch"]["conditions"]
    with _client(tmp_path, (ehr.url,)) as client:
        assert client.post(SIGN, json=request).status_code == 200
    assert [r.resource_type for r in ehr.requests] == ["Condition"]


def test_prefetched_payor_organization_is_read_when_not_included(tmp_path: Path, ehr: FakeFhirServer) -> None:
    request = order_sign(payer_key="fep-blue", fhir_server=ehr.url, access_token=TOKEN)
    request["prefetch"]["coverage"]["entry"] = request["prefetch"]["coverage"]["entry"][:1]  # Coverage only
    with _client(tmp_path, (ehr.url,)) as client:
        assert client.post(SIGN, json=request).status_code == 200
    assert [(r.path, r.authorization) for r in ehr.requests] == [("/fhir/Organization/org-fep-blue", f"Bearer {TOKEN}")]


def test_coverage_retrieval_failure_is_412(tmp_path: Path, ehr: FakeFhirServer) -> None:
    ehr.set_fault(Fault.HTTP_500, resource_type="Coverage")
    request = order_sign(with_prefetch=False, fhir_server=ehr.url, access_token=TOKEN)
    with _client(tmp_path, (ehr.url,)) as client:
        response = client.post(SIGN, json=request)
    assert response.status_code == 412
    assert response.json()["resourceType"] == "OperationOutcome"


def test_prefetch_operation_outcome_is_retried_against_the_ehr(tmp_path: Path, ehr: FakeFhirServer) -> None:
    request = order_sign(payer_key="fep-blue", fhir_server=ehr.url, access_token=TOKEN)
    request["prefetch"]["coverage"] = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "timeout", "diagnostics": "EHR prefetch timed out"}],
    }
    with _client(tmp_path, (ehr.url,)) as client:
        response = client.post(SIGN, json=request)
    assert response.status_code == 200, response.text
    assert [r.resource_type for r in ehr.requests] == ["Coverage"]
