"""Write the test bundles and tests/cases.yaml of the two sotorasib policies.

Run from the repository root:  .venv/bin/python policies/_shared/testdata/build_sotorasib_cases.py

Each case below is one clinical scenario: the record it needs (built with sotorasib_fixtures) and the decision
and criterion statuses the policy document implies for it. Real public records from
../shared/fhir-examples are copied unchanged into tests/data and merged with a small generated file holding
the draft order (a case's `data` may list several files). Output is deterministic.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sotorasib_fixtures as fx
import yaml

REPO = Path(__file__).resolve().parents[3]
SHARED_EXAMPLES = REPO.parent / "shared" / "fhir-examples"
CENTENE = REPO / "policies" / "centene" / "CP.PHAR.549"
FEP = REPO / "policies" / "fep-blue" / "5.21.177"

GENOMICS_BUNDLE = "genomics-reporting-stu1_Bundle-oncology-report-example.json"
SYNTHEA_NSCLC = "synthea-bulk10_nsclc-patient_Patient-Condition-MedicationRequest-Practitioner.ndjson"
MCODE_PRIMARY = "mcode-stu1_Condition-mCODEPrimaryCancerConditionExample01.json"
MCODE_STAGE = "mcode-stu1_Observation-mCODETNMClinicalStageGroupExample01.json"
MCODE_SECONDARY = "mcode-stu1_Condition-mCODESecondaryCancerConditionExample01.json"
SYNTHEA_PATIENT = "129c6ac7-8d06-89de-ad63-0204a93e76c3"
MCODE_PATIENT = "mCODEPatientExample01"

LUMAKRAS_320 = fx.drug("2628242", "sotorasib 320 MG Oral Tablet [Lumakras]")
LUMAKRAS_240 = fx.drug("2687207", "sotorasib 240 MG Oral Tablet [Lumakras]")
SOTORASIB_120 = fx.drug("2550719", "sotorasib 120 MG Oral Tablet")
ORDER = "mr-sotorasib"

NSCLC_STAGE_4 = fx.condition(
    "cond-nsclc",
    fx.coding(fx.ICD10CM, "C34.11", "Malignant neoplasm of upper lobe, right bronchus or lung"),
    fx.coding(fx.SNOMED, "423121009", "Non-small cell carcinoma of lung, TNM stage 4"),
)
NSCLC_UNSTAGED = fx.condition("cond-nsclc", fx.coding(fx.SNOMED, "254637007", "Non-small cell lung cancer"))
KRAS_G12C_VARIANT = fx.variant("obs-kras", fx.KRAS_STU2, protein="NP_004976.2:p.Gly12Cys", cdna="NM_004985.5:c.34G>T")
CARBOPLATIN_DONE = fx.medication_request(
    "mr-carboplatin",
    fx.drug("597195", "CARBOplatin 10 MG/ML Injectable Solution"),
    status="completed",
    authored="2026-02-01",
)
STANDARD_DOSE = fx.daily(fx.tablets(3))  # 3 × 320 mg = 960 mg/day


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


# ---- Centene CP.PHAR.549 -----------------------------------------------------------------------------------

HEPATIC_PANEL_ORDER = fx.service_request("sr-hepatic", "24325-3", "Hepatic function 2000 panel - Serum or Plasma")
PEMBROLIZUMAB_GIVEN = fx.medication_administration("ma-pembro", fx.drug("1547545", "pembrolizumab"))
COLON_STAGE_4 = fx.condition(
    "cond-crc",
    fx.coding(fx.ICD10CM, "C18.7", "Malignant neoplasm of sigmoid colon"),
    stage=("http://cancerstaging.org", "4", "IV"),
)
LIVER_METS = fx.condition(
    "cond-liver-mets",
    fx.coding(fx.ICD10CM, "C78.7", "Secondary malignant neoplasm of liver and intrahepatic bile duct"),
)
PANCREATIC = fx.condition(
    "cond-pdac",
    fx.coding(fx.ICD10CM, "C25.0", "Malignant neoplasm of head of pancreas"),
    fx.coding(fx.SNOMED, "363418001", "Malignant tumor of pancreas"),
)
KRAS_G12C_TEXT = fx.kras_single_test(
    "obs-kras", "21702-6", "KRAS gene mutations found", valueString="KRAS p.G12C detected"
)
ACTIVE_SOTORASIB = fx.medication_request(
    "mr-sotorasib-current", LUMAKRAS_320, status="active", authored="2026-08-01", dosage=STANDARD_DOSE
)
STABLE = fx.disease_status("obs-status", ("359746009", "Patient's condition stable (finding)"), "2026-11-01")
WORSENED = fx.disease_status("obs-status", ("271299001", "Patient's condition worsened (finding)"), "2026-11-01")
FOLFOX_FOLFIRI = [
    fx.medication_statement("ms-5fu", fx.drug("4492", "fluorouracil")),
    fx.medication_statement("ms-oxali", fx.drug(None, "Oxaliplatin 5 MG/ML Injectable Solution")),
    fx.medication_administration("ma-iri", fx.drug("1726319", "2 ML irinotecan hydrochloride 20 MG/ML Injection")),
]
PANITUMUMAB_DRAFT = fx.medication_request("mr-panitumumab", fx.drug("1657704", "Panitumumab Injection [Vectibix]"))
KRAS_CRC_TEXT = fx.kras_single_test(
    "obs-kras",
    "85509-8",
    "KRAS gene mutations found in Colorectal cancer specimen",
    valueCodeableConcept=fx.concept(text="KRAS G12C (c.34G>T) detected"),
)
ALL_I_A_MET = {f"I.A.{n}": "met" for n in range(1, 9)}


def centene_cases() -> list[Case]:
    g12d = fx.variant("obs-kras", fx.KRAS_STU1, protein="p.Gly12Asp", cdna="c.35G>A")
    return [
        Case(
            "nsclc-approved-stage-iv-variant-g12c",
            nsclc("centene"),
            {
                "decision": "approved",
                "path": "I.A",
                "expiry": "2027-05-23",
                "criteria": {**ALL_I_A_MET, "I.B.1": "not-met", "II.A.1": "not-met"},
            },
            "medicaid",
        ),
        Case(
            "nsclc-approved-commercial-capped-by-request",
            nsclc(
                "centene",
                order=sotorasib_order(
                    dosage=fx.daily(fx.tablets(8, "unitless")),
                    medication=SOTORASIB_120,
                    dispenseRequest={
                        "quantity": fx.tablets(240),
                        "numberOfRepeatsAllowed": 2,
                        "expectedSupplyDuration": {
                            "value": 30,
                            "unit": "days",
                            "system": fx.UCUM,
                            "code": "d",
                        },
                    },
                ),
            ),
            {"decision": "approved", "path": "I.A", "expiry": "2027-02-21", "criteria": {"I.A.8": "met"}},
            "commercial",
        ),
        Case(
            "nsclc-needs-info-no-kras-result",
            nsclc("centene", kras=None),
            {"decision": "needs-info", "path": "I.A", "criteria": {"I.A.4": "unknown", "I.A.1": "met"}},
            "medicaid",
        ),
        Case(
            "nsclc-kras-g12d-not-g12c",
            nsclc("centene", kras=g12d),
            {"decision": "not-met", "criteria": {"I.A.4": "not-met"}, "other_use_policy": "CP.PMN.53"},
            "medicaid",
        ),
        Case(
            "nsclc-genomics-bundle-nras-g12c-is-not-kras",
            _genomics_order_record(nsclc("centene", kras=None)),
            {"decision": "needs-info", "criteria": {"I.A.4": "unknown", "I.A.3": "unknown", "I.A.1": "met"}},
            "medicaid",
            real_files=[GENOMICS_BUNDLE],
        ),
        Case(
            "nsclc-kras-clinvar-and-stu1-gene-system",
            nsclc("centene", kras=fx.variant("obs-kras", fx.KRAS_STU1, clinvar="12578")),
            {"decision": "approved", "criteria": {"I.A.4": "met"}},
            "medicaid",
        ),
        Case(
            "nsclc-kras-single-test-free-text",
            nsclc("centene", kras=KRAS_G12C_TEXT),
            {"decision": "approved", "criteria": {"I.A.4": "met"}},
            "medicaid",
        ),
        Case(
            "nsclc-kras-single-test-not-detected",
            nsclc(
                "centene",
                kras=fx.kras_single_test(
                    "obs-kras",
                    "21702-6",
                    "KRAS gene mutations found",
                    valueCodeableConcept=fx.concept(
                        fx.coding(fx.SNOMED, "260415000", "Not detected"), text="None detected"
                    ),
                ),
            ),
            {"decision": "not-met", "criteria": {"I.A.4": "not-met"}},
            "medicaid",
        ),
        Case(
            "nsclc-kras-narrative-g12c-positive-other-variants-negative",
            nsclc(
                "centene",
                kras=fx.kras_single_test(
                    "obs-kras",
                    "75974-6",
                    "KRAS gene targeted mutation analysis",
                    valueString="Positive for KRAS G12C (c.34G>T); negative for G12D, G12V and G13D",
                ),
            ),
            {"decision": "approved", "criteria": {"I.A.4": "met"}},
            "medicaid",
        ),
        Case(
            "nsclc-kras-only-g12d-not-detected-says-nothing-of-g12c",
            nsclc(
                "centene",
                kras=fx.kras_single_test(
                    "obs-kras", "75974-6", "KRAS gene targeted mutation analysis", valueString="G12D not detected"
                ),
            ),
            {"decision": "needs-info", "criteria": {"I.A.4": "unknown"}},
            "medicaid",
        ),
        Case(
            "nsclc-kras-positive-without-variant",
            nsclc(
                "centene",
                kras=fx.kras_single_test(
                    "obs-kras",
                    "75974-6",
                    "KRAS gene targeted mutation analysis",
                    valueCodeableConcept=fx.concept(fx.coding(fx.SNOMED, "10828004", "Positive")),
                ),
            ),
            {"decision": "needs-info", "criteria": {"I.A.4": "unknown"}},
            "medicaid",
        ),
        Case(
            "nsclc-kras-preliminary-does-not-count",
            nsclc("centene", kras=fx.variant("obs-kras", fx.KRAS_STU2, protein="p.G12C", status="preliminary")),
            {"decision": "needs-info", "criteria": {"I.A.4": "unknown"}},
            "medicaid",
        ),
        Case(
            "nsclc-kras-g12c-absent",
            nsclc("centene", kras=fx.variant("obs-kras", fx.KRAS_STU2, present=False, protein="p.(Gly12Cys)")),
            {"decision": "not-met", "criteria": {"I.A.4": "not-met"}},
            "medicaid",
        ),
        Case(
            "nsclc-kras-stu3-molecular-consequence",
            nsclc(
                "centene",
                fx.molecular_consequence("obs-kras-mc", "obs-kras", "p.Gly12Cys"),
                kras=fx.variant("obs-kras", fx.KRAS_STU2, cdna=None, protein=None, clinvar=None),
            ),
            {"decision": "approved", "criteria": {"I.A.4": "met"}},
            "medicaid",
        ),
        Case(
            "nsclc-kras-transcript-named-in-hgvs-without-gene",
            nsclc("centene", kras=fx.variant("obs-kras", None, cdna="NM_004985.5(KRAS):c.34G>T (p.Gly12Cys)")),
            {"decision": "approved", "criteria": {"I.A.4": "met"}},
            "medicaid",
        ),
        Case(
            "nsclc-kras-variant-absent-wild-type",
            nsclc("centene", kras=fx.variant("obs-kras", fx.KRAS_STU2, present=False)),
            {"decision": "not-met", "criteria": {"I.A.4": "not-met"}},
            "medicaid",
        ),
        Case(
            "nsclc-kras-nras-test-naming-kras",
            nsclc(
                "centene",
                kras=fx.kras_single_test(
                    "obs-kras",
                    "81420-2",
                    "KRAS and NRAS gene mutations found",
                    valueString="KRAS c.34G>T (p.Gly12Cys)",
                ),
            ),
            {"decision": "approved", "criteria": {"I.A.4": "met"}},
            "medicaid",
        ),
        Case(
            "nsclc-kras-nras-test-naming-nras-only",
            nsclc(
                "centene",
                kras=fx.kras_single_test(
                    "obs-kras", "81420-2", "KRAS and NRAS gene mutations found", valueString="NRAS p.G12C"
                ),
            ),
            {"decision": "needs-info", "criteria": {"I.A.4": "unknown"}},
            "medicaid",
        ),
        Case(
            "nsclc-order-and-history-by-medication-reference",
            nsclc(
                "centene",
                fx.medication("med-lumakras-320", "2628242", "sotorasib 320 MG Oral Tablet [Lumakras]"),
                fx.medication("med-cisplatin", "1736854", "Cisplatin 50 MG Injection"),
                order=_by_reference(sotorasib_order(), "Medication/med-lumakras-320"),
                prior=_by_reference(
                    fx.medication_statement("ms-cisplatin", fx.drug(None, "")), "Medication/med-cisplatin"
                ),
            ),
            {"decision": "approved", "criteria": {"I.A.5": "met", "I.A.8": "met"}},
            "medicaid",
        ),
        Case(
            "nsclc-order-reason-without-cancer-uses-diagnoses",
            nsclc(
                "centene",
                order=sotorasib_order(
                    reason=[fx.concept(fx.coding(fx.ICD10CM, "Z51.11", "Encounter for antineoplastic chemotherapy"))]
                ),
            ),
            {"decision": "approved", "criteria": {"I.A.1": "met"}},
            "medicaid",
        ),
        Case(
            "nsclc-oncologist-by-practitioner-qualification",
            nsclc(
                "centene",
                {
                    "resourceType": "Practitioner",
                    "id": "prac-qualified",
                    "qualification": [{"code": fx.concept(fx.coding(fx.NUCC, *fx.ONCOLOGIST))}],
                },
                role=fx.GENERAL_PRACTICE,
                order=sotorasib_order(requester="Practitioner/prac-qualified"),
            ),
            {"decision": "approved", "criteria": {"I.A.2": "met"}},
            "medicaid",
        ),
        Case(
            "nsclc-synthea-stage-1-not-advanced",
            _synthea_order_record("centene"),
            {
                "decision": "not-met",
                "criteria": {
                    "I.A.1": "not-met",
                    "I.A.2": "unknown",
                    "I.A.3": "met",
                    "I.A.5": "met",
                    "I.B.1": "not-met",
                },
                "other_use_policy": "CP.CPA.09",
            },
            "commercial",
            real_files=[SYNTHEA_NSCLC],
        ),
        Case(
            "nsclc-mcode-stage-iiic-with-brain-metastasis",
            _mcode_order_record(),
            {"decision": "approved", "criteria": {"I.A.1": "met"}},
            "marketplace",
            real_files=[MCODE_PRIMARY, MCODE_STAGE, MCODE_SECONDARY],
        ),
        Case(
            "nsclc-stage-not-documented",
            nsclc("centene", condition=NSCLC_UNSTAGED),
            {"decision": "needs-info", "criteria": {"I.A.1": "unknown"}},
            "medicaid",
        ),
        Case(
            "nsclc-icd-only-with-small-cell-is-not-nsclc",
            nsclc(
                "centene",
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
            {"decision": "not-met", "criteria": {"I.A.1": "not-met"}},
            "medicaid",
        ),
        Case(
            "nsclc-general-practitioner-prescriber",
            nsclc("centene", role=fx.GENERAL_PRACTICE),
            {"decision": "needs-info", "criteria": {"I.A.2": "unknown"}},
            "medicaid",
        ),
        Case(
            "nsclc-age-17",
            nsclc("centene", birth="2009-06-01"),
            {"decision": "not-met", "criteria": {"I.A.3": "not-met", "I.B.3": "not-met"}},
            "medicaid",
        ),
        Case(
            "nsclc-birth-date-missing",
            nsclc("centene", birth=None),
            {"decision": "needs-info", "criteria": {"I.A.3": "unknown"}},
            "medicaid",
        ),
        Case(
            "nsclc-no-prior-therapy-on-record",
            nsclc("centene", prior=None),
            {"decision": "needs-info", "criteria": {"I.A.5": "unknown"}},
            "medicaid",
        ),
        Case(
            "nsclc-prior-therapy-by-name-only",
            nsclc(
                "centene",
                prior=fx.medication_statement("ms-docetaxel", fx.drug(None, "Docetaxel 20 MG/ML (Taxotere) infusion")),
            ),
            {"decision": "approved", "criteria": {"I.A.5": "met"}},
            "medicaid",
        ),
        Case(
            "nsclc-prior-krazati-by-name",
            nsclc(
                "centene",
                fx.medication_statement("ms-krazati", fx.drug(None, "Krazati 200 MG Oral Tablet"), status="stopped"),
            ),
            {"decision": "not-met", "criteria": {"I.A.6": "not-met", "I.A.5": "met"}},
            "medicaid",
        ),
        Case(
            "nsclc-dose-1200-mg-needs-evidence",
            nsclc(
                "centene",
                order=sotorasib_order(medication=LUMAKRAS_240, dosage=fx.daily(fx.tablets(5, "{tbl}"))),
            ),
            {"decision": "needs-info", "criteria": {"I.A.8": "unknown", "I.A.7": "met"}},
            "medicaid",
        ),
        Case(
            "nsclc-dose-480-mg-ema-reduction",
            nsclc("centene", order=sotorasib_order(medication=LUMAKRAS_240, dosage=fx.daily(fx.mg(480)))),
            {"decision": "approved", "criteria": {"I.A.8": "met"}},
            "medicaid",
        ),
        Case(
            "nsclc-dose-from-dispense-request",
            nsclc(
                "centene",
                order=sotorasib_order(
                    dosage=[{"text": "960 mg by mouth daily"}],
                    medication=SOTORASIB_120,
                    dispenseRequest={
                        "quantity": fx.tablets(240),
                        "expectedSupplyDuration": {
                            "value": 30,
                            "unit": "days",
                            "system": fx.UCUM,
                            "code": "d",
                        },
                    },
                ),
            ),
            {"decision": "approved", "criteria": {"I.A.8": "met"}},
            "medicaid",
        ),
        Case(
            "nsclc-dose-from-timing-code-bid",
            nsclc(
                "centene",
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
            {"decision": "approved", "criteria": {"I.A.8": "met"}},
            "medicaid",
        ),
        Case(
            "nsclc-dose-from-max-dose-per-period-above-limit",
            nsclc(
                "centene",
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
            {"decision": "needs-info", "criteria": {"I.A.8": "unknown"}},
            "medicaid",
        ),
        Case(
            "nsclc-order-reason-pancreatic-routes-to-i-b",
            nsclc(
                "centene",
                PANCREATIC,
                order=sotorasib_order(
                    reason=[fx.concept(fx.coding(fx.ICD10CM, "C25.0", "Malignant neoplasm of head of pancreas"))]
                ),
            ),
            {"decision": "approved", "path": "I.B", "criteria": {"I.A.1": "not-met", "I.B.1": "met"}},
            "medicaid",
        ),
        Case(
            "ib-pancreatic-approved",
            record("centene", PANCREATIC, sotorasib_order()),
            {
                "decision": "approved",
                "path": "I.B",
                "expiry": "2027-05-23",
                "criteria": {
                    "I.B.1": "met",
                    "I.B.2": "met",
                    "I.B.3": "met",
                    "I.B.4": "met",
                    "I.B.5": "met",
                    "I.A.1": "not-met",
                },
            },
            "marketplace",
        ),
        Case(
            "ib-colon-needs-info-gp-and-high-dose",
            record(
                "centene",
                COLON_STAGE_4,
                sotorasib_order(medication=LUMAKRAS_240, dosage=fx.daily(fx.tablets(5))),
                role=fx.GENERAL_PRACTICE,
            ),
            {
                "decision": "needs-info",
                "path": "I.B",
                "criteria": {"I.B.1": "met", "I.B.2": "unknown", "I.B.5": "unknown"},
            },
            "medicaid",
        ),
        Case(
            "ib-no-diagnosis-on-record",
            record("centene", sotorasib_order()),
            {"decision": "needs-info", "criteria": {"I.A.1": "unknown", "I.B.1": "unknown"}},
            "medicaid",
        ),
        Case(
            "other-use-breast-cancer-routes-off-label",
            record(
                "centene",
                fx.condition("cond-breast", fx.coding(fx.SNOMED, "254837009", "Malignant neoplasm of breast")),
                sotorasib_order(),
            ),
            {
                "decision": "not-met",
                "criteria": {"I.A.1": "not-met", "I.B.1": "not-met", "II.A.1": "not-met"},
                "other_use_policy": "HIM.PA.154",
            },
            "marketplace",
        ),
        Case(
            "continued-approved-without-kras-in-record",
            nsclc("centene", ACTIVE_SOTORASIB, STABLE, kras=None),
            {
                "decision": "approved",
                "path": "II.A",
                "expiry": "2027-11-23",
                "criteria": {"II.A.1": "met", "II.A.2": "met", "II.A.3": "met", "I.A.4": "unknown"},
            },
            "medicaid",
        ),
        Case(
            "continued-started-ten-days-ago",
            nsclc(
                "centene",
                fx.medication_request(
                    "mr-sotorasib-current",
                    LUMAKRAS_320,
                    status="active",
                    authored="2026-11-10",
                    dosage=STANDARD_DOSE,
                ),
                STABLE,
                kras=None,
            ),
            {"decision": "needs-info", "criteria": {"II.A.1": "unknown"}},
            "medicaid",
        ),
        Case(
            "continued-no-response-assessment",
            nsclc("centene", ACTIVE_SOTORASIB, kras=None, role=fx.GENERAL_PRACTICE),
            {
                "decision": "needs-info",
                "path": "II.A",
                "criteria": {"II.A.1": "met", "II.A.2": "unknown", "I.A.2": "unknown", "I.A.4": "unknown"},
            },
            "medicaid",
        ),
        Case(
            "continued-disease-progressed",
            nsclc("centene", ACTIVE_SOTORASIB, WORSENED, kras=None),
            {"decision": "needs-info", "path": "I.A", "criteria": {"II.A.2": "not-met"}},
            "medicaid",
        ),
        Case(
            "continued-dose-increase-above-960",
            nsclc(
                "centene",
                ACTIVE_SOTORASIB,
                STABLE,
                kras=None,
                order=sotorasib_order(dosage=fx.daily(fx.tablets(4))),
            ),
            {"decision": "needs-info", "criteria": {"II.A.3": "unknown"}},
            "medicaid",
        ),
        Case(
            "continued-same-dose-above-960-is-not-an-increase",
            nsclc(
                "centene",
                fx.medication_request(
                    "mr-sotorasib-current",
                    LUMAKRAS_320,
                    status="active",
                    authored="2026-08-01",
                    dosage=fx.daily(fx.tablets(4)),
                ),
                STABLE,
                kras=None,
                order=sotorasib_order(dosage=fx.daily(fx.tablets(4))),
            ),
            {"decision": "approved", "path": "II.A", "criteria": {"II.A.3": "met", "I.A.8": "unknown"}},
            "commercial",
        ),
    ]


def _by_reference(resource: fx.Resource, reference: str) -> fx.Resource:
    """The same resource naming its drug through medicationReference instead of a CodeableConcept."""
    changed = dict(resource)
    del changed["medicationCodeableConcept"]
    changed["medicationReference"] = {"reference": reference}
    return changed


def _synthea_order_record(payer: str) -> list[fx.Resource]:
    """The Synthea patient's chemotherapy prescriber (a general practitioner, by NPI) drafts the order."""
    sopt = ("5", "PRIVATE HEALTH INSURANCE") if payer == "centene" else ("6", "BLUE CROSS/BLUE SHIELD")
    return [
        fx.coverage(payer, sopt, SYNTHEA_PATIENT),
        sotorasib_order(
            requester="Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|9999974592",
            subject=fx.subject(SYNTHEA_PATIENT),
        ),
    ]


def _mcode_order_record() -> list[fx.Resource]:
    """The mCODE examples belong to Patient/mCODEPatientExample01; this adds that patient's order context."""

    def own(resource: fx.Resource) -> fx.Resource:
        copy: fx.Resource = json.loads(json.dumps(resource))
        for key in ("subject", "beneficiary"):
            if key in copy:
                copy[key] = fx.subject(MCODE_PATIENT)
        return copy

    resources = [
        fx.patient("1955-02-02", MCODE_PATIENT),
        fx.coverage("centene", ("5", "PRIVATE HEALTH INSURANCE"), MCODE_PATIENT),
        *fx.practitioner_role("role-onc", fx.ONCOLOGIST),
        KRAS_G12C_TEXT,
        CARBOPLATIN_DONE,
        sotorasib_order(),
    ]
    return [own(r) for r in resources]


def _genomics_bundle_patient() -> dict[str, Any]:
    """A logical reference to the genomics example's Patient (it has no id, only its lab's patient identifier)."""
    bundle = json.loads((SHARED_EXAMPLES / GENOMICS_BUNDLE).read_text(encoding="utf-8"))
    patients = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"]
    assert len(patients) == 1, f"{GENOMICS_BUNDLE}: expected one Patient"
    return {"identifier": patients[0]["identifier"][0]}


def _genomics_order_record(resources: list[fx.Resource]) -> list[fx.Resource]:
    """The genomics example brings its own Patient, and a patient record has one: the generated part adds no
    Patient and names the example's Patient as subject/beneficiary. That Patient has no birth date, so age is
    unknown in these cases."""
    patient = _genomics_bundle_patient()
    out = []
    for resource in resources:
        if resource["resourceType"] == "Patient":
            continue
        copy: fx.Resource = json.loads(json.dumps(resource))
        for key in ("subject", "beneficiary"):
            if key in copy:
                copy[key] = patient
        out.append(copy)
    return out


# ---- FEP Blue 5.21.177 -------------------------------------------------------------------------------------


def crc(
    *extra: fx.Resource,
    condition: fx.Resource | None = COLON_STAGE_4,
    kras: fx.Resource | None = KRAS_CRC_TEXT,
    chemo: list[fx.Resource] | None = None,
    partner: fx.Resource | None = PANITUMUMAB_DRAFT,
    monitoring: list[fx.Resource] | None = None,
) -> list[fx.Resource]:
    labs = (
        monitoring
        if monitoring is not None
        else [
            fx.service_request("sr-alt", "1742-6", "Alanine aminotransferase"),
            fx.service_request("sr-ast", "1920-8", "Aspartate aminotransferase"),
            fx.service_request("sr-alp", "6768-6", "Alkaline phosphatase"),
            fx.service_request("sr-bili", "1975-2", "Bilirubin.total"),
        ]
    )
    parts = [r for r in (condition, kras, partner) if r is not None]
    return record("fep-blue", *parts, *(FOLFOX_FOLFIRI if chemo is None else chemo), *labs, *extra, sotorasib_order())


def fep_nsclc(*extra: fx.Resource, **kwargs: Any) -> list[fx.Resource]:
    kwargs.setdefault("prior", PEMBROLIZUMAB_GIVEN)
    return nsclc("fep-blue", HEPATIC_PANEL_ORDER, *extra, **kwargs)


def fep_cases() -> list[Case]:
    pa1 = {
        "PA.1.Age": "met",
        "PA.1": "met",
        "PA.1.a": "met",
        "PA.1.b": "met",
        "PA.1.c": "met",
        "PA.1.All.1": "met",
        "PA.1.Quantity": "met",
    }
    pa2 = {
        "PA.2.Age": "met",
        "PA.2": "met",
        "PA.2.a": "met",
        "PA.2.b": "met",
        "PA.2.c": "met",
        "PA.2.All.1": "met",
        "PA.2.Quantity": "met",
    }
    return [
        Case(
            "nsclc-approved",
            fep_nsclc(),
            {
                "decision": "approved",
                "path": "PA.1",
                "expiry": "2027-11-23",
                "criteria": {
                    **pa1,
                    "PA.2": "not-met",
                    "Renewal.1.Current": "not-met",
                    "Renewal.1": "met",
                    "Renewal.1.Quantity": "met",
                },
            },
            "fehb",
        ),
        Case(
            "nsclc-needs-info-no-monitoring-order",
            nsclc("fep-blue", prior=PEMBROLIZUMAB_GIVEN),
            {"decision": "needs-info", "path": "PA.1", "criteria": {"PA.1.All.1": "unknown"}},
            "fehb",
        ),
        Case(
            "nsclc-combination-with-carboplatin-draft",
            fep_nsclc(
                fx.medication_request("mr-carbo-draft", fx.drug("597195", "CARBOplatin 10 MG/ML Injectable Solution"))
            ),
            {"decision": "not-met", "criteria": {"PA.1.c": "not-met"}},
            "fehb",
        ),
        Case(
            "nsclc-active-immunotherapy-order-asks",
            fep_nsclc(
                fx.medication_request(
                    "mr-pembro-active",
                    fx.drug("1547545", "pembrolizumab"),
                    status="active",
                    authored="2026-05-01",
                )
            ),
            {"decision": "needs-info", "criteria": {"PA.1.c": "unknown"}},
            "fehb",
        ),
        Case(
            "nsclc-dose-1200-exceeds-quantity-limit",
            fep_nsclc(order=sotorasib_order(medication=LUMAKRAS_240, dosage=fx.daily(fx.tablets(5)))),
            {"decision": "not-met", "criteria": {"PA.1.Quantity": "not-met"}},
            "fehb",
        ),
        Case(
            "nsclc-dose-not-computable",
            fep_nsclc(order=sotorasib_order(dosage=[{"text": "take as directed"}])),
            {"decision": "needs-info", "criteria": {"PA.1.Quantity": "unknown", "Renewal.1.Quantity": "unknown"}},
            "fehb",
        ),
        Case(
            "nsclc-recurrence-only-asks",
            fep_nsclc(
                fx.condition(
                    "cond-recur",
                    fx.coding(fx.SNOMED, "314954002", "Local recurrence of malignant tumor of lung"),
                ),
                condition=fx.condition(
                    "cond-nsclc",
                    fx.coding(fx.SNOMED, "424132000", "Non-small cell carcinoma of lung, TNM stage 1"),
                ),
            ),
            {"decision": "needs-info", "criteria": {"PA.1": "unknown"}},
            "fehb",
        ),
        Case(
            "nsclc-genomics-bundle-nras-only",
            _genomics_order_record(fep_nsclc(kras=None)),
            {"decision": "needs-info", "criteria": {"PA.1.a": "unknown", "PA.1.Age": "unknown", "PA.1": "met"}},
            "fehb",
            real_files=[GENOMICS_BUNDLE],
        ),
        Case(
            "nsclc-synthea-stage-1-not-advanced",
            _synthea_order_record("fep-blue"),
            {"decision": "not-met", "criteria": {"PA.1": "not-met", "PA.1.b": "met", "PA.2": "not-met"}},
            "fehb",
            real_files=[SYNTHEA_NSCLC],
        ),
        Case(
            "nsclc-birth-date-missing",
            fep_nsclc(birth=None),
            {"decision": "needs-info", "criteria": {"PA.1.Age": "unknown"}},
            "fehb",
        ),
        Case(
            "mcrc-approved-with-panitumumab",
            crc(LIVER_METS),
            {
                "decision": "approved",
                "path": "PA.2",
                "expiry": "2027-11-23",
                "criteria": {**pa2, "PA.1": "not-met"},
            },
            "fehb",
        ),
        Case(
            "mcrc-needs-info-no-panitumumab",
            crc(partner=None),
            {"decision": "needs-info", "path": "PA.2", "criteria": {"PA.2.c": "unknown"}},
            "fehb",
        ),
        Case(
            "mcrc-needs-info-irinotecan-not-on-record",
            crc(chemo=FOLFOX_FOLFIRI[:2]),
            {"decision": "needs-info", "criteria": {"PA.2.b": "unknown"}},
            "fehb",
        ),
        Case(
            "mcrc-needs-info-no-monitoring",
            crc(monitoring=[]),
            {"decision": "needs-info", "criteria": {"PA.2.All.1": "unknown"}},
            "fehb",
        ),
        Case(
            "mcrc-stage-ii-not-metastatic",
            crc(
                condition=fx.condition(
                    "cond-crc",
                    fx.coding(fx.ICD10CM, "C18.7", "Malignant neoplasm of sigmoid colon"),
                    stage=("http://cancerstaging.org", "2A", "IIA"),
                )
            ),
            {"decision": "not-met", "criteria": {"PA.2": "not-met"}},
            "fehb",
        ),
        Case(
            "mcrc-kras-g13d",
            crc(
                kras=fx.kras_single_test(
                    "obs-kras",
                    "85509-8",
                    "KRAS gene mutations found in Colorectal cancer specimen",
                    valueString="KRAS p.G13D detected",
                )
            ),
            {"decision": "not-met", "criteria": {"PA.2.a": "not-met", "PA.1.a": "not-met"}},
            "fehb",
        ),
        Case(
            "mcrc-extent-not-documented",
            crc(
                condition=fx.condition(
                    "cond-crc", fx.coding(fx.ICD10CM, "C18.7", "Malignant neoplasm of sigmoid colon")
                )
            ),
            {"decision": "needs-info", "path": "PA.2", "criteria": {"PA.2": "unknown"}},
            "fehb",
        ),
        Case(
            "pancreatic-is-investigational",
            record("fep-blue", PANCREATIC, KRAS_G12C_TEXT, HEPATIC_PANEL_ORDER, sotorasib_order()),
            {"decision": "not-met", "criteria": {"PA.1": "not-met", "PA.2": "not-met"}},
            "fehb",
        ),
        Case(
            "renewal-approved-stable-disease",
            fep_nsclc(ACTIVE_SOTORASIB, STABLE, kras=None),
            {
                "decision": "approved",
                "path": "Renewal.1",
                "expiry": "2027-11-23",
                "criteria": {
                    "Renewal.1.Current": "met",
                    "Renewal.1.All.1": "met",
                    "Renewal.1.All.2": "met",
                    "PA.1.a": "unknown",
                },
            },
            "fehb",
        ),
        Case(
            "renewal-needs-info-no-response-assessment",
            fep_nsclc(ACTIVE_SOTORASIB, kras=None, prior=None),
            {
                "decision": "needs-info",
                "path": "Renewal.1",
                "criteria": {
                    "Renewal.1.Current": "met",
                    "Renewal.1.All.1": "unknown",
                    "PA.1.a": "unknown",
                    "PA.1.b": "unknown",
                },
            },
            "fehb",
        ),
        Case(
            "renewal-mcrc-approved-stable",
            crc(ACTIVE_SOTORASIB, STABLE, LIVER_METS, kras=None),
            {
                "decision": "approved",
                "path": "Renewal.2",
                "expiry": "2027-11-23",
                "criteria": {
                    "Renewal.2.Current": "met",
                    "Renewal.2": "met",
                    "Renewal.2.All.1": "met",
                    "Renewal.2.All.2": "met",
                    "PA.2.a": "unknown",
                },
            },
            "fehb",
        ),
        Case(
            "renewal-mcrc-needs-info-no-response-assessment",
            crc(ACTIVE_SOTORASIB, LIVER_METS, kras=None, partner=None),
            {
                "decision": "needs-info",
                "path": "Renewal.2",
                "criteria": {"Renewal.2.All.1": "unknown", "PA.2.a": "unknown", "PA.2.c": "unknown"},
            },
            "fehb",
        ),
        Case(
            "renewal-not-tolerated",
            fep_nsclc(
                fx.medication_statement(
                    "ms-sotorasib-stopped",
                    LUMAKRAS_320,
                    status="stopped",
                    start="2026-06-01",
                    end="2026-08-01",
                    statusReason=[fx.concept(fx.coding(fx.SNOMED, "407563006", "Treatment not tolerated"))],
                ),
                ACTIVE_SOTORASIB,
                STABLE,
                kras=None,
            ),
            {"decision": "needs-info", "criteria": {"Renewal.1.All.1": "not-met"}},
            "fehb",
        ),
        Case(
            "renewal-mcrc-progressed",
            crc(ACTIVE_SOTORASIB, WORSENED, LIVER_METS, kras=None),
            {"decision": "needs-info", "path": "PA.2", "criteria": {"Renewal.2.All.1": "not-met"}},
            "fehb",
        ),
    ]


def write(policy_dir: Path, cases: list[Case]) -> None:
    data_dir = policy_dir / "tests" / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    entries = []
    for case in cases:
        files: list[str] = []
        if case.resources is not None:
            name = f"{case.note}.json"
            resources = [fx.with_line_of_business(r, case.line_of_business) for r in case.resources]
            (data_dir / name).write_text(json.dumps(fx.bundle(resources), indent=1) + "\n")
            files.append(f"data/{name}")
        for real in case.real_files:
            shutil.copyfile(SHARED_EXAMPLES / real, data_dir / real)
            files.append(f"data/{real}")
        entries.append(
            {
                "note": case.note,
                "data": files[0] if len(files) == 1 else files,
                "order": ORDER,
                "now": case.now,
                "line_of_business": case.line_of_business,
                "expect": case.expect,
            }
        )
    header = (
        "# Generated by policies/_shared/testdata/build_sotorasib_cases.py; edit the scenario there.\n"
        "# Each case: the record (data; several files are merged), the order under decision, and the\n"
        "# decision and criterion statuses the policy document implies.\n"
    )
    text = yaml.safe_dump({"cases": entries}, sort_keys=False, width=110, allow_unicode=True)
    (policy_dir / "tests" / "cases.yaml").write_text(header + text)
    print(f"{policy_dir.relative_to(REPO)}: {len(entries)} cases")


def main() -> None:
    write(CENTENE, centene_cases())
    write(FEP, fep_cases())


if __name__ == "__main__":
    main()
