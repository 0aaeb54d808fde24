"""The hook endpoint through the ASGI app: answers, coverage-information, and every error status."""

from __future__ import annotations

from typing import Any

import orjson

from cds_service.app import EmptyCatalog, create_app
from cds_service.settings import Settings
from tests.support.app_client import TestClient
from tests.support.hook_requests import coverage, medication_request, order_sign, organization, searchset
from tests.support.inferno_checks import check_hook_response, coverage_info_values, coverage_information

SIGN = "/cds-services/crd-order-sign"


def _outcome(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["severity"] == "error"
    assert "Traceback" not in response.text
    return body


def test_drug_without_policy_gets_the_payer_default(client: TestClient) -> None:
    request = order_sign(medication_request("197361", "amlodipine 5 MG Oral Tablet"))
    response = client.post(SIGN, json=request)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["cards"] == []
    actions = check_hook_response("order-sign", request, body)
    assert len(actions) == 1
    values = coverage_info_values(coverage_information(actions[0]["resource"])[0])
    assert values["covered"] == ["covered"]
    assert values["pa-needed"] == ["no-auth"]
    assert values["coverage"] == [{"reference": "Coverage/cov-1"}]


def test_every_in_scope_order_gets_one_system_action(client: TestClient) -> None:
    orders = [
        medication_request(order_id="mr-a"),
        medication_request("310798", "hydrochlorothiazide", order_id="mr-b"),
    ]
    request = order_sign(*orders)
    body = client.post(SIGN, json=request).json()
    refs = [f"{a['resource']['resourceType']}/{a['resource']['id']}" for a in body["systemActions"]]
    assert refs == ["MedicationRequest/mr-a", "MedicationRequest/mr-b"]
    ids = {
        coverage_info_values(coverage_information(a["resource"])[0])["coverage-assertion-id"][0]
        for a in body["systemActions"]
    }
    assert len(ids) == 2


def test_sandbox_shaped_request_is_accepted(client: TestClient) -> None:
    order = medication_request(order_id="sandbox-1")
    del order["intent"]
    order["category"] = {"coding": [{"code": "outpatient"}]}  # an object where FHIR has an array
    request = order_sign(order)
    del request["context"]["draftOrders"]["type"]
    for entry in request["context"]["draftOrders"]["entry"]:
        del entry["fullUrl"]
    request["someFutureField"] = {"x": 1}
    request["context"]["unknownContext"] = "ignored"
    response = client.post(SIGN, json=request)
    assert response.status_code == 200, response.text
    echoed = response.json()["systemActions"][0]["resource"]
    assert echoed["category"] == {"coding": [{"code": "outpatient"}]}
    assert "intent" not in echoed


def test_configuration_can_turn_coverage_information_off(client: TestClient) -> None:
    request = order_sign()
    request["extension"] = {"davinci-crd.configuration": {"coverage-info": False, "unknown-option": 3}}
    body = client.post(SIGN, json=request).json()
    assert body == {"cards": [], "systemActions": []}


def test_malformed_json_is_400(client: TestClient) -> None:
    response = client.post(SIGN, content=b'{"hook": "order-sign",', headers={"content-type": "application/json"})
    _outcome(response, 400)


def test_not_a_cds_hooks_request_is_400(client: TestClient) -> None:
    _outcome(client.post(SIGN, json=[1, 2, 3]), 400)
    _outcome(client.post(SIGN, json={"hook": "order-sign", "context": {}}), 400)
    wrong_hook = order_sign()
    wrong_hook["hook"] = "order-select"
    _outcome(client.post(SIGN, json=wrong_hook), 400)


def test_authorization_without_fhir_server_is_400(client: TestClient) -> None:
    request = order_sign()
    del request["fhirServer"]
    _outcome(client.post(SIGN, json=request), 400)


def test_cds_hooks_context_violations_are_400(client: TestClient) -> None:
    """hook-13: a request that breaks CDS Hooks rules (a context field the hook requires is missing or of the
    wrong type) is 400, not 422 (was 422 before CRD 2.2.1's hook-13 was applied)."""
    no_drafts = order_sign()
    del no_drafts["context"]["draftOrders"]
    assert "draftOrders" in _outcome(client.post(SIGN, json=no_drafts), 400)["issue"][0]["diagnostics"]
    no_patient = order_sign()
    del no_patient["context"]["patientId"]
    assert "patientId" in _outcome(client.post(SIGN, json=no_patient), 400)["issue"][0]["diagnostics"]
    wrong_type = order_sign()
    wrong_type["context"]["draftOrders"] = ["MedicationRequest/mr-1"]
    _outcome(client.post(SIGN, json=wrong_type), 400)
    bad_selection = order_sign(hook="order-select")
    bad_selection["context"]["selections"] = ["MedicationRequest/not-in-drafts"]
    _outcome(client.post("/cds-services/crd-order-select", json=bad_selection), 400)
    no_appointments = order_sign(hook="appointment-book")
    del no_appointments["context"]["draftOrders"]
    _outcome(client.post("/cds-services/crd-appointment-book", json=no_appointments), 400)
    no_encounter = order_sign(hook="encounter-discharge")
    del no_encounter["context"]["draftOrders"]
    _outcome(client.post("/cds-services/crd-encounter-discharge", json=no_encounter), 400)


def test_an_order_about_another_patient_is_400(client: TestClient) -> None:
    """Deciding another patient's order from this patient's record would be wrong: the request is refused."""
    request = order_sign(medication_request(patient_id="someone-else"))
    body = _outcome(client.post(SIGN, json=request), 400)
    assert body["issue"][0]["diagnostics"] == "MedicationRequest/mr-1 is about another patient than context.patientId"
    absolute = order_sign(medication_request())
    entry = absolute["context"]["draftOrders"]["entry"][0]["resource"]
    entry["subject"] = {"reference": "https://ehr.example.org/fhir/Patient/pat-1"}
    assert client.post(SIGN, json=absolute).status_code == 200


def test_body_over_the_limit_is_413(settings: Settings) -> None:
    small = Settings(**{**settings.__dict__, "max_body_bytes": 2000})
    with TestClient(create_app(small, policies=(EmptyCatalog(), None))) as client:
        request = order_sign()
        request["padding"] = "x" * 5000
        _outcome(
            client.post(SIGN, content=orjson.dumps(request), headers={"content-type": "application/json"}),
            413,
        )


def test_coverage_problems_are_400(client: TestClient) -> None:
    no_coverage = order_sign(extra_prefetch={"coverage": searchset()})
    assert "Coverage" in _outcome(client.post(SIGN, json=no_coverage), 400)["issue"][0]["diagnostics"]
    two = order_sign(
        extra_prefetch={
            "coverage": searchset(
                coverage(),
                coverage("fep-blue", coverage_id="cov-2"),
                organization("centene"),
                organization("fep-blue"),
            )
        }
    )
    _outcome(client.post(SIGN, json=two), 400)
    unknown = order_sign(extra_prefetch={"coverage": searchset(coverage("acme"), organization("acme"))})
    _outcome(client.post(SIGN, json=unknown), 400)


def test_a_coverage_not_in_force_answers_not_covered_no_active_coverage(client: TestClient) -> None:
    """resp-45 (was a 400 for a cancelled Coverage, and an approval for an active one whose period had ended)."""
    cancelled = order_sign(
        extra_prefetch={"coverage": searchset(coverage(status="cancelled"), organization("centene"))}
    )
    ended_coverage = coverage()
    ended_coverage["period"] = {"start": "2020-01-01", "end": "2021-06-30"}
    ended = order_sign(extra_prefetch={"coverage": searchset(ended_coverage, organization("centene"))})
    for request, why in ((cancelled, "status is cancelled"), (ended, "ended on 2021-06-30")):
        response = client.post(SIGN, json=request)
        assert response.status_code == 200, response.text
        body = response.json()
        [action] = check_hook_response("order-sign", request, body)
        values = coverage_info_values(coverage_information(action["resource"])[0])
        assert values["covered"] == ["not-covered"] and "pa-needed" not in values
        assert "satisfied-pa-id" not in values
        [reason] = values["reason"]
        assert reason["coding"][0]["code"] == "no-active-coverage" and why in reason["text"]
        [card] = body["cards"]
        assert card["summary"] == "amlodipine 5 MG Oral Tablet: no coverage in force"
        assert why in card["detail"]


def test_missing_coverage_with_no_reachable_server_is_412(client: TestClient) -> None:
    request = order_sign(with_prefetch=False, fhir_server="https://ehr.elsewhere.example/fhir")
    _outcome(client.post(SIGN, json=request), 412)


def test_unknown_service_and_route_are_404_outcomes(client: TestClient) -> None:
    _outcome(client.post("/cds-services/nope", json=order_sign()), 404)
    _outcome(client.get("/not-here"), 404)


def test_the_audit_record_is_written_before_the_answer(client: TestClient) -> None:
    request = order_sign()
    body = client.post(SIGN, json=request).json()
    store = client.app.state.cds.store  # type: ignore[attr-defined]
    [record] = store.invocations(request["hookInstance"])
    assert record["http_status"] == 200
    assert record["payer"] == "centene" and record["line_of_business"] == "medicaid"
    assert orjson.loads(record["response_body"]) == body
    [decision] = record["decisions"]
    assertion_id = coverage_info_values(coverage_information(body["systemActions"][0]["resource"])[0])[
        "coverage-assertion-id"
    ][0]
    assert decision["coverage_assertion_id"] == assertion_id
    assert decision["decision"] == "no-policy"


def test_json_nested_beyond_the_limit_is_400(client: TestClient) -> None:
    request = order_sign()
    deep: dict[str, Any] = {"valueString": "x"}
    for _ in range(70):
        deep = {"extension": [deep]}
    request["context"]["draftOrders"]["entry"][0]["resource"]["extension"] = [deep]
    body = _outcome(client.post(SIGN, json=request), 400)
    assert "nested" in body["issue"][0]["diagnostics"]
    shallow = order_sign()
    shallow["context"]["draftOrders"]["entry"][0]["resource"]["extension"] = [{"url": "http://x", "valueString": "y"}]
    assert client.post(SIGN, json=shallow).status_code == 200


def test_encounter_start_checks_the_coverage_and_gives_no_order_guidance(client: TestClient) -> None:
    request = order_sign(hook="encounter-start")
    del request["context"]["draftOrders"]
    request["context"]["encounterId"] = "enc-1"
    response = client.post("/cds-services/crd-encounter-start", json=request)
    assert response.status_code == 200, response.text
    assert response.json() == {"cards": [], "systemActions": []}
    request["prefetch"]["coverage"] = searchset(coverage("acme"), organization("acme"))
    _outcome(client.post("/cds-services/crd-encounter-start", json=request), 400)


def test_order_dispatch_accepts_the_2_0_1_and_2_2_context_shapes(client: TestClient) -> None:
    order = medication_request(order_id="mr-d")
    order["status"] = "active"
    for context in (
        {
            "patientId": "pat-1",
            "dispatchedOrders": ["MedicationRequest/mr-d"],
            "performer": "Organization/pharm",
        },
        {"patientId": "pat-1", "order": "MedicationRequest/mr-d", "performer": "Organization/pharm"},
    ):
        request = order_sign(hook="order-dispatch")
        request["context"] = context
        request["prefetch"]["medicationRequests"] = searchset(order)
        response = client.post("/cds-services/crd-order-dispatch", json=request)
        assert response.status_code == 200, response.text
        [action] = check_hook_response("order-dispatch", request, response.json())
        assert action["resource"] == {**order, "extension": action["resource"]["extension"]}
    request["context"] = {"patientId": "pat-1", "dispatchedOrders": ["MedicationRequest/mr-d"]}
    _outcome(client.post("/cds-services/crd-order-dispatch", json=request), 400)  # performer is required


def test_a_repeated_selection_is_answered_once(client: TestClient) -> None:
    request = order_sign(hook="order-select")
    request["context"]["selections"] = ["MedicationRequest/mr-1", "MedicationRequest/mr-1"]
    response = client.post("/cds-services/crd-order-select", json=request)
    assert response.status_code == 200, response.text
    assert len(response.json()["systemActions"]) == 1
