"""Lenient parsing of a CDS Hooks 2.0 / CRD 2.2 hook request into the few facts the pipeline needs.

Lenient where real clients differ (the public CDS Hooks sandbox sends draftOrders without Bundle.type,
`category` as an object and no `intent`; unknown fields are ignored, CRD found-33 / hook-23), strict
where the answer would otherwise be wrong. CRD hook-13: 400 when the request is not valid CDS Hooks (a context
field the hook requires is missing or of the wrong type, a draft order is about another patient), 422 when it
is valid CDS Hooks but breaks a constraint of this service (the same order twice).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from cql_like.fhir.references import reference_parts, relative_reference

from .crd_version import NEWEST, REQUESTED_VERSION_KEY, response_version
from .errors import BadRequestError, PayloadTooLargeError, UnprocessableError

ORDER_TYPES = frozenset(
    {
        "MedicationRequest",
        "ServiceRequest",
        "DeviceRequest",
        "NutritionOrder",
        "VisionPrescription",
        "CommunicationRequest",
    }
)
CONFIGURATION_KEY = "davinci-crd.configuration"
ENCOUNTER_HOOKS = frozenset({"encounter-start", "encounter-discharge"})
# Real FHIR documents nest at most ~13 levels and a hook request adds ~6. orjson parses up to 1024, but the
# recursive code after parsing (and orjson.dumps at 255) fails far earlier: the limit sits well below both.
MAX_JSON_DEPTH = 64


@dataclass(frozen=True)
class HookRequest:
    hook: str
    hook_instance: str
    context: Mapping[str, Any]
    patient_id: str
    user_id: str | None
    fhir_server: str | None
    access_token: str | None
    prefetch: Mapping[str, Any]
    configuration: Mapping[str, Any]
    draft_orders: tuple[Mapping[str, Any], ...]
    in_scope: tuple[str, ...]
    """`Type/id` of the orders to answer for: selections, dispatched orders or all drafts."""
    extra: Mapping[str, Any] = field(default_factory=dict)
    crd_version: str = NEWEST
    """The CRD version the answer follows (crd_version.response_version of davinci-crd.requestedVersion)."""

    def draft(self, reference: str) -> Mapping[str, Any] | None:
        for resource in self.draft_orders:
            if f"{resource.get('resourceType')}/{resource.get('id')}" == reference:
                return resource
        return None


def load_json(body: bytes, max_bytes: int) -> Any:
    if len(body) > max_bytes:
        raise PayloadTooLargeError(f"request body is {len(body)} bytes; the limit is {max_bytes}")
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise BadRequestError("request body is not valid JSON") from None
    if _nested_deeper_than(body, MAX_JSON_DEPTH):
        raise BadRequestError(f"request JSON is nested deeper than {MAX_JSON_DEPTH} levels")
    return payload


def copy_json(value: Any) -> Any:
    """A deep copy of parsed request JSON: a draft order echoed in a systemAction must not share objects with the
    request. An orjson round trip is exact for what orjson parsed and ~5x faster than copy.deepcopy."""
    return orjson.loads(orjson.dumps(value))


# The depth check reads the bytes, not the parsed objects: it runs on every request, and a handful of C-level
# bytes operations cost a third of a walk over every dict and list. It runs after orjson accepted the body, so
# the brackets are balanced and string quotes pair up.
_STRUCTURE = b'"[]{}'
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in _STRUCTURE)
_ONE_BRACKET_KIND = bytes.maketrans(b"{}", b"[]")


def _nested_deeper_than(body: bytes, limit: int) -> bool:
    if b"\\" in body:  # escapes pair left to right: an escaped backslash first, then an escaped quote
        body = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    marks = body.translate(_ONE_BRACKET_KIND, _NOT_STRUCTURE)
    marks = marks.replace(b'""', b"")  # dropping two adjacent quotes keeps every bracket on its side of a string
    # what is left between quotes is inside strings: every other piece of the split
    brackets = b"".join(marks.split(b'"')[::2]) if b'"' in marks else marks
    for _ in range(limit):  # each pass removes the innermost level
        if not brackets:
            return False
        brackets = brackets.replace(b"[]", b"")
    return bool(brackets)


def parse_hook_request(payload: Any, expected_hook: str) -> HookRequest:
    if not isinstance(payload, dict):
        raise BadRequestError("a CDS Hooks request is a JSON object")
    hook = _required_string(payload, "hook")
    if hook != expected_hook:
        raise BadRequestError(f"this service answers the {expected_hook} hook, not {hook}")
    hook_instance = _required_string(payload, "hookInstance")
    context = payload.get("context")
    if not isinstance(context, dict):
        raise BadRequestError("'context' must be a JSON object")
    fhir_server = payload.get("fhirServer")
    if fhir_server is not None and not isinstance(fhir_server, str):
        raise BadRequestError("'fhirServer' must be a string")
    access_token = _access_token(payload.get("fhirAuthorization"), fhir_server)
    prefetch = payload.get("prefetch")
    if prefetch is None:
        prefetch = {}
    if not isinstance(prefetch, dict):
        raise BadRequestError("'prefetch' must be a JSON object")
    extension = payload.get("extension")
    configuration: Mapping[str, Any] = {}
    if isinstance(extension, dict) and isinstance(extension.get(CONFIGURATION_KEY), dict):
        configuration = extension[CONFIGURATION_KEY]
    crd_version = response_version(extension.get(REQUESTED_VERSION_KEY) if isinstance(extension, dict) else None)

    patient_id = context.get("patientId")
    if not isinstance(patient_id, str) or not patient_id:
        raise BadRequestError("context.patientId is required")
    user_id = context.get("userId")
    if user_id is not None and (not isinstance(user_id, str) or "/" not in user_id):
        raise BadRequestError("context.userId must be a 'Type/id' reference")
    encounter_id = context.get("encounterId")
    if (encounter_id is not None or hook in ENCOUNTER_HOOKS) and (
        not isinstance(encounter_id, str) or not encounter_id
    ):
        raise BadRequestError(f"context.encounterId is {'required' if hook in ENCOUNTER_HOOKS else 'a string'}")

    if hook == "appointment-book":
        draft_orders = _resources(context.get("appointments"), "appointments", required=True)
    else:
        draft_orders = _resources(
            context.get("draftOrders"), "draftOrders", required=hook in ("order-sign", "order-select")
        )
    for resource in draft_orders:
        check_subject(resource, patient_id)
    in_scope = _in_scope(hook, context, draft_orders)
    return HookRequest(
        hook=hook,
        hook_instance=hook_instance,
        context=context,
        patient_id=patient_id,
        user_id=user_id,
        fhir_server=fhir_server.rstrip("/") if fhir_server else None,
        access_token=access_token,
        prefetch=prefetch,
        configuration=configuration,
        draft_orders=draft_orders,
        in_scope=in_scope,
        crd_version=crd_version,
    )


def _required_string(payload: Mapping[str, Any], key: str) -> str:
    value = payload.get(key)
    if not isinstance(value, str) or not value:
        raise BadRequestError(f"'{key}' is required and must be a non-empty string")
    return value


def _access_token(authorization: Any, fhir_server: str | None) -> str | None:
    if authorization is None:
        return None
    if not isinstance(authorization, dict):
        raise BadRequestError("'fhirAuthorization' must be a JSON object")
    if fhir_server is None:
        raise BadRequestError("'fhirAuthorization' requires 'fhirServer'")
    token = authorization.get("access_token")
    if not isinstance(token, str) or not token:
        raise BadRequestError("'fhirAuthorization.access_token' is required")
    return token


def _resources(bundle: Any, name: str, *, required: bool) -> tuple[Mapping[str, Any], ...]:
    """The resources of a context Bundle (draftOrders, appointments)."""
    if bundle is None:
        if required:
            raise BadRequestError(f"context.{name} is required for this hook")
        return ()
    if not isinstance(bundle, dict) or not isinstance(bundle.get("entry", []), list):
        raise BadRequestError(f"context.{name} must be a Bundle of resources")
    resources: list[Mapping[str, Any]] = []
    for index, entry in enumerate(bundle.get("entry", [])):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            raise BadRequestError(f"context.{name}.entry[{index}] has no resource")
        if not isinstance(resource.get("resourceType"), str) or not isinstance(resource.get("id"), str):
            raise BadRequestError(f"context.{name}.entry[{index}].resource needs resourceType and id")
        if any(o["resourceType"] == resource["resourceType"] and o["id"] == resource["id"] for o in resources):
            # One answer (and one audit row) per order: a repeated Type/id would make both ambiguous.
            raise UnprocessableError(f"context.{name}.entry[{index}] repeats an earlier Type/id")
        resources.append(resource)
    return tuple(resources)


def check_subject(resource: Mapping[str, Any], patient_id: str) -> None:
    """A draft order or appointment about another patient than context.patientId is not this call's to decide:
    deciding it from this patient's record would be wrong (400, the request contradicts itself)."""
    subjects = [resource.get("subject"), resource.get("patient")]
    if resource.get("resourceType") == "Appointment":
        participants = resource.get("participant")
        subjects += (
            [p.get("actor") for p in participants if isinstance(p, dict)] if isinstance(participants, list) else []
        )
    for subject in subjects:
        target = subject.get("reference") if isinstance(subject, dict) else None
        if not isinstance(target, str) or "/" not in target or target.startswith("#"):
            continue
        kind, ident = reference_parts(target)
        if kind == "Patient" and ident != patient_id:
            raise BadRequestError(
                f"{resource['resourceType']}/{resource['id']} is about another patient than context.patientId"
            )


def _in_scope(hook: str, context: Mapping[str, Any], drafts: tuple[Mapping[str, Any], ...]) -> tuple[str, ...]:
    draft_refs = [f"{r['resourceType']}/{r['id']}" for r in drafts if r["resourceType"] in ORDER_TYPES]
    if hook == "order-sign":
        return tuple(draft_refs)
    if hook == "order-select":
        selections = context.get("selections")
        if not isinstance(selections, list) or not all(isinstance(s, str) for s in selections):
            raise BadRequestError("context.selections must be an array of 'Type/id' references")
        missing = [s for s in selections if s not in draft_refs and s.split("/")[0] in ORDER_TYPES]
        if missing:
            raise BadRequestError("every order-select selection must be an order in context.draftOrders")
        # dict.fromkeys: a repeated selection is one order, answered (and audited) once.
        return tuple(dict.fromkeys(s for s in selections if s.split("/")[0] in ORDER_TYPES))
    if hook == "order-dispatch":
        # CRD 2.2 / hook library 1.1 send `dispatchedOrders`; CRD 2.0.1 (what Inferno tests) sends `order`.
        dispatched = context.get("dispatchedOrders", context.get("order"))
        if isinstance(dispatched, str):
            dispatched = [dispatched]
        if not isinstance(dispatched, list) or not dispatched or not all(_is_ref(d) for d in dispatched):
            raise BadRequestError("context.dispatchedOrders (or 2.0.1 context.order) must name the orders")
        if not isinstance(context.get("performer"), str):
            raise BadRequestError("context.performer is required for order-dispatch")
        relative = (relative_reference(d) for d in dispatched)
        return tuple(dict.fromkeys(ref for ref in relative if ref.split("/")[0] in ORDER_TYPES))
    if hook == "appointment-book":
        return tuple(f"Appointment/{r['id']}" for r in drafts if r["resourceType"] == "Appointment")
    return ()


def _is_ref(value: Any) -> bool:
    return isinstance(value, str) and "/" in value
