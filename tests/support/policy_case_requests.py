"""Turn a policy test case (policies/*/*/tests/cases.yaml) into the hook request an EHR would send."""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from cds_service.hook.discovery import RECORD_QUERIES
from cds_service.policy.cases import PolicyCase, case_resources
from tests.support.hook_requests import coverage, organization, searchset

# the prefetch key our discovery document gives each record type
PREFETCH_KEY_BY_TYPE = {kind: key for kind, (key, _) in RECORD_QUERIES.items()}
TEMPLATE_KEYS = tuple(PREFETCH_KEY_BY_TYPE.values())


def hook_request_for_case(case: PolicyCase, *, hook: str = "order-sign") -> dict[str, Any]:
    """Draft MedicationRequests go to draftOrders; the rest is prefetched under our discovery keys (every key
    present, so nothing needs fetching; the dispense search failed when the case says the medication history was
    unavailable); the Coverage is the policy's payer with the case's line of business."""
    resources = [r for r in case_resources(case) if r.get("resourceType") not in ("Coverage", "Organization")]
    order = next(r for r in resources if r.get("resourceType") == "MedicationRequest" and r.get("id") == case.order_id)
    drafts = [order] + [
        r
        for r in resources
        if r.get("resourceType") == "MedicationRequest" and r.get("status") == "draft" and r is not order
    ]
    patient = next((r for r in resources if r.get("resourceType") == "Patient"), None)
    patient_id = (patient.get("id") if patient else None) or "unknown-patient"
    buckets: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for resource in resources:
        if any(resource is d for d in drafts) or resource is patient:
            continue
        buckets[PREFETCH_KEY_BY_TYPE.get(resource["resourceType"], "otherResources")].append(resource)
    payer = case.policy.metadata.payer
    prefetch: dict[str, Any] = {key: searchset(*buckets.get(key, [])) for key in TEMPLATE_KEYS}
    prefetch["otherResources"] = searchset(*buckets.get("otherResources", []))
    prefetch["patient"] = patient
    if not case.medication_history_available:
        # how an EHR says it could not search the dispenses: the medication history is then incomplete
        prefetch["medicationDispenses"] = {
            "resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": "exception", "diagnostics": "MedicationDispense search failed"}],
        }
    prefetch["coverage"] = searchset(
        coverage(payer, line=case.line_of_business, patient_id=patient_id), organization(payer)
    )
    context: dict[str, Any] = {
        "userId": "Practitioner/prescriber",
        "patientId": patient_id,
        "draftOrders": {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"fullUrl": f"urn:uuid:{uuid.uuid4()}", "resource": d} for d in drafts],
        },
    }
    if hook == "order-select":
        context["selections"] = [f"MedicationRequest/{case.order_id}"]
    return {
        "hook": hook,
        "hookInstance": str(uuid.uuid4()),
        "fhirServer": "http://127.0.0.1:9/fhir",
        "fhirAuthorization": {
            "access_token": "t",
            "token_type": "Bearer",
            "expires_in": 30,
            "scope": "patient/*.read",
            "subject": "coverage-hooks",
        },
        "context": context,
        "prefetch": prefetch,
    }
