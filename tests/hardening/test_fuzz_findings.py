"""Requests the fuzz campaigns (tests/cds_service/test_fuzz.py) found answered with 500, kept as fixed cases:
each now gets a 4xx OperationOutcome or a 200, and every answer has its audit record."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cds_service.app import create_app
from cds_service.pipeline import PolicyCatalog
from cds_service.policy.evaluate import Evaluator
from cds_service.settings import Settings
from tests.support.app_client import TestClient
from tests.support.hook_requests import medication_request, order_sign
from tests.support.policy_requests import REAL_BREAST_APPROVED, order_sign_from_bundles

SIGN = "/cds-services/crd-order-sign"


@pytest.fixture(scope="module")
def policies() -> tuple[PolicyCatalog, Evaluator | None]:
    from cds_service.app import load_policies

    catalog, evaluator, _ = load_policies(Settings(policies_dir=Path(__file__).resolve().parents[2] / "policies"))
    return catalog, evaluator


@pytest.fixture
def client(tmp_path: Path, policies: tuple[PolicyCatalog, Evaluator | None]) -> Iterator[TestClient]:
    settings = Settings(auth="off", db_path=tmp_path / "audit.sqlite3")
    with TestClient(create_app(settings, policies=policies), raise_server_exceptions=False) as test_client:
        yield test_client


def post_and_audit(client: TestClient, request: dict[str, Any]) -> tuple[int, dict[str, Any], list[dict[str, Any]]]:
    response = client.post(SIGN, json=request)
    rows = client.app.state.cds.store.invocations(request["hookInstance"])  # type: ignore[attr-defined]
    return response.status_code, response.json(), rows


def test_the_same_draft_order_twice_is_422(client: TestClient) -> None:
    """Was: 500 after evaluation with the computed decisions lost (the audit rows' primary key collided).
    Now the request is refused while parsing, like every other malformed context: no decision is made."""
    status, body, rows = post_and_audit(client, order_sign(medication_request(), medication_request()))
    assert status == 422
    assert body["resourceType"] == "OperationOutcome"
    assert rows == []


@pytest.mark.parametrize("entry", [1.5, "entries", True, {"resource": {"resourceType": "Condition", "id": "c"}}])
def test_a_prefetch_bundle_whose_entry_is_not_an_array_is_answered(client: TestClient, entry: Any) -> None:
    """Was: 500 TypeError while checking the prefetch for OperationOutcomes. A malformed Bundle holds no data."""
    request = order_sign()
    request["prefetch"]["conditions"] = {"resourceType": "Bundle", "type": "searchset", "entry": entry}
    status, _, rows = post_and_audit(client, request)
    assert status == 200
    assert [row["http_status"] for row in rows] == [200]


@pytest.mark.parametrize(
    "damage",
    ["coding is a number", "contained is a number", "outcome issue is a number"],
)
def test_numbers_where_fhir_has_arrays_are_answered(client: TestClient, damage: str) -> None:
    """Was: 500 TypeError in the record gathering code for each of these."""
    request = order_sign()
    order = request["context"]["draftOrders"]["entry"][0]["resource"]
    if damage == "coding is a number":
        order["medicationCodeableConcept"]["coding"] = 7
    elif damage == "contained is a number":
        order["contained"] = 1.5
    else:
        outcome = {"resourceType": "OperationOutcome", "issue": 3}
        request["prefetch"]["conditions"] = {"resourceType": "Bundle", "entry": [{"resource": outcome}]}
    status, _, rows = post_and_audit(client, request)
    assert status == 200
    assert [row["http_status"] for row in rows] == [200]


def _ill_typed(request: dict[str, Any], kind: str) -> None:
    """Damage the realistic record the way the fuzzer did: valid JSON, invalid FHIR types."""
    observation = next(e["resource"] for e in request["prefetch"]["observations"]["entry"] if e["resource"].get("code"))
    if kind == "code is a list":
        observation["code"]["coding"][0]["code"] = ["85337-4"]
    elif kind == "coding is null":
        observation["code"]["coding"] = None
    else:
        observation["code"] = True


@pytest.mark.parametrize("kind", ["code is a list", "coding is null", "concept is a boolean"])
def test_ill_typed_fhir_the_policy_engine_cannot_read_is_422_and_audited(client: TestClient, kind: str) -> None:
    """Was: 500 (CqlEvaluationError). The policy cannot be evaluated on data that breaks FHIR's types."""
    request = order_sign_from_bundles(REAL_BREAST_APPROVED)
    _ill_typed(request, kind)
    status, body, rows = post_and_audit(client, request)
    assert status in (200, 422), body
    if status == 422:
        assert body["resourceType"] == "OperationOutcome"
        assert "85337-4" not in str(body)
    assert [row["http_status"] for row in rows] == [status]
