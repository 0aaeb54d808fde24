"""The samples sample_bundles/ holds: for each, the policy test case it is built from, the payer and line of
business it shows, and the answer it must get. build_samples.py turns each into a hook request and a record."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OrderSwap:
    """Replace the case's order by another drug (a drug no policy governs shows the payer default)."""

    order_id: str
    code: str
    display: str
    dose_mg: float
    per_day: int


@dataclass(frozen=True)
class Sample:
    name: str
    description: str
    policy: str  # policy folder under policies/
    case: str  # note of the case in its tests/cases.yaml
    payer: str
    line: str
    decision: str  # approved | needs-info | not-met | no-policy
    sandbox_shape: bool = False
    swap: OrderSwap | None = None
    formulary_exception: str | None = None  # the policy a not-met non-formulary product is sent to


EVEROLIMUS = "centene/CP.PHAR.63"
SOTORASIB = "centene/CP.PHAR.549"
FEP_LUMAKRAS = "fep-blue/5.21.177"

SAMPLES: tuple[Sample, ...] = (
    Sample(
        "centene-sotorasib-nsclc-approved",
        "Sotorasib for stage IV KRAS G12C-mutated NSCLC after platinum chemotherapy, prescribed by an "
        "oncologist at 960 mg/day; Medicaid: approved for 6 months.",
        SOTORASIB,
        "nsclc-approved-stage-iv-variant-g12c",
        "centene",
        "medicaid",
        "approved",
    ),
    Sample(
        "centene-sotorasib-nsclc-commercial-approved",
        "The same NSCLC story on a Commercial plan: approved for the shorter of 12 months and the duration "
        "of the request.",
        SOTORASIB,
        "nsclc-approved-commercial-capped-by-request",
        "centene",
        "commercial",
        "approved",
    ),
    Sample(
        "centene-sotorasib-kras-g12d-not-met",
        "Sotorasib for NSCLC whose KRAS variant is G12D, not G12C: not covered (other uses go to CP.PMN.53).",
        SOTORASIB,
        "nsclc-kras-g12d-not-g12c",
        "centene",
        "medicaid",
        "not-met",
    ),
    Sample(
        "centene-sotorasib-nsclc-no-kras-result-needs-info",
        "Sotorasib for advanced NSCLC with no KRAS result on file: prior authorization needs the KRAS G12C "
        "test result (and a KRAS test order is suggested).",
        SOTORASIB,
        "nsclc-needs-info-no-kras-result",
        "centene",
        "medicaid",
        "needs-info",
    ),
    Sample(
        "fep-lumakras-nsclc-approved",
        "FEP Blue: Lumakras for KRAS G12C NSCLC after systemic therapy, with hepatic monitoring ordered; "
        "approved for 12 months.",
        FEP_LUMAKRAS,
        "nsclc-approved",
        "fep-blue",
        "fehb",
        "approved",
    ),
    Sample(
        "fep-lumakras-mcrc-with-panitumumab-approved",
        "FEP Blue: Lumakras with panitumumab for KRAS G12C metastatic colorectal cancer after "
        "fluoropyrimidine, oxaliplatin and irinotecan; approved.",
        FEP_LUMAKRAS,
        "mcrc-approved-with-panitumumab",
        "fep-blue",
        "fehb",
        "approved",
    ),
    Sample(
        "fep-lumakras-mcrc-needs-panitumumab",
        "FEP Blue: Lumakras for KRAS G12C metastatic colorectal cancer without panitumumab: prior "
        "authorization needs the combination (an Additional Orders suggestion adds it).",
        FEP_LUMAKRAS,
        "mcrc-needs-info-no-panitumumab",
        "fep-blue",
        "fehb",
        "needs-info",
    ),
    Sample(
        "centene-everolimus-tsc-seizures-approved",
        "Everolimus (Disperz) for TSC-associated partial-onset seizures, adjunctive to an antiseizure drug; "
        "Medicaid: approved for 6 months.",
        EVEROLIMUS,
        "tsc-seizures-disperz-by-reference-approved",
        "centene",
        "medicaid",
        "approved",
    ),
    Sample(
        "centene-everolimus-tsc-seizures-age-1-not-met",
        "Everolimus for TSC seizures in a 1-year-old: the policy requires age 2 or older, so not covered.",
        EVEROLIMUS,
        "tsc-seizures-age-1-not-met",
        "centene",
        "medicaid",
        "not-met",
    ),
    Sample(
        "centene-everolimus-tsc-seizures-no-adjunct-needs-info",
        "Everolimus for TSC seizures with no antiseizure drug on file: prior authorization needs the "
        "adjunctive therapy documented.",
        EVEROLIMUS,
        "tsc-seizures-no-adjunct-needs-info",
        "centene",
        "medicaid",
        "needs-info",
    ),
    Sample(
        "centene-everolimus-breast-commercial-approved",
        "Everolimus with exemestane for HR+/HER2- advanced breast cancer, Commercial line of business: "
        "approved for 12 months.",
        EVEROLIMUS,
        "breast-disperz-20mg-4-tablets-approved",
        "centene",
        "commercial",
        "approved",
    ),
    Sample(
        "centene-everolimus-breast-her2-positive-not-met",
        "Everolimus for HER2-positive breast cancer: the policy covers HER2-negative disease only; other "
        "uses are routed to CP.PMN.53 (Medicaid).",
        EVEROLIMUS,
        "breast-her2-positive-not-met",
        "centene",
        "medicaid",
        "not-met",
    ),
    Sample(
        "centene-everolimus-net-pancreatic-marketplace-approved",
        "Everolimus for metastatic pancreatic neuroendocrine tumour, Ambetter (Marketplace) plan: approved "
        "for 6 months.",
        EVEROLIMUS,
        "net-pancreatic-metastatic-approved",
        "centene",
        "marketplace",
        "approved",
    ),
    Sample(
        "centene-everolimus-disperz-marketplace-formulary-exception",
        "The TSC seizures story on an Ambetter (Marketplace) plan: every criterion is met, but Afinitor Disperz "
        "is non-formulary there, so it is not covered and the prescriber is sent to the formulary exception "
        "policy HIM.PA.103.",
        EVEROLIMUS,
        "tsc-seizures-disperz-marketplace-formulary-exception",
        "centene",
        "marketplace",
        "not-met",
        formulary_exception="HIM.PA.103",
    ),
    Sample(
        "centene-amlodipine-no-policy-covered",
        "Amlodipine has no Centene drug policy here: the payer default applies (covered, no prior "
        "authorization), and no card is returned.",
        EVEROLIMUS,
        "tsc-seizures-disperz-by-reference-approved",
        "centene",
        "commercial",
        "no-policy",
        swap=OrderSwap("mr-amlodipine", "197361", "amlodipine 5 MG Oral Tablet", 5, 1),
    ),
    Sample(
        "sandbox-centene-everolimus-tsc-seizures-approved",
        "The TSC seizures story shaped like the public CDS Hooks sandbox sends it: draftOrders without "
        "Bundle.type, MedicationRequest.category as an object and no intent.",
        EVEROLIMUS,
        "tsc-seizures-disperz-by-reference-approved",
        "centene",
        "medicaid",
        "approved",
        sandbox_shape=True,
    ),
)
