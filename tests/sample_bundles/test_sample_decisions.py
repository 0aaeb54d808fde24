"""Every sample in sample_bundles/ gets, through the real app, the answer its name promises."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.support.app_client import TestClient
from tests.support.sample_app import (
    SAMPLE_DATE,
    cards_for,
    coverage_information,
    policy_drug,
    sample_client,
    sample_index,
    sample_request,
)

SAMPLES = sample_index()


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with sample_client(tmp_path_factory.mktemp("samples")) as test_client:
        yield test_client


def post(client: TestClient, name: str) -> dict[str, Any]:
    response = client.post("/cds-services/crd-order-sign", content=orjson.dumps(sample_request(name)))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_every_sample_names_its_decision() -> None:
    suffixes = {
        "approved": "-approved",
        "needs-info": "-needs-",
        "not-met": "-not-met",
        "no-policy": "-no-policy-",
    }
    for entry in SAMPLES:
        # a non-formulary product is named for where it is sent, not for the criteria (they may all be met)
        suffix = "-formulary-exception" if entry["formulary_exception"] else suffixes[entry["decision"]]
        assert suffix in entry["name"], entry["name"]
    assert {e["decision"] for e in SAMPLES} == set(suffixes)
    assert any(e["sandbox_shape"] for e in SAMPLES)
    assert {e["line_of_business"] for e in SAMPLES} >= {"medicaid", "commercial", "marketplace"}


@pytest.mark.parametrize("entry", [e for e in SAMPLES if e["decision"] == "approved"], ids=lambda e: e["name"])
def test_approved_sample(client: TestClient, entry: dict[str, Any]) -> None:
    body = post(client, entry["name"])
    info = coverage_information(body, entry["order"])
    assert info["covered"] == ["covered"]
    assert info["pa-needed"] == ["satisfied"]
    assert "doc-needed" not in info
    assert info["satisfied-pa-id"][0].startswith("PA-")
    expiry = info["expiry-date"][0]
    if entry["line_of_business"] in ("medicaid", "marketplace"):
        assert expiry == "2027-05-23"  # six months from the order date
    else:
        assert SAMPLE_DATE.date() < date.fromisoformat(expiry) <= date(2027, 11, 23)
    decision_card = cards_for(body, entry["order"])[0]
    drug = policy_drug(entry["policy"])
    assert decision_card["summary"] == f"{drug}: prior authorization approved through {expiry}"
    assert decision_card["indicator"] == "info"
    assert any(info["satisfied-pa-id"][0] in card["summary"] for card in cards_for(body, entry["order"]))


@pytest.mark.parametrize("entry", [e for e in SAMPLES if e["decision"] == "needs-info"], ids=lambda e: e["name"])
def test_needs_info_sample(client: TestClient, entry: dict[str, Any]) -> None:
    body = post(client, entry["name"])
    info = coverage_information(body, entry["order"])
    assert info["covered"] == ["covered"]
    assert info["pa-needed"] == ["auth-needed"]
    assert info["doc-needed"] == ["clinical"]
    assert info["doc-purpose"] == ["withpa"]
    assert info["questionnaire"][0].startswith("http")
    decision_card = cards_for(body, entry["order"])[0]
    assert decision_card["summary"].startswith(f"{policy_drug(entry['policy'])}: prior authorization needs ")
    assert decision_card["indicator"] == "warning"


@pytest.mark.parametrize(
    "entry",
    [e for e in SAMPLES if e["decision"] == "not-met" and not e["formulary_exception"]],
    ids=lambda e: e["name"],
)
def test_not_met_sample(client: TestClient, entry: dict[str, Any]) -> None:
    body = post(client, entry["name"])
    info = coverage_information(body, entry["order"])
    assert info["covered"] == ["not-covered"]
    assert "pa-needed" not in info
    decision_card = cards_for(body, entry["order"])[0]
    assert decision_card["summary"].startswith(f"{policy_drug(entry['policy'])}: not covered; not met: ")
    trace = decision_card["extension"]["coverage-hooks.trace"]
    assert trace["decision"] == "not-met"
    assert any(c["status"] == "not-met" for c in trace["criteria"])


@pytest.mark.parametrize("entry", [e for e in SAMPLES if e["formulary_exception"]], ids=lambda e: e["name"])
def test_formulary_exception_sample(client: TestClient, entry: dict[str, Any]) -> None:
    assert entry["decision"] == "not-met"
    body = post(client, entry["name"])
    info = coverage_information(body, entry["order"])
    assert info["covered"] == ["not-covered"]
    assert not {"pa-needed", "satisfied-pa-id", "expiry-date"} & set(info)
    exception_policy = entry["formulary_exception"]
    [reason] = info["reason"]
    assert reason["text"].endswith(
        f"is non-formulary for this plan: request a formulary exception under {exception_policy}."
    )
    decision_card = cards_for(body, entry["order"])[0]
    assert decision_card["summary"].startswith(f"{policy_drug(entry['policy'])}: not covered; ")
    assert decision_card["summary"].endswith(f"request a formulary exception under {exception_policy}")
    trace = decision_card["extension"]["coverage-hooks.trace"]
    assert (trace["decision"], trace["formularyException"]) == ("not-met", exception_policy)
    assert trace["criteria"] and {c["status"] for c in trace["criteria"]} == {"met"}  # the story meets them all


@pytest.mark.parametrize("entry", [e for e in SAMPLES if e["decision"] == "no-policy"], ids=lambda e: e["name"])
def test_no_policy_sample_gets_the_payer_default(client: TestClient, entry: dict[str, Any]) -> None:
    body = post(client, entry["name"])
    info = coverage_information(body, entry["order"])
    assert info["covered"] == ["covered"]
    assert info["pa-needed"] == ["no-auth"]
    assert cards_for(body, entry["order"]) == []


def test_sandbox_shaped_sample_is_shaped_like_the_sandbox() -> None:
    for entry in (e for e in SAMPLES if e["sandbox_shape"]):
        request = sample_request(entry["name"])
        drafts = request["context"]["draftOrders"]
        assert "type" not in drafts
        for item in drafts["entry"]:
            assert "intent" not in item["resource"]
            assert isinstance(item["resource"]["category"], dict)


def test_every_sample_has_its_patient_record(tmp_path: Path) -> None:
    for entry in SAMPLES:
        record = orjson.loads((Path(__file__).parents[2] / "sample_bundles" / entry["record"]).read_bytes())
        kinds = [e["resource"]["resourceType"] for e in record["entry"]]
        assert record["resourceType"] == "Bundle" and kinds.count("Patient") == 1
        assert "Coverage" in kinds
        assert not any(
            e["resource"]["resourceType"] == "MedicationRequest" and e["resource"].get("status") == "draft"
            for e in record["entry"]
        )
