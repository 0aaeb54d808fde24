"""What drug an order names, in codes the policies are keyed by, or why that cannot be told.

An order is identified when it carries an RxNorm code, directly or through the NDC crosswalk. Otherwise the
service must not answer as if no policy governed it (a text-only Lumakras order is still Lumakras): it says what
is missing, as CRD asks: `uncoded` -> conditional coverage with info-needed `detail-code`; `unretrievable` (the
referenced Medication could not be read) -> indeterminate with reason `technical` (resp-43).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from cql_like.fhir.references import contained

from .drug_codes import NDC, RXNORM, NdcCrosswalk, canonical_system
from .record import MEDICATIONS_UNAVAILABLE, GatheredData, medication_id

Gap = Literal["uncoded", "unretrievable"]
NOT_CODED = "the order does not name the drug with an RxNorm or NDC code the payer can read"


@dataclass(frozen=True)
class OrderIdentity:
    codings: tuple[tuple[str, str], ...]
    """(system, code) of the ordered drug, systems canonical; RxNorm codes reached through the NDC crosswalk first."""
    gap: Gap | None = None
    reason: str = ""

    @property
    def identified(self) -> bool:
        return self.gap is None


def identify_medication(order: Mapping[str, Any], data: GatheredData, crosswalk: NdcCrosswalk) -> OrderIdentity:
    concept = order.get("medicationCodeableConcept")
    if not isinstance(concept, dict):
        reference = order.get("medicationReference")
        target = reference.get("reference") if isinstance(reference, dict) else None
        if not isinstance(target, str):
            return OrderIdentity((), "uncoded", NOT_CODED)
        medication = _resolve(order, target, data)
        if medication is None:
            if MEDICATIONS_UNAVAILABLE in data.unavailable and not target.startswith("#"):
                return OrderIdentity(
                    (), "unretrievable", f"the order's Medication ({target}) could not be read from the EHR"
                )
            return OrderIdentity(
                (), "uncoded", f"the order's Medication ({target}) is neither in the request nor on the EHR"
            )
        concept = medication.get("code")
    codings = _codings(concept)
    mapped = [(RXNORM, p.rxnorm) for system, code in codings if system == NDC if (p := crosswalk.rxnorm_for(code))]
    rxnorm = [c for c in codings if c[0] == RXNORM]
    ordered = tuple(dict.fromkeys([*mapped, *rxnorm, *codings]))
    if mapped or rxnorm:
        return OrderIdentity(ordered)
    ndcs = [code for system, code in codings if system == NDC]
    if ndcs:
        return OrderIdentity(ordered, "uncoded", f"NDC {', '.join(ndcs)} is not a product the payer can map to RxNorm")
    return OrderIdentity(ordered, "uncoded", NOT_CODED)


def _resolve(order: Mapping[str, Any], target: str, data: GatheredData) -> Mapping[str, Any] | None:
    if target.startswith("#"):
        return contained(order, target[1:])
    ident = medication_id(target)
    return data.resources.get(f"Medication/{ident}") if ident else None


def _codings(concept: Any) -> list[tuple[str, str]]:
    if not isinstance(concept, dict) or not isinstance(concept.get("coding"), list):
        return []
    return [
        (canonical_system(str(c.get("system", ""))), c["code"].strip())
        for c in concept["coding"]
        if isinstance(c, dict) and isinstance(c.get("code"), str) and c["code"].strip()
    ]


def as_evaluated(order: Mapping[str, Any], identity: OrderIdentity) -> dict[str, Any] | None:
    """The order as the policy reads it, when that differs from what the EHR sent: an order coded by NDC alone gains
    the RxNorm product the crosswalk maps it to (a coding marked userSelected false, after the EHR's own), so the
    criteria that read RxNorm products (strength, dose, brand) decide it as they decide an RxNorm order. None when
    nothing is added (the EHR's order is evaluated as sent). The order sent back to the EHR is never changed."""
    concept = order.get("medicationCodeableConcept")
    if not isinstance(concept, dict):
        return None
    present = set(_codings(concept))
    added = [(system, code) for system, code in identity.codings if system == RXNORM and (system, code) not in present]
    if not added:
        return None
    evaluated = dict(order)
    evaluated["medicationCodeableConcept"] = {
        **concept,
        "coding": [
            *(concept.get("coding") or []),
            *({"system": system, "code": code, "userSelected": False} for system, code in added),
        ],
    }
    return evaluated
