"""Pipeline behaviour with the shipped policies, in process: card limits and types from the configuration,
suggestions from policy rules, `indeterminate` + `technical` when the EHR fails to deliver evidence, and
products a line of business keeps off its formulary."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cds_service.app import create_app
from cds_service.pipeline import PolicyCatalog
from cds_service.policy.cases import PolicyCase, load_cases
from cds_service.policy.evaluate import Evaluator
from cds_service.settings import SAMPLE_PAYERS_FILE, Settings
from tests.support.app_client import TestClient
from tests.support.fhir_server import FakeFhirServer, Fault
from tests.support.inferno_checks import check_hook_response, coverage_info_values, coverage_information
from tests.support.policy_case_requests import hook_request_for_case

SIGN = "/cds-services/crd-order-sign"


@pytest.fixture(scope="module")
def cases(policies: tuple[PolicyCatalog, Evaluator | None]) -> dict[str, PolicyCase]:
    return {case.test_id: case for policy in policies[0] for case in load_cases(policy)}  # type: ignore[attr-defined]


@pytest.fixture
def ehr() -> Iterator[FakeFhirServer]:
    with FakeFhirServer() as server:
        yield server


@pytest.fixture
def service(
    tmp_path: Path, policies: tuple[PolicyCatalog, Evaluator | None], ehr: FakeFhirServer
) -> Iterator[TestClient]:
    settings = Settings(auth="off", db_path=tmp_path / "audit.sqlite3", allowed_fhir_servers=(ehr.url,))
    clock = lambda: datetime(2026, 11, 23, 12, tzinfo=UTC)  # noqa: E731 - the cases' evaluation date
    with TestClient(create_app(settings, policies=policies, clock=clock)) as client:
        yield client


def _post(client: TestClient, request: dict[str, Any]) -> dict[str, Any]:
    response = client.post(SIGN, json=request)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    check_hook_response("order-sign", request, body)
    return body


def test_overdose_gets_a_dose_suggestion_and_max_cards_keeps_the_decision_card(
    service: TestClient, cases: dict[str, PolicyCase]
) -> None:
    request = hook_request_for_case(cases["centene-cp-phar-549/nsclc-dose-1200-mg-needs-evidence"])
    body = _post(service, request)
    alternates = [c for c in body["cards"] if c["source"]["topic"]["code"] == "therapy-alternatives-req"]
    assert alternates, "a dose above 960 mg/day is answered with an Adjust Order suggestion"
    [action] = alternates[0]["suggestions"][0]["actions"]
    assert action["type"] == "update"
    assert action["resource"]["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] == 960
    request["extension"] = {"davinci-crd.configuration": {"max-cards": 1}}
    limited = _post(service, request)
    assert len(limited["cards"]) == 1
    assert "coverage-hooks.trace" in limited["cards"][0]["extension"]
    request["extension"] = {"davinci-crd.configuration": {"guideline": False, "therapy-alternatives-req": False}}
    assert all(
        c["source"]["topic"]["code"] not in ("guideline", "therapy-alternatives-req")
        for c in _post(service, request)["cards"]
    )


def test_missing_combination_partner_is_an_additional_order(service: TestClient, cases: dict[str, PolicyCase]) -> None:
    body = _post(service, hook_request_for_case(cases["fep-blue-5-21-177/mcrc-needs-info-no-panitumumab"]))
    additional = [c for c in body["cards"] if c["source"]["topic"]["code"] == "clinical-reminder"]
    creates = [
        a["resource"] for c in additional for s in c["suggestions"] for a in s["actions"] if a["type"] == "create"
    ]
    assert any(
        r["resourceType"] == "MedicationRequest" and "panitumumab" in str(r["medicationCodeableConcept"]).lower()
        for r in creates
    )


def test_evidence_the_ehr_failed_to_deliver_is_indeterminate_technical(
    service: TestClient, ehr: FakeFhirServer, cases: dict[str, PolicyCase]
) -> None:
    case = cases["centene-cp-phar-549/nsclc-needs-info-no-kras-result"]
    request = hook_request_for_case(case)
    request["fhirServer"] = ehr.url
    del request["prefetch"]["observations"]
    ehr.set_fault(Fault.HTTP_500, resource_type="Observation")
    body = _post(service, request)
    [action] = [a for a in body["systemActions"] if a["resource"]["id"] == case.order_id]
    values = coverage_info_values(coverage_information(action["resource"])[0])
    assert (values["covered"], values["pa-needed"]) == (["indeterminate"], ["indeterminate"])
    [reason] = values["reason"]
    # unavailable data is named by resource type (GatheredData.unavailable keys), not by prefetch key
    assert reason["coding"][0]["code"] == "technical" and "Observation" in reason["text"]
    assert [r.resource_type for r in ehr.requests] == ["Observation"]


def test_evidence_fetched_from_the_ehr_decides_like_prefetch(
    service: TestClient, ehr: FakeFhirServer, cases: dict[str, PolicyCase]
) -> None:
    case = cases["centene-cp-phar-549/nsclc-approved-stage-iv-variant-g12c"]
    request = hook_request_for_case(case)
    request["fhirServer"] = ehr.url
    observations = [e["resource"] for e in request["prefetch"].pop("observations")["entry"]]
    assert observations
    ehr.add(*observations)
    body = _post(service, request)
    values = coverage_info_values(coverage_information(body["systemActions"][0]["resource"])[0])
    assert values["pa-needed"] == ["satisfied"]
    assert [r.resource_type for r in ehr.requests] == ["Observation"]


def test_approval_without_real_time_determination_asks_for_the_pa_request(
    tmp_path: Path, policies: tuple[PolicyCatalog, Evaluator | None], cases: dict[str, PolicyCase]
) -> None:
    payers = tmp_path / "payers.yaml"
    payers.write_text(
        SAMPLE_PAYERS_FILE.read_text().replace("real_time_determination: true", "real_time_determination: false")
    )
    settings = Settings(auth="off", db_path=tmp_path / "audit.sqlite3", payers_file=payers)
    clock = lambda: datetime(2026, 11, 23, 12, tzinfo=UTC)  # noqa: E731
    case = cases["centene-cp-phar-549/nsclc-approved-stage-iv-variant-g12c"]
    with TestClient(create_app(settings, policies=policies, clock=clock)) as client:
        body = _post(client, hook_request_for_case(case))
    values = coverage_info_values(coverage_information(body["systemActions"][0]["resource"])[0])
    assert (values["covered"], values["pa-needed"], values["doc-needed"]) == (
        ["covered"],
        ["auth-needed"],
        ["clinical"],
    )
    assert values["questionnaire"] and "satisfied-pa-id" not in values and "expiry-date" not in values
    assert not [c for c in body["cards"] if c["source"]["topic"]["code"] == "claim"]
    assert body["cards"][0]["summary"].startswith("Lumakras: criteria met; submit prior authorization")


def _decided(body: dict[str, Any], order_id: str) -> tuple[dict[str, list[Any]], list[dict[str, Any]]]:
    """The order's coverage-information values and its cards."""
    [action] = [a for a in body["systemActions"] if a["resource"]["id"] == order_id]
    ref = [{"reference": f"MedicationRequest/{order_id}"}]
    cards = [c for c in body["cards"] if c["extension"]["davinci-crd.associated-resource"] == ref]
    return coverage_info_values(coverage_information(action["resource"])[0]), cards


DISPERZ_NON_FORMULARY = (
    "Afinitor Disperz is non-formulary for this plan: request a formulary exception under HIM.PA.103"
)


def test_marketplace_disperz_is_not_covered_and_sent_to_the_formulary_exception_policy(
    service: TestClient, cases: dict[str, PolicyCase]
) -> None:
    case = cases["centene-cp-phar-63/tsc-seizures-disperz-marketplace-formulary-exception"]
    values, cards = _decided(_post(service, hook_request_for_case(case)), case.order_id)
    assert values["covered"] == ["not-covered"] and "pa-needed" not in values
    assert "satisfied-pa-id" not in values and "expiry-date" not in values
    assert [r["text"] for r in values["reason"]] == [f"Not covered under Centene CP.PHAR.63: {DISPERZ_NON_FORMULARY}."]
    [card] = cards  # no dose or partner suggestion: no order change makes Disperz approvable here
    assert card["summary"] == f"everolimus: not covered; {DISPERZ_NON_FORMULARY}"
    assert card["indicator"] == "warning"
    assert "**Request a formulary exception under HIM.PA.103.** Afinitor Disperz is not approved" in card["detail"]
    assert "| I.F.5 | met |" in card["detail"]  # the criteria are still shown, for information
    assert "What to submit" not in card["detail"]
    trace = card["extension"]["coverage-hooks.trace"]
    assert (trace["decision"], trace["formularyException"]) == ("not-met", "HIM.PA.103")
    assert {c["status"] for c in trace["criteria"]} == {"met"}


def test_the_same_disperz_order_on_medicaid_is_approved(service: TestClient, cases: dict[str, PolicyCase]) -> None:
    case = cases["centene-cp-phar-63/tsc-seizures-disperz-marketplace-formulary-exception"]
    values, cards = _decided(
        _post(service, hook_request_for_case(replace(case, line_of_business="medicaid"))), "mr-everolimus"
    )
    assert (values["covered"], values["pa-needed"], values["expiry-date"]) == (
        ["covered"],
        ["satisfied"],
        ["2027-05-23"],
    )
    assert cards[0]["summary"] == "everolimus: prior authorization approved through 2027-05-23"
    assert "formularyException" not in cards[0]["extension"]["coverage-hooks.trace"]


def test_marketplace_afinitor_tablets_are_decided_on_the_criteria(
    service: TestClient, cases: dict[str, PolicyCase]
) -> None:
    case = cases["centene-cp-phar-63/breast-recurrence-bid-timing-code-approved"]
    assert case.line_of_business == "marketplace"
    values, cards = _decided(_post(service, hook_request_for_case(case)), case.order_id)
    assert (values["covered"], values["pa-needed"]) == (["covered"], ["satisfied"])
    assert "non-formulary" not in cards[0]["summary"] + cards[0]["detail"]
