"""Centene CP.PHAR.549 (Sotorasib) scenarios: I.A NSCLC, I.B other solid tumours, II.A continued therapy; the
regimen/course and record-reading scenarios live in their own modules, all listed by `centene_cases`.
"""

from __future__ import annotations

import sotorasib_fixtures as fx
from centene_record_reading_cases import condition_status_cases, medication_history_cases
from centene_regimen_cases import course_cases, regimen_cases
from centene_sotorasib_base import (
    ALL_I_A_MET,
    NSCLC_UNSTAGED,
    THIRTY_DAYS,
    by_reference,
    case,
    centene_nsclc,
    kras_case,
    reason,
)
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
    PANCREATIC,
    SOTORASIB_120,
    STABLE,
    WORSENED,
    Case,
    current_sotorasib,
    kras_history_cases,
    kras_lab_result,
    record,
    sotorasib_order,
)


def centene_cases() -> list[Case]:
    return [
        *_i_a_cases(),
        *_kras_text_cases(),
        *_dose_and_other_diagnosis_cases(),
        *_continued_therapy_cases(),
        *regimen_cases(),
        *course_cases(),
        *condition_status_cases(),
        *medication_history_cases(),
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
