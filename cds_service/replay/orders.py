"""Turn a patient record into the order-sign request an EHR would send for a drug the analyst names.

`--order rxnorm:2628240 --dose 960mg/d --payer centene --lob medicaid` becomes a draft MedicationRequest
(960 mg once a day) plus a prefetch holding the whole record, under a Coverage for that payer and line of
business (replacing the record's own Coverage, because routing needs exactly one active Coverage).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from ..hook import discovery

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SOPT = "https://nahdo.org/sopt"
PAYER_ID_SYSTEM = "http://example.org/payer-id"
ORDER_ID = "replay-order"
_SYSTEMS = {"rxnorm": RXNORM}
_DOSE = re.compile(
    r"^\s*(?P<amount>\d+(?:\.\d+)?)\s*mg\s*(?:[x*]\s*(?P<times>\d+)\s*)?/\s*(?:d|day)\s*$", re.IGNORECASE
)
# Which prefetch key carries which resource types; anything else rides in an extra key, which is fine
# in-process (the pipeline adds every prefetched resource to the record).
_PREFETCH_TYPES: Mapping[str, tuple[str, ...]] = {
    discovery.COVERAGE: ("Coverage", "Organization"),
    discovery.CONDITIONS: ("Condition",),
    discovery.OBSERVATIONS: ("Observation",),
    discovery.MEDICATION_REQUESTS: ("MedicationRequest", "Medication"),
    discovery.MEDICATION_STATEMENTS: ("MedicationStatement",),
    discovery.MEDICATION_ADMINISTRATIONS: ("MedicationAdministration",),
    discovery.MEDICATION_DISPENSES: ("MedicationDispense",),
    discovery.PROCEDURES: ("Procedure",),
    discovery.SERVICE_REQUESTS: ("ServiceRequest",),
    discovery.PRACTITIONER_ROLES: ("PractitionerRole", "Practitioner"),
}
OTHER_KEY = "otherRecordData"
_LINE_TYPE = {
    "medicaid": ("21", "Medicaid (Managed Care)"),
    "marketplace": ("5", "PRIVATE HEALTH INSURANCE"),
    "commercial": ("512", "Commercial Managed Care - PPO"),
    "fehb": ("3116", "Federal Employees Health Plan"),
}


class OrderSpecError(ValueError):
    """--order, --dose, --payer or --lob cannot be understood."""


@dataclass(frozen=True)
class OrderSpec:
    system: str
    code: str
    mg_per_dose: Decimal | None
    doses_per_day: int
    payer: str | None
    line_of_business: str | None
    authored_on: date

    @classmethod
    def parse(cls, order: str, dose: str | None, payer: str | None, lob: str | None, authored_on: date) -> OrderSpec:
        if "|" in order:  # a full system URL: <system>|<code>
            system, _, code = order.partition("|")
        else:
            prefix, _, code = order.partition(":")
            system = _SYSTEMS.get(prefix.lower(), "")
        if not system or not code:
            raise OrderSpecError(f"--order {order!r}: expected rxnorm:<code> (e.g. rxnorm:2628240) or <system>|<code>")
        mg: Decimal | None = None
        times = 1
        if dose is not None:
            match = _DOSE.match(dose)
            if match is None:
                raise OrderSpecError(f"--dose {dose!r}: expected e.g. 960mg/d or 480mg*2/d")
            mg = Decimal(match["amount"])
            times = int(match["times"] or 1)
        if lob is not None and lob not in _LINE_TYPE:
            raise OrderSpecError(f"--lob {lob!r}: one of {', '.join(_LINE_TYPE)}")
        if lob is not None and payer is None:
            raise OrderSpecError("--lob needs --payer")
        return cls(system, code, mg, times, payer, lob, authored_on)


def order_resource(spec: OrderSpec, patient_id: str, requester: str | None) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": ORDER_ID,
        "status": "draft",
        "intent": "order",
        "medicationCodeableConcept": {"coding": [{"system": spec.system, "code": spec.code}]},
        "subject": {"reference": f"Patient/{patient_id}"},
        "authoredOn": spec.authored_on.isoformat(),
    }
    if requester:
        resource["requester"] = {"reference": requester}
    if spec.mg_per_dose is not None:
        value: int | float = int(spec.mg_per_dose) if spec.mg_per_dose % 1 == 0 else float(spec.mg_per_dose)
        resource["dosageInstruction"] = [
            {
                "text": f"{value} mg by mouth {spec.doses_per_day} time(s) a day",
                "timing": {"repeat": {"frequency": spec.doses_per_day, "period": 1, "periodUnit": "d"}},
                "doseAndRate": [
                    {
                        "doseQuantity": {
                            "value": value,
                            "unit": "mg",
                            "system": "http://unitsofmeasure.org",
                            "code": "mg",
                        }
                    }
                ],
            }
        ]
    return resource


def payer_coverage(payer: str, line: str, patient_id: str) -> list[dict[str, Any]]:
    """A Coverage for the payer's sample identifier (cds_service/payers/payers.yaml) and its Organization."""
    code, display = _LINE_TYPE[line]
    coverage: dict[str, Any] = {
        "resourceType": "Coverage",
        "id": "replay-coverage",
        "status": "active",
        "beneficiary": {"reference": f"Patient/{patient_id}"},
        "payor": [{"reference": f"Organization/replay-payer-{payer}"}],
        "type": {"coding": [{"system": SOPT, "code": code, "display": display}]},
    }
    if line == "marketplace":
        coverage["class"] = [
            {
                "type": {
                    "coding": [{"system": "http://terminology.hl7.org/CodeSystem/coverage-class", "code": "plan"}]
                },
                "value": "AMBETTER",
            }
        ]
    organization = {
        "resourceType": "Organization",
        "id": f"replay-payer-{payer}",
        "identifier": [{"system": PAYER_ID_SYSTEM, "value": payer}],
        "name": payer,
    }
    return [coverage, organization]


def order_sign_request(spec: OrderSpec, patient_id: str, resources: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    record = _with_payer(spec.payer, spec.line_of_business, patient_id, resources)
    order = order_resource(spec, patient_id, _requester(record))
    return _sign_request(order, patient_id, record, f"{spec.system}|{spec.code}")


def own_order_sign_request(
    order: Mapping[str, Any],
    patient_id: str,
    resources: Iterable[Mapping[str, Any]],
    payer: str | None = None,
    line_of_business: str | None = None,
) -> dict[str, Any]:
    """The patient's own MedicationRequest signed again as a draft order, the rest of the record as prefetch."""
    order_id = order.get("id")
    others = (r for r in resources if not (r.get("resourceType") == "MedicationRequest" and r.get("id") == order_id))
    record = _with_payer(payer, line_of_business, patient_id, others)
    draft = {**order, "status": "draft"}
    return _sign_request(draft, patient_id, record, f"MedicationRequest/{order_id}")


def _with_payer(
    payer: str | None, line: str | None, patient_id: str, resources: Iterable[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    record = [dict(r) for r in resources]
    if payer is not None:
        record = [r for r in record if r.get("resourceType") != "Coverage"]
        record.extend(payer_coverage(payer, line or "commercial", patient_id))
    return record


def _sign_request(order: dict[str, Any], patient_id: str, record: list[dict[str, Any]], key: str) -> dict[str, Any]:
    patient = next((r for r in record if r.get("resourceType") == "Patient"), None)
    if patient is None:
        raise OrderSpecError(f"the record of Patient/{patient_id} holds no Patient resource")
    requester = _requester(record)
    prefetch: dict[str, Any] = {discovery.PATIENT: patient}
    for prefetch_key, types in _PREFETCH_TYPES.items():
        prefetch[prefetch_key] = _searchset(r for r in record if r.get("resourceType") in types)
    placed = {"Patient", *(t for types in _PREFETCH_TYPES.values() for t in types)}
    prefetch[OTHER_KEY] = _searchset(r for r in record if r.get("resourceType") not in placed)
    context: dict[str, Any] = {
        "patientId": patient_id,
        "draftOrders": {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": order}]},
    }
    if requester:
        context["userId"] = requester
    return {
        "hook": "order-sign",
        "hookInstance": str(uuid.uuid5(uuid.NAMESPACE_URL, f"replay:{patient_id}:{key}")),
        "context": context,
        "prefetch": prefetch,
    }


def _requester(record: list[dict[str, Any]]) -> str | None:
    """The prescriber: the first PractitionerRole's practitioner, else the first Practitioner."""
    for resource in record:
        if resource.get("resourceType") == "PractitionerRole":
            practitioner = resource.get("practitioner")
            reference = practitioner.get("reference") if isinstance(practitioner, dict) else None
            if isinstance(reference, str) and reference.startswith("Practitioner/"):
                return reference
    for resource in record:
        if resource.get("resourceType") == "Practitioner" and isinstance(resource.get("id"), str):
            return f"Practitioner/{resource['id']}"
    return None


def _searchset(resources: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    entries = [{"resource": dict(r)} for r in resources]
    return {"resourceType": "Bundle", "type": "searchset", "total": len(entries), "entry": entries}
