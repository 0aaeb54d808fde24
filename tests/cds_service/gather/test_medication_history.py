"""Exclusions are met only on the whole medication history: what gathering read decides the policies' parameter
"Medication History Available", and the card shows the exclusion as unknown when a medication search failed."""

from __future__ import annotations

import asyncio
import copy
from pathlib import Path
from typing import Any

import orjson

from cds_service.gather.record import MEDICATION_HISTORY_TYPES, gather, medication_history_available
from cds_service.hook.discovery import SERVICES
from cds_service.hook.request_model import parse_hook_request
from tests.support.hook_requests import medication_request, order_sign
from tests.support.sample_app import sample_client, sample_request

ORDER_SIGN = SERVICES["crd-order-sign"]
FAILED = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "exception"}]}
TRACE = "coverage-hooks.trace"


def _gathered(request: dict[str, Any]) -> Any:
    hook = parse_hook_request(request, ORDER_SIGN.hook)
    return asyncio.run(gather(hook, ORDER_SIGN.prefetch, fetch=None))


def test_the_order_sign_prefetch_searches_every_medication_history_type() -> None:
    searched = {template.split("?")[0] for template in ORDER_SIGN.prefetch.values()}
    assert set(MEDICATION_HISTORY_TYPES) <= searched


def test_history_is_available_when_every_medication_search_was_prefetched() -> None:
    data = _gathered(order_sign(medication_request()))
    assert not set(MEDICATION_HISTORY_TYPES) & set(data.unavailable)
    assert medication_history_available(data)


def test_a_missing_or_failed_medication_search_makes_the_history_unavailable() -> None:
    for key, kind in (
        ("medicationDispenses", "MedicationDispense"),
        ("medicationAdministrations", "MedicationAdministration"),
        ("medicationStatements", "MedicationStatement"),
        ("medicationRequests", "MedicationRequest"),
    ):
        missing = order_sign(medication_request())
        del missing["prefetch"][key]  # not sent, and no FHIR server to read it from
        failed = order_sign(medication_request())
        failed["prefetch"][key] = FAILED
        for request in (missing, failed):
            data = _gathered(request)
            assert kind in data.unavailable  # gathering names what it could not read by resource type
            assert not medication_history_available(data), key


def _criterion(body: dict[str, Any], criterion_id: str) -> dict[str, Any]:
    trace = body["cards"][0]["extension"][TRACE]
    found: dict[str, Any] = next(c for c in trace["criteria"] if c["id"] == criterion_id)
    return found


def test_without_the_dispense_history_prior_krazati_is_unknown_and_nothing_is_approved(tmp_path: Path) -> None:
    approved = sample_request("centene-sotorasib-nsclc-approved")
    failed = copy.deepcopy(approved)
    failed["prefetch"]["medicationDispenses"] = FAILED
    with sample_client(tmp_path) as client:
        whole = client.post("/cds-services/crd-order-sign", content=orjson.dumps(approved)).json()
        partial = client.post("/cds-services/crd-order-sign", content=orjson.dumps(failed)).json()
    assert _criterion(whole, "I.A.6")["status"] == "met"
    assert whole["cards"][0]["extension"][TRACE]["decision"] == "approved"
    assert _criterion(partial, "I.A.6")["status"] == "unknown"
    assert partial["cards"][0]["extension"][TRACE]["decision"] != "approved"
