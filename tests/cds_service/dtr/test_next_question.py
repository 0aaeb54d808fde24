"""$next-question: the adaptive form asks what the record leaves unknown and ends in the payer's decision."""

from __future__ import annotations

from typing import Any

from cds_service.dtr import fhir
from tests.support import dtr_flow as flow
from tests.support.app_client import TestClient

NEEDS_INFO = "centene-sotorasib-nsclc-no-kras-result-needs-info"  # only I.A.4 (KRAS G12C) is unknown
APPROVED = "centene-sotorasib-nsclc-approved"
NOT_MET = "centene-sotorasib-kras-g12d-not-met"  # KRAS G12D on the record: I.A.4 not met


def _adaptive(client: TestClient, name: str) -> dict[str, Any]:
    context = flow.sign(client, name)["coverage-assertion-id"]
    reply = flow.package(client, name, context)
    if reply.status_code == 200 and flow.parts(reply.json(), "packagebundle"):
        return dict(flow.parts(reply.json(), "packagebundle")[1]["entry"][1]["resource"])
    # CRD asked for nothing (approved or not met): the EHR's adaptive form starts from the order alone
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "coverage", "resource": flow.coverage_of(name)},
            {"name": "order", "resource": flow.order_of(name)},
            {"name": "record", "resource": flow.record(name)},  # its payor Organization routes the Coverage
            {"name": "questionnaire", "valueCanonical": fhir.adaptive_url("centene-cp-phar-549") + "|2024.11"},
        ],
    }
    reply = client.post(flow.PACKAGE, json=body)
    assert reply.status_code == 200, reply.text
    return dict(flow.parts(reply.json(), "packagebundle")[1]["entry"][1]["resource"])


def _checked(response: dict[str, Any]) -> dict[str, Any]:
    """Every returned response validates and carries what the DTR adaptive response profile requires."""
    flow.valid(response)
    assert flow.profiles(response) == [fhir.PROFILE_QR_ADAPT]
    assert flow.extensions(response, fhir.QR_COVERAGE) and flow.extensions(response, fhir.INTENDED_USE)
    assert response["subject"] and response["questionnaire"] == "#adaptive" and len(response["contained"]) == 1
    for item in response.get("item", []):
        for answer in item.get("answer", []):
            assert flow.extensions(answer, fhir.INFORMATION_ORIGIN)
    return response


def _ask(client: TestClient, name: str, response: dict[str, Any]) -> dict[str, Any]:
    return _checked(flow.next_question(client, name, response))


def test_answering_the_only_unknown_criterion_ends_in_an_approval_with_a_pa_number(policy_client: TestClient) -> None:
    first = _ask(policy_client, NEEDS_INFO, _adaptive(policy_client, NEEDS_INFO))
    assert first["status"] == "in-progress" and flow.asked(first) == ["I.A.4"]  # nothing the record answers
    met = _ask(policy_client, NEEDS_INFO, flow.answer(first, "I.A.4", True))
    assert met["status"] == "in-progress" and flow.asked(met) == ["I.A.4", fhir.ISSUE_PA_LINK_ID]  # §spec-41
    assert not flow.coverage_information(met).get("satisfied-pa-id")
    done = _ask(policy_client, NEEDS_INFO, flow.answer(met, fhir.ISSUE_PA_LINK_ID, True))
    info = flow.coverage_information(done)
    assert done["status"] == "completed"
    assert (info["covered"], info["pa-needed"]) == ("covered", "satisfied")
    assert info["satisfied-pa-id"].startswith("PA-") and info["expiry-date"] > info["date"]
    # the same completed answers again: the same durable determination, not a second PA number
    again = _ask(policy_client, NEEDS_INFO, flow.answer(met, fhir.ISSUE_PA_LINK_ID, True))
    assert flow.coverage_information(again)["satisfied-pa-id"] == info["satisfied-pa-id"]
    app: Any = policy_client.app
    kept = app.state.cds.store.determination_by_pa(info["satisfied-pa-id"])
    kras = next(c for c in kept["criteria"]["criteria"] if c["id"] == "I.A.4")
    assert kras["status"] == "met" and kras["evidence"] == [f"QuestionnaireResponse/{first['id']}"]


def test_an_order_the_record_approves_gets_the_pa_number_crd_issued(policy_client: TestClient) -> None:
    crd = flow.sign(policy_client, APPROVED)
    first = _ask(policy_client, APPROVED, _adaptive(policy_client, APPROVED))
    assert flow.asked(first) == [fhir.ISSUE_PA_LINK_ID]
    done = _ask(policy_client, APPROVED, flow.answer(first, fhir.ISSUE_PA_LINK_ID, True))
    info = flow.coverage_information(done)
    assert info["satisfied-pa-id"] == crd["satisfied-pa-id"]
    assert info["coverage-assertion-id"] == crd["coverage-assertion-id"] and info["expiry-date"] == crd["expiry-date"]


def test_a_left_unanswered_question_is_asked_again(policy_client: TestClient) -> None:
    first = _ask(policy_client, NEEDS_INFO, _adaptive(policy_client, NEEDS_INFO))
    again = _ask(policy_client, NEEDS_INFO, first)
    assert again["status"] == "in-progress" and flow.asked(again) == ["I.A.4"]
    assert not flow.coverage_information(again).get("covered")


def test_a_record_that_fails_a_criterion_ends_not_covered_naming_it(policy_client: TestClient) -> None:
    done = _ask(policy_client, NOT_MET, _adaptive(policy_client, NOT_MET))
    info = flow.coverage_information(done)
    assert done["status"] == "completed" and info["covered"] == "not-covered"
    assert "I.A.4" in " ".join(info["reasons"]) and "satisfied-pa-id" not in info


def test_answering_no_to_the_unknown_criterion_ends_not_covered(policy_client: TestClient) -> None:
    first = _ask(policy_client, NEEDS_INFO, _adaptive(policy_client, NEEDS_INFO))
    done = _ask(policy_client, NEEDS_INFO, flow.answer(first, "I.A.4", False))
    info = flow.coverage_information(done)
    assert done["status"] == "completed" and info["covered"] == "not-covered" and "I.A.4" in " ".join(info["reasons"])


def test_an_answer_contradicting_the_record_ends_as_needs_review(policy_client: TestClient) -> None:
    # KRAS G12D on the record: the clinician's "yes, G12C" does not override it
    start = _adaptive(policy_client, NOT_MET)
    done = _ask(policy_client, NOT_MET, flow.answer(start, "I.A.4", True, source="override"))
    info = flow.coverage_information(done)
    assert done["status"] == "completed"
    assert (info["covered"], info["pa-needed"]) == ("conditional", "auth-needed") and "satisfied-pa-id" not in info
    assert "Needs review" in info["reasons"][0] and "I.A.4 is not-met on the record" in info["reasons"][0]


def test_declining_the_pa_number_completes_without_one(policy_client: TestClient) -> None:
    first = _ask(policy_client, APPROVED, _adaptive(policy_client, APPROVED))
    done = _ask(policy_client, APPROVED, flow.answer(first, fhir.ISSUE_PA_LINK_ID, False))
    info = flow.coverage_information(done)
    assert done["status"] == "completed" and info["pa-needed"] == "auth-needed" and "satisfied-pa-id" not in info


def test_a_standard_response_or_no_record_is_a_400(policy_client: TestClient) -> None:
    start = _adaptive(policy_client, NEEDS_INFO)
    standard = {**start, "questionnaire": "https://coverage-hooks.example.org/fhir/Questionnaire/centene-cp-phar-549"}
    assert policy_client.post(flow.NEXT, json=flow.with_record(NEEDS_INFO, standard)).status_code == 400
    bare = policy_client.post(flow.NEXT, json=start)  # SDC's bare QuestionnaireResponse: no record to decide on
    assert bare.status_code == 400 and bare.json()["resourceType"] == "OperationOutcome"
