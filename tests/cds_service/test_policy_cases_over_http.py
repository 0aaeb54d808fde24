"""Every policy test case, sent as an order-sign hook request through the service: the CRD answer
(coverage-information codes, expiry, questionnaire, card trace) says what the policy engine decides for the
case's data when run directly (cds_service.policy.cases.run_case). Whether that decision is the one the
case expects is the policy suite's question (tests/policies); this one asks whether the service turns the
hook request into the same record and the decision into the right CRD answer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cds_service.app import create_app, load_policies
from cds_service.policy.cases import PolicyCase, load_cases, run_case
from cds_service.settings import Settings
from tests.support.app_client import TestClient
from tests.support.inferno_checks import check_hook_response, coverage_info_values, coverage_information
from tests.support.policy_case_requests import hook_request_for_case

REPO = Path(__file__).resolve().parents[2]
CATALOG, EVALUATOR, _ = load_policies(Settings(policies_dir=REPO / "policies"))
CASES: list[PolicyCase] = [case for policy in CATALOG for case in load_cases(policy)]  # type: ignore[attr-defined]


class _Clock:
    now = datetime(2026, 11, 23, 12, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, _Clock]]:
    clock = _Clock()
    settings = Settings(auth="off", db_path=tmp_path_factory.mktemp("cases") / "audit.sqlite3")
    with TestClient(create_app(settings, policies=(CATALOG, EVALUATOR), clock=clock)) as client:
        yield client, clock


def test_every_policy_has_cases() -> None:
    assert CASES, "policies ship test cases"


@pytest.mark.parametrize("case", CASES, ids=[c.test_id for c in CASES])
def test_case_through_the_hook(case: PolicyCase, service: tuple[TestClient, _Clock]) -> None:
    client, clock = service
    clock.now = datetime(case.now.year, case.now.month, case.now.day, 12, tzinfo=UTC)
    request = hook_request_for_case(case)
    response = client.post("/cds-services/crd-order-sign", json=request)
    assert response.status_code == 200, response.text
    body = response.json()
    actions = check_hook_response("order-sign", request, body)
    order_ref = f"MedicationRequest/{case.order_id}"
    [action] = [a for a in actions if f"MedicationRequest/{a['resource']['id']}" == order_ref]
    values = coverage_info_values(coverage_information(action["resource"])[0])
    engine = run_case(case).decision
    expected = engine.decision
    _assert_codes(expected, values, case, engine.expiry.isoformat() if engine.expiry else None)
    [card] = [
        c
        for c in body["cards"]
        if c["extension"]["davinci-crd.associated-resource"] == [{"reference": order_ref}]
        and "coverage-hooks.trace" in c["extension"]
    ]
    trace = card["extension"]["coverage-hooks.trace"]
    assert trace["policy"] == case.policy.id and trace["decision"] == expected
    assert trace["criteria"] == [
        {"id": c.id, "description": c.description, "status": c.status, "evidence": list(c.evidence)}
        for c in engine.path.criteria
    ]
    assert len(card["summary"]) < 140 and case.policy.metadata.drug in card["summary"]
    exception_policy = engine.formulary_exception_policy
    assert trace.get("formularyException") == exception_policy
    if exception_policy:
        assert exception_policy in values["reason"][0]["text"] and exception_policy in card["summary"]
        assert "expiry-date" not in values and "satisfied-pa-id" not in values


def _assert_codes(expected: str, values: dict[str, list[Any]], case: PolicyCase, expiry: str | None) -> None:
    if expected == "approved":
        assert (values["covered"], values["pa-needed"]) == (["covered"], ["satisfied"])
        assert values["satisfied-pa-id"][0].startswith("PA-")
        assert values.get("expiry-date") == ([expiry] if expiry else None)
    elif expected == "needs-info" and not case.medication_history_available:
        # CRD resp-43: the EHR could not give data the decision depends on (here its dispense search failed)
        assert (values["covered"], values["pa-needed"]) == (["indeterminate"], ["indeterminate"])
        assert values["reason"][0]["coding"][0]["code"] == "technical"
        assert "MedicationDispense" in values["reason"][0]["text"]
    elif expected == "needs-info":
        assert (values["covered"], values["pa-needed"], values["doc-needed"]) == (
            ["covered"],
            ["auth-needed"],
            ["clinical"],
        )
        assert values["doc-purpose"] == ["withpa"] and values["reason"]
        if case.policy.questionnaire is not None:
            assert values["questionnaire"] == [case.policy.questionnaire_url or values["questionnaire"][0]]
    elif expected == "not-met":
        assert values["covered"] == ["not-covered"] and "pa-needed" not in values
        assert values["reason"][0]["text"]
