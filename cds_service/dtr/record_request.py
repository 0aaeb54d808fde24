"""The CRD order-sign request a DTR call stands for: the same order, patient and record, so the pipeline gathers,
routes and decides exactly as it would for the hook (record.gather with its allowlist and budget)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from ..hook.discovery import SERVICES, Service, query_type
from ..hook.errors import BadRequestError
from ..hook.request_model import CONFIGURATION_KEY, HookRequest, parse_hook_request
from .params import DtrInput

ORDER_SIGN: Service = SERVICES["crd-order-sign"]
# A Coverage search with _include=Coverage:payor returns the payor Organizations too.
_INCLUDED = {"Coverage": ("Organization",)}


def _resources(bundle: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    entries = bundle.get("entry") if bundle else None
    return [e["resource"] for e in entries or [] if isinstance(e, dict) and isinstance(e.get("resource"), dict)]


def prefetch_from_record(record: Mapping[str, Any], patient_id: str) -> dict[str, Any]:
    """The record as the order-sign prefetch keys would hold it: one searchset per key, the Patient itself."""
    resources = _resources(record)
    prefetch: dict[str, Any] = {}
    for key, template in ORDER_SIGN.prefetch.items():
        kind = query_type(template)
        if kind == "Patient":
            patient = next(
                (r for r in resources if r.get("resourceType") == "Patient" and r.get("id") == patient_id), None
            )
            prefetch[key] = patient
            continue
        kinds = (kind, *_INCLUDED.get(kind, ()))
        matched = [{"resource": r} for r in resources if r.get("resourceType") in kinds]
        prefetch[key] = {"resourceType": "Bundle", "type": "searchset", "entry": matched}
    return prefetch


def find_order(inputs: DtrInput, reference: str | None) -> dict[str, Any] | None:
    """The order by reference among the sent orders and the record; the first sent order without a reference."""
    candidates = [*inputs.orders, *_resources(inputs.record)]
    for resource in candidates:
        if reference is None and resource in inputs.orders:
            return resource
        if f"{resource.get('resourceType')}/{resource.get('id')}" == reference:
            return resource
    return None


def required_order(inputs: DtrInput, reference: str | None) -> dict[str, Any]:
    """find_order, or a 400 naming the order a QuestionnaireResponse is about and where it was looked for."""
    order = find_order(inputs, reference)
    if order is None:
        raise BadRequestError(f"the order {reference} is neither an 'order' parameter nor in the 'record'")
    return order


def _user(order: Mapping[str, Any]) -> str | None:
    requester = order.get("requester")
    reference = requester.get("reference") if isinstance(requester, dict) else None
    if isinstance(reference, str) and reference.split("/")[0] in ("Practitioner", "PractitionerRole"):
        return "/".join(reference.split("/")[-2:])
    return None


def hook_request(inputs: DtrInput, order: Mapping[str, Any], patient_id: str, *, issue: bool) -> HookRequest:
    """`issue`: make the determination (PA number) as a signed order would; otherwise only preview it."""
    if inputs.record is None and inputs.fhir_server is None:
        raise BadRequestError("send the patient's record ('record' Bundle) or a 'fhirServer' to read it from")
    # The order's own coverage-information (from CRD) is not what is ordered; a copy without it is decided.
    draft = {k: v for k, v in order.items() if k != "extension"}
    context: dict[str, Any] = {
        "patientId": patient_id,
        "draftOrders": {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": draft}]},
    }
    user = _user(order)
    if user is not None:
        context["userId"] = user
    payload: dict[str, Any] = {
        "hook": ORDER_SIGN.hook,
        "hookInstance": f"dtr-{uuid.uuid4()}",
        "context": context,
        "prefetch": prefetch_from_record(inputs.record, patient_id) if inputs.record is not None else {},
        "extension": {CONFIGURATION_KEY: {"unsolicited-determ": issue}},
    }
    if inputs.coverage is not None and inputs.record is not None:
        payload["prefetch"]["coverage"]["entry"].insert(0, {"resource": inputs.coverage})
    if inputs.fhir_server is not None:
        payload["fhirServer"] = inputs.fhir_server
        if inputs.access_token:
            payload["fhirAuthorization"] = {"access_token": inputs.access_token, "token_type": "Bearer"}
    return parse_hook_request(payload, ORDER_SIGN.hook)
