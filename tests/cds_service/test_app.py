"""Operational endpoints: health, metrics, feedback, Questionnaires, and the catch-all error answer."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from cds_service.app import EmptyCatalog, create_app
from cds_service.audit.store import SqliteAuditStore
from cds_service.http import hook_routes
from cds_service.settings import Settings
from tests.support.app_client import TestClient
from tests.support.hook_requests import order_sign
from tests.support.jwt_minter import generate_key, mint_token, write_jwks_file
from tests.support.prometheus_text import scraped


def test_healthz_and_metrics_count_requests_and_decisions(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    client.post("/cds-services/crd-order-sign", json=order_sign())
    client.post("/cds-services/crd-order-sign", content=b"{", headers={"content-type": "application/json"})
    samples = scraped(client.get("/metrics").text)
    assert samples[("cds_hook_requests_total", (("service", "crd-order-sign"), ("status", "200")))] == 1
    assert samples[("cds_hook_requests_total", (("service", "crd-order-sign"), ("status", "400")))] == 1
    assert samples[("cds_decisions_total", (("outcome", "no-policy"),))] == 1
    assert samples[("cds_hook_request_duration_seconds_count", ())] == 2
    assert samples[("cds_hook_request_duration_seconds_bucket", (("le", "+Inf"),))] == 2


def test_healthz_is_ready_while_the_audit_store_answers(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "policies": 0, "auth": "off"}


def test_healthz_is_503_once_the_audit_store_is_gone(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    client.app.state.cds.store.close()  # type: ignore[attr-defined]
    with caplog.at_level(logging.ERROR, logger="cds_service.http.hook_routes"):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "audit_store": "unavailable"}
    assert "ProgrammingError" in caplog.text  # the type name only: sqlite's message stays out of the log
    assert "closed" not in caplog.text


class FailingStore(SqliteAuditStore):
    def __init__(self, path: Path, ping_seconds: float = 0.0) -> None:
        super().__init__(path)
        self.ping_seconds = ping_seconds

    def ping(self) -> None:
        time.sleep(self.ping_seconds)
        raise ConnectionError("secret connection detail: postgresql://user:pw@db")


def test_healthz_failure_shows_no_exception_text(settings: Settings, tmp_path: Path) -> None:
    store = FailingStore(tmp_path / "failing.sqlite3")
    with TestClient(create_app(settings, policies=(EmptyCatalog(), None), store=store)) as client:
        response = client.get("/healthz")
    store.close()
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert "secret" not in response.text
    assert "ConnectionError" not in response.text


def test_healthz_answers_503_in_time_when_the_audit_store_hangs(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hook_routes, "HEALTH_TIMEOUT_S", 0.05)
    store = FailingStore(tmp_path / "hanging.sqlite3", ping_seconds=0.5)
    with TestClient(create_app(settings, policies=(EmptyCatalog(), None), store=store)) as client:
        started = time.monotonic()
        response = client.get("/healthz")
        waited = time.monotonic() - started
    store.close()
    assert response.status_code == 503
    assert waited < 0.4


def test_feedback_is_stored_by_card_uuid(client: TestClient) -> None:
    item = {
        "card": "0b5e9c5e-6d3c-4c1a-9d1e-3f4f0c3b1a11",
        "outcome": "accepted",
        "acceptedSuggestions": [{"id": "e56e1945-20b3-4393-8503-a1a20fd73152"}],
        "outcomeTimestamp": "2026-11-23T10:05:31Z",
    }
    response = client.post("/cds-services/crd-order-sign/feedback", json={"feedback": [item]})
    assert response.status_code == 200
    store = client.app.state.cds.store  # type: ignore[attr-defined]
    assert store.feedback_for_card(item["card"]) == [item]


def test_malformed_feedback_is_400(client: TestClient) -> None:
    response = client.post("/cds-services/crd-order-sign/feedback", json={"feedback": [{"card": "x"}]})
    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"


def test_unknown_questionnaire_is_404_outcome(client: TestClient) -> None:
    response = client.get("/fhir/Questionnaire/nope")
    assert response.status_code == 404
    assert response.json()["resourceType"] == "OperationOutcome"


def test_an_internal_failure_is_a_500_outcome_without_internals(settings: Settings) -> None:
    class Exploding(EmptyCatalog):
        def find(self, payer: str, codings: object) -> None:
            raise RuntimeError("secret internal detail")

    app = create_app(settings, policies=(Exploding(), None))
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/cds-services/crd-order-sign", json=order_sign())
    assert response.status_code == 500
    assert response.json() == {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "exception", "diagnostics": "internal error"}],
    }
    assert "secret" not in response.text


def test_jwt_mode_rejects_calls_without_a_token(settings: Settings) -> None:
    jwt_settings = Settings(**{**settings.__dict__, "auth": "jwt"})
    with TestClient(create_app(jwt_settings, policies=(EmptyCatalog(), None))) as client:
        for response in (
            client.get("/cds-services"),
            client.post("/cds-services/crd-order-sign", json=order_sign()),
            client.post("/cds-services/crd-order-sign/feedback", json={"feedback": []}),
        ):
            assert response.status_code == 401
            assert response.json()["issue"][0]["code"] == "login"


def test_jwt_mode_accepts_a_signed_client_token_once(settings: Settings, tmp_path: Path) -> None:
    key = generate_key("ES384")
    issuer = "https://ehr.example.org"
    jwt_settings = Settings(
        **{
            **settings.__dict__,
            "auth": "jwt",
            "trusted_jwks": write_jwks_file(tmp_path / "jwks.json", key),
            "trusted_issuers": (issuer,),
        }
    )
    with TestClient(create_app(jwt_settings, policies=(EmptyCatalog(), None))) as client:
        audience = "http://testserver/cds-services/crd-order-sign"
        headers = {"Authorization": f"Bearer {mint_token(key, iss=issuer, aud=audience)}"}
        assert client.post("/cds-services/crd-order-sign", json=order_sign(), headers=headers).status_code == 200
        replay = client.post("/cds-services/crd-order-sign", json=order_sign(), headers=headers)
        assert replay.status_code == 401  # the jti is remembered in the audit store
        wrong_audience = {"Authorization": f"Bearer {mint_token(key, iss=issuer, aud=audience + 'x')}"}
        assert client.post("/cds-services/crd-order-sign", json=order_sign(), headers=wrong_audience).status_code == 401
        discovery = {"Authorization": f"Bearer {mint_token(key, iss=issuer, aud='http://testserver/cds-services')}"}
        assert client.get("/cds-services", headers=discovery).status_code == 200
