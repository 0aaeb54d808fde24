"""Centene CP.PHAR.549 (Sotorasib) scenarios: I.A NSCLC, I.B other solid tumours, II.A continued therapy.

Unless a case says otherwise the record is a Medicaid member's stage IV NSCLC with a KRAS G12C variant and
completed carboplatin, an oncologist's draft order for Lumakras 960 mg/day, decided on 2026-11-23.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import sotorasib_fixtures as fx
from real_records import (
    GENOMICS_BUNDLE,
    MCODE_PRIMARY,
    MCODE_SECONDARY,
    MCODE_STAGE,
    SYNTHEA_NSCLC,
    genomics_order_record,
    mcode_order_record,
    synthea_order_record,
)
from sotorasib_cases_model import (
    ACTIVE_SOTORASIB,
    COLON_STAGE_4,
    KRAS_AND_NRAS_MUTATIONS,
    KRAS_G12C_TEXT,
    KRAS_MUTATIONS_FOUND,
    KRAS_TARGETED_ANALYSIS,
    KRAS_TEXT_DEFECTS,
    LUMAKRAS_240,
    LUMAKRAS_320,
    NSCLC_STAGE_4,
    PANCREATIC,
    SOTORASIB_120,
    STABLE,
    WORSENED,
    Case,
    current_sotorasib,
    kras_history_cases,
    kras_lab_result,
    nsclc,
    record,
    sotorasib_order,
)
from sotorasib_cases_model import case as any_case

case = partial(any_case, line_of_business="medicaid")
NSCLC_UNSTAGED = fx.condition("cond-nsclc", fx.coding(fx.SNOMED, "254637007", "Non-small cell lung cancer"))
ALL_I_A_MET = {f"I.A.{n}": "met" for n in range(1, 9)}
THIRTY_DAYS = {"value": 30, "unit": "days", "system": fx.UCUM, "code": "d"}


def centene_nsclc(*extra: fx.Resource, **kwargs: Any) -> list[fx.Resource]:
    return nsclc("centene", *extra, **kwargs)


def kras_case(note: str, kras: fx.Resource, decision: str, i_a_4: str, *extra: fx.Resource) -> Case:
    """I.A.4 (KRAS G12C) is all that varies: the standard record with `kras` as its KRAS result."""
    return case(note, centene_nsclc(*extra, kras=kras), decision, {"I.A.4": i_a_4})


def by_reference(resource: fx.Resource, reference: str) -> fx.Resource:
    """The same resource naming its drug through medicationReference instead of a CodeableConcept."""
    changed = dict(resource)
    del changed["medicationCodeableConcept"]
    changed["medicationReference"] = {"reference": reference}
    return changed


def reason(code: str, display: str) -> list[dict[str, Any]]:
    """An order's reasonCode: one ICD-10-CM code."""
    return [fx.concept(fx.coding(fx.ICD10CM, code, display))]


def centene_cases() -> list[Case]:
    return [
        *_i_a_cases(),
        *_kras_text_cases(),
        *_dose_and_other_diagnosis_cases(),
        *_continued_therapy_cases(),
        *_regimen_cases(),
        *_course_cases(),
        *_condition_status_cases(),
        *_medication_history_cases(),
    ]


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


def _medication_history_cases() -> list[Case]:
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


def _i_a_cases() -> list[Case]:
    return [
        case(
            "nsclc-approved-stage-iv-variant-g12c",
            centene_nsclc(),
            "approved",
            {**ALL_I_A_MET, "I.B.1": "not-met", "II.A.1": "not-met"},
            path="I.A",
            expiry="2027-05-23",
        ),
        case(
            "nsclc-approved-commercial-capped-by-request",
            centene_nsclc(
                order=sotorasib_order(
                    dosage=fx.daily(fx.tablets(8, "unitless")),
                    medication=SOTORASIB_120,
                    dispenseRequest={
                        "quantity": fx.tablets(240),
                        "numberOfRepeatsAllowed": 2,
                        "expectedSupplyDuration": THIRTY_DAYS,
                    },
                ),
            ),
            "approved",
            {"I.A.8": "met"},
            path="I.A",
            expiry="2027-02-21",
            line_of_business="commercial",
        ),
        case(
            "nsclc-needs-info-no-kras-result",
            centene_nsclc(kras=None),
            "needs-info",
            {"I.A.4": "unknown", "I.A.1": "met"},
            path="I.A",
        ),
        case(
            "nsclc-kras-g12d-not-g12c",
            centene_nsclc(kras=fx.variant("obs-kras", fx.KRAS_STU1, protein="p.Gly12Asp", cdna="c.35G>A")),
            "not-met",
            {"I.A.4": "not-met"},
            other_use_policy="CP.PMN.53",
        ),
        case(
            "nsclc-genomics-bundle-nras-g12c-is-not-kras",
            genomics_order_record(centene_nsclc(kras=None)),
            "needs-info",
            {"I.A.4": "unknown", "I.A.3": "unknown", "I.A.1": "met"},
            real_files=[GENOMICS_BUNDLE],
        ),
        # I.A.4: each way a lab reports KRAS (terminology.md §1).
        kras_case(
            "nsclc-kras-clinvar-and-stu1-gene-system",
            fx.variant("obs-kras", fx.KRAS_STU1, clinvar="12578"),
            "approved",
            "met",
        ),
        kras_case("nsclc-kras-single-test-free-text", KRAS_G12C_TEXT, "approved", "met"),
        kras_case(
            "nsclc-kras-single-test-not-detected",
            kras_lab_result(
                KRAS_MUTATIONS_FOUND,
                fx.concept(fx.coding(fx.SNOMED, "260415000", "Not detected"), text="None detected"),
            ),
            "not-met",
            "not-met",
        ),
        kras_case(
            "nsclc-kras-narrative-g12c-positive-other-variants-negative",
            kras_lab_result(
                KRAS_TARGETED_ANALYSIS, "Positive for KRAS G12C (c.34G>T); negative for G12D, G12V and G13D"
            ),
            "approved",
            "met",
        ),
        kras_case(
            "nsclc-kras-only-g12d-not-detected-says-nothing-of-g12c",
            kras_lab_result(KRAS_TARGETED_ANALYSIS, "G12D not detected"),
            "needs-info",
            "unknown",
        ),
        kras_case(
            "nsclc-kras-positive-without-variant",
            kras_lab_result(KRAS_TARGETED_ANALYSIS, fx.concept(fx.coding(fx.SNOMED, "10828004", "Positive"))),
            "needs-info",
            "unknown",
        ),
        kras_case(
            "nsclc-kras-preliminary-does-not-count",
            fx.variant("obs-kras", fx.KRAS_STU2, protein="p.G12C", status="preliminary"),
            "needs-info",
            "unknown",
        ),
        kras_case(
            "nsclc-kras-g12c-absent",
            fx.variant("obs-kras", fx.KRAS_STU2, present=False, protein="p.(Gly12Cys)"),
            "not-met",
            "not-met",
        ),
        kras_case(
            "nsclc-kras-stu3-molecular-consequence",
            fx.variant("obs-kras", fx.KRAS_STU2, cdna=None, protein=None, clinvar=None),
            "approved",
            "met",
            fx.molecular_consequence("obs-kras-mc", "obs-kras", "p.Gly12Cys"),
        ),
        kras_case(
            "nsclc-kras-transcript-named-in-hgvs-without-gene",
            fx.variant("obs-kras", None, cdna="NM_004985.5(KRAS):c.34G>T (p.Gly12Cys)"),
            "approved",
            "met",
        ),
        kras_case(
            "nsclc-kras-variant-absent-wild-type",
            fx.variant("obs-kras", fx.KRAS_STU2, present=False),
            "not-met",
            "not-met",
        ),
        kras_case(
            "nsclc-kras-nras-test-naming-kras",
            kras_lab_result(KRAS_AND_NRAS_MUTATIONS, "KRAS c.34G>T (p.Gly12Cys)"),
            "approved",
            "met",
        ),
        kras_case(
            "nsclc-kras-nras-test-naming-nras-only",
            kras_lab_result(KRAS_AND_NRAS_MUTATIONS, "NRAS p.G12C"),
            "needs-info",
            "unknown",
        ),
        case(
            "nsclc-order-and-history-by-medication-reference",
            centene_nsclc(
                fx.medication("med-lumakras-320", "2628242", "sotorasib 320 MG Oral Tablet [Lumakras]"),
                fx.medication("med-cisplatin", "1736854", "Cisplatin 50 MG Injection"),
                order=by_reference(sotorasib_order(), "Medication/med-lumakras-320"),
                prior=by_reference(
                    fx.medication_statement("ms-cisplatin", fx.drug(None, "")), "Medication/med-cisplatin"
                ),
            ),
            "approved",
            {"I.A.5": "met", "I.A.8": "met"},
        ),
        case(
            "nsclc-order-reason-without-cancer-uses-diagnoses",
            centene_nsclc(order=sotorasib_order(reason=reason("Z51.11", "Encounter for antineoplastic chemotherapy"))),
            "approved",
            {"I.A.1": "met"},
        ),
        case(
            "nsclc-oncologist-by-practitioner-qualification",
            centene_nsclc(
                {
                    "resourceType": "Practitioner",
                    "id": "prac-qualified",
                    "qualification": [{"code": fx.concept(fx.coding(fx.NUCC, *fx.ONCOLOGIST))}],
                },
                role=fx.GENERAL_PRACTICE,
                order=sotorasib_order(requester="Practitioner/prac-qualified"),
            ),
            "approved",
            {"I.A.2": "met"},
        ),
        case(
            "nsclc-synthea-stage-1-not-advanced",
            synthea_order_record("centene"),
            "not-met",
            {"I.A.1": "not-met", "I.A.2": "unknown", "I.A.3": "met", "I.A.5": "met", "I.B.1": "not-met"},
            other_use_policy="CP.CPA.09",
            line_of_business="commercial",
            real_files=[SYNTHEA_NSCLC],
        ),
        case(
            "nsclc-mcode-stage-iiic-with-brain-metastasis",
            mcode_order_record(),
            "approved",
            {"I.A.1": "met"},
            line_of_business="marketplace",
            real_files=[MCODE_PRIMARY, MCODE_STAGE, MCODE_SECONDARY],
        ),
        case("nsclc-stage-not-documented", centene_nsclc(condition=NSCLC_UNSTAGED), "needs-info", {"I.A.1": "unknown"}),
        case(
            "nsclc-icd-only-with-small-cell-is-not-nsclc",
            centene_nsclc(
                fx.condition("cond-sclc", fx.coding(fx.SNOMED, "254632001", "Small cell carcinoma of lung")),
                condition=fx.condition(
                    "cond-lung",
                    fx.coding(
                        fx.ICD10CM,
                        "C34.90",
                        "Malignant neoplasm of unspecified part of unspecified bronchus or lung",
                    ),
                ),
                kras=KRAS_G12C_TEXT,
            ),
            "not-met",
            {"I.A.1": "not-met"},
        ),
        case(
            "nsclc-general-practitioner-prescriber",
            centene_nsclc(role=fx.GENERAL_PRACTICE),
            "needs-info",
            {"I.A.2": "unknown"},
        ),
        case(
            "nsclc-age-17",
            centene_nsclc(birth="2009-06-01"),
            "not-met",
            {"I.A.3": "not-met", "I.B.3": "not-met"},
        ),
        case("nsclc-birth-date-missing", centene_nsclc(birth=None), "needs-info", {"I.A.3": "unknown"}),
        case("nsclc-no-prior-therapy-on-record", centene_nsclc(prior=None), "needs-info", {"I.A.5": "unknown"}),
        case(
            "nsclc-prior-therapy-by-name-only",
            centene_nsclc(
                prior=fx.medication_statement("ms-docetaxel", fx.drug(None, "Docetaxel 20 MG/ML (Taxotere) infusion"))
            ),
            "approved",
            {"I.A.5": "met"},
        ),
        case(
            "nsclc-prior-krazati-by-name",
            centene_nsclc(
                fx.medication_statement("ms-krazati", fx.drug(None, "Krazati 200 MG Oral Tablet"), status="stopped")
            ),
            "not-met",
            {"I.A.6": "not-met", "I.A.5": "met"},
        ),
    ]


# Issue #13 (items 1-3, 9): free-text KRAS results read by NegEx/ConText, and one reading of the latest result.
def _kras_text_cases() -> list[Case]:
    return [
        *(
            kras_case(f"nsclc-kras-text-{name}", kras_lab_result(KRAS_MUTATIONS_FOUND, text), decision, status)
            for name, text, decision, status in KRAS_TEXT_DEFECTS
        ),
        kras_case(
            "nsclc-kras-text-coded-concept-not-identified",
            kras_lab_result(KRAS_MUTATIONS_FOUND, fx.concept(text="KRAS G12C mutation not identified")),
            "not-met",
            "not-met",
        ),
        *kras_history_cases(case, centene_nsclc, "nsclc", "I.A.4"),
    ]


def _dose_and_other_diagnosis_cases() -> list[Case]:
    return [
        case(
            "nsclc-dose-1200-mg-needs-evidence",
            centene_nsclc(order=sotorasib_order(medication=LUMAKRAS_240, dosage=fx.daily(fx.tablets(5, "{tbl}")))),
            "needs-info",
            {"I.A.8": "unknown", "I.A.7": "met"},
        ),
        case(
            "nsclc-dose-480-mg-ema-reduction",
            centene_nsclc(order=sotorasib_order(medication=LUMAKRAS_240, dosage=fx.daily(fx.mg(480)))),
            "approved",
            {"I.A.8": "met"},
        ),
        case(
            "nsclc-dose-from-dispense-request",
            centene_nsclc(
                order=sotorasib_order(
                    dosage=[{"text": "960 mg by mouth daily"}],
                    medication=SOTORASIB_120,
                    dispenseRequest={"quantity": fx.tablets(240), "expectedSupplyDuration": THIRTY_DAYS},
                ),
            ),
            "approved",
            {"I.A.8": "met"},
        ),
        case(
            "nsclc-dose-from-timing-code-bid",
            centene_nsclc(
                order=sotorasib_order(
                    medication=LUMAKRAS_240,
                    dosage=[
                        {
                            "timing": {
                                "code": fx.concept(
                                    fx.coding("http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation", "BID")
                                )
                            },
                            "doseAndRate": [{"doseQuantity": fx.tablets(2)}],
                        }
                    ],
                ),
            ),
            "approved",
            {"I.A.8": "met"},
        ),
        case(
            "nsclc-dose-from-max-dose-per-period-above-limit",
            centene_nsclc(
                order=sotorasib_order(
                    medication=LUMAKRAS_240,
                    dosage=[
                        {
                            "text": "as directed",
                            "maxDosePerPeriod": {
                                "numerator": fx.mg(1200),
                                "denominator": {"value": 1, "unit": "day", "system": fx.UCUM, "code": "d"},
                            },
                        }
                    ],
                ),
            ),
            "needs-info",
            {"I.A.8": "unknown"},
        ),
        case(
            "nsclc-order-reason-pancreatic-routes-to-i-b",
            centene_nsclc(
                PANCREATIC, order=sotorasib_order(reason=reason("C25.0", "Malignant neoplasm of head of pancreas"))
            ),
            "approved",
            {"I.A.1": "not-met", "I.B.1": "met"},
            path="I.B",
        ),
        case(
            "ib-pancreatic-approved",
            record("centene", PANCREATIC, KRAS_G12C_TEXT, sotorasib_order()),
            "approved",
            {
                **{f"I.B.{n}": "met" for n in range(1, 6)},
                "I.B.KRAS": "met",
                "I.B.Regimen": "met",
                "I.B.Regimen.Partner": "met",
                "I.A.1": "not-met",
            },
            path="I.B",
            expiry="2027-05-23",
            line_of_business="marketplace",
        ),
        case(
            "ib-colon-needs-info-gp-and-high-dose",
            record(
                "centene",
                COLON_STAGE_4,
                sotorasib_order(medication=LUMAKRAS_240, dosage=fx.daily(fx.tablets(5))),
                role=fx.GENERAL_PRACTICE,
            ),
            "needs-info",
            {"I.B.1": "met", "I.B.2": "unknown", "I.B.5": "unknown"},
            path="I.B",
        ),
        case(
            "ib-no-diagnosis-on-record",
            record("centene", sotorasib_order()),
            "needs-info",
            {"I.A.1": "unknown", "I.B.1": "unknown"},
        ),
        case(
            "other-use-breast-cancer-routes-off-label",
            record(
                "centene",
                fx.condition("cond-breast", fx.coding(fx.SNOMED, "254837009", "Malignant neoplasm of breast")),
                sotorasib_order(),
            ),
            "not-met",
            {"I.A.1": "not-met", "I.B.1": "not-met", "II.A.1": "not-met"},
            other_use_policy="HIM.PA.154",
            line_of_business="marketplace",
        ),
    ]


def _continued_therapy_cases() -> list[Case]:
    """II.A: a KRAS result is not needed for continued therapy, so these records have none."""
    above_960 = fx.daily(fx.tablets(4))
    return [
        case(
            "continued-approved-without-kras-in-record",
            centene_nsclc(ACTIVE_SOTORASIB, STABLE, kras=None),
            "approved",
            {"II.A.1": "met", "II.A.2": "met", "II.A.3": "met", "I.A.4": "unknown"},
            path="II.A",
            expiry="2027-11-23",
        ),
        case(
            "continued-started-ten-days-ago",
            centene_nsclc(current_sotorasib(authored="2026-11-10"), STABLE, kras=None),
            "needs-info",
            {"II.A.1": "unknown"},
        ),
        case(
            "continued-no-response-assessment",
            centene_nsclc(ACTIVE_SOTORASIB, kras=None, role=fx.GENERAL_PRACTICE),
            "needs-info",
            {"II.A.1": "met", "II.A.2": "unknown", "I.A.2": "unknown", "I.A.4": "unknown"},
            path="II.A",
        ),
        case(
            "continued-disease-progressed",
            centene_nsclc(ACTIVE_SOTORASIB, WORSENED, kras=None),
            "not-met",
            {"II.A.2": "not-met"},
            path="II.A",
            other_use_policy="CP.PMN.53",
        ),
        case(
            "continued-dose-increase-above-960",
            centene_nsclc(ACTIVE_SOTORASIB, STABLE, kras=None, order=sotorasib_order(dosage=above_960)),
            "needs-info",
            {"II.A.3": "unknown"},
        ),
        case(
            "continued-same-dose-above-960-is-not-an-increase",
            centene_nsclc(
                current_sotorasib(dosage=above_960), STABLE, kras=None, order=sotorasib_order(dosage=above_960)
            ),
            "approved",
            {"II.A.3": "met", "I.A.8": "unknown"},
            path="II.A",
            line_of_business="commercial",
        ),
    ]


# ---- the regimen footnote ("*" under I.A.8, I.B.5, II.A.3) -----------------------------------------------------
PANITUMUMAB_DRAFT = fx.medication_request("mr-panitumumab", fx.drug("1657704", "Panitumumab Injection [Vectibix]"))
CETUXIMAB_DRAFT = fx.medication_request("mr-cetuximab", fx.drug("544717", "Cetuximab 2 MG/ML [Erbitux]"))
IRINOTECAN_DRAFT = fx.medication_request(
    "mr-irinotecan", fx.drug("1726319", "2 ML irinotecan hydrochloride 20 MG/ML Injection")
)
PEMBROLIZUMAB_DRAFT = fx.medication_request("mr-pembro", fx.drug("1547545", "pembrolizumab"))
KRAS_G12D_VARIANT = fx.variant("obs-kras", fx.KRAS_STU1, protein="p.Gly12Asp", cdna="c.35G>A")


def colon_on_sotorasib(*partners: fx.Resource) -> list[fx.Resource]:
    """Stage IV colon cancer with a KRAS G12C result: I.B.1-5 are met, the regimen is what `partners` make it."""
    return record("centene", COLON_STAGE_4, KRAS_G12C_TEXT, *partners, sotorasib_order())


def _regimen_cases() -> list[Case]:
    return [
        case(
            "ib-pancreatic-kras-g12d-not-met",
            record("centene", PANCREATIC, KRAS_G12D_VARIANT, sotorasib_order()),
            "not-met",
            {"I.B.1": "met", "I.B.KRAS": "not-met", "I.B.Regimen": "met", "I.A.1": "not-met"},
            path="I.B",
            other_use_policy="CP.PMN.53",
        ),
        case(
            "ib-pancreatic-no-kras-result-asks",
            record("centene", PANCREATIC, sotorasib_order()),
            "needs-info",
            {"I.B.1": "met", "I.B.KRAS": "unknown"},
            path="I.B",
        ),
        case(
            "ib-colon-sotorasib-alone-asks-for-partner",
            colon_on_sotorasib(),
            "needs-info",
            {"I.B.1": "met", "I.B.KRAS": "met", "I.B.Regimen": "met", "I.B.Regimen.Partner": "unknown"},
            path="I.B",
        ),
        case(
            "ib-colon-with-panitumumab-approved",
            colon_on_sotorasib(PANITUMUMAB_DRAFT),
            "approved",
            {"I.B.Regimen": "met", "I.B.Regimen.Partner": "met"},
            path="I.B",
            expiry="2027-05-23",
        ),
        case(
            "ib-colon-with-cetuximab-approved",
            colon_on_sotorasib(CETUXIMAB_DRAFT),
            "approved",
            {"I.B.Regimen": "met", "I.B.Regimen.Partner": "met"},
            path="I.B",
            expiry="2027-05-23",
        ),
        case(
            "ib-colon-panitumumab-plus-irinotecan-draft-not-met",
            colon_on_sotorasib(PANITUMUMAB_DRAFT, IRINOTECAN_DRAFT),
            "not-met",
            {"I.B.Regimen": "not-met", "I.B.Regimen.Partner": "met"},
            path="I.B",
            other_use_policy="CP.PMN.53",
        ),
        case(
            "nsclc-with-pembrolizumab-draft-not-single-agent",
            centene_nsclc(PEMBROLIZUMAB_DRAFT),
            "not-met",
            {"I.A.Regimen": "not-met", "I.A.4": "met", "I.A.8": "met"},
            path="I.A",
            other_use_policy="CP.PMN.53",
        ),
        case(
            "continued-colon-without-partner-asks",
            record("centene", COLON_STAGE_4, ACTIVE_SOTORASIB, STABLE, sotorasib_order()),
            "needs-info",
            {"II.A.1": "met", "II.A.2": "met", "II.A.Regimen": "met", "II.A.Regimen.Partner": "unknown"},
            path="II.A",
        ),
        case(
            "continued-kras-g12d-tumour-not-met",
            centene_nsclc(ACTIVE_SOTORASIB, STABLE, kras=KRAS_G12D_VARIANT),
            "not-met",
            {"II.A.1": "met", "II.A.2": "met", "II.A.Regimen": "not-met"},
            path="II.A",
            other_use_policy="CP.PMN.53",
        ),
    ]


# ---- continued therapy read against the current course ----------------------------------------------------------


def _course_cases() -> list[Case]:
    """The current Lumakras course started on 2026-08-01 unless a case says otherwise (ACTIVE_SOTORASIB)."""
    stable_before_start = fx.disease_status(
        "obs-status", ("359746009", "Patient's condition stable (finding)"), "2026-07-01"
    )
    earlier_course = fx.medication_statement(
        "ms-sotorasib-2025", LUMAKRAS_320, status="completed", start="2025-01-10", end="2025-06-30"
    )
    stable_in_earlier_course = fx.disease_status(
        "obs-status", ("359746009", "Patient's condition stable (finding)"), "2025-05-01"
    )
    short_break_course = fx.medication_statement(
        "ms-sotorasib-spring", LUMAKRAS_320, status="completed", start="2026-03-01", end="2026-06-20"
    )
    stable_before_break = fx.disease_status(
        "obs-status", ("359746009", "Patient's condition stable (finding)"), "2026-06-01"
    )
    return [
        case(
            "continued-stable-before-course-start-asks",
            centene_nsclc(ACTIVE_SOTORASIB, stable_before_start, kras=None),
            "needs-info",
            {"II.A.1": "met", "II.A.2": "unknown"},
            path="II.A",
        ),
        case(
            "continued-stable-in-earlier-course-after-long-break-asks",
            centene_nsclc(
                earlier_course, stable_in_earlier_course, current_sotorasib(authored="2026-10-01"), kras=None
            ),
            "needs-info",
            {"II.A.1": "met", "II.A.2": "unknown"},
            path="II.A",
        ),
        # 2026-06-20 to 2026-08-01 is a 42-day break: the same course, so June's assessment counts.
        case(
            "continued-course-bridges-break-under-60-days",
            centene_nsclc(short_break_course, stable_before_break, ACTIVE_SOTORASIB, kras=None),
            "approved",
            {"II.A.1": "met", "II.A.2": "met"},
            path="II.A",
            expiry="2027-11-23",
        ),
        case(
            "continued-also-meeting-i-a-gets-continued-expiry",
            centene_nsclc(ACTIVE_SOTORASIB, STABLE),
            "approved",
            {**ALL_I_A_MET, "I.A.Regimen": "met", "II.A.1": "met", "II.A.2": "met", "II.A.3": "met"},
            path="II.A",
            expiry="2027-11-23",
        ),
    ]


def with_verification(condition: fx.Resource, status: str) -> fx.Resource:
    """The same Condition with another verificationStatus (FHIR condition-ver-status code)."""
    return dict(
        condition,
        verificationStatus=fx.concept(fx.coding("http://terminology.hl7.org/CodeSystem/condition-ver-status", status)),
    )


def _condition_status_cases() -> list[Case]:
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
