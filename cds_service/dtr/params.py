"""The inputs of the DTR operations, read from a FHIR Parameters resource (or a bare resource where SDC allows).

Besides DTR's own parts (coverage, order, questionnaire, context, questionnaire-response), the record the policy
reads can be sent as `record` (a Bundle of the patient's data, as a CRD prefetch would hold it) or read from the
EHR: `fhirServer` (valueUrl, behind the same allowlist as hook calls) and `fhirAuthorization` (valueString, the
access token; never stored).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..hook.errors import BadRequestError


@dataclass
class DtrInput:
    coverage: dict[str, Any] | None = None
    orders: list[dict[str, Any]] = field(default_factory=list)
    questionnaires: list[str] = field(default_factory=list)
    context: str | None = None
    response: dict[str, Any] | None = None
    record: dict[str, Any] | None = None
    fhir_server: str | None = None
    access_token: str | None = None
    subject: str | None = None


_RESOURCE_PARTS = {"coverage", "order", "questionnaire-response", "record", "questionnaire", "in"}


def parse(payload: Any) -> DtrInput:
    if not isinstance(payload, dict):
        raise BadRequestError("the body must be a FHIR Parameters resource")
    found = DtrInput()
    if payload.get("resourceType") == "QuestionnaireResponse":
        found.response = payload
        return found
    if payload.get("resourceType") != "Parameters":
        raise BadRequestError("the body must be a FHIR Parameters resource")
    parts = payload.get("parameter")
    for part in parts if isinstance(parts, list) else []:
        if not isinstance(part, dict) or not isinstance(part.get("name"), str):
            raise BadRequestError("every Parameters.parameter needs a name")
        _take(found, part["name"], part)
    return found


def _take(found: DtrInput, name: str, part: dict[str, Any]) -> None:
    resource = part.get("resource")
    if name in _RESOURCE_PARTS and resource is not None and not isinstance(resource, dict):
        raise BadRequestError(f"parameter {name!r}: resource must be a JSON object")
    if name == "coverage":
        found.coverage = _typed(resource, "Coverage", name)
    elif name == "order":
        found.orders.append(_typed(resource, None, name))
    elif name in ("questionnaire-response", "in"):
        found.response = _typed(resource, "QuestionnaireResponse", name)
    elif name == "record":
        found.record = _typed(resource, "Bundle", name)
    elif name in ("questionnaire", "questionnaireRef"):
        if isinstance(resource, dict):
            found.questionnaires.append(f"{resource.get('url')}|{resource.get('version')}")
        else:
            found.questionnaires.append(_string(part, name, "valueCanonical", "valueUri", "valueString"))
    elif name == "context":
        found.context = _string(part, name, "valueString", "valueId")
    elif name == "subject":
        reference = part.get("valueReference")
        found.subject = reference.get("reference") if isinstance(reference, dict) else None
    elif name == "fhirServer":
        found.fhir_server = _string(part, name, "valueUrl", "valueUri", "valueString")
    elif name == "fhirAuthorization":
        found.access_token = _string(part, name, "valueString")


def _typed(resource: Any, kind: str | None, name: str) -> dict[str, Any]:
    if not isinstance(resource, dict) or (kind is not None and resource.get("resourceType") != kind):
        raise BadRequestError(f"parameter {name!r} must carry a {kind or 'FHIR'} resource")
    return resource


def _string(part: dict[str, Any], name: str, *keys: str) -> str:
    for key in keys:
        value = part.get(key)
        if isinstance(value, str) and value:
            return value
    raise BadRequestError(f"parameter {name!r} needs a {keys[0]}")
