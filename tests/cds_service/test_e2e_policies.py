"""End to end with the shipped policies: the real server (uvicorn on 127.0.0.1) answers each decision path.

Expiry dates are checked against the date the service asserted (`date` in coverage-information), so the
test holds on any day: Centene initial approvals last 6 months for Medicaid and Marketplace and 12 months
for Commercial (capped by the requested supply), FEP Blue 12 months.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from cds_service.pipeline import PolicyCatalog
from cds_service.policy.cases import PolicyCase, load_cases
from cds_service.policy.evaluate import Evaluator
from tests.support.hook_requests import coverage, organization, searchset
from tests.support.inferno_checks import check_hook_response, coverage_info_values, coverage_information
from tests.support.live_server import LiveServer
from tests.support.policy_case_requests import hook_request_for_case


def add_months(start: date, months: int) -> date:
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    for day in range(start.day, 27, -1):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    return date(year, month, start.day)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(tmp_path_factory.mktemp("live-policies")) as live:
        yield live


@pytest.fixture(scope="module")
def cases(policies: tuple[PolicyCatalog, Evaluator | None]) -> dict[str, PolicyCase]:
    catalog = policies[0]
    return {case.test_id: case for policy in catalog for case in load_cases(policy)}  # type: ignore[attr-defined]


def _call(server: LiveServer, request: dict[str, Any], service: str = "crd-order-sign") -> dict[str, Any]:
    response = httpx.post(f"{server.url}/cds-services/{service}", json=request, timeout=60)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    check_hook_response(request["hook"], request, body)
    return body


def _values(body: dict[str, Any], order_id: str) -> dict[str, list[Any]]:
    [action] = [a for a in body["systemActions"] if a["resource"]["id"] == order_id]
    return coverage_info_values(coverage_information(action["resource"])[0])


def _with_line(request: dict[str, Any], case: PolicyCase, line: str) -> dict[str, Any]:
    payer = case.policy.metadata.payer
    patient_id = request["context"]["patientId"]
    request["prefetch"]["coverage"] = searchset(coverage(payer, line=line, patient_id=patient_id), organization(payer))
    return request


def _decision_card(body: dict[str, Any], order_id: str) -> dict[str, Any]:
    [card] = [
        c
        for c in body["cards"]
        if c["extension"].get("davinci-crd.associated-resource") == [{"reference": f"MedicationRequest/{order_id}"}]
        and "coverage-hooks.trace" in c["extension"]
    ]
    found: dict[str, Any] = card
    return found


@pytest.mark.parametrize(("line", "months"), [("medicaid", 6), ("marketplace", 6), ("commercial", 12)])
def test_centene_approval_expiry_by_line_of_business(
    server: LiveServer, cases: dict[str, PolicyCase], line: str, months: int
) -> None:
    case = cases["centene-cp-phar-549/nsclc-approved-stage-iv-variant-g12c"]
    request = _with_line(hook_request_for_case(case), case, line)
    body = _call(server, request)
    values = _values(body, case.order_id)
    asserted = date.fromisoformat(values["date"][0])
    expiry = add_months(asserted, months).isoformat()
    assert (values["covered"], values["pa-needed"], values["expiry-date"]) == (
        ["covered"],
        ["satisfied"],
        [expiry],
    )
    card = _decision_card(body, case.order_id)
    assert card["summary"] == f"Lumakras: prior authorization approved through {expiry}"
    assert [link["label"] for link in card["links"]] == [
        "Centene policy CP.PHAR.549",
        "Lumakras prescribing information",
    ]
    assert all(link["type"] == "absolute" and link["url"].startswith("https://") for link in card["links"])
    pa_number = values["satisfied-pa-id"][0]
    claim = [c for c in body["cards"] if c["source"]["topic"]["code"] == "claim"]
    assert claim and pa_number in claim[0]["summary"]
    with sqlite3.connect(server.db_path) as audit:  # written before the answer was sent
        rows = audit.execute(
            "SELECT d.satisfied_pa_id, d.policy_id, d.expiry_date, i.line_of_business FROM hook_decisions d"
            " JOIN hook_invocations i ON i.id = d.invocation_id WHERE i.hook_instance = ?",
            (request["hookInstance"],),
        ).fetchall()
    assert rows == [(pa_number, "centene-cp-phar-549", expiry, line)]


def test_commercial_approval_is_capped_by_the_requested_supply(
    server: LiveServer, cases: dict[str, PolicyCase]
) -> None:
    case = cases["centene-cp-phar-549/nsclc-approved-commercial-capped-by-request"]
    request = hook_request_for_case(case)
    order = request["context"]["draftOrders"]["entry"][0]["resource"]
    supply = order["dispenseRequest"]
    days = supply["expectedSupplyDuration"]["value"] * (1 + supply.get("numberOfRepeatsAllowed", 0))
    values = _values(_call(server, request), case.order_id)
    asserted = date.fromisoformat(values["date"][0])
    assert values["expiry-date"] == [(asserted + timedelta(days=days)).isoformat()]


def test_fep_blue_approval_lasts_twelve_months(server: LiveServer, cases: dict[str, PolicyCase]) -> None:
    case = next(c for c in cases.values() if c.policy.metadata.payer == "fep-blue" and c.note == "nsclc-approved")
    body = _call(server, hook_request_for_case(case))
    values = _values(body, case.order_id)
    assert values["pa-needed"] == ["satisfied"]
    assert values["expiry-date"] == [add_months(date.fromisoformat(values["date"][0]), 12).isoformat()]
    assert _decision_card(body, case.order_id)["source"]["label"] == "FEP Blue"


def test_needs_info_asks_for_documentation_with_the_policy_questionnaire(
    server: LiveServer, cases: dict[str, PolicyCase]
) -> None:
    case = cases["centene-cp-phar-549/nsclc-needs-info-no-kras-result"]
    body = _call(server, hook_request_for_case(case))
    values = _values(body, case.order_id)
    assert (values["covered"], values["pa-needed"], values["doc-needed"], values["doc-purpose"]) == (
        ["covered"],
        ["auth-needed"],
        ["clinical"],
        ["withpa"],
    )
    questionnaire_id = values["questionnaire"][0].rstrip("/").split("/")[-1]
    served = httpx.get(f"{server.url}/fhir/Questionnaire/{questionnaire_id}", timeout=10)
    assert served.status_code == 200 and served.json()["resourceType"] == "Questionnaire"
    card = _decision_card(body, case.order_id)
    assert card["summary"].startswith("Lumakras: prior authorization needs")
    assert "**What to submit**" in card["detail"]


def test_not_met_is_not_covered_with_the_failed_criteria(server: LiveServer, cases: dict[str, PolicyCase]) -> None:
    case = cases["centene-cp-phar-549/nsclc-kras-g12d-not-g12c"]
    body = _call(server, hook_request_for_case(case))
    values = _values(body, case.order_id)
    assert values["covered"] == ["not-covered"] and "pa-needed" not in values
    failed = [
        c["id"]
        for c in _decision_card(body, case.order_id)["extension"]["coverage-hooks.trace"]["criteria"]
        if c["status"] == "not-met"
    ]
    assert failed and all(criterion in values["reason"][0]["text"] for criterion in failed)


def test_secondary_hook_never_asks_for_documentation(server: LiveServer, cases: dict[str, PolicyCase]) -> None:
    case = cases["centene-cp-phar-549/nsclc-needs-info-no-kras-result"]
    request = hook_request_for_case(case, hook="order-select")
    values = _values(_call(server, request, "crd-order-select"), case.order_id)
    assert values["pa-needed"] == ["auth-needed"]
    assert "doc-needed" not in values and "questionnaire" not in values


def test_sandbox_shaped_request_for_a_policy_drug(server: LiveServer, cases: dict[str, PolicyCase]) -> None:
    case = cases["centene-cp-phar-549/nsclc-approved-stage-iv-variant-g12c"]
    request = hook_request_for_case(case)
    bundle = request["context"]["draftOrders"]
    del bundle["type"]
    for entry in bundle["entry"]:
        entry.pop("fullUrl")
        entry["resource"].pop("intent", None)
        entry["resource"]["category"] = {"coding": [{"code": "outpatient"}]}
    values = _values(_call(server, request), case.order_id)
    assert values["pa-needed"] == ["satisfied"]
