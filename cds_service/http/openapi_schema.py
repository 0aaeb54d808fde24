"""What /openapi.json says about the CDS Hooks routes, which FastAPI cannot infer on its own.

The hook and feedback routes read their raw bodies themselves (for the size and nesting limits, see hooks.py),
so without these declarations the schema would have no request body, `service_id` would be any string and the
OperationOutcome error answers would be missing. The schemas describe CDS Hooks 2.0 as the service reads it;
the route code stays the judge of what it accepts (it is more lenient, request_model.py).

schemathesis generates its fuzz cases from the request schema (tests/cds_service/test_fuzz.py), so it is
lean on purpose: every property costs generated cases per second. Resources declare only the fields the
pipeline reads; deep FHIR content is the hypothesis campaigns' job (tests/support/hostile_json.py).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from ..hook.discovery import SERVICES
from ..hook.request_model import ORDER_TYPES

FHIR_JSON = "application/fhir+json"
JSON = "application/json"
SERVICE_IDS = sorted(SERVICES)


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


_STRING = {"type": "string"}
_STRINGS = {"type": "array", "items": _STRING}
_REFERENCE = {"type": "object", "properties": {"reference": _STRING}}
_CONCEPT = {
    "type": "object",
    "properties": {
        "coding": {"type": "array", "items": {"type": "object", "properties": {"system": _STRING, "code": _STRING}}}
    },
}
# A pattern, not the ~150 FHIR R4 type names: as an enum they would make most generated resources ones the
# pipeline never reads; the named prefetch keys and draft orders below narrow it where the type is known.
_ANY_RESOURCE_TYPE = {"type": "string", "pattern": "^[A-Z][A-Za-z]+$"}


# Fields the pipeline reads that have this shape in every R4 resource that has them (`code` does not: an
# array in PractitionerRole, Coding in Questionnaire), so any resource type may carry them.
_COMMON_FIELDS = {
    "status": _STRING,
    "subject": _REFERENCE,
    "payor": {"type": "array", "items": _REFERENCE},
    "medicationCodeableConcept": _CONCEPT,
}


def resource(resource_type: dict[str, Any], *, nullable: bool = False, **fields: Any) -> dict[str, Any]:
    """A FHIR resource with the few fields the pipeline reads; `nullable` for prefetch values (CDS Hooks 2.0:
    a template the client could not fill is sent as null)."""
    return {
        "type": ["object", "null"] if nullable else "object",
        "required": ["resourceType", "id"],
        "properties": {"resourceType": resource_type, "id": _STRING, **_COMMON_FIELDS, **fields},
    }


def bundle(entry_resource: dict[str, Any], *, nullable: bool = False) -> dict[str, Any]:
    return {
        "type": ["object", "null"] if nullable else "object",
        "required": ["resourceType"],
        "properties": {
            "resourceType": {"const": "Bundle"},
            "entry": {"type": "array", "items": {"type": "object", "properties": {"resource": entry_resource}}},
        },
    }


def _prefetch_value(template: str) -> dict[str, Any]:
    """`Patient/{{context.patientId}}` prefetches that Patient; a `Type?query` template a searchset Bundle."""
    if "?" in template:
        return bundle(resource(_ANY_RESOURCE_TYPE), nullable=True)
    return resource({"const": template.split("/")[0]}, nullable=True)


# Named keys, not anyOf: schemathesis cannot always negate the latter. Keys no service asks for are still
# FHIR content (a client may prefetch more): a resource or Bundle, or null.
PREFETCH = {
    "type": "object",
    "properties": {
        key: _prefetch_value(template) for service in SERVICES.values() for key, template in service.prefetch.items()
    },
    "additionalProperties": {"type": ["object", "null"], "required": ["resourceType"]},
}
HOOK_REQUEST = {
    "type": "object",
    "required": ["hook", "hookInstance", "context"],
    "properties": {
        "hook": {"enum": sorted({service.hook for service in SERVICES.values()})},
        "hookInstance": {"type": "string", "minLength": 1},
        "fhirServer": _STRING,
        "fhirAuthorization": {
            "type": "object",
            "required": ["access_token", "token_type", "expires_in", "scope", "subject"],
            "properties": {
                "access_token": _STRING,
                "token_type": {"const": "Bearer"},
                "expires_in": {"type": "integer"},
                "scope": _STRING,
                "subject": _STRING,
                "patient": _STRING,
            },
        },
        "context": {
            "type": "object",
            "required": ["patientId"],
            "properties": {
                "patientId": _STRING,
                "userId": _STRING,
                "encounterId": _STRING,
                "draftOrders": bundle(resource({"enum": sorted(ORDER_TYPES)}, code=_CONCEPT)),
                "selections": _STRINGS,
                "dispatchedOrders": _STRINGS,
                "order": _STRING,  # CRD 2.0.1's order-dispatch, before dispatchedOrders
                "performer": _STRING,
            },
        },
        "prefetch": PREFETCH,
    },
}
OPERATION_OUTCOME = {
    "type": "object",
    "required": ["resourceType", "issue"],
    "properties": {
        "resourceType": {"const": "OperationOutcome"},
        "issue": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["severity", "code"],
                "properties": {"severity": _STRING, "code": _STRING, "diagnostics": _STRING},
            },
        },
    },
}
CARD = {
    "type": "object",
    "required": ["summary", "indicator", "source"],
    "properties": {
        "uuid": _STRING,
        "summary": {"type": "string", "maxLength": 140},
        "detail": _STRING,
        "indicator": {"enum": ["info", "warning", "critical"]},
        "source": {"type": "object", "required": ["label"], "properties": {"label": _STRING}},
        "suggestions": {"type": "array", "items": {"type": "object"}},
        "links": {"type": "array", "items": {"type": "object"}},
    },
}
SYSTEM_ACTION = {"type": "object", "required": ["type", "description"], "properties": {"type": _STRING}}
HOOK_RESPONSE = {
    "type": "object",
    "required": ["cards"],
    "properties": {
        "cards": {"type": "array", "items": ref("Card")},
        "systemActions": {"type": "array", "items": ref("SystemAction")},
    },
}
FEEDBACK_REQUEST = {
    "type": "object",
    "required": ["feedback"],
    "properties": {
        "feedback": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["card", "outcome", "outcomeTimestamp"],
                "properties": {
                    "card": _STRING,
                    "outcome": {"enum": ["accepted", "overridden"]},
                    "outcomeTimestamp": _STRING,
                    "acceptedSuggestions": {
                        "type": "array",
                        "items": {"type": "object", "required": ["id"], "properties": {"id": _STRING}},
                    },
                    "overrideReason": {"type": "object"},
                },
            },
        }
    },
}
COMPONENTS = {
    "HookRequest": HOOK_REQUEST,
    "HookResponse": HOOK_RESPONSE,
    "Card": CARD,
    "SystemAction": SYSTEM_ACTION,
    "FeedbackRequest": FEEDBACK_REQUEST,
    "OperationOutcome": OPERATION_OUTCOME,
}

SERVICE_ID_PARAMETER = {
    "name": "service_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "enum": SERVICE_IDS},
}


def _outcome(description: str) -> dict[str, Any]:
    return {"description": description, "content": {FHIR_JSON: {"schema": ref("OperationOutcome")}}}


def _service_operation(body_schema: str) -> dict[str, Any]:
    return {
        "parameters": [SERVICE_ID_PARAMETER],
        "requestBody": {"required": True, "content": {JSON: {"schema": ref(body_schema)}}},
    }


def _by_status(responses: dict[int | str, dict[str, Any]]) -> dict[int | str, dict[str, Any]]:
    return dict(sorted(responses.items(), key=lambda item: str(item[0])))


_NOT_JSON = "not JSON, nested too deep, or not a CDS Hooks request; or a Coverage/payer problem"
_READING_ERRORS: dict[int | str, dict[str, Any]] = {
    401: _outcome("client JWT missing or not acceptable (when CDS_AUTH=jwt)"),
    404: _outcome("unknown service id"),
    413: _outcome("body over the size limit"),
}
HOOK_OPERATION = _service_operation("HookRequest")
HOOK_RESPONSES: dict[int | str, dict[str, Any]] = _by_status(
    {
        200: {"description": "CDS Hooks response", "content": {JSON: {"schema": ref("HookResponse")}}},
        400: _outcome(_NOT_JSON),
        **_READING_ERRORS,
        412: _outcome("data the decision needs was neither prefetched nor retrievable from fhirServer"),
        422: _outcome("a CDS Hooks request that violates a CRD constraint"),
    }
)
FEEDBACK_OPERATION = _service_operation("FeedbackRequest")
FEEDBACK_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "feedback recorded (empty body)"},
    400: _outcome("not JSON, or not a CDS Hooks feedback request"),
    **_READING_ERRORS,
}
_HEALTH = {"type": "object", "required": ["status"], "properties": {"status": {"enum": ["ok", "unavailable"]}}}
HEALTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "ready: policies compiled, audit store answering", "content": {JSON: {"schema": _HEALTH}}},
    503: {
        "description": "the audit store does not answer: take this worker out of rotation",
        "content": {JSON: {"schema": _HEALTH}},
    },
}


def declare_components(app: FastAPI) -> None:
    """Add the schemas the routes' `$ref`s name to the app's generated OpenAPI document."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        schema = generate()  # FastAPI builds it once and caches it on the app; the update is idempotent
        schema.setdefault("components", {}).setdefault("schemas", {}).update(COMPONENTS)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
