"""End to end against the real server (uvicorn on 127.0.0.1, `python -m cds_service serve`) without policies:
the payer defaults, request leniency, errors, metrics and logs. Policy decisions: test_e2e_policies.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.fhir_server import FakeFhirServer
from tests.support.hook_requests import coverage, medication_request, order_sign, organization, patient
from tests.support.inferno_checks import (
    check_discovery,
    check_hook_response,
    coverage_info_values,
    coverage_information,
)
from tests.support.live_server import LiveServer


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    no_policies = tmp_path_factory.mktemp("no-policies")
    with LiveServer(tmp_path_factory.mktemp("live"), env={"CDS_POLICIES_DIR": str(no_policies)}) as live:
        yield live


def _post(server: LiveServer, service: str, request: dict[str, object]) -> httpx.Response:
    return httpx.post(f"{server.url}/cds-services/{service}", json=request, timeout=30)


def test_startup_says_auth_is_off(server: LiveServer) -> None:
    assert "client authentication is OFF" in server.log_text()


def test_discovery_over_http(server: LiveServer) -> None:
    response = httpx.get(server.url + "/cds-services", timeout=10)
    assert response.status_code == 200
    check_discovery(response.json())


def test_no_policy_drug_over_http(server: LiveServer) -> None:
    request = order_sign(medication_request("197361", "amlodipine 5 MG Oral Tablet"), payer_key="fep-blue")
    response = _post(server, "crd-order-sign", request)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["cards"] == []
    [action] = check_hook_response("order-sign", request, body)
    values = coverage_info_values(coverage_information(action["resource"])[0])
    assert (values["covered"], values["pa-needed"]) == (["covered"], ["no-auth"])


def test_sandbox_shaped_request_over_http(server: LiveServer) -> None:
    order = medication_request(order_id="sandbox-order")
    del order["intent"]
    order["category"] = {"coding": [{"code": "community"}]}
    request = order_sign(order)
    del request["context"]["draftOrders"]["type"]
    response = _post(server, "crd-order-sign", request)
    assert response.status_code == 200, response.text
    check_hook_response("order-sign", request, response.json())


def test_errors_over_http(server: LiveServer) -> None:
    malformed = httpx.post(
        f"{server.url}/cds-services/crd-order-sign",
        content=b"{not json",
        timeout=10,
        headers={"content-type": "application/json"},
    )
    assert malformed.status_code == 400
    assert malformed.json()["resourceType"] == "OperationOutcome"
    unknown_payer = _post(server, "crd-order-sign", order_sign(payer_key="acme"))
    assert unknown_payer.status_code == 400
    assert unknown_payer.json()["resourceType"] == "OperationOutcome"


def test_metrics_over_http(server: LiveServer) -> None:
    _post(server, "crd-order-sign", order_sign())
    text = httpx.get(server.url + "/metrics", timeout=10).text
    assert 'cds_hook_requests_total{service="crd-order-sign",status="200"}' in text
    assert "cds_hook_request_duration_seconds_bucket" in text


def test_log_carries_no_patient_data(server: LiveServer, tmp_path: Path) -> None:
    request = order_sign()
    request["prefetch"]["patient"]["name"] = [{"family": "Zyxwvutsrq", "given": ["Qwertyuiop"]}]
    assert _post(server, "crd-order-sign", request).status_code == 200
    log = server.log_text()
    for secret in ("Zyxwvutsrq", "Qwertyuiop", "1960-04-02", "M123456", "opaque-token"):
        assert secret not in log


def test_without_prefetch_the_real_server_reads_the_ehr_with_the_bearer_token(server: LiveServer) -> None:
    token = "live-ehr-token-7f3a"
    with FakeFhirServer([patient(), coverage("fep-blue"), organization("fep-blue")]) as ehr:
        request = order_sign(with_prefetch=False, fhir_server=ehr.url, access_token=token)
        response = _post(server, "crd-order-sign", request)
        assert response.status_code == 200, response.text
        assert ehr.requests and set(ehr.authorizations) == {f"Bearer {token}"}
    [action] = check_hook_response("order-sign", request, response.json())
    assert coverage_info_values(coverage_information(action["resource"])[0])["coverage"] == [
        {"reference": "Coverage/cov-1"}
    ]
    assert token not in server.log_text()
