"""Centene CP.PHAR.549 scenarios for the regimen footnote (single agent, colorectal partner, KRAS G12C on
I.B) and for continued therapy read against the current course (issue 13 items 4-5)."""

from __future__ import annotations

import sotorasib_fixtures as fx
from centene_sotorasib_base import (
    ALL_I_A_MET,
    case,
    centene_nsclc,
)
from sotorasib_cases_model import (
    ACTIVE_SOTORASIB,
    COLON_STAGE_4,
    KRAS_G12C_TEXT,
    LUMAKRAS_320,
    PANCREATIC,
    STABLE,
    Case,
    current_sotorasib,
    record,
    sotorasib_order,
)

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


def regimen_cases() -> list[Case]:
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


def course_cases() -> list[Case]:
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
