"""The test case model and the record builders both sotorasib policies' scenarios share.

A case is one clinical scenario: the record it needs and the decision and criterion statuses the policy
document implies for it. The fixtures here are the facts most scenarios start from (a stage IV NSCLC with a
KRAS G12C variant, prior platinum chemotherapy, a Lumakras 960 mg/day draft order); a scenario changes one or
two of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sotorasib_fixtures as fx

ORDER = "mr-sotorasib"
LUMAKRAS_320 = fx.drug("2628242", "sotorasib 320 MG Oral Tablet [Lumakras]")
LUMAKRAS_240 = fx.drug("2687207", "sotorasib 240 MG Oral Tablet [Lumakras]")
SOTORASIB_120 = fx.drug("2550719", "sotorasib 120 MG Oral Tablet")
STANDARD_DOSE = fx.daily(fx.tablets(3))  # 3 × 320 mg = 960 mg/day

NSCLC_STAGE_4 = fx.condition(
    "cond-nsclc",
    fx.coding(fx.ICD10CM, "C34.11", "Malignant neoplasm of upper lobe, right bronchus or lung"),
    fx.coding(fx.SNOMED, "423121009", "Non-small cell carcinoma of lung, TNM stage 4"),
)
PANCREATIC = fx.condition(
    "cond-pdac",
    fx.coding(fx.ICD10CM, "C25.0", "Malignant neoplasm of head of pancreas"),
    fx.coding(fx.SNOMED, "363418001", "Malignant tumor of pancreas"),
)
CARBOPLATIN_DONE = fx.medication_request(
    "mr-carboplatin",
    fx.drug("597195", "CARBOplatin 10 MG/ML Injectable Solution"),
    status="completed",
    authored="2026-02-01",
)
STABLE = fx.disease_status("obs-status", ("359746009", "Patient's condition stable (finding)"), "2026-11-01")
WORSENED = fx.disease_status("obs-status", ("271299001", "Patient's condition worsened (finding)"), "2026-11-01")

# Single-test KRAS LOINC codes (terminology.md §1.3), named by what the lab reports under them.
KRAS_MUTATIONS_FOUND = "21702-6"
KRAS_TARGETED_ANALYSIS = "75974-6"
KRAS_AND_NRAS_MUTATIONS = "81420-2"
KRAS_COLORECTAL_MUTATIONS = "85509-8"
KRAS_TEST_DISPLAY = {
    KRAS_MUTATIONS_FOUND: "KRAS gene mutations found",
    KRAS_TARGETED_ANALYSIS: "KRAS gene targeted mutation analysis",
    KRAS_AND_NRAS_MUTATIONS: "KRAS and NRAS gene mutations found",
    KRAS_COLORECTAL_MUTATIONS: "KRAS gene mutations found in Colorectal cancer specimen",
}


def kras_lab_result(loinc: str, result: str | dict[str, Any]) -> fx.Resource:
    """A single-test KRAS result: free text is reported as valueString, a CodeableConcept as is."""
    value = {"valueString": result} if isinstance(result, str) else {"valueCodeableConcept": result}
    return fx.kras_single_test("obs-kras", loinc, KRAS_TEST_DISPLAY[loinc], **value)


def kras_text_result(
    obs_id: str, text: str, effective: str, status: str = "final", issued: str | None = None
) -> fx.Resource:
    """A free-text KRAS result (21702-6) of its own id and date, to put several results in one record."""
    extra = {"issued": issued} if issued else {}
    result = fx.kras_single_test(
        obs_id, KRAS_MUTATIONS_FOUND, KRAS_TEST_DISPLAY[KRAS_MUTATIONS_FOUND], status=status, valueString=text, **extra
    )
    result["effectiveDateTime"] = effective
    return result


KRAS_G12C_VARIANT = fx.variant("obs-kras", fx.KRAS_STU2, protein="NP_004976.2:p.Gly12Cys", cdna="NM_004985.5:c.34G>T")
KRAS_G12C_TEXT = kras_lab_result(KRAS_MUTATIONS_FOUND, "KRAS p.G12C detected")


def colon_cancer(stage: tuple[str, str] | None = None) -> fx.Resource:
    """Sigmoid colon cancer; `stage` is an AJCC (code, display) pair, None when the extent is not documented."""
    return fx.condition(
        "cond-crc",
        fx.coding(fx.ICD10CM, "C18.7", "Malignant neoplasm of sigmoid colon"),
        stage=("http://cancerstaging.org", *stage) if stage else None,
    )


COLON_STAGE_4 = colon_cancer(("4", "IV"))


def current_sotorasib(authored: str = "2026-08-01", dosage: list[dict[str, Any]] | None = None) -> fx.Resource:
    """The patient's active Lumakras prescription (continued therapy), started on `authored`."""
    return fx.medication_request(
        "mr-sotorasib-current", LUMAKRAS_320, status="active", authored=authored, dosage=dosage or STANDARD_DOSE
    )


ACTIVE_SOTORASIB = current_sotorasib()


def sotorasib_order(
    dosage: list[dict[str, Any]] | None = None, medication: dict[str, Any] | None = None, **extra: Any
) -> fx.Resource:
    return fx.medication_request(ORDER, medication or LUMAKRAS_320, dosage=dosage or STANDARD_DOSE, **extra)


def record(
    payer: str,
    *resources: fx.Resource,
    birth: str | None = "1961-03-14",
    role: tuple[str, str] = fx.ONCOLOGIST,
) -> list[fx.Resource]:
    sopt = ("2", "MEDICAID") if payer == "centene" else ("6", "BLUE CROSS/BLUE SHIELD")
    return [fx.patient(birth), fx.coverage(payer, sopt), *fx.practitioner_role("role-onc", role), *resources]


def nsclc(
    payer: str,
    *extra: fx.Resource,
    order: fx.Resource | None = None,
    kras: fx.Resource | None = KRAS_G12C_VARIANT,
    condition: fx.Resource | None = NSCLC_STAGE_4,
    prior: fx.Resource | None = CARBOPLATIN_DONE,
    **kwargs: Any,
) -> list[fx.Resource]:
    parts = [r for r in (condition, kras, prior) if r is not None]
    return record(payer, *parts, *extra, order or sotorasib_order(), **kwargs)


@dataclass
class Case:
    note: str
    resources: list[fx.Resource] | None
    expect: dict[str, Any]
    line_of_business: str
    real_files: list[str] = field(default_factory=list)
    now: str = "2026-11-23"
    # False: the EHR could not give the medication history (a failed prefetch), so exclusions cannot be met
    medication_history_available: bool = True


def case(
    note: str,
    resources: list[fx.Resource] | None,
    decision: str,
    criteria: dict[str, str],
    *,
    line_of_business: str,
    path: str | None = None,
    expiry: str | None = None,
    other_use_policy: str | None = None,
    real_files: list[str] | None = None,
) -> Case:
    """One scenario; `criteria` lists only the statuses it is about. Expectations not given are left out of
    cases.yaml; the key order is part of the generated bytes, so it must not change."""
    expect: dict[str, Any] = {"decision": decision}
    if path:
        expect["path"] = path
    if expiry:
        expect["expiry"] = expiry
    expect["criteria"] = criteria
    if other_use_policy:
        expect["other_use_policy"] = other_use_policy
    return Case(note, resources, expect, line_of_business, real_files=list(real_files or []))


EARLIER_G12C_TEXT = kras_text_result("obs-kras-first", "KRAS G12C detected", "2026-03-02")


def kras_history_cases(
    make_case: Callable[..., Case], build: Callable[..., list[fx.Resource]], prefix: str, criterion: str
) -> list[Case]:
    """Several KRAS results (issue #13 item 3): the latest final/amended/corrected one decides (by effective time,
    then issued); a structured and a text reading that disagree ask. `build` makes the policy's standard record,
    whose structured KRAS G12C variant is dated 2026-07-15."""
    amended = kras_text_result("obs-kras-amended", "KRAS G12C not detected", "2026-07-15", status="amended")
    corrected = kras_text_result(
        "obs-kras-corrected", "KRAS G12C not detected", "2026-03-02", status="corrected", issued="2026-03-20T09:00:00Z"
    )
    first_issue = EARLIER_G12C_TEXT | {"issued": "2026-03-05T09:00:00Z"}
    earlier_negative = EARLIER_G12C_TEXT | {"valueString": "KRAS G12C not detected"}
    later_negative = kras_text_result("obs-kras-text", "KRAS G12C not detected", "2026-09-01")
    see_report = kras_text_result("obs-kras-text", "See scanned report", "2026-09-01")
    agreeing = kras_text_result("obs-kras-text", "KRAS p.G12C detected", "2026-09-01")
    return [
        make_case(f"{prefix}-kras-history-later-amended-not-detected", build(amended, EARLIER_G12C_TEXT, kras=None),
                  "not-met", {criterion: "not-met"}),
        make_case(f"{prefix}-kras-history-same-day-corrected-not-detected", build(corrected, first_issue, kras=None),
                  "not-met", {criterion: "not-met"}),
        make_case(f"{prefix}-kras-history-later-positive-after-negative", build(earlier_negative, agreeing, kras=None),
                  "approved", {criterion: "met"}),
        make_case(f"{prefix}-kras-structured-and-text-disagree", build(later_negative), "needs-info",
                  {criterion: "unknown"}),
        make_case(f"{prefix}-kras-structured-and-text-agree", build(agreeing), "approved", {criterion: "met"}),
        make_case(f"{prefix}-kras-structured-wins-over-unreadable-text", build(see_report), "approved",
                  {criterion: "met"}),
    ]  # fmt: skip


# The review's free-text KRAS results (issue #13): (case name suffix, lab text, decision, KRAS criterion status),
# the same for both sotorasib policies.
KRAS_TEXT_DEFECTS = [
    ("not-identified", "KRAS G12C mutation not identified", "not-met", "not-met"),
    ("was-not-found", "KRAS G12C was not found", "not-met", "not-met"),
    ("testing-pending", "KRAS G12C testing pending", "needs-info", "unknown"),
    ("indeterminate-insufficient", "indeterminate (insufficient tumor)", "needs-info", "unknown"),
    ("tested-for-none-detected", "Tested for: G12C, G12D, G12V. Result: none detected", "not-met", "not-met"),
    ("detected-no-egfr-mutation", "KRAS G12C mutation detected. No mutation in EGFR.", "approved", "met"),
    ("detected-comma-no-egfr", "G12C detected, no EGFR mutation", "approved", "met"),
    ("no-kras-mutation-including-g12c", "No KRAS mutation detected, including G12C", "not-met", "not-met"),
]
