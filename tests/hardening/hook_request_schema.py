"""The OpenAPI description of `POST /cds-services/{service_id}` schemathesis needs to generate useful cases.

FastAPI cannot infer it: the route reads the raw body itself (for the size and nesting limits), so the
app's schema has no `requestBody` and `service_id` is any string. `hook_operation_schema` returns the app's
own schema with what is missing filled in — the CDS Hooks 2.0 request shape (hook, hookInstance,
fhirServer, fhirAuthorization, context with patientId/userId/draftOrders/selections, prefetch of FHIR
resources or Bundles), the service ids, and the OperationOutcome error answers — and lists what it added,
so the gap is visible until the app declares these itself (e.g. via `openapi_extra` on the route).
"""

from __future__ import annotations

import copy
from typing import Any

from cds_service.discovery import SERVICES

HOOK_PATH = "/cds-services/{service_id}"

# Lean on purpose: schemathesis spends its time generating, so every property here costs cases per second.
# Deep FHIR content is the hypothesis campaigns' job (tests/hardening/hostile_json.py).
_REFERENCE = {"type": "object", "properties": {"reference": {"type": "string"}}}
_CONCEPT = {
    "type": "object",
    "properties": {
        "coding": {
            "type": "array",
            "maxItems": 2,
            "items": {"type": "object", "properties": {"system": {"type": "string"}, "code": {"type": "string"}}},
        }
    },
}
RESOURCE = {
    "type": "object",
    "required": ["resourceType", "id"],
    "properties": {
        "resourceType": {
            "enum": ["Patient", "Coverage", "Organization", "Condition", "Observation", "MedicationRequest"]
        },
        "id": {"type": "string"},
        "status": {"type": "string"},
        "subject": _REFERENCE,
        "payor": {"type": "array", "maxItems": 2, "items": _REFERENCE},
        "code": _CONCEPT,
        "medicationCodeableConcept": _CONCEPT,
    },
}
BUNDLE = {
    "type": "object",
    "required": ["resourceType"],
    "properties": {
        "resourceType": {"enum": ["Bundle"]},
        "entry": {"type": "array", "maxItems": 3, "items": {"type": "object", "properties": {"resource": RESOURCE}}},
    },
}
HOOK_REQUEST = {
    "type": "object",
    "required": ["hook", "hookInstance", "context"],
    "properties": {
        "hook": {"enum": sorted({service.hook for service in SERVICES.values()})},
        "hookInstance": {"type": "string", "minLength": 1},
        "fhirServer": {"type": "string"},
        "fhirAuthorization": {
            "type": "object",
            "required": ["access_token", "token_type"],
            "properties": {"access_token": {"type": "string"}, "token_type": {"enum": ["Bearer"]}},
        },
        "context": {
            "type": "object",
            "required": ["patientId"],
            "properties": {
                "patientId": {"type": "string"},
                "userId": {"type": "string"},
                "draftOrders": BUNDLE,
                "selections": {"type": "array", "maxItems": 2, "items": {"type": "string"}},
                "dispatchedOrders": {"type": "array", "maxItems": 2, "items": {"type": "string"}},
                "performer": {"type": "string"},
            },
        },
        # Named keys, not additionalProperties/anyOf: schemathesis cannot always negate the latter.
        "prefetch": {
            "type": "object",
            "properties": {"patient": RESOURCE, "coverage": BUNDLE, "conditions": BUNDLE, "observations": BUNDLE},
        },
    },
}
OPERATION_OUTCOME_RESPONSE = {
    "content": {
        "application/fhir+json": {
            "schema": {
                "type": "object",
                "required": ["resourceType", "issue"],
                "properties": {"resourceType": {"const": "OperationOutcome"}, "issue": {"type": "array"}},
            }
        }
    }
}
ERROR_STATUSES = {
    "400": "not JSON, not a CDS Hooks request, or a Coverage/payer problem",
    "401": "client JWT missing or invalid",
    "404": "unknown service",
    "412": "required data neither prefetched nor retrievable",
    "413": "body over the size limit",
    "422": "a CDS Hooks request that violates a CRD constraint",
}


def hook_operation_schema(app_schema: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The app's OpenAPI document with the hook operation completed; second item: what had to be added."""
    schema = copy.deepcopy(app_schema)
    operation = schema["paths"][HOOK_PATH]["post"]
    added: list[str] = []
    if "requestBody" not in operation:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": HOOK_REQUEST}},
        }
        added.append("requestBody (the CDS Hooks request schema)")
    for parameter in operation.get("parameters", []):
        if parameter["name"] == "service_id" and "enum" not in parameter["schema"]:
            parameter["schema"] = {"type": "string", "enum": sorted(SERVICES)}
            added.append("service_id enum (the discovered service ids)")
    responses = operation.setdefault("responses", {})
    if "422" in responses and "HTTPValidationError" in str(responses["422"]):
        del responses["422"]  # FastAPI's own validation error: this route never produces that shape
        added.append("422 is an OperationOutcome, not FastAPI's HTTPValidationError")
    for status, description in ERROR_STATUSES.items():
        if status not in responses:
            responses[status] = {"description": description, **OPERATION_OUTCOME_RESPONSE}
            added.append(f"{status} OperationOutcome response")
    return schema, added
