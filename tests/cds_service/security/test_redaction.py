"""No secrets at rest: the EHR's access token (and refresh token, any JWT or Bearer value) never reaches the audit
store or a log line, while the clinical content the audit is for stays as received."""

from __future__ import annotations

import logging
import secrets
import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from cds_service.__main__ import cli
from cds_service.app import create_app
from cds_service.pipeline import PolicyCatalog
from cds_service.policy.evaluate import Evaluator
from cds_service.security.redaction import RedactingFilter, redact
from cds_service.settings import Settings
from tests.support.app_client import TestClient

REPO = Path(__file__).resolve().parents[3]
SAMPLE = REPO / "sample_bundles" / "centene-sotorasib-nsclc-approved.json"


def jwt_like() -> str:
    return "eyJhbGciOiJSUzM4NCJ9." + secrets.token_urlsafe(24) + "." + secrets.token_urlsafe(32)


def test_token_members_jwts_and_bearer_values_are_redacted_and_nothing_else() -> None:
    body = (
        b'{"fhirAuthorization": {"access_token": "opaque-\\"quoted\\"-1", "token_type": "Bearer",'
        b' "refresh_token":"r-2", "scope": "user/Patient.read"},'
        b' "note": "sent with Authorization: Bearer abcdefgh12345678 and ' + jwt_like().encode() + b'",'
        b' "code": "Basic metabolic panel", "patient": "pat-1"}'
    )
    cleaned = orjson.loads(redact(body))
    assert cleaned["fhirAuthorization"] == {
        "access_token": "[redacted]",
        "token_type": "Bearer",
        "refresh_token": "[redacted]",
        "scope": "user/Patient.read",
    }
    assert cleaned["note"] == "sent with Authorization: Bearer [redacted] and [redacted]"
    assert (cleaned["code"], cleaned["patient"]) == ("Basic metabolic panel", "pat-1")
    plain = b'{"resourceType": "Observation", "valueString": "KRAS G12C"}'
    assert redact(plain) is plain  # the common case: nothing to do, no copy


def test_secrets_are_found_whatever_their_case_and_a_word_ending_in_bearer_is_not_a_scheme() -> None:
    body = b'{"ACCESS_TOKEN": "a-1", "x": "xBearer abcdefgh.Bearer ijklmnop1234", "y": "BEARER\tqrstuvwx5678"}'
    cleaned = orjson.loads(redact(body))
    assert cleaned["ACCESS_TOKEN"] == "[redacted]"
    # "xBearer" is not the scheme, but the "Bearer" inside what looked like its value is
    assert cleaned["x"] == "xBearer abcdefgh.Bearer [redacted]"
    assert cleaned["y"] == "BEARER [redacted]"


def test_the_log_filter_redacts_the_formatted_message() -> None:
    token = jwt_like()
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "header was %s", (f"Bearer {token}",), None)
    assert RedactingFilter().filter(record)
    assert record.getMessage() == "header was Bearer [redacted]"


def _request(token: str, refresh: str) -> dict[str, Any]:
    request: dict[str, Any] = orjson.loads(SAMPLE.read_bytes())
    request["hookInstance"] = str(uuid.uuid4())
    request["fhirAuthorization"]["access_token"] = token
    request["fhirAuthorization"]["refresh_token"] = refresh
    return request


def test_a_called_service_keeps_no_token_in_its_sqlite_files_or_logs(
    settings: Settings,
    policies: tuple[PolicyCatalog, Evaluator | None],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token, refresh = jwt_like(), "refresh-" + secrets.token_hex(16)
    answered = _request(token, refresh)
    failed = _request(token, refresh)
    failed["fhirServer"] = "https://ehr.elsewhere.example/fhir"  # not allowed, and the Coverage is not prefetched
    del failed["prefetch"]["coverage"]
    caplog.set_level(logging.DEBUG)
    with TestClient(create_app(settings, policies=policies)) as client:
        assert client.post("/cds-services/crd-order-sign", json=answered).status_code == 200
        assert client.post("/cds-services/crd-order-sign", json=failed).status_code == 412
        [stored] = client.app.state.cds.store.invocations(answered["hookInstance"])  # type: ignore[attr-defined]
    assert orjson.loads(stored["request_body"])["fhirAuthorization"]["access_token"] == "[redacted]"
    assert orjson.loads(stored["request_body"])["context"]["patientId"] == "pat-1"  # PHI kept on purpose
    files = sorted(settings.db_path.parent.glob(settings.db_path.name + "*"))
    assert files, "the audit store was written"
    for path in files:  # the database, and its WAL / shared-memory files when present
        content = path.read_bytes()
        assert token.encode() not in content and refresh.encode() not in content, path.name
    assert token not in caplog.text and refresh not in caplog.text

    monkeypatch.setenv("CDS_DB_PATH", str(settings.db_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    printed = CliRunner().invoke(cli, ["audit", failed["hookInstance"]])
    assert printed.exit_code == 0, printed.output
    assert '"[redacted]"' in printed.stdout and token not in printed.stdout
