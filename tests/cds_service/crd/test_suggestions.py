"""Suggestion rules -> CDS Hooks suggestions (generic switch, add-medication), from built decisions."""

from __future__ import annotations

from datetime import date
from typing import Any

from fhir.resources.R4B import get_fhir_model_class

from cds_service.crd.suggestions import suggestions_for
from cds_service.policy.metadata import PolicyMetadata
from cds_service.policy.registry import PolicyContent
from tests.support.hook_requests import medication_request
from tests.support.policy_doubles import SOTORASIB_METADATA, decision

TODAY = date(2026, 11, 23)


def _policy(rules: list[dict[str, Any]], generic: bool) -> PolicyContent:
    metadata = {
        **SOTORASIB_METADATA,
        "drugs": [
            {
                "code": "845512",
                "display": "everolimus 10 MG Oral Tablet [Afinitor]",
                "generic_available": generic,
            },
            {"code": "845507", "display": "everolimus 10 MG Oral Tablet", "generic_available": generic},
        ],
        "suggestions": rules,
    }
    return PolicyContent(metadata=PolicyMetadata.model_validate(metadata))


BRAND_ORDER = medication_request("845512", "everolimus 10 MG Oral Tablet [Afinitor]", dose_mg=10)
SWITCH = {"criterion": "I.A.8", "when": ["unknown"], "kind": "switch-product", "label": "Switch to generic"}


def test_brand_with_a_generic_is_switched_to_the_generic_product() -> None:
    found = suggestions_for(
        decision({"I.A.1": "met", "I.A.2": "met", "I.A.8": "unknown"}),
        _policy([SWITCH], True),
        BRAND_ORDER,
        TODAY,
    )
    [only] = found
    assert only.is_alternate and only.suggestion["label"] == "Switch to generic" and only.suggestion["uuid"]
    [action] = only.suggestion["actions"]
    resource = action["resource"]
    assert action["type"] == "update" and resource["id"] == BRAND_ORDER["id"]
    assert resource["medicationCodeableConcept"]["coding"][0]["code"] == "845507"
    assert resource["dosageInstruction"] == BRAND_ORDER["dosageInstruction"]
    get_fhir_model_class("MedicationRequest").model_validate(resource)


def test_no_switch_without_a_generic_or_when_the_criterion_is_met() -> None:
    unknown = decision({"I.A.1": "met", "I.A.2": "met", "I.A.8": "unknown"})
    assert suggestions_for(unknown, _policy([SWITCH], False), BRAND_ORDER, TODAY) == []
    met = decision({"I.A.1": "met", "I.A.2": "met", "I.A.8": "met"})
    assert suggestions_for(met, _policy([SWITCH], True), BRAND_ORDER, TODAY) == []


def test_add_medication_creates_a_draft_order_for_the_partner() -> None:
    rule = {
        "criterion": "I.A.2",
        "when": ["unknown"],
        "kind": "add-medication",
        "code": {
            "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
            "code": "310261",
            "display": "Exemestane 25 MG Oral Tablet",
        },
    }
    [found] = suggestions_for(
        decision({"I.A.1": "met", "I.A.2": "unknown", "I.A.8": "met"}),
        _policy([rule], True),
        BRAND_ORDER,
        TODAY,
    )
    assert not found.is_alternate
    [action] = found.suggestion["actions"]
    created = action["resource"]
    assert action["type"] == "create" and created["resourceType"] == "MedicationRequest"
    assert created["id"] != BRAND_ORDER["id"] and created["status"] == "draft" and created["intent"] == "order"
    assert created["subject"] == BRAND_ORDER["subject"] and created["requester"] == BRAND_ORDER["requester"]
    assert created["medicationCodeableConcept"]["coding"][0]["code"] == "310261"
    get_fhir_model_class("MedicationRequest").model_validate(created)
