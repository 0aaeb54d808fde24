"""$populate: the server's CQL prefills the standard form from the record."""

from __future__ import annotations

from typing import Any

from cds_service.dtr import fhir
from tests.support import dtr_flow as flow
from tests.support.app_client import TestClient

NEEDS_INFO = "centene-sotorasib-nsclc-no-kras-result-needs-info"


def _draft(client: TestClient) -> dict[str, Any]:
    context = flow.sign(client, NEEDS_INFO)["coverage-assertion-id"]
    standard = flow.parts(flow.package(client, NEEDS_INFO, context).json(), "packagebundle")[0]
    return dict(standard["entry"][1]["resource"])


def test_known_criteria_are_answered_auto_server_with_their_evidence(policy_client: TestClient) -> None:
    reply = policy_client.post(flow.POPULATE, json=flow.with_record(NEEDS_INFO, _draft(policy_client)))
    assert reply.status_code == 200, reply.text
    (response,) = flow.parts(reply.json(), "response")
    flow.valid(response)
    assert flow.profiles(response) == [fhir.PROFILE_QR] and flow.extensions(response, fhir.QR_COVERAGE)
    items = {item["linkId"]: item for item in response["item"]}
    (diagnosis,) = items["I.A.1"]["answer"]
    assert diagnosis["valueBoolean"] is True
    origin = flow.extensions(diagnosis, fhir.INFORMATION_ORIGIN)[0]["extension"]
    assert origin == [{"url": "source", "valueCode": "auto-server"}]
    evidence = [e["valueReference"]["reference"] for e in diagnosis["extension"][1:]]
    assert "Condition/cond-nsclc" in evidence
    assert "answer" not in items["I.A.4"]  # unknown on the record: left for the clinician


def test_a_fhir_server_off_the_allowlist_is_never_contacted(policy_client: TestClient) -> None:
    body = flow.with_record(NEEDS_INFO, _draft(policy_client))
    body["parameter"] = [p for p in body["parameter"] if p["name"] != "record"]
    body["parameter"].append({"name": "fhirServer", "valueUrl": "http://169.254.169.254/fhir"})
    reply = policy_client.post(flow.POPULATE, json=body)
    assert reply.status_code == 412 and reply.json()["resourceType"] == "OperationOutcome"
