"""The pipeline's CRD answers for a Coverage not in force, a line of business no policy covers, and the
appointment-book and encounter-discharge hooks, through the app with the repository's policies. The base is
an order every Centene CP.PHAR.549 criterion approves, so each test shows what would otherwise be approved."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.app_client import TestClient
from tests.support.inferno_checks import check_hook_response, coverage_info_values, coverage_information

REPO = Path(__file__).resolve().parents[2]
SOPT = "https://nahdo.org/sopt"
APPROVED = REPO / "sample_bundles" / "centene-sotorasib-nsclc-approved.json"


def _request() -> dict[str, Any]:
    request: dict[str, Any] = json.loads(APPROVED.read_text())
    return request


def _coverage(request: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = next(
        e["resource"] for e in request["prefetch"]["coverage"]["entry"] if e["resource"]["resourceType"] == "Coverage"
    )
    return found


def _values(body: dict[str, Any], hook: str, request: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        coverage_info_values(coverage_information(a["resource"])[0]) for a in check_hook_response(hook, request, body)
    ]


def test_the_base_order_is_approved(policy_client: TestClient) -> None:
    request = _request()
    [values] = _values(policy_client.post("/cds-services/crd-order-sign", json=request).json(), "order-sign", request)
    assert values["pa-needed"] == ["satisfied"]


def test_a_coverage_whose_period_ended_is_not_covered_without_a_pa_number(policy_client: TestClient) -> None:
    request = _request()
    _coverage(request)["period"] = {"start": "2019-01-01", "end": "2021-12-31"}
    body = policy_client.post("/cds-services/crd-order-sign", json=request).json()
    [values] = _values(body, "order-sign", request)
    assert values["covered"] == ["not-covered"] and "satisfied-pa-id" not in values and "pa-needed" not in values
    assert values["reason"][0]["coding"][0]["code"] == "no-active-coverage"
    [card] = body["cards"]
    assert card["summary"].endswith("no coverage in force") and "2021-12-31" in card["detail"]


@pytest.mark.parametrize(
    ("sopt", "summary"),
    [
        ("1", "medicare coverage is not under this policy"),
        ("14", "dual coverage is not under this policy"),
        ("3", "line of business not placed"),
    ],
)
def test_a_line_the_policy_does_not_cover_is_never_approved_as_commercial(
    policy_client: TestClient, sopt: str, summary: str
) -> None:
    """Issue #13 item 6: CP.PHAR.549 covers Commercial, HIM and Medicaid only."""
    request = _request()
    _coverage(request)["type"] = {"coding": [{"system": SOPT, "code": sopt}]}
    response = policy_client.post("/cds-services/crd-order-sign", json=request)
    body = response.json()
    [values] = _values(body, "order-sign", request)
    assert (values["covered"], values["info-needed"]) == (["conditional"], ["OTH"])
    assert "satisfied-pa-id" not in values and "CP.PHAR.549" in values["reason"][0]["text"]
    [card] = body["cards"]
    assert card["summary"].endswith(summary)
    records = policy_client.app.state.cds.store.invocations(request["hookInstance"])  # type: ignore[attr-defined]
    assert records[0]["decisions"][0]["decision"] == "info-needed"


def _appointment_request(request: dict[str, Any], with_order: bool = True) -> dict[str, Any]:
    """The approvable order as an active MedicationRequest on the EHR, booked as an infusion appointment."""
    booked = copy.deepcopy(request)
    order = booked["context"]["draftOrders"]["entry"][0]["resource"]
    order["status"] = "active"
    booked["prefetch"]["medicationRequests"]["entry"].append({"resource": order})
    appointment: dict[str, Any] = {
        "resourceType": "Appointment",
        "id": "appt-1",
        "status": "proposed",
        "start": "2026-12-01T09:00:00Z",
        "end": "2026-12-01T10:00:00Z",
        "participant": [{"actor": {"reference": f"Patient/{booked['context']['patientId']}"}, "status": "accepted"}],
    }
    if with_order:
        appointment["basedOn"] = [{"reference": f"MedicationRequest/{order['id']}"}]
    booked["hook"] = "appointment-book"
    booked["context"] = {
        "userId": booked["context"]["userId"],
        "patientId": booked["context"]["patientId"],
        "appointments": {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": appointment}]},
    }
    return booked


def test_appointment_book_decides_the_order_the_appointment_is_based_on(policy_client: TestClient) -> None:
    request = _appointment_request(_request())
    response = policy_client.post("/cds-services/crd-appointment-book", json=request)
    assert response.status_code == 200, response.text
    body = response.json()
    [action] = body["systemActions"]
    assert action["resource"]["resourceType"] == "Appointment" and action["resource"]["id"] == "appt-1"
    values = coverage_info_values(coverage_information(action["resource"])[0])
    assert values["pa-needed"] == ["satisfied"]
    assert body["cards"][0]["extension"]["coverage-hooks.trace"]["policy"] == "centene-cp-phar-549"
    plain = _appointment_request(_request(), with_order=False)
    body = policy_client.post("/cds-services/crd-appointment-book", json=plain).json()
    [action] = body["systemActions"]  # hook-16: a primary hook always answers; an appointment without an order
    values = coverage_info_values(coverage_information(action["resource"])[0])  # gets the payer's default
    assert (values["covered"], values["pa-needed"]) == (["covered"], ["no-auth"])


def test_appointment_for_another_patient_is_400(policy_client: TestClient) -> None:
    request = _appointment_request(_request())
    appointment = request["context"]["appointments"]["entry"][0]["resource"]
    appointment["participant"][0]["actor"] = {"reference": "Patient/other"}
    assert policy_client.post("/cds-services/crd-appointment-book", json=request).status_code == 400


def test_encounter_discharge_decides_the_encounters_drug_orders_without_asking_for_documents(
    policy_client: TestClient,
) -> None:
    request = _request()
    order = request["context"]["draftOrders"]["entry"][0]["resource"]
    order["encounter"] = {"reference": "Encounter/enc-9"}
    elsewhere = copy.deepcopy(order) | {"id": "mr-other-visit", "encounter": {"reference": "Encounter/enc-1"}}
    stopped = copy.deepcopy(order) | {"id": "mr-stopped", "status": "stopped"}
    request["prefetch"]["medicationRequests"]["entry"] += [{"resource": r} for r in (order, elsewhere, stopped)]
    request["hook"] = "encounter-discharge"
    request["context"] = {"userId": request["context"]["userId"], "patientId": request["context"]["patientId"],
                          "encounterId": "enc-9"}  # fmt: skip
    response = policy_client.post("/cds-services/crd-encounter-discharge", json=request)
    assert response.status_code == 200, response.text
    actions = response.json()["systemActions"]
    assert [a["resource"]["id"] for a in actions] == [order["id"]]
    values = coverage_info_values(coverage_information(actions[0]["resource"])[0])
    # hook-19: a supporting hook asks for no documentation; like order-select it issues no PA number (found-35)
    assert values["pa-needed"] == ["auth-needed"] and "doc-needed" not in values
    assert "satisfied-pa-id" not in values
