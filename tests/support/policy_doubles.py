"""Policies and decisions built in the test, for renderer and mapping tests that must not depend on the
CQL engine or the shipped policy content (the real ones are exercised end to end in test_e2e_server.py)."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from cds_service.policy.decision import OrderDecision, decide, path_results
from cds_service.policy.metadata import CriterionStatus, PolicyMetadata
from cds_service.policy.registry import PolicyContent, ShippedQuestionnaire

SOTORASIB_METADATA: dict[str, Any] = {
    "id": "centene-cp-phar-549",
    "version": "2024.11",
    "title": "Sotorasib (Lumakras)",
    "drug": "Lumakras",
    "payer": "centene",
    "document": {
        "number": "CP.PHAR.549",
        "title": "Clinical Policy: Sotorasib (Lumakras)",
        "url": "https://www.centene.com/content/dam/centene/policies/pharmacy-policies/CP.PHAR.549.pdf",
    },
    "lines_of_business": ["medicaid", "marketplace", "commercial"],
    "library": "CenteneSotorasib",
    "drugs": [{"code": "2550725", "display": "sotorasib 120 MG Oral Tablet [Lumakras]"}],
    "paths": [
        {
            "id": "I.A",
            "title": "Non-small cell lung cancer",
            "criteria": [
                {
                    "id": "I.A.1",
                    "define": "NSCLC",
                    "description": "Recurrent, locally advanced or metastatic NSCLC",
                    "submit": "Pathology naming NSCLC with stage III/IV",
                },
                {
                    "id": "I.A.2",
                    "define": "KRAS",
                    "description": "KRAS G12C mutation detected by an FDA-approved test",
                    "submit": "The KRAS G12C test report",
                },
                {
                    "id": "I.A.8",
                    "define": "Dose",
                    "description": "Dose does not exceed 960 mg per day",
                    "submit": "Literature supporting the dose",
                },
            ],
        }
    ],
    "approval_duration": {"initial": {"medicaid": "P6M", "marketplace": "P6M", "commercial": "P12M"}},
    "other_uses": {"medicaid": "CP.PMN.53"},
    "display_values": {"Daily dose (mg/day)": "Daily Dose mg"},
    "suggestions": [
        {"criterion": "I.A.8", "when": ["not-met", "unknown"], "kind": "adjust-dose", "max_mg_per_day": 960},
        {
            "criterion": "I.A.2",
            "when": ["unknown"],
            "kind": "add-service",
            "code": {
                "system": "http://loinc.org",
                "code": "82535-2",
                "display": "KRAS gene mutations tested",
            },
        },
    ],
}


def sotorasib_policy() -> PolicyContent:
    return PolicyContent(
        metadata=PolicyMetadata.model_validate(SOTORASIB_METADATA),
        shipped_questionnaire=ShippedQuestionnaire.of(
            {
                "resourceType": "Questionnaire",
                "id": "centene-cp-phar-549",
                "url": "https://coverage-hooks.example.org/fhir/Questionnaire/centene-cp-phar-549",
            }
        ),
    )


def decision(
    statuses: dict[str, str],
    *,
    evidence: dict[str, tuple[str, ...]] | None = None,
    expiry: date | None = None,
    order_id: str = "mr-1",
) -> OrderDecision:
    """An OrderDecision for the sotorasib double with the given criterion statuses."""
    meta = sotorasib_policy().metadata
    paths = path_results(
        meta,
        lambda criterion: cast(CriterionStatus, statuses[criterion.id]),
        lambda criterion: (evidence or {}).get(criterion.id, ()),
    )
    outcome, path = decide(paths)
    return OrderDecision(
        policy_id=meta.id,
        policy_version=meta.version,
        order_ref=f"MedicationRequest/{order_id}",
        decision=outcome,
        path=path,
        paths=paths,
        expiry=expiry if outcome == "approved" else None,
        values={"Daily dose (mg/day)": 1200},
        other_use_policy="CP.PMN.53" if outcome == "not-met" else None,
    )
