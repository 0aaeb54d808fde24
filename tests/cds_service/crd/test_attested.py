"""A CRD re-sign after DTR approved the order keeps the approval (crd/attested.py), over HTTP as an EHR calls."""

from __future__ import annotations

import copy
from typing import Any

from cds_service.crd.coverage_info import COVERAGE_INFO_URL
from cds_service.dtr import fhir
from tests.support import dtr_flow as flow
from tests.support.app_client import TestClient

NEEDS_INFO = "centene-sotorasib-nsclc-no-kras-result-needs-info"  # only I.A.4 (KRAS G12C) is unknown
G12D_ON_RECORD = "centene-sotorasib-kras-g12d-not-met"  # the same patient with a KRAS G12D result


def _approved_by_dtr(client: TestClient) -> dict[str, Any]:
    """hook (needs-info) -> package -> $next-question with I.A.4 answered yes -> PA number: its coverage-information."""
    crd = flow.sign(client, NEEDS_INFO)
    assert crd["pa-needed"] == "auth-needed" and "satisfied-pa-id" not in crd
    reply = flow.package(client, NEEDS_INFO, crd["coverage-assertion-id"])
    adaptive = flow.parts(reply.json(), "packagebundle")[1]["entry"][1]["resource"]
    first = flow.next_question(client, NEEDS_INFO, adaptive)
    met = flow.next_question(client, NEEDS_INFO, flow.answer(first, "I.A.4", True))
    done = flow.next_question(client, NEEDS_INFO, flow.answer(met, fhir.ISSUE_PA_LINK_ID, True))
    info = flow.coverage_information(done)
    assert info["satisfied-pa-id"].startswith("PA-")
    return info


def _hook(client: TestClient, request: dict[str, Any]) -> dict[str, Any]:
    reply = client.post("/cds-services/crd-order-sign", json=request)
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


def test_a_re_sign_answers_with_the_dtr_approval_and_no_update_once_the_order_carries_it(
    policy_client: TestClient,
) -> None:
    dtr = _approved_by_dtr(policy_client)
    body = _hook(policy_client, flow.sample(NEEDS_INFO))
    [action] = body["systemActions"]
    info = flow.coverage_information(action["resource"])
    assert (info["covered"], info["pa-needed"]) == ("covered", "satisfied")
    for part in ("coverage-assertion-id", "satisfied-pa-id", "expiry-date"):
        assert info[part] == dtr[part], part
    assert body["cards"][0]["summary"] == f"Lumakras: prior authorization approved through {dtr['expiry-date']}"
    # the EHR stored the coverage-information on the order: signing it again changes nothing (CRD resp-29/35)
    request = flow.sample(NEEDS_INFO)
    order = request["context"]["draftOrders"]["entry"][0]["resource"]
    order["extension"] = [e for e in action["resource"]["extension"] if e["url"] == COVERAGE_INFO_URL]
    again = _hook(policy_client, request)
    assert again["systemActions"] == []
    app: Any = policy_client.app
    kept = app.state.cds.store.determination_by_pa(dtr["satisfied-pa-id"])
    assert not kept["superseded"]


def test_a_record_that_now_fails_the_attested_criterion_gets_a_new_assertion_not_an_approval(
    policy_client: TestClient,
) -> None:
    dtr = _approved_by_dtr(policy_client)
    request = copy.deepcopy(flow.sample(NEEDS_INFO))
    request["prefetch"]["observations"] = flow.sample(G12D_ON_RECORD)["prefetch"]["observations"]
    [action] = _hook(policy_client, request)["systemActions"]
    info = flow.coverage_information(action["resource"])
    assert info["coverage-assertion-id"] != dtr["coverage-assertion-id"]
    assert info["covered"] == "not-covered" and "satisfied-pa-id" not in info
    assert any("I.A.4" in reason for reason in info["reasons"])
    app: Any = policy_client.app
    assert app.state.cds.store.determination_by_pa(dtr["satisfied-pa-id"])["superseded"]


def test_a_changed_order_is_not_approved_by_the_answers_given_for_the_old_one(policy_client: TestClient) -> None:
    dtr = _approved_by_dtr(policy_client)
    request = copy.deepcopy(flow.sample(NEEDS_INFO))
    order = request["context"]["draftOrders"]["entry"][0]["resource"]
    order["dispenseRequest"] = {**order.get("dispenseRequest", {}), "numberOfRepeatsAllowed": 5}
    [action] = _hook(policy_client, request)["systemActions"]
    info = flow.coverage_information(action["resource"])
    assert info["coverage-assertion-id"] != dtr["coverage-assertion-id"]
    assert info["pa-needed"] == "auth-needed" and "satisfied-pa-id" not in info
