"""FEP Blue 5.21.177 (Lumakras) scenarios: PA.1 NSCLC, PA.2 metastatic colorectal cancer, Renewal.1 / .2.

Every case is an FEHB member's record, decided on 2026-11-23. The NSCLC record is the shared stage IV NSCLC
with a KRAS G12C variant, prior pembrolizumab and a hepatic panel ordered; the mCRC record is stage IV sigmoid
colon cancer with a KRAS G12C result, FOLFOX/FOLFIRI on record, a panitumumab draft and liver tests ordered.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import sotorasib_fixtures as fx
from real_records import GENOMICS_BUNDLE, SYNTHEA_NSCLC, genomics_order_record, synthea_order_record
from sotorasib_cases_model import (
    ACTIVE_SOTORASIB,
    COLON_STAGE_4,
    KRAS_COLORECTAL_MUTATIONS,
    KRAS_G12C_TEXT,
    KRAS_MUTATIONS_FOUND,
    KRAS_TEXT_DEFECTS,
    LUMAKRAS_240,
    LUMAKRAS_320,
    PANCREATIC,
    STABLE,
    WORSENED,
    Case,
    colon_cancer,
    kras_history_cases,
    kras_lab_result,
    nsclc,
    record,
    sotorasib_order,
)
from sotorasib_cases_model import case as any_case

case = partial(any_case, line_of_business="fehb")
HEPATIC_PANEL_ORDER = fx.service_request("sr-hepatic", "24325-3", "Hepatic function 2000 panel - Serum or Plasma")
PEMBROLIZUMAB_GIVEN = fx.medication_administration("ma-pembro", fx.drug("1547545", "pembrolizumab"))
LIVER_METS = fx.condition(
    "cond-liver-mets",
    fx.coding(fx.ICD10CM, "C78.7", "Secondary malignant neoplasm of liver and intrahepatic bile duct"),
)
FOLFOX_FOLFIRI = [
    fx.medication_statement("ms-5fu", fx.drug("4492", "fluorouracil")),
    fx.medication_statement("ms-oxali", fx.drug(None, "Oxaliplatin 5 MG/ML Injectable Solution")),
    fx.medication_administration("ma-iri", fx.drug("1726319", "2 ML irinotecan hydrochloride 20 MG/ML Injection")),
]
PANITUMUMAB_DRAFT = fx.medication_request("mr-panitumumab", fx.drug("1657704", "Panitumumab Injection [Vectibix]"))
KRAS_CRC_TEXT = kras_lab_result(KRAS_COLORECTAL_MUTATIONS, fx.concept(text="KRAS G12C (c.34G>T) detected"))
LIVER_TEST_ORDERS = [
    fx.service_request("sr-alt", "1742-6", "Alanine aminotransferase"),
    fx.service_request("sr-ast", "1920-8", "Aspartate aminotransferase"),
    fx.service_request("sr-alp", "6768-6", "Alkaline phosphatase"),
    fx.service_request("sr-bili", "1975-2", "Bilirubin.total"),
]


def all_prior_approval_met(path: str) -> dict[str, str]:
    """Every criterion of an initial-approval path (PA.1 or PA.2) met, in the document's order."""
    return {f"{path}{item}": "met" for item in (".Age", "", ".a", ".b", ".c", ".All.1", ".Quantity")}


def crc(
    *extra: fx.Resource,
    condition: fx.Resource | None = COLON_STAGE_4,
    kras: fx.Resource | None = KRAS_CRC_TEXT,
    chemo: list[fx.Resource] = FOLFOX_FOLFIRI,
    partner: fx.Resource | None = PANITUMUMAB_DRAFT,
    monitoring: list[fx.Resource] = LIVER_TEST_ORDERS,
) -> list[fx.Resource]:
    parts = [r for r in (condition, kras, partner) if r is not None]
    return record("fep-blue", *parts, *chemo, *monitoring, *extra, sotorasib_order())


def fep_nsclc(*extra: fx.Resource, **kwargs: Any) -> list[fx.Resource]:
    kwargs.setdefault("prior", PEMBROLIZUMAB_GIVEN)
    return nsclc("fep-blue", HEPATIC_PANEL_ORDER, *extra, **kwargs)


def fep_cases() -> list[Case]:
    return [
        *_nsclc_cases(),
        *_kras_text_cases(),
        *_mcrc_cases(),
        *_renewal_cases(),
        *_regimen_cases(),
        *_course_cases(),
        *_medication_history_cases(),
    ]


# Issue #13 (items 1-3, 9): PA.1.a read from free-text KRAS results, and one reading of the latest result.
def _kras_text_cases() -> list[Case]:
    return [
        *(
            case(f"nsclc-kras-text-{name}", fep_nsclc(kras=kras_lab_result(KRAS_MUTATIONS_FOUND, text)), decision,
                 {"PA.1.a": status})
            for name, text, decision, status in KRAS_TEXT_DEFECTS
        ),
        *kras_history_cases(case, fep_nsclc, "nsclc", "PA.1.a"),
    ]  # fmt: skip


# ---- medication history: administrations, dispenses, systemic products only, availability (PriorTherapy.cql) ----


def _medication_history_cases() -> list[Case]:
    topical_fluorouracil = fx.medication_statement(
        "ms-5fu-cream", fx.drug("105583", "Fluorouracil 50 MG/ML Topical Cream"), status="active"
    )
    given_in_clinic_and_filled = [
        fx.medication_administration("ma-5fu", fx.drug("1791701", "10 ML fluorouracil 50 MG/ML Injection")),
        fx.medication_dispense("md-capecitabine", fx.drug("200328", "Capecitabine 500 MG Oral Tablet")),
        fx.medication_administration("ma-oxali", fx.drug("1736776", "10 ML oxaliplatin 5 MG/ML Injection")),
        fx.medication_administration("ma-iri", fx.drug("1726319", "2 ML irinotecan hydrochloride 20 MG/ML Injection")),
    ]
    panitumumab_by_ndc = fx.medication_request(
        "mr-panitumumab", fx.concept(fx.coding("http://hl7.org/fhir/sid/ndc", "55513-0954-01"))
    )
    unavailable = case(
        "nsclc-medication-history-unavailable-single-agent-unknown",
        fep_nsclc(),
        "needs-info",
        {"PA.1.c": "unknown", "PA.1.b": "met"},
    )
    unavailable.medication_history_available = False
    return [
        case(
            "mcrc-topical-fluorouracil-is-not-chemotherapy",
            crc(chemo=[topical_fluorouracil, *FOLFOX_FOLFIRI[1:]]),
            "needs-info",
            {"PA.2.b": "unknown"},
        ),
        case(
            "mcrc-chemotherapy-as-administrations-and-dispenses",
            crc(chemo=given_in_clinic_and_filled),
            "approved",
            {"PA.2.b": "met"},
            path="PA.2",
        ),
        case(
            "mcrc-panitumumab-draft-coded-by-ndc-only",
            crc(partner=panitumumab_by_ndc),
            "approved",
            {"PA.2.c": "met"},
            path="PA.2",
        ),
        unavailable,
    ]


def _nsclc_cases() -> list[Case]:
    return [
        case(
            "nsclc-approved",
            fep_nsclc(),
            "approved",
            {
                **all_prior_approval_met("PA.1"),
                "PA.2": "not-met",
                "Renewal.1.Current": "not-met",
                "Renewal.1": "met",
                "Renewal.1.Quantity": "met",
            },
            path="PA.1",
            expiry="2027-11-23",
        ),
        case(
            "nsclc-needs-info-no-monitoring-order",
            nsclc("fep-blue", prior=PEMBROLIZUMAB_GIVEN),
            "needs-info",
            {"PA.1.All.1": "unknown"},
            path="PA.1",
        ),
        case(
            "nsclc-combination-with-carboplatin-draft",
            fep_nsclc(
                fx.medication_request("mr-carbo-draft", fx.drug("597195", "CARBOplatin 10 MG/ML Injectable Solution"))
            ),
            "not-met",
            {"PA.1.c": "not-met"},
        ),
        case(
            "nsclc-active-immunotherapy-order-asks",
            fep_nsclc(
                fx.medication_request(
                    "mr-pembro-active", fx.drug("1547545", "pembrolizumab"), status="active", authored="2026-05-01"
                )
            ),
            "needs-info",
            {"PA.1.c": "unknown"},
        ),
        case(
            "nsclc-dose-1200-exceeds-quantity-limit",
            fep_nsclc(order=sotorasib_order(medication=LUMAKRAS_240, dosage=fx.daily(fx.tablets(5)))),
            "not-met",
            {"PA.1.Quantity": "not-met"},
        ),
        case(
            "nsclc-dose-not-computable",
            fep_nsclc(order=sotorasib_order(dosage=[{"text": "take as directed"}])),
            "needs-info",
            {"PA.1.Quantity": "unknown", "Renewal.1.Quantity": "unknown"},
        ),
        case(
            "nsclc-recurrence-only-asks",
            fep_nsclc(
                fx.condition(
                    "cond-recur", fx.coding(fx.SNOMED, "314954002", "Local recurrence of malignant tumor of lung")
                ),
                condition=fx.condition(
                    "cond-nsclc", fx.coding(fx.SNOMED, "424132000", "Non-small cell carcinoma of lung, TNM stage 1")
                ),
            ),
            "needs-info",
            {"PA.1": "unknown"},
        ),
        case(
            "nsclc-genomics-bundle-nras-only",
            genomics_order_record(fep_nsclc(kras=None)),
            "needs-info",
            {"PA.1.a": "unknown", "PA.1.Age": "unknown", "PA.1": "met"},
            real_files=[GENOMICS_BUNDLE],
        ),
        case(
            "nsclc-synthea-stage-1-not-advanced",
            synthea_order_record("fep-blue"),
            "not-met",
            {"PA.1": "not-met", "PA.1.b": "met", "PA.2": "not-met"},
            real_files=[SYNTHEA_NSCLC],
        ),
        case("nsclc-birth-date-missing", fep_nsclc(birth=None), "needs-info", {"PA.1.Age": "unknown"}),
    ]


def _mcrc_cases() -> list[Case]:
    return [
        case(
            "mcrc-approved-with-panitumumab",
            crc(LIVER_METS),
            "approved",
            {**all_prior_approval_met("PA.2"), "PA.1": "not-met"},
            path="PA.2",
            expiry="2027-11-23",
        ),
        case("mcrc-needs-info-no-panitumumab", crc(partner=None), "needs-info", {"PA.2.c": "unknown"}, path="PA.2"),
        case(
            "mcrc-needs-info-irinotecan-not-on-record",
            crc(chemo=FOLFOX_FOLFIRI[:2]),
            "needs-info",
            {"PA.2.b": "unknown"},
        ),
        case("mcrc-needs-info-no-monitoring", crc(monitoring=[]), "needs-info", {"PA.2.All.1": "unknown"}),
        case(
            "mcrc-stage-ii-not-metastatic", crc(condition=colon_cancer(("2A", "IIA"))), "not-met", {"PA.2": "not-met"}
        ),
        case(
            "mcrc-kras-g13d",
            crc(kras=kras_lab_result(KRAS_COLORECTAL_MUTATIONS, "KRAS p.G13D detected")),
            "not-met",
            {"PA.2.a": "not-met", "PA.1.a": "not-met"},
        ),
        case(
            "mcrc-extent-not-documented",
            crc(condition=colon_cancer(stage=None)),
            "needs-info",
            {"PA.2": "unknown"},
            path="PA.2",
        ),
        case(
            "pancreatic-is-investigational",
            record("fep-blue", PANCREATIC, KRAS_G12C_TEXT, HEPATIC_PANEL_ORDER, sotorasib_order()),
            "not-met",
            {"PA.1": "not-met", "PA.2": "not-met"},
        ),
    ]


def _renewal_cases() -> list[Case]:
    """Renewal needs no KRAS result, so these records have none."""
    return [
        case(
            "renewal-approved-stable-disease",
            fep_nsclc(ACTIVE_SOTORASIB, STABLE, kras=None),
            "approved",
            {"Renewal.1.Current": "met", "Renewal.1.All.1": "met", "Renewal.1.All.2": "met", "PA.1.a": "unknown"},
            path="Renewal.1",
            expiry="2027-11-23",
        ),
        case(
            "renewal-needs-info-no-response-assessment",
            fep_nsclc(ACTIVE_SOTORASIB, kras=None, prior=None),
            "needs-info",
            {"Renewal.1.Current": "met", "Renewal.1.All.1": "unknown", "PA.1.a": "unknown", "PA.1.b": "unknown"},
            path="Renewal.1",
        ),
        case(
            "renewal-mcrc-approved-stable",
            crc(ACTIVE_SOTORASIB, STABLE, LIVER_METS, kras=None),
            "approved",
            {
                "Renewal.2.Current": "met",
                "Renewal.2": "met",
                "Renewal.2.All.1": "met",
                "Renewal.2.All.2": "met",
                "PA.2.a": "unknown",
            },
            path="Renewal.2",
            expiry="2027-11-23",
        ),
        case(
            "renewal-mcrc-needs-info-no-response-assessment",
            crc(ACTIVE_SOTORASIB, LIVER_METS, kras=None, partner=None),
            "needs-info",
            {"Renewal.2.All.1": "unknown", "PA.2.a": "unknown", "PA.2.c": "unknown"},
            path="Renewal.2",
        ),
        case(
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
            "not-met",
            {"Renewal.1.All.1": "not-met"},
            path="Renewal.1",
        ),
        case(
            "renewal-mcrc-progressed",
            crc(ACTIVE_SOTORASIB, WORSENED, LIVER_METS, kras=None),
            "not-met",
            {"Renewal.2.All.1": "not-met"},
            path="Renewal.2",
        ),
    ]


# ---- regimen: PA.1.c single agent, PA.2.c with Vectibix ------------------------------------------------------------


def _regimen_cases() -> list[Case]:
    cetuximab_draft = fx.medication_request("mr-cetuximab", fx.drug("544717", "Cetuximab 2 MG/ML [Erbitux]"))
    return [
        # NCCN accepts cetuximab as the partner (Centene approves it); this policy names only Vectibix.
        case(
            "mcrc-cetuximab-instead-of-panitumumab-not-met",
            crc(cetuximab_draft, partner=None),
            "not-met",
            {"PA.2.c": "not-met", "PA.2.a": "met", "PA.2.b": "met"},
            path="PA.2",
        ),
        case(
            "nsclc-with-pembrolizumab-draft-not-single-agent",
            fep_nsclc(fx.medication_request("mr-pembro", fx.drug("1547545", "pembrolizumab"))),
            "not-met",
            {"PA.1.c": "not-met", "PA.1.a": "met"},
            path="PA.1",
        ),
    ]


# ---- renewal read against the current course (ACTIVE_SOTORASIB started 2026-08-01) --------------------------------


def _course_cases() -> list[Case]:
    stable_before_start = fx.disease_status(
        "obs-status", ("359746009", "Patient's condition stable (finding)"), "2026-07-01"
    )
    progressed_on_prior_therapy = fx.disease_status(
        "obs-status-prior", ("271299001", "Patient's condition worsened (finding)"), "2026-07-20"
    )
    return [
        case(
            "renewal-stable-before-course-start-asks",
            fep_nsclc(ACTIVE_SOTORASIB, stable_before_start, kras=None),
            "needs-info",
            {"Renewal.1.Current": "met", "Renewal.1.All.1": "unknown"},
            path="Renewal.1",
        ),
        case(
            "renewal-progression-before-course-start-is-not-on-lumakras",
            fep_nsclc(ACTIVE_SOTORASIB, progressed_on_prior_therapy, STABLE, kras=None),
            "approved",
            {"Renewal.1.All.1": "met"},
            path="Renewal.1",
            expiry="2027-11-23",
        ),
        case(
            "renewal-also-meeting-pa-1-renews",
            fep_nsclc(ACTIVE_SOTORASIB, STABLE),
            "approved",
            {**all_prior_approval_met("PA.1"), "Renewal.1.Current": "met", "Renewal.1.All.1": "met"},
            path="Renewal.1",
            expiry="2027-11-23",
        ),
    ]
