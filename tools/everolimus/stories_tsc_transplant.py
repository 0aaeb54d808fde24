"""TSC and transplant stories: renal angiomyolipoma (I.D), SEGA (I.E), partial-onset seizures (I.F), Zortress after
a kidney or liver transplant (I.G).

Each helper holds its path's approvable record; a story names what it changes.
"""

from __future__ import annotations

from everolimus_fixtures import (
    CPT,
    ICD10CM,
    PATIENT,
    RXNORM,
    SNOMED,
    Resource,
    Stories,
    base,
    concept,
    condition,
    everolimus_order,
    med_request,
    med_statement,
    mg,
    ref,
    tablets,
    thirty_day_supply,
)

TSC = condition("cond-tsc", ICD10CM, "Q85.1", "Tuberous sclerosis")
# The SEGA stories code TSC in SNOMED CT, the others in ICD-10-CM: the TSC value set holds both systems.
TSC_SNOMED = condition("cond-tsc", SNOMED, "7199000", "Tuberous sclerosis syndrome")

# --- I.D renal angiomyolipoma with TSC, not needing immediate surgery ---

ANGIOMYOLIPOMA = condition("cond-aml", ICD10CM, "D30.01", "Benign neoplasm of right kidney")
NEPHRECTOMY_PLANNED = {
    "resourceType": "ServiceRequest",
    "id": "sr-nephrectomy",
    "status": "active",
    "intent": "order",
    "code": concept(CPT, "50240", "Nephrectomy, partial"),
    "subject": ref("Patient", PATIENT),
}


def angiomyolipoma(*extra: Resource) -> list[Resource]:
    return [*base("1994-03-03", "oncology"), ANGIOMYOLIPOMA, *extra, everolimus_order("afinitor-10", mg(10))]


# --- I.E SEGA with TSC, age 1 or older ---

SEGA = condition("cond-sega", ICD10CM, "D43.1", "Neoplasm of uncertain behavior of brain, infratentorial")


def sega(birth_date: str, *extra: Resource) -> list[Resource]:
    return [*base(birth_date, "pediatric-oncology"), SEGA, *extra, everolimus_order("disperz-2", tablets(2))]


# --- I.F partial-onset seizures with TSC: Afinitor Disperz added to an antiseizure drug, age 2 or older ---

FOCAL_EPILEPSY = condition(
    "cond-epilepsy",
    ICD10CM,
    "G40.209",
    "Localization-related symptomatic epilepsy with complex partial seizures, not intractable, without "
    "status epilepticus",
)
UNSPECIFIED_EPILEPSY = condition(
    "cond-epilepsy", ICD10CM, "G40.909", "Epilepsy, unspecified, not intractable, without status epilepticus"
)
LEVETIRACETAM = med_request(
    "mr-levetiracetam", RXNORM, "311289", "levETIRAcetam 500 MG Oral Tablet", status="active", authored="2025-01-10"
)
# The seizure orders name Disperz by medicationReference to a Medication in the bundle, not by a code on the order,
# so that the family is also read through a reference.
DISPERZ_BY_REFERENCE = (
    {
        "resourceType": "Medication",
        "id": "med-disperz-5",
        "code": concept(RXNORM, "1308432", "everolimus 5 MG Tablet for Oral Suspension"),
    },
    everolimus_order("disperz-5", tablets(1), medication_reference="med-disperz-5"),
)


def seizures(
    *,
    birth_date: str = "2019-09-09",
    specialty: str = "neurology",
    epilepsy: Resource = FOCAL_EPILEPSY,
    antiseizure: tuple[Resource, ...] = (LEVETIRACETAM,),
    order: tuple[Resource, ...] = DISPERZ_BY_REFERENCE,
) -> list[Resource]:
    return [*base(birth_date, specialty, "male"), epilepsy, TSC, *antiseizure, *order]


# --- I.G Zortress after transplant: kidney with Simulect, cyclosporine and a corticosteroid after tacrolimus
# failed; liver with tacrolimus and a corticosteroid ---

KIDNEY_TX = condition("cond-kidney-tx", ICD10CM, "Z94.0", "Kidney transplant status")
LIVER_TX = condition("cond-liver-tx", ICD10CM, "Z94.4", "Liver transplant status")
HEART_TX = condition("cond-heart-tx", ICD10CM, "Z94.1", "Heart transplant status")
# Failure of tacrolimus (I.G.5) is a course stopped for a reason that says so.
NO_RESPONSE = concept(SNOMED, "266721009", "No response to treatment (situation)")
TACROLIMUS_STOPPED = med_statement(
    "ms-tacrolimus",
    None,
    "tacrolimus 1 MG Oral Capsule",
    "stopped",
    "2025-11-01",
    "2026-10-20",
    statusReason=[NO_RESPONSE],
)
TACROLIMUS_STOPPED_NO_REASON = {k: v for k, v in TACROLIMUS_STOPPED.items() if k != "statusReason"}
# Protopic: a skin product, not systemic tacrolimus, whatever its stop reason.
TACROLIMUS_OINTMENT_STOPPED = med_statement(
    "ms-tacrolimus",
    None,
    "tacrolimus 0.1 % Topical Ointment",
    "stopped",
    "2025-11-01",
    "2026-10-20",
    statusReason=[NO_RESPONSE],
)
TACROLIMUS_ACTIVE = med_request("mr-tacrolimus", RXNORM, "42316", "tacrolimus", status="active", authored="2026-10-01")
BASILIXIMAB = {
    "resourceType": "MedicationAdministration",
    "id": "ma-basiliximab",
    "status": "completed",
    "medicationCodeableConcept": {"text": "basiliximab 20 MG Injection [Simulect]"},
    "subject": ref("Patient", PATIENT),
    "effectiveDateTime": "2025-11-01",
}
CYCLOSPORINE = med_request("mr-cyclosporine", RXNORM, "3008", "cycloSPORINE", status="draft")
PREDNISONE = med_request(
    "mr-prednisone", RXNORM, "312617", "predniSONE 5 MG Oral Tablet", status="active", authored="2025-11-02"
)
KIDNEY_REGIMEN = (TACROLIMUS_STOPPED, BASILIXIMAB, CYCLOSPORINE, PREDNISONE)
TACROLIMUS_AND_STEROID = (TACROLIMUS_ACTIVE, PREDNISONE)
ZORTRESS_BID = everolimus_order("zortress-0.75", tablets(1), 2, dispense=thirty_day_supply(tablets(60), refills=2))


def transplant(graft: Resource, specialty: str, regimen: tuple[Resource, ...]) -> list[Resource]:
    return [*base("1972-12-12", specialty, "male"), graft, *regimen, ZORTRESS_BID]


TACROLIMUS_DOSE_GIVEN = {
    "resourceType": "MedicationAdministration",
    "id": "ma-tacrolimus",
    "status": "completed",
    "medicationCodeableConcept": concept(RXNORM, "42316", "tacrolimus"),
    "subject": ref("Patient", PATIENT),
    "effectiveDateTime": "2026-11-22",
}
# The only corticosteroid is an eye drop: not the systemic corticosteroid of the regimen (I.G.7).
PREDNISOLONE_EYE_DROPS = dict(
    PREDNISONE, medicationCodeableConcept={"text": "prednisoLONE acetate 10 MG/ML Ophthalmic Suspension"}
)


def kidney_transplant(without: Resource | None = None, instead: Resource | None = None) -> list[Resource]:
    """The approvable kidney record, or that record with one drug of its regimen left out or replaced (`instead`
    takes the place of `without`)."""
    kept = [r for r in KIDNEY_REGIMEN if r is not without]
    replacement = [instead] if instead else []
    return transplant(KIDNEY_TX, "nephrology", (*replacement, *kept))


def tacrolimus_failure_stories() -> Stories:
    """I.G.5 "failure of tacrolimus": an ended systemic course with a failure reason, nothing less."""
    return {
        # On tacrolimus now: an active order and yesterday's dose, given (administration completed).
        "kidney-transplant-active-tacrolimus-not-failure-needs-info": [
            *kidney_transplant(TACROLIMUS_STOPPED, TACROLIMUS_ACTIVE),
            TACROLIMUS_DOSE_GIVEN,
        ],
        "kidney-transplant-tacrolimus-stopped-without-reason-needs-info": kidney_transplant(
            TACROLIMUS_STOPPED, TACROLIMUS_STOPPED_NO_REASON
        ),
        "kidney-transplant-tacrolimus-ointment-not-failure-needs-info": kidney_transplant(
            TACROLIMUS_STOPPED, TACROLIMUS_OINTMENT_STOPPED
        ),
        "kidney-transplant-steroid-eye-drops-only-needs-info": kidney_transplant(PREDNISONE, PREDNISOLONE_EYE_DROPS),
    }


def tsc_transplant_stories() -> Stories:
    return {
        "aml-tsc-approved": angiomyolipoma(TSC),
        "aml-without-tsc-needs-info": angiomyolipoma(),
        "aml-tsc-nephrectomy-planned-not-met": angiomyolipoma(TSC, NEPHRECTOMY_PLANNED),
        "sega-tsc-child-approved": sega("2021-05-05", TSC_SNOMED),
        "sega-without-tsc-needs-info": sega("2021-05-05"),
        "sega-infant-not-met": sega("2026-03-01", TSC_SNOMED),
        "tsc-seizures-approved": seizures(),
        "tsc-seizures-age-1-not-met": seizures(birth_date="2025-08-01"),
        "tsc-seizures-no-adjunct-needs-info": seizures(antiseizure=()),
        "tsc-epilepsy-unspecified-type-needs-info": seizures(epilepsy=UNSPECIFIED_EPILEPSY),
        "tsc-seizures-general-practice-needs-info": seizures(specialty="general"),
        "tsc-seizures-afinitor-tablet-not-met": seizures(order=(everolimus_order("afinitor-5", tablets(1)),)),
        "kidney-transplant-approved": kidney_transplant(),
        "kidney-transplant-no-tacrolimus-failure-needs-info": kidney_transplant(without=TACROLIMUS_STOPPED),
        "kidney-transplant-no-cyclosporine-needs-info": kidney_transplant(without=CYCLOSPORINE),
        "liver-transplant-approved": transplant(LIVER_TX, "hepatology", TACROLIMUS_AND_STEROID),
        # I.G covers kidney and liver grafts only; the general practitioner leaves I.G.3 open as well.
        "heart-transplant-not-met": transplant(HEART_TX, "general", TACROLIMUS_AND_STEROID),
        **tacrolimus_failure_stories(),
    }
