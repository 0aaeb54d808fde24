"""/openapi.json declares the CDS Hooks routes the app reads raw: request bodies, service ids, answers.

The declarations live in cds_service/http/openapi_schema.py; schemathesis fuzzes from them (test_fuzz.py). These
tests hold them to what the routes really accept and send: the sample hook requests validate against the
declared request schema, real answers against the declared response schemas, and error media types match.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import pytest

from cds_service.app import create_app
from cds_service.hook.discovery import SERVICES
from cds_service.pipeline import PolicyCatalog
from cds_service.policy.evaluate import Evaluator
from cds_service.settings import Settings
from tests.support.app_client import TestClient
from tests.support.sample_app import SAMPLE_DATE, sample_index, sample_request

HOOK = "/cds-services/{service_id}"
FEEDBACK = "/cds-services/{service_id}/feedback"
OUTCOME_REF = {"$ref": "#/components/schemas/OperationOutcome"}
SAMPLE_NAMES = [sample["name"] for sample in sample_index()]


@pytest.fixture
def document(client: TestClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def component(document: dict[str, Any], ref: dict[str, str]) -> dict[str, Any]:
    schema: dict[str, Any] = document["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]]
    return schema


def validator(document: dict[str, Any], ref: dict[str, str]) -> jsonschema_rs.Validator:
    # The components travel along so that the `$ref`s inside the schema resolve within one document.
    return jsonschema_rs.validator_for({**ref, "components": document["components"]})


def request_schema_ref(document: dict[str, Any], path: str) -> dict[str, str]:
    body = document["paths"][path]["post"]["requestBody"]
    assert body["required"] is True
    ref: dict[str, str] = body["content"]["application/json"]["schema"]
    return ref


def test_hook_route_declares_the_cds_hooks_request_body(document: dict[str, Any]) -> None:
    schema = component(document, request_schema_ref(document, HOOK))
    assert {"hook", "hookInstance", "context"} <= set(schema["required"])
    assert {"fhirServer", "fhirAuthorization", "prefetch"} <= set(schema["properties"])
    assert set(schema["properties"]["hook"]["enum"]) == {service.hook for service in SERVICES.values()}


@pytest.mark.parametrize("path", [HOOK, FEEDBACK])
def test_service_id_is_an_enum_of_the_discovered_services(document: dict[str, Any], path: str) -> None:
    (parameter,) = document["paths"][path]["post"]["parameters"]
    assert parameter["name"] == "service_id"
    assert parameter["in"] == "path"
    assert sorted(parameter["schema"]["enum"]) == sorted(SERVICES)


def test_an_unknown_service_id_is_still_the_routes_own_404(client: TestClient) -> None:
    response = client.post("/cds-services/not-a-service", json={})
    assert response.status_code == 404
    assert response.json()["resourceType"] == "OperationOutcome"


@pytest.mark.parametrize(
    ("path", "statuses"), [(HOOK, ["400", "401", "404", "412", "413", "422"]), (FEEDBACK, ["400", "401", "404", "413"])]
)
def test_error_responses_are_declared_operation_outcomes(
    client: TestClient, document: dict[str, Any], path: str, statuses: list[str]
) -> None:
    responses = document["paths"][path]["post"]["responses"]
    assert sorted(status for status in responses if status != "200") == statuses  # no FastAPI HTTPValidationError
    sent = client.post(path.format(service_id="not-a-service"), json={})
    for status in statuses:
        assert responses[status]["content"] == {sent.headers["content-type"]: {"schema": OUTCOME_REF}}
    assert validator(document, OUTCOME_REF).is_valid(sent.json())
    assert component(document, OUTCOME_REF)["properties"]["resourceType"] == {"const": "OperationOutcome"}


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_sample_hook_requests_validate_against_the_declared_schema(document: dict[str, Any], name: str) -> None:
    request_schema = validator(document, request_schema_ref(document, HOOK))
    errors = [f"{error.instance_path}: {error.message}" for error in request_schema.iter_errors(sample_request(name))]
    assert errors == []


def test_a_request_without_hook_does_not_validate(document: dict[str, Any]) -> None:
    request = sample_request(SAMPLE_NAMES[0])
    request_schema = validator(document, request_schema_ref(document, HOOK))
    assert request_schema.is_valid(request)
    del request["hook"]
    assert not request_schema.is_valid(request)


def test_feedback_request_validates_against_the_declared_schema(document: dict[str, Any]) -> None:
    item = {
        "card": "0b5e9c5e-6d3c-4c1a-9d1e-3f4f0c3b1a11",
        "outcome": "accepted",
        "acceptedSuggestions": [{"id": "e56e1945-20b3-4393-8503-a1a20fd73152"}],
        "outcomeTimestamp": "2026-11-23T10:05:31Z",
    }
    feedback_schema = validator(document, request_schema_ref(document, FEEDBACK))
    assert feedback_schema.is_valid({"feedback": [item]})
    assert not feedback_schema.is_valid({"feedback": []})


@pytest.fixture(scope="module")
def sample_answers(
    tmp_path_factory: pytest.TempPathFactory, policies: tuple[PolicyCatalog, Evaluator | None]
) -> Iterator[TestClient]:
    settings = Settings(auth="off", db_path=tmp_path_factory.mktemp("openapi") / "audit.sqlite3")
    with TestClient(create_app(settings, policies=policies, clock=lambda: SAMPLE_DATE)) as client:
        yield client


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_real_answers_validate_against_the_declared_response(sample_answers: TestClient, name: str) -> None:
    document = sample_answers.get("/openapi.json").json()
    declared = document["paths"][HOOK]["post"]["responses"]["200"]["content"]
    request = sample_request(name)
    response = sample_answers.post(f"/cds-services/crd-{request['hook']}", json=request)
    assert response.status_code == 200, response.text
    (media_type,) = declared
    assert response.headers["content-type"] == media_type
    errors = [
        f"{e.instance_path}: {e.message}"
        for e in validator(document, declared[media_type]["schema"]).iter_errors(response.json())
    ]
    assert errors == []
