"""replay_orders: --order/--dose/--payer/--lob turn a patient record into an order-sign request."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from cds_service.hook.discovery import SERVICES
from cds_service.hook.request_model import parse_hook_request
from cds_service.replay.orders import ORDER_ID, RXNORM, OrderSpec, OrderSpecError, order_sign_request

DAY = date(2026, 11, 23)


def spec(
    order: str = "rxnorm:2628240",
    dose: str | None = "960mg/d",
    payer: str | None = "centene",
    lob: str | None = "medicaid",
) -> OrderSpec:
    return OrderSpec.parse(order, dose, payer, lob, DAY)


@pytest.mark.parametrize(
    ("dose", "mg", "times"),
    [
        ("960mg/d", Decimal(960), 1),
        ("480 mg*2/day", Decimal(480), 2),
        ("2.5mg x2 /d", Decimal("2.5"), 2),
        (None, None, 1),
    ],
)
def test_doses(dose: str | None, mg: Decimal | None, times: int) -> None:
    parsed = spec(dose=dose)
    assert (parsed.mg_per_dose, parsed.doses_per_day) == (mg, times)


def test_codes_with_a_full_system() -> None:
    parsed = spec(order="http://example.org/drugs|abc")
    assert (parsed.system, parsed.code) == ("http://example.org/drugs", "abc")
    assert spec().system == RXNORM and spec().code == "2628240"


@pytest.mark.parametrize(
    ("order", "dose", "payer", "lob", "message"),
    [
        ("2628240", None, None, None, "expected rxnorm:<code>"),
        ("ndc:123", None, None, None, "expected rxnorm:<code>"),
        ("rxnorm:", None, None, None, "expected rxnorm:<code>"),
        ("rxnorm:1", "960 tablets", None, None, "expected e.g. 960mg/d"),
        ("rxnorm:1", None, "centene", "medicare", "one of medicaid"),
        ("rxnorm:1", None, None, "medicaid", "--lob needs --payer"),
    ],
)
def test_what_cannot_be_understood_is_named(
    order: str, dose: str | None, payer: str | None, lob: str | None, message: str
) -> None:
    with pytest.raises(OrderSpecError, match=message):
        OrderSpec.parse(order, dose, payer, lob, DAY)


def test_the_request_carries_the_order_the_record_and_the_named_coverage() -> None:
    record: list[dict[str, Any]] = [
        {"resourceType": "Patient", "id": "p1"},
        {
            "resourceType": "Coverage",
            "id": "old",
            "status": "active",
            "beneficiary": {"reference": "Patient/p1"},
        },
        {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p1"}},
        {"resourceType": "Procedure", "id": "s1", "subject": {"reference": "Patient/p1"}},
        {"resourceType": "PractitionerRole", "id": "r1", "practitioner": {"reference": "Practitioner/doc"}},
    ]
    payload = order_sign_request(spec(lob="marketplace"), "p1", record)
    request = parse_hook_request(payload, "order-sign")
    assert request.in_scope == (f"MedicationRequest/{ORDER_ID}",)
    order = request.draft_orders[0]
    assert order["medicationCodeableConcept"]["coding"] == [{"system": RXNORM, "code": "2628240"}]
    dosage = order["dosageInstruction"][0]
    assert dosage["doseAndRate"][0]["doseQuantity"]["value"] == 960
    assert dosage["timing"]["repeat"] == {"frequency": 1, "period": 1, "periodUnit": "d"}
    assert order["requester"] == {"reference": "Practitioner/doc"}
    assert payload["context"]["userId"] == "Practitioner/doc"
    # every prefetch key the service asks for is present, so nothing is reported as not retrieved
    assert set(SERVICES["crd-order-sign"].prefetch) <= set(payload["prefetch"])
    coverages = [
        e["resource"] for e in payload["prefetch"]["coverage"]["entry"] if e["resource"]["resourceType"] == "Coverage"
    ]
    assert [c["id"] for c in coverages] == ["replay-coverage"]
    assert coverages[0]["class"][0]["value"].startswith("AMBETTER")
    # the Procedure rides in its own prefetch key now that the policies' Procedure reads are prefetched
    assert [e["resource"]["id"] for e in payload["prefetch"]["procedures"]["entry"]] == ["s1"]
    assert payload["prefetch"]["otherRecordData"]["entry"] == []


def test_without_payer_the_record_keeps_its_own_coverage() -> None:
    record: list[dict[str, Any]] = [
        {"resourceType": "Patient", "id": "p1"},
        {"resourceType": "Coverage", "id": "own", "status": "active"},
    ]
    payload = order_sign_request(spec(payer=None, lob=None), "p1", record)
    assert [e["resource"]["id"] for e in payload["prefetch"]["coverage"]["entry"]] == ["own"]
    with pytest.raises(OrderSpecError, match="holds no Patient"):
        order_sign_request(spec(), "p1", [{"resourceType": "Condition", "id": "c"}])
