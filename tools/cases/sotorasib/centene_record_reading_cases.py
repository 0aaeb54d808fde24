"""Centene CP.PHAR.549 scenarios for how the record is read (issue 13 items 3 and 7): medication history from every
resource type and status, and diagnoses only when asserted (Condition verificationStatus)."""

from __future__ import annotations

from typing import Any

import sotorasib_fixtures as fx
from centene_sotorasib_base import (
    by_reference,
    case,
    centene_nsclc,
)
from sotorasib_cases_model import (
    NSCLC_STAGE_4,
    Case,
    sotorasib_order,
)

# ---- medication history: every resource type, drug by reference or NDC, status, availability (PriorTherapy.cql) ----

KRAZATI = fx.drug("2626149", "adagrasib")
NDC = "http://hl7.org/fhir/sid/ndc"


def with_contained_medication(resource: fx.Resource, medication: dict[str, Any]) -> fx.Resource:
    """The same resource naming its drug through a contained Medication (#med)."""
    changed = by_reference(resource, "#med")
    changed["contained"] = [{"resourceType": "Medication", "id": "med", "code": medication}]
    return changed


def without_medication_history(scenario: Case) -> Case:
    """The EHR could not give the medication history for this call (a failed prefetch)."""
    scenario.medication_history_available = False
    return scenario


def medication_history_cases() -> list[Case]:
    intravitreal = fx.medication_administration("ma-bevacizumab", fx.drug("253337", "bevacizumab"))
    intravitreal["dosage"] = {"route": fx.concept(fx.coding(fx.SNOMED, "418401004", "Intravitreal route"))}
    return [
        case(
            "nsclc-prior-krazati-dispensed",
            centene_nsclc(fx.medication_dispense("md-krazati", KRAZATI)),
            "not-met",
            {"I.A.6": "not-met"},
        ),
        case(
            "nsclc-prior-krazati-statement-with-contained-medication",
            centene_nsclc(with_contained_medication(fx.medication_statement("ms-krazati", KRAZATI), KRAZATI)),
            "not-met",
            {"I.A.6": "not-met"},
        ),
        case(
            "nsclc-krazati-status-unknown-is-possible-exposure",
            centene_nsclc(fx.medication_statement("ms-krazati", KRAZATI, status="unknown")),
            "needs-info",
            {"I.A.6": "unknown", "I.A.5": "met"},
        ),
        case(
            "nsclc-krazati-entered-in-error-not-counted",
            centene_nsclc(fx.medication_statement("ms-krazati", KRAZATI, status="entered-in-error")),
            "approved",
            {"I.A.6": "met"},
            path="I.A",
        ),
        # No Krazati package NDC is verified (tools/terminology/ndc_products.py): a fill coded by an NDC alone with
        # no name could be Krazati, so the exclusion asks instead of being met.
        case(
            "nsclc-unidentified-ndc-only-dispense-makes-exclusion-unknown",
            centene_nsclc(fx.medication_dispense("md-ndc", fx.concept(fx.coding(NDC, "00000-0000-00")))),
            "needs-info",
            {"I.A.6": "unknown"},
        ),
        without_medication_history(
            case(
                "nsclc-medication-history-unavailable-exclusion-unknown",
                centene_nsclc(),
                "needs-info",
                {"I.A.6": "unknown", "I.A.5": "met"},
            )
        ),
        case(
            "nsclc-intravitreal-bevacizumab-is-not-systemic-therapy",
            centene_nsclc(intravitreal, prior=None),
            "needs-info",
            {"I.A.5": "unknown", "I.A.6": "met"},
        ),
        case(
            "nsclc-prior-cisplatin-dispense-counts",
            centene_nsclc(
                prior=fx.medication_dispense("md-cisplatin", fx.drug("1736854", "Cisplatin 50 MG Injection"))
            ),
            "approved",
            {"I.A.5": "met", "I.A.6": "met"},
            path="I.A",
        ),
    ]


def with_verification(condition: fx.Resource, status: str) -> fx.Resource:
    """The same Condition with another verificationStatus (FHIR condition-ver-status code)."""
    return dict(
        condition,
        verificationStatus=fx.concept(fx.coding("http://terminology.hl7.org/CodeSystem/condition-ver-status", status)),
    )


def condition_status_cases() -> list[Case]:
    """I.A.1 when the only NSCLC Condition is not an established diagnosis (issue 13 item 9): a ruled-out, candidate
    or working diagnosis never counts, so with no other cancer on record the diagnosis is unknown, never met."""
    unestablished = [
        case(
            f"nsclc-{status}-diagnosis-not-counted-needs-info",
            centene_nsclc(condition=with_verification(NSCLC_STAGE_4, status)),
            "needs-info",
            {"I.A.1": "unknown", "I.A.4": "met"},
            path="I.A",
        )
        for status in ("differential", "refuted", "provisional")
    ]
    # The order's reasonReference names the differential Condition: a reason pointing at an unestablished diagnosis
    # names none, so the order is not "for NSCLC" either.
    reason_reference = case(
        "nsclc-reason-reference-to-differential-condition-needs-info",
        centene_nsclc(
            condition=with_verification(NSCLC_STAGE_4, "differential"),
            order=sotorasib_order(reasonReference=[{"reference": "Condition/cond-nsclc"}]),
        ),
        "needs-info",
        {"I.A.1": "unknown"},
        path="I.A",
    )
    return [*unestablished, reason_reference]
