"""Oncology stories: breast cancer (I.A, and II.A continued therapy), NET (I.B), RCC (I.C), NCCN uses (I.H).

Each story is a record that differs from its path's approvable record in the fact its name gives; the helpers
hold the approvable record, the story tables say what changes.
"""

from __future__ import annotations

from collections.abc import Mapping

from everolimus_fixtures import (
    ICD10CM,
    LOINC,
    NEGATIVE,
    PATIENT,
    POSITIVE,
    REAL_PATIENT,
    RXNORM,
    SNOMED,
    Resource,
    Stories,
    base,
    concept,
    condition,
    coverage,
    everolimus_order,
    med_request,
    med_statement,
    mg,
    observation,
    prescriber,
    ref,
    stage,
    tablets,
    verified_as,
)

# --- I.A breast: an approvable record is HR+/HER2- advanced breast cancer after an aromatase inhibitor, with
# exemestane ordered alongside ---


def breast_cancer(status: str = "active") -> Resource:
    return condition(
        "cond-breast", ICD10CM, "C50.911", "Malignant neoplasm of unspecified site of right female breast", status
    )


BREAST_DX = breast_cancer()
BONE_METS = condition("cond-bone-mets", ICD10CM, "C79.51", "Secondary malignant neoplasm of bone")
ER_POS = observation(
    "obs-er", (LOINC, "40556-3", "Estrogen receptor Ag [Presence] in Tissue by Immune stain"), POSITIVE
)
PR_POS = observation(
    "obs-pr", (LOINC, "40557-1", "Progesterone receptor Ag [Presence] in Tissue by Immune stain"), POSITIVE
)
HER2_NEG = observation("obs-her2", (LOINC, "18474-7", "HER2 Ag [Presence] in Tissue by Immune stain"), NEGATIVE)
HER2_POS = observation("obs-her2", (LOINC, "48676-1", "HER2 [Interpretation] in Tissue"), {"valueString": "3+"})
LETROZOLE_PAST = med_statement(
    "ms-letrozole", "200064", "Letrozole 2.5 MG Oral Tablet", "stopped", "2024-01-10", "2026-09-30"
)
EXEMESTANE_DRAFT = med_request("mr-exemestane", RXNORM, "310261", "Exemestane 25 MG Oral Tablet")
PANCREATIC_NET = condition("cond-net", ICD10CM, "C25.4", "Malignant neoplasm of endocrine pancreas")

AFINITOR_10_QD = everolimus_order("afinitor-10", mg(10))
AFINITOR_30_MG = everolimus_order("afinitor-10", mg(30))


def breast(
    order: Resource,
    *,
    extra: list[Resource] | None = None,
    replace: Mapping[str, Resource | None] | None = None,
    birth_date: str | None = "1968-04-12",
    specialty: str = "oncology",
) -> list[Resource]:
    """The approvable breast record with `order`; replace maps a resource id to its stand-in (None drops it)."""
    clinical = {r["id"]: r for r in [BREAST_DX, BONE_METS, ER_POS, PR_POS, HER2_NEG, LETROZOLE_PAST, EXEMESTANE_DRAFT]}
    for rid, resource in (replace or {}).items():
        if resource is None:
            clinical.pop(rid)
        else:
            clinical[rid] = resource
    return [*base(birth_date, specialty), *clinical.values(), *(extra or []), order]


def real_patient_order(*partner: Resource) -> list[Resource]:
    """Order context for the public mCODE record, which tests/data holds unchanged beside this bundle."""
    real_order = everolimus_order("afinitor-10", tablets(1), patient_id=REAL_PATIENT)
    return [*coverage(REAL_PATIENT), *prescriber("oncology"), *partner, real_order]


def breast_stories() -> Stories:
    return {
        "real-breast-order-with-exemestane": real_patient_order(
            dict(EXEMESTANE_DRAFT, subject=ref("Patient", REAL_PATIENT))
        ),
        "real-breast-order-alone": real_patient_order(),
        "breast-disperz-20mg-approved": breast(everolimus_order("disperz-5", tablets(2), 2)),
        "breast-afinitor-3-tablets-needs-info": breast(everolimus_order("afinitor-5", tablets(3))),
        "breast-30mg-needs-info": breast(AFINITOR_30_MG),
        "breast-her2-positive-not-met": breast(AFINITOR_10_QD, replace={"obs-her2": HER2_POS}),
        "breast-stage-2-not-met": breast(
            AFINITOR_10_QD, replace={"cond-bone-mets": None}, extra=[stage("obs-stage", "2A", "IIA")]
        ),
        "breast-no-stage-needs-info": breast(AFINITOR_10_QD, replace={"cond-bone-mets": None}),
        "breast-no-receptors-needs-info": breast(
            AFINITOR_10_QD, replace={"obs-er": None, "obs-pr": None, "obs-her2": None}
        ),
        "breast-brand-needs-info": breast(everolimus_order("afinitor-10-brand", tablets(1))),
        "breast-no-endocrine-history-needs-info": breast(AFINITOR_10_QD, replace={"ms-letrozole": None}),
        "breast-zortress-not-met": breast(everolimus_order("zortress-0.75", tablets(1), 2)),
        "breast-age-17-not-met": breast(AFINITOR_10_QD, birth_date="2009-06-01"),
        "breast-general-practice-needs-info": breast(AFINITOR_10_QD, specialty="general"),
        "breast-no-birth-date-needs-info": breast(AFINITOR_10_QD, birth_date=None),
        "breast-strengthless-product-needs-info": breast(everolimus_order("tablet-no-strength", tablets(1))),
        # The order's reasonReference picks breast over the NET diagnosis also on the record.
        "breast-reason-with-net-comorbidity-approved": breast(
            everolimus_order("afinitor-10", mg(10), reason=[ref("Condition", "cond-breast")]),
            extra=[PANCREATIC_NET],
        ),
        # A recurrence is enough for I.A.2 without metastases; the twice-daily schedule is a timing code, not a repeat.
        "breast-recurrence-bid-code-approved": breast(
            everolimus_order("afinitor-5", mg(5), None, timing_code="BID"),
            replace={"cond-bone-mets": None, "cond-breast": breast_cancer("recurrence")},
        ),
        "breast-unreadable-dose-needs-info": breast(
            everolimus_order("afinitor-10", None, None, dispense={"quantity": {"value": 30, "unit": "mL"}})
        ),
        # No diagnosis at all; Synthea-style unitless dose (a count of tablets).
        "no-diagnosis-unitless-dose": [
            *base("1970-05-05", "oncology"),
            everolimus_order("afinitor-10", {"value": 1.0}),
        ],
    }


# --- II.A continued therapy: breast records without the partner order, so that I.A stays open and II.A decides ---

PRIOR_EVEROLIMUS = med_request(
    "mr-everolimus-prior",
    RXNORM,
    "845507",
    "everolimus 10 MG Oral Tablet",
    status="active",
    authored="2026-06-01",
    dosageInstruction=[
        {
            "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
            "doseAndRate": [{"doseQuantity": mg(10)}],
        }
    ],
)
# Authored 13 days before the request: short of the 30 days on therapy II.A.1 asks for.
RECENT_EVEROLIMUS = dict(PRIOR_EVEROLIMUS, authoredOn="2026-11-10")
UNDATED_EVEROLIMUS = med_statement("ms-everolimus", "845507", "everolimus 10 MG Oral Tablet", "active", None)


def disease_status(snomed_code: str, display: str) -> Resource:
    return observation(
        "obs-status",
        (LOINC, "97509-4", "Cancer Disease Progression"),
        {"valueCodeableConcept": concept(SNOMED, snomed_code, display)},
        "2026-11-01",
    )


IMPROVED = disease_status("268910001", "Patient's condition improved")
WORSENED = disease_status("271299001", "Patient's condition worsened")


def continued(
    history: Resource, response: Resource | None, order: Resource = AFINITOR_10_QD, her2: Resource = HER2_NEG
) -> list[Resource]:
    """A breast record already on everolimus (history) with its latest disease response, if assessed."""
    assessed = [response] if response else []
    return breast(order, replace={"mr-exemestane": None, "obs-her2": her2}, extra=[history, *assessed])


def continued_stories() -> Stories:
    return {
        "continued-responding-approved": continued(PRIOR_EVEROLIMUS, IMPROVED),
        "continued-dose-increase-over-limit-needs-info": continued(PRIOR_EVEROLIMUS, IMPROVED, AFINITOR_30_MG),
        "continued-progressing-not-met": continued(PRIOR_EVEROLIMUS, WORSENED, her2=HER2_POS),
        "continued-no-response-assessment-needs-info": continued(PRIOR_EVEROLIMUS, None, AFINITOR_30_MG),
        "continued-undated-history-needs-info": continued(UNDATED_EVEROLIMUS, IMPROVED),
        "continued-under-30-days-needs-info": continued(RECENT_EVEROLIMUS, IMPROVED),
    }


# --- I.B NET: an approvable record is a NET of a listed primary site, metastatic or stage III/IV ---

LIVER_METS = condition(
    "cond-liver-mets", ICD10CM, "C78.7", "Secondary malignant neoplasm of liver and intrahepatic bile duct"
)
LUNG_NET = condition("cond-net", ICD10CM, "C7A.090", "Malignant carcinoid tumor of the bronchus and lung")
UNSPECIFIED_SITE_NET = condition("cond-net", ICD10CM, "C7A.00", "Malignant carcinoid tumor of unspecified site")
KIDNEY_NET = condition("cond-net", ICD10CM, "C7A.093", "Malignant carcinoid tumor of the kidney")


def net(primary: Resource, extent: Resource, product: str = "afinitor-10") -> list[Resource]:
    return [*base("1960-02-02", "oncology", "male"), primary, extent, everolimus_order(product, mg(10))]


def net_stories() -> Stories:
    return {
        "net-pancreatic-metastatic-approved": net(PANCREATIC_NET, LIVER_METS),
        "net-lung-stage-3-approved": net(LUNG_NET, stage("obs-stage", "3A", "IIIA"), "disperz-5"),
        "net-unspecified-origin-needs-info": net(UNSPECIFIED_SITE_NET, LIVER_METS),
        "net-lung-stage-1-needs-info": net(LUNG_NET, stage("obs-stage", "1", "I")),
        "net-kidney-origin-not-met": net(KIDNEY_NET, LIVER_METS),
    }


# --- I.C RCC: an approvable record is stage IV RCC after a prior therapy (sunitinib) ---

RCC_DX = condition("cond-rcc", ICD10CM, "C64.1", "Malignant neoplasm of right kidney, except renal pelvis")
SUNITINIB = med_statement("ms-sunitinib", None, "sunitinib 50 MG Oral Capsule", "stopped", "2025-09-01", "2026-08-15")
STAGE_4 = stage("obs-stage", "4", "IV")


def rcc(*extra: Resource) -> list[Resource]:
    return [*base("1955-07-19", "oncology", "male"), RCC_DX, *extra, everolimus_order("afinitor-10", tablets(1))]


def rcc_stories() -> Stories:
    return {
        "rcc-stage-4-after-sunitinib-approved": rcc(STAGE_4, SUNITINIB),
        "rcc-no-prior-therapy-needs-info": rcc(STAGE_4),
        "rcc-stage-2-not-met": rcc(stage("obs-stage", "2", "II"), SUNITINIB),
        "rcc-unstaged-needs-info": rcc(SUNITINIB),
    }


# --- I.H NCCN-supported uses: the diagnosis decides, and for some the partner drug ---


def nccn(diagnosis: Resource, *partner: Resource) -> list[Resource]:
    return [*base("1979-01-20", "oncology"), diagnosis, *partner, everolimus_order("afinitor-10", mg(10))]


def nccn_stories() -> Stories:
    return {
        "nccn-lam-single-agent-approved": nccn(condition("cond-lam", ICD10CM, "J84.81", "Lymphangioleiomyomatosis")),
        "nccn-endometrial-letrozole-approved": nccn(
            condition("cond-endometrial", ICD10CM, "C54.1", "Malignant neoplasm of endometrium"),
            med_request("mr-letrozole", RXNORM, "200064", "Letrozole 2.5 MG Oral Tablet"),
        ),
        "nccn-meningioma-no-partner-needs-info": nccn(
            condition("cond-meningioma", ICD10CM, "D32.0", "Benign neoplasm of cerebral meninges")
        ),
        # Hodgkin lymphoma is listed for single-agent everolimus only; cisplatin is ordered alongside.
        "nccn-hodgkin-with-chemotherapy-not-met": nccn(
            condition("cond-hl", ICD10CM, "C81.10", "Nodular sclerosis Hodgkin lymphoma, unspecified site"),
            med_request(
                "mr-cisplatin", RXNORM, "1736854", "Cisplatin 50 MG Injection", status="active", authored="2026-11-01"
            ),
        ),
        "nsclc-off-label-not-met": nccn(
            condition("cond-nsclc", ICD10CM, "C34.11", "Malignant neoplasm of upper lobe, right bronchus or lung")
        ),
    }


# --- issue 13: what counts as endocrine history, a partner, a metastasis, a diagnosis and an oncologist ---

# A combined oral contraceptive carries ethinyl estradiol, but it is not Appendix B's high-dose estrogen therapy.
ORAL_CONTRACEPTIVE_PAST = med_statement(
    "ms-letrozole",
    None,
    "levonorgestrel 0.15 MG / ethinyl estradiol 0.03 MG Oral Tablet",
    "completed",
    "2001-01-01",
    "2010-12-31",
)
# The partner written alongside everolimus (active, the same day): the regimen, not a course before it.
EXEMESTANE_SAME_DAY = dict(EXEMESTANE_DRAFT, status="active")
# Exemestane the patient has taken since May: both a prior course (I.A.6) and the partner going on (I.A.8).
EXEMESTANE_SINCE_MAY = dict(EXEMESTANE_DRAFT, status="active", authoredOn="2026-05-04")
# Letrozole history as a pharmacy dispense naming a contained Medication.
LETROZOLE_DISPENSED = {
    "resourceType": "MedicationDispense",
    "id": "ms-letrozole",
    "contained": [
        {
            "resourceType": "Medication",
            "id": "letrozole",
            "code": concept(RXNORM, "200064", "Letrozole 2.5 MG Oral Tablet"),
        }
    ],
    "status": "completed",
    "medicationReference": {"reference": "#letrozole"},
    "subject": ref("Patient", PATIENT),
    "whenHandedOver": "2025-03-01",
}
OVARY_METS = condition("cond-bone-mets", ICD10CM, "C79.62", "Secondary malignant neoplasm of left ovary")
SMALL_BOWEL_METS = condition("cond-liver-mets", ICD10CM, "C78.4", "Secondary malignant neoplasm of small intestine")


def issue_13_stories() -> Stories:
    return {
        "breast-oral-contraceptive-not-endocrine-therapy-needs-info": breast(
            AFINITOR_10_QD, replace={"ms-letrozole": ORAL_CONTRACEPTIVE_PAST}
        ),
        "breast-same-day-exemestane-not-history-needs-info": breast(
            AFINITOR_10_QD, replace={"ms-letrozole": None, "mr-exemestane": EXEMESTANE_SAME_DAY}
        ),
        "breast-exemestane-since-may-history-and-partner-approved": breast(
            AFINITOR_10_QD, replace={"ms-letrozole": None, "mr-exemestane": EXEMESTANE_SINCE_MAY}
        ),
        "breast-letrozole-dispense-contained-medication-approved": breast(
            AFINITOR_10_QD, replace={"ms-letrozole": LETROZOLE_DISPENSED}
        ),
        "breast-ovary-metastasis-c79-approved": breast(AFINITOR_10_QD, replace={"cond-bone-mets": OVARY_METS}),
        "net-small-intestine-metastasis-c78-approved": net(PANCREATIC_NET, SMALL_BOWEL_METS),
        # A metastasis beside a candidate (differential) or ruled-out breast primary: the metastasis names no cancer,
        # so breast cancer is not documented and nothing else is: unknown, neither met nor not met.
        "breast-differential-diagnosis-needs-info": breast(
            AFINITOR_10_QD, replace={"cond-breast": verified_as(BREAST_DX, "differential")}
        ),
        "breast-refuted-diagnosis-needs-info": breast(
            AFINITOR_10_QD, replace={"cond-breast": verified_as(BREAST_DX, "refuted")}
        ),
        "breast-hematology-oncology-prescriber-approved": breast(AFINITOR_10_QD, specialty="hematology-oncology"),
        "breast-radiation-oncologist-approved": breast(AFINITOR_10_QD, specialty="radiation-oncology"),
        # A status-unknown chemotherapy record may be current: single-agent use (I.H.2.a) is then unknown.
        "nccn-lam-chemotherapy-status-unknown-needs-info": nccn(
            condition("cond-lam", ICD10CM, "J84.81", "Lymphangioleiomyomatosis"),
            med_statement("ms-cisplatin", "1736854", "Cisplatin 50 MG Injection", "unknown", "2026-10-01"),
        ),
    }


def oncology_stories() -> Stories:
    return {
        **breast_stories(),
        **continued_stories(),
        **net_stories(),
        **rcc_stories(),
        **nccn_stories(),
        **issue_13_stories(),
    }
