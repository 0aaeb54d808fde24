"""Determinations as an EHR sees them over HTTP (CRD resp-29, resp-32, resp-35, resp-37, found-35): the same order
signed twice keeps its assertion id and PA number, an order already carrying our assertion gets no update, a changed
order gets a new assertion, order-select and what-if calls get no PA number, other extensions survive, and the
number survives a restart."""

from __future__ import annotations

import copy
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from cds_service.app import create_app
from cds_service.pipeline import PolicyCatalog
from cds_service.policy.evaluate import Evaluator
from cds_service.settings import Settings
from tests.support.app_client import TestClient
from tests.support.inferno_checks import check_hook_response, coverage_info_values, coverage_information

REPO = Path(__file__).resolve().parents[3]
SAMPLE = REPO / "sample_bundles" / "centene-sotorasib-nsclc-approved.json"
SIGN = "/cds-services/crd-order-sign"
SELECT = "/cds-services/crd-order-select"
ORDER = "MedicationRequest/mr-sotorasib"
SIGNED_ON = datetime(2026, 11, 23, 12, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = SIGNED_ON

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(settings: Settings, policies: tuple[PolicyCatalog, Evaluator | None], clock: Clock) -> Iterator[TestClient]:
    with TestClient(create_app(settings, policies=policies, clock=clock)) as client:
        yield client


def sample() -> dict[str, Any]:
    request: dict[str, Any] = orjson.loads(SAMPLE.read_bytes())
    request["hookInstance"] = str(uuid.uuid4())
    return request


def order_of(request: dict[str, Any]) -> dict[str, Any]:
    order: dict[str, Any] = request["context"]["draftOrders"]["entry"][0]["resource"]
    return order


def post(client: TestClient, request: dict[str, Any], path: str = SIGN, **check: bool) -> dict[str, Any]:
    response = client.post(path, json=request)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    check_hook_response(request["hook"], request, body, **check)
    return body


def assertion(body: dict[str, Any]) -> dict[str, list[Any]]:
    [action] = [a for a in body["systemActions"] if f"MedicationRequest/{a['resource']['id']}" == ORDER]
    [ours] = [
        values
        for values in map(coverage_info_values, coverage_information(action["resource"]))
        if values["coverage"] == [{"reference": "Coverage/cov-1"}]
    ]
    return ours


def claim_summaries(body: dict[str, Any]) -> list[str]:
    return [c["summary"] for c in body["cards"] if c["source"]["topic"]["code"] == "claim"]


def stored_determinations(settings: Settings) -> list[tuple[str, str | None, int]]:
    with sqlite3.connect(settings.db_path) as db:
        rows = db.execute(
            "SELECT coverage_assertion_id, pa_number, superseded FROM determinations ORDER BY issued_at, rowid"
        ).fetchall()
    return [(str(a), p, int(s)) for a, p, s in rows]


def test_the_same_order_signed_twice_keeps_its_assertion_id_and_pa_number(
    service: TestClient, settings: Settings
) -> None:
    first = assertion(post(service, sample()))
    second_body = post(service, sample())
    second = assertion(second_body)
    assert first["pa-needed"] == ["satisfied"]
    assert second["coverage-assertion-id"] == first["coverage-assertion-id"]
    assert second["satisfied-pa-id"] == first["satisfied-pa-id"]
    assert (
        (second["date"], second["expiry-date"])
        == (first["date"], first["expiry-date"])
        == (
            ["2026-11-23"],
            ["2027-05-23"],
        )
    )
    assert claim_summaries(second_body) == [
        f"Lumakras: quote prior authorization {first['satisfied-pa-id'][0]} on the claim"
    ]
    assert stored_determinations(settings) == [(first["coverage-assertion-id"][0], first["satisfied-pa-id"][0], 0)]


def test_an_order_already_carrying_our_current_assertion_gets_no_system_action(service: TestClient) -> None:
    body = post(service, sample())
    [action] = body["systemActions"]
    again = sample()
    again["context"]["draftOrders"]["entry"][0]["resource"] = action["resource"]
    repeat = post(service, again, expect_coverage_info=False)
    assert repeat["systemActions"] == []
    # the cards still answer, with the same PA number
    assert claim_summaries(repeat) == claim_summaries(body)


def test_bookkeeping_changes_are_not_a_new_order_but_a_changed_dose_is(service: TestClient, settings: Settings) -> None:
    first = assertion(post(service, sample()))
    relabelled = sample()
    order = order_of(relabelled)
    order["meta"] = {"versionId": "7", "lastUpdated": "2026-11-23T12:00:00Z"}
    order["status"] = "active"
    order["note"] = [{"text": "patient prefers mornings"}]
    order["extension"] = [{"url": "http://ehr.example.org/ui-state", "valueString": "reviewed"}]
    assert assertion(post(service, relabelled))["satisfied-pa-id"] == first["satisfied-pa-id"]

    changed = sample()
    order_of(changed)["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] = 2
    second = assertion(post(service, changed))
    assert second["pa-needed"] == ["satisfied"]
    assert second["coverage-assertion-id"] != first["coverage-assertion-id"]
    assert second["satisfied-pa-id"] != first["satisfied-pa-id"]
    assert stored_determinations(settings) == [
        (first["coverage-assertion-id"][0], first["satisfied-pa-id"][0], 1),
        (second["coverage-assertion-id"][0], second["satisfied-pa-id"][0], 0),
    ]


def test_a_changed_record_gets_a_new_assertion(service: TestClient) -> None:
    first = assertion(post(service, sample()))
    without_kras = sample()
    observations = without_kras["prefetch"]["observations"]
    observations["entry"] = [e for e in observations["entry"] if e["resource"]["id"] != "obs-kras"]
    second = assertion(post(service, without_kras))
    assert second["pa-needed"] == ["auth-needed"] and "satisfied-pa-id" not in second
    assert second["coverage-assertion-id"] != first["coverage-assertion-id"]
    # the record restored: the earlier approval was superseded, so this is a new approval with a new number
    third = assertion(post(service, sample()))
    assert third["satisfied-pa-id"] != first["satisfied-pa-id"]


def test_an_expired_approval_is_replaced_by_a_new_one(service: TestClient, clock: Clock, settings: Settings) -> None:
    first = assertion(post(service, sample()))
    clock.now = SIGNED_ON + timedelta(days=170)  # still valid: same number
    assert assertion(post(service, sample()))["satisfied-pa-id"] == first["satisfied-pa-id"]
    clock.now = SIGNED_ON + timedelta(days=190)  # past 2027-05-23
    renewed = assertion(post(service, sample()))
    assert renewed["satisfied-pa-id"] != first["satisfied-pa-id"]
    assert renewed["date"] == [clock.now.date().isoformat()]
    assert [s for _, _, s in stored_determinations(settings)] == [1, 0]


def test_order_select_shows_coverage_but_issues_no_pa_number_and_stores_nothing(
    service: TestClient, settings: Settings
) -> None:
    request = sample()
    request["hook"] = "order-select"
    request["context"]["selections"] = [ORDER]
    body = post(service, request, SELECT)
    values = assertion(body)
    assert values["covered"] == ["covered"] and values["pa-needed"] == ["auth-needed"]
    assert "satisfied-pa-id" not in values and "expiry-date" not in values
    assert "No prior authorization number is issued" in values["reason"][0]["text"]
    assert claim_summaries(body) == []
    assert stored_determinations(settings) == []
    # the same selection again: the same (derived) assertion id, and the order carrying it gets no update
    assert assertion(post(service, {**request, "hookInstance": str(uuid.uuid4())}, SELECT)) == values
    carrying = copy.deepcopy(request)
    carrying["context"]["draftOrders"]["entry"][0]["resource"] = body["systemActions"][0]["resource"]
    assert post(service, carrying, SELECT)["systemActions"] == []


def test_a_what_if_call_issues_no_pa_number_and_stores_nothing(service: TestClient, settings: Settings) -> None:
    request = sample()
    request["extension"] = {"davinci-crd.configuration": {"unsolicited-determ": False}}
    body = post(service, request)
    values = assertion(body)
    assert values["pa-needed"] == ["auth-needed"] and "satisfied-pa-id" not in values
    assert "what-if" in values["reason"][0]["text"]
    assert claim_summaries(body) == []
    assert stored_determinations(settings) == []
    # a real signature afterwards gets the number
    assert assertion(post(service, sample()))["satisfied-pa-id"][0].startswith("PA-")


def test_the_update_keeps_other_payers_and_unrelated_extensions_in_order(service: TestClient) -> None:
    first = post(service, sample())
    ours_before = first["systemActions"][0]["resource"]["extension"][0]
    unrelated = {"url": "http://ehr.example.org/StructureDefinition/order-origin", "valueString": "favorites"}
    secondary = {
        "url": "http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information",
        "extension": [
            {"url": "coverage", "valueReference": {"reference": "Coverage/cov-secondary"}},
            {"url": "covered", "valueCode": "covered"},
            {"url": "pa-needed", "valueCode": "no-auth"},
            {"url": "date", "valueDate": "2026-11-20"},
            {"url": "coverage-assertion-id", "valueString": "other-payer-1"},
        ],
    }
    request = sample()
    order = order_of(request)
    order["extension"] = [unrelated, ours_before, secondary]
    order["dosageInstruction"][0]["text"] = "by mouth once daily with food"  # changed: a new assertion is due
    [action] = post(service, request)["systemActions"]
    extensions = action["resource"]["extension"]
    assert extensions[0] == unrelated and extensions[2] == secondary and len(extensions) == 3
    new_values = coverage_info_values(extensions[1])
    assert new_values["coverage"] == [{"reference": "Coverage/cov-1"}]
    assert new_values["coverage-assertion-id"] != coverage_info_values(ours_before)["coverage-assertion-id"]
    assert new_values["coverage-assertion-id"] != ["other-payer-1"]  # resp-32
    assert {k: v for k, v in action["resource"].items() if k != "extension"} == {
        k: v for k, v in order.items() if k != "extension"
    }  # resp-37


def test_a_restarted_service_keeps_the_pa_number(
    settings: Settings, policies: tuple[PolicyCatalog, Evaluator | None], clock: Clock
) -> None:
    with TestClient(create_app(settings, policies=policies, clock=clock)) as before:
        first = assertion(post(before, sample()))
    with TestClient(create_app(settings, policies=policies, clock=clock)) as after:  # same SQLite file
        again = assertion(post(after, sample()))
    assert (again["coverage-assertion-id"], again["satisfied-pa-id"]) == (
        first["coverage-assertion-id"],
        first["satisfied-pa-id"],
    )
