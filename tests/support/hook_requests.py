"""Builders for hook requests used across the cds_service tests (payers from cds_service/payers/payers.yaml)."""

from __future__ import annotations

import copy
import uuid
from typing import Any

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SOPT = "https://nahdo.org/sopt"
PAYER_ID_SYSTEM = "http://example.org/payer-id"


def organization(payer_key: str, org_id: str | None = None) -> dict[str, Any]:
    return {
        "resourceType": "Organization",
        "id": org_id or f"org-{payer_key}",
        "identifier": [{"system": PAYER_ID_SYSTEM, "value": payer_key}],
        "active": True,
        "type": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/organization-type", "code": "pay"}]}],
        "name": f"Sample payer {payer_key}",
    }


def coverage(
    payer_key: str = "centene",
    *,
    line: str = "medicaid",
    coverage_id: str = "cov-1",
    patient_id: str = "pat-1",
    status: str = "active",
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Coverage",
        "id": coverage_id,
        "status": status,
        "subscriberId": "M123456",
        "beneficiary": {"reference": f"Patient/{patient_id}"},
        "payor": [{"reference": f"Organization/org-{payer_key}"}],
    }
    if line == "medicaid":
        resource["type"] = {"coding": [{"system": SOPT, "code": "21", "display": "Medicaid (Managed Care)"}]}
    elif line == "marketplace":
        resource["type"] = {"coding": [{"system": SOPT, "code": "5", "display": "PRIVATE HEALTH INSURANCE"}]}
        resource["class"] = [
            {
                "type": {
                    "coding": [{"system": "http://terminology.hl7.org/CodeSystem/coverage-class", "code": "plan"}]
                },
                "value": "AMBETTER-GOLD",
            }
        ]
    else:
        resource["type"] = {"coding": [{"system": SOPT, "code": "512", "display": "Commercial Managed Care - PPO"}]}
    return resource


def searchset(*resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "entry": [
            {
                "fullUrl": f"http://127.0.0.1/fhir/{r['resourceType']}/{r['id']}"
                if "id" in r
                else f"urn:uuid:{uuid.uuid4()}",
                "resource": r,
            }
            for r in resources
        ],
    }


def medication_request(
    code: str = "197361",
    display: str = "amlodipine 5 MG Oral Tablet",
    *,
    order_id: str = "mr-1",
    patient_id: str = "pat-1",
    dose_mg: float | None = 5,
    frequency: int = 1,
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": order_id,
        "status": "draft",
        "intent": "order",
        "medicationCodeableConcept": {
            "coding": [{"system": RXNORM, "code": code, "display": display}],
            "text": display,
        },
        "subject": {"reference": f"Patient/{patient_id}"},
        "authoredOn": "2026-11-23",
        "requester": {"reference": "Practitioner/prac-1"},
    }
    if dose_mg is not None:
        resource["dosageInstruction"] = [
            {
                "timing": {"repeat": {"frequency": frequency, "period": 1, "periodUnit": "d"}},
                "doseAndRate": [
                    {
                        "doseQuantity": {
                            "value": dose_mg,
                            "unit": "mg",
                            "system": "http://unitsofmeasure.org",
                            "code": "mg",
                        }
                    }
                ],
            }
        ]
    return resource


def patient(patient_id: str = "pat-1", birth_date: str = "1960-04-02") -> dict[str, Any]:
    return {"resourceType": "Patient", "id": patient_id, "gender": "female", "birthDate": birth_date}


def order_sign(
    *orders: dict[str, Any],
    payer_key: str = "centene",
    line: str = "medicaid",
    hook: str = "order-sign",
    extra_prefetch: dict[str, Any] | None = None,
    with_prefetch: bool = True,
    fhir_server: str = "http://127.0.0.1:9/fhir",
    access_token: str = "opaque-token",
) -> dict[str, Any]:
    drafts = orders or (medication_request(),)
    request: dict[str, Any] = {
        "hook": hook,
        "hookInstance": str(uuid.uuid4()),
        "fhirServer": fhir_server,
        "fhirAuthorization": {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 30,
            "scope": "patient/*.read",
            "subject": "coverage-hooks",
            "patient": "pat-1",
        },
        "context": {
            "userId": "Practitioner/prac-1",
            "patientId": "pat-1",
            "draftOrders": {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [
                    {
                        "fullUrl": f"http://127.0.0.1/fhir/{o['resourceType']}/{o['id']}",
                        "resource": copy.deepcopy(o),
                    }
                    for o in drafts
                ],
            },
        },
    }
    if hook == "order-select":
        request["context"]["selections"] = [f"{o['resourceType']}/{o['id']}" for o in drafts]
    if with_prefetch:
        request["prefetch"] = {
            "patient": patient(),
            "coverage": searchset(coverage(payer_key, line=line), organization(payer_key)),
            "conditions": searchset(),
            "observations": searchset(),
            "medicationRequests": searchset(),
            "medicationStatements": searchset(),
            "medicationAdministrations": searchset(),
            "medicationDispenses": searchset(),
            "procedures": searchset(),
            "serviceRequests": searchset(),
            "practitionerRoles": searchset(),
            **(extra_prefetch or {}),
        }
    return request
