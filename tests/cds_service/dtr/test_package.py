"""$questionnaire-package: what an EHR receives after CRD asked for documentation."""

from __future__ import annotations

import base64
import json
from typing import Any

from cds_service.dtr import fhir
from tests.support import dtr_flow as flow
from tests.support.app_client import TestClient

NEEDS_INFO = "centene-sotorasib-nsclc-no-kras-result-needs-info"
APPROVED = "centene-sotorasib-nsclc-approved"


def _package(client: TestClient, name: str = NEEDS_INFO) -> list[dict[str, Any]]:
    context = flow.sign(client, name)["coverage-assertion-id"]
    reply = flow.package(client, name, context)
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"].startswith("application/fhir+json")
    return flow.parts(reply.json(), "packagebundle")


def _resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_the_standard_form_prefills_each_criterion_with_the_policys_cql(policy_client: TestClient) -> None:
    standard, adaptive = _package(policy_client)
    questionnaire = standard["entry"][0]["resource"]
    assert questionnaire["resourceType"] == "Questionnaire"  # dtrb-1: the Questionnaire first
    assert flow.profiles(questionnaire) == [fhir.PROFILE_STANDARD] and questionnaire["subjectType"] == ["Patient"]
    library = flow.extensions(questionnaire, fhir.CQF_LIBRARY)[0]["valueCanonical"]
    assert library == "https://coverage-hooks.example.org/fhir/Library/CenteneSotorasib|2024.11"
    kras = next(i for i in questionnaire["item"] if i["linkId"] == "I.A.4")
    expression = flow.extensions(kras, fhir.INITIAL_EXPRESSION)[0]["valueExpression"]
    assert expression == {"language": "text/cql-identifier", "expression": '"CenteneSotorasib"."KRAS G12C Positive"'}
    assert all(flow.extensions(i, fhir.INITIAL_EXPRESSION) for i in questionnaire["item"] if i["type"] == "boolean")


def test_each_bundle_holds_a_draft_response_naming_the_order_and_coverage(policy_client: TestClient) -> None:
    for bundle in _package(policy_client):
        response = _resources(bundle, "QuestionnaireResponse")[0]
        assert response["status"] == "in-progress" and response["subject"] == {"reference": "Patient/pat-1"}
        assert flow.extensions(response, fhir.QR_CONTEXT)[0]["valueReference"]["reference"] == (
            "MedicationRequest/mr-sotorasib"
        )
        assert flow.extensions(response, fhir.QR_COVERAGE)[0]["valueReference"]["reference"] == "Coverage/cov-1"
        assert flow.extensions(response, fhir.INTENDED_USE)
        questionnaire = bundle["entry"][0]["resource"]
        if questionnaire["meta"]["profile"] == [fhir.PROFILE_ADAPT_SEARCH]:
            assert "item" not in questionnaire and flow.extensions(questionnaire, fhir.QUESTIONNAIRE_ADAPTIVE)
            assert response["questionnaire"] == "#adaptive"  # §spec-25: a contained form derived from it
            assert response["contained"][0]["derivedFrom"] == [f"{questionnaire['url']}|{questionnaire['version']}"]
        else:
            assert response["questionnaire"] == f"{questionnaire['url']}|{questionnaire['version']}"


def test_every_library_the_form_needs_travels_with_cql_and_elm(policy_client: TestClient) -> None:
    standard, _ = _package(policy_client)
    libraries = {library["url"] + "|" + library["version"]: library for library in _resources(standard, "Library")}
    valuesets = {vs["url"] for vs in _resources(standard, "ValueSet")}
    assert {"CenteneSotorasib", "KrasG12C", "OrderCommon", "FHIRHelpers"} <= {x["name"] for x in libraries.values()}
    for library in libraries.values():
        content = {c["contentType"]: base64.b64decode(c["data"]).decode() for c in library["content"]}
        assert f"library {library['name']}" in content["text/cql"]
        elm = json.loads(content["application/elm+json"])
        assert elm["library"]["identifier"] == {"id": library["name"], "version": library["version"]}
        for depends in library.get("relatedArtifact", []):  # every include and value set is in the bundle too
            assert depends["resource"] in libraries or depends["resource"] in valuesets, depends
    for valueset in _resources(standard, "ValueSet"):  # §oper-15: expanded when under 40 codes
        codes = len(valueset.get("expansion", {}).get("contains", []))
        assert codes < 40 or "expansion" not in valueset


def test_every_packaged_resource_validates(policy_client: TestClient) -> None:
    for bundle in _package(policy_client):
        flow.valid(bundle)
        for entry in bundle["entry"]:
            flow.valid(entry["resource"])


def test_an_unknown_context_is_a_404_outcome(policy_client: TestClient) -> None:
    reply = flow.package(policy_client, NEEDS_INFO, "not-an-assertion-id")
    assert reply.status_code == 404 and reply.json()["resourceType"] == "OperationOutcome"


def test_a_coverage_this_payer_does_not_serve_is_a_4xx_outcome(policy_client: TestClient) -> None:
    coverage = {**flow.coverage_of(NEEDS_INFO), "payor": [{"reference": "Organization/other"}]}
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "coverage", "resource": coverage},
            {"name": "order", "resource": flow.order_of(NEEDS_INFO)},
        ],
    }
    reply = policy_client.post(flow.PACKAGE, json=body)
    assert reply.status_code == 422 and reply.json()["resourceType"] == "OperationOutcome"
    missing = policy_client.post(flow.PACKAGE, json={"resourceType": "Parameters", "parameter": body["parameter"][1:]})
    assert missing.status_code == 400


def test_a_context_already_approved_says_no_documentation_is_needed(policy_client: TestClient) -> None:
    signed = flow.sign(policy_client, APPROVED)
    reply = flow.package(policy_client, APPROVED, signed["coverage-assertion-id"])
    assert reply.status_code == 200 and not flow.parts(reply.json(), "packagebundle")
    (outcome,) = flow.parts(reply.json(), "outcome")
    assert signed["satisfied-pa-id"] in outcome["issue"][0]["diagnostics"]  # §oper-8: why nothing is asked
    flow.valid(outcome)


def test_a_questionnaire_not_offered_is_a_warning(policy_client: TestClient) -> None:
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "coverage", "resource": flow.coverage_of(NEEDS_INFO)},
            {"name": "questionnaire", "valueCanonical": "https://elsewhere.example/Questionnaire/x|1"},
        ],
    }
    reply = policy_client.post(flow.PACKAGE, json=body)
    assert reply.status_code == 200
    (outcome,) = flow.parts(reply.json(), "outcome")
    assert outcome["issue"][0]["severity"] == "warning" and "elsewhere.example" in outcome["issue"][0]["diagnostics"]
