"""Order changes that would satisfy a policy criterion, as CDS Hooks suggestions (uuid each: CRD resp-3).

Driven by the policy.yaml `suggestions` rules: adjust-dose and switch-product update the draft order
(Propose Alternate Request); add-medication and add-service create a new draft order (Additional Orders).
Resources carry the CRD request profiles so EHRs and the Inferno kit can validate them.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from ..hook.request_model import copy_json

if TYPE_CHECKING:
    from ..policy.decision import OrderDecision
    from ..policy.metadata import SuggestionRule
    from ..policy.registry import PolicyContent

CRD_PROFILE = "http://hl7.org/fhir/us/davinci-crd/StructureDefinition/"
UCUM = "http://unitsofmeasure.org"
ALTERNATE_KINDS = frozenset({"adjust-dose", "switch-product"})


@dataclass(frozen=True)
class OrderSuggestion:
    kind: str
    criterion_id: str
    suggestion: dict[str, Any]

    @property
    def is_alternate(self) -> bool:
        return self.kind in ALTERNATE_KINDS


def suggestions_for(
    decision: OrderDecision, policy: PolicyContent, order: Mapping[str, Any], today: date
) -> list[OrderSuggestion]:
    # Only the path shown to the clinician: a partner drug of an indication the patient does not have is noise.
    statuses = {c.id: c.status for c in decision.path.criteria}
    found = []
    for rule in policy.metadata.suggestions:
        if statuses.get(rule.criterion) not in rule.when:
            continue
        built = _build(rule, policy, order, today)
        if built is not None:
            found.append(OrderSuggestion(rule.kind, rule.criterion, built))
    return found


def _build(rule: SuggestionRule, policy: PolicyContent, order: Mapping[str, Any], today: date) -> dict[str, Any] | None:
    drug = policy.metadata.drug
    ref = f"{order.get('resourceType')}/{order.get('id')}"
    if rule.kind == "adjust-dose" and rule.max_mg_per_day:
        mg = _number(rule.max_mg_per_day)
        label = rule.label or f"Change {drug} to {mg} mg once daily (policy maximum {mg} mg/day)"
        return _suggestion(label, "update", f"Set the dose of {ref} to {mg} mg/day", _with_daily_dose(order, mg))
    if rule.kind == "switch-product":
        target = _coding(rule.code) if rule.code is not None else _generic_equivalent(policy, order)
        if target is None:
            return None
        name = target.get("display") or target["code"]
        updated = _draft_copy(order)
        updated["medicationCodeableConcept"] = {"coding": [target], "text": name}
        updated.pop("medicationReference", None)
        return _suggestion(rule.label or f"Switch to {name}", "update", f"Order {name} in {ref}", updated)
    if rule.kind == "add-medication" and rule.code is not None:
        label = rule.label or f"Add {rule.code.display or rule.code.code}"
        created = _new_request(order, "MedicationRequest", today)
        created["medicationCodeableConcept"] = {
            "coding": [_coding(rule.code)],
            "text": rule.code.display or rule.code.code,
        }
        return _suggestion(label, "create", f"Order {rule.code.display or rule.code.code}", created)
    if rule.kind == "add-service" and rule.code is not None:
        label = rule.label or f"Order {rule.code.display or rule.code.code}"
        created = _new_request(order, "ServiceRequest", today)
        created["code"] = {"coding": [_coding(rule.code)], "text": rule.code.display or rule.code.code}
        created["category"] = [
            {
                "coding": [
                    {
                        "system": "http://snomed.info/sct",
                        "code": "108252007",
                        "display": "Laboratory procedure",
                    }
                ]
            }
        ]
        return _suggestion(label, "create", f"Order {rule.code.display or rule.code.code}", created)
    return None


def _suggestion(label: str, action_type: str, description: str, resource: dict[str, Any]) -> dict[str, Any]:
    return {
        "label": label,
        "uuid": str(uuid.uuid4()),
        "actions": [{"type": action_type, "description": description, "resource": resource}],
    }


def _draft_copy(order: Mapping[str, Any]) -> dict[str, Any]:
    """The draft order as the EHR sent it, minus any coverage-information we or others attached."""
    updated = dict(copy_json(order))
    extensions = updated.get("extension")
    if isinstance(extensions, list):
        kept = [e for e in extensions if not (isinstance(e, dict) and "coverage-information" in str(e.get("url")))]
        if kept:
            updated["extension"] = kept
        else:
            updated.pop("extension")
    return updated


def _with_daily_dose(order: Mapping[str, Any], mg_per_day: float | int) -> dict[str, Any]:
    updated = _draft_copy(order)
    first = (order.get("dosageInstruction") or [{}])[0]
    dosage: dict[str, Any] = {
        "text": f"{mg_per_day} mg by mouth once daily",
        "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
        "doseAndRate": [{"doseQuantity": {"value": mg_per_day, "unit": "mg", "system": UCUM, "code": "mg"}}],
    }
    if isinstance(first, dict) and isinstance(first.get("route"), dict):
        dosage["route"] = first["route"]
    updated["dosageInstruction"] = [dosage]
    return updated


def _new_request(order: Mapping[str, Any], resource_type: str, today: date) -> dict[str, Any]:
    created: dict[str, Any] = {
        "resourceType": resource_type,
        "id": str(uuid.uuid4()),
        "meta": {
            "profile": [
                CRD_PROFILE
                + ("profile-medicationrequest" if resource_type == "MedicationRequest" else "profile-servicerequest")
            ]
        },
        "status": "draft",
        "intent": "order",
        "authoredOn": today.isoformat(),
    }
    for key in ("subject", "requester", "encounter"):
        if isinstance(order.get(key), dict):
            created[key] = copy_json(order[key])
    return created


def _generic_equivalent(policy: PolicyContent, order: Mapping[str, Any]) -> dict[str, Any] | None:
    """The generic product of the ordered brand: the policy's `generic_equivalent`, else the product whose
    name is the brand's without its `[Brand]` suffix (RxNorm SBD -> SCD naming)."""
    concept = order.get("medicationCodeableConcept")
    codes = {
        (c.get("system"), c.get("code"))
        for c in (concept.get("coding") or [] if isinstance(concept, dict) else [])
        if isinstance(c, dict)
    }
    products = policy.metadata.drugs
    ordered = next((p for p in products if (p.system, p.code) in codes), None)
    if ordered is None or not ordered.generic_available:
        return None
    wanted_code = getattr(ordered, "generic_equivalent", None)
    generic_name = ordered.display.split(" [")[0].strip().lower()
    for product in products:
        if product is ordered:
            continue
        if (wanted_code and product.code == str(wanted_code)) or (
            not wanted_code and product.display.strip().lower() == generic_name
        ):
            return {"system": product.system, "code": product.code, "display": product.display}
    return None


def _coding(code: Any) -> dict[str, Any]:
    coding = {"system": code.system, "code": code.code}
    if code.display:
        coding["display"] = code.display
    return coding


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value
