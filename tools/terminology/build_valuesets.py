"""Build the sotorasib value sets (FHIR R4 ValueSet JSON with expansions) from reviewed code tables.

Run from the repository root:  .venv/bin/python tools/terminology/build_valuesets.py [--rxnorm PATH]

The code tables below are transcribed from ../shared/reference/terminology.md (section numbers in each entry).
Medication value sets list the ingredient code AND every product code of that ingredient found in the RxNorm
subset file (read here, at build time only; the product reads the JSON this script writes). Output is
deterministic so a re-run only shows real changes in git.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from pathlib import Path

BASE = "https://coverage-hooks.example.org/fhir/ValueSet/"
EXPANSION_TIMESTAMP = "2026-11-23T00:00:00Z"  # fixed so output is reproducible

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
NUCC = "http://nucc.org/provider-taxonomy"
AJCC = "http://cancerstaging.org"
GR_TBD = "http://hl7.org/fhir/uv/genomics-reporting/CodeSystem/tbd-codes-cs"
GR_TBD_STU1 = "http://hl7.org/fhir/uv/genomics-reporting/CodeSystem/tbd-codes"

REPO = Path(__file__).resolve().parents[2]
SHARED_OUT = REPO / "policies" / "_shared" / "valuesets"
CENTENE_549_OUT = REPO / "policies" / "centene" / "CP.PHAR.549" / "valuesets"
DEFAULT_RXNORM = REPO.parent / "shared" / "terminology" / "rxnorm-subset_mcode-ctm-app_medications.json"

Concept = tuple[str, str, str]  # system, code, display


@dataclass
class ValueSetSpec:
    vs_id: str
    title: str
    description: str
    concepts: list[Concept] = field(default_factory=list)
    out_dir: Path = SHARED_OUT


def icd(codes: str) -> list[Concept]:
    """'C34.00 Malignant neoplasm ...|C34.01 ...' -> ICD-10-CM concepts."""
    out: list[Concept] = []
    for item in codes.strip().split("|"):
        code, _, display = item.strip().partition(" ")
        out.append((ICD10CM, code, display))
    return out


def sct(rows: list[tuple[str, str]]) -> list[Concept]:
    return [(SNOMED, code, display) for code, display in rows]


# ---- §2.1 NSCLC --------------------------------------------------------------------------------------------
LUNG_ICD = icd(
    "C34 Malignant neoplasm of bronchus and lung|C34.0 Malignant neoplasm of main bronchus|"
    "C34.00 Malignant neoplasm of unspecified main bronchus|C34.01 Malignant neoplasm of right main bronchus|"
    "C34.02 Malignant neoplasm of left main bronchus|C34.1 Malignant neoplasm of upper lobe, bronchus "
    "or lung|"
    "C34.10 Malignant neoplasm of upper lobe, unspecified bronchus or lung|"
    "C34.11 Malignant neoplasm of upper lobe, right bronchus or lung|"
    "C34.12 Malignant neoplasm of upper lobe, left bronchus or lung|"
    "C34.2 Malignant neoplasm of middle lobe, bronchus or lung|C34.3 Malignant neoplasm of lower lobe, "
    "bronchus or lung|"
    "C34.30 Malignant neoplasm of lower lobe, unspecified bronchus or lung|"
    "C34.31 Malignant neoplasm of lower lobe, right bronchus or lung|"
    "C34.32 Malignant neoplasm of lower lobe, left bronchus or lung|"
    "C34.8 Malignant neoplasm of overlapping sites of bronchus and lung|"
    "C34.80 Malignant neoplasm of overlapping sites of unspecified bronchus and lung|"
    "C34.81 Malignant neoplasm of overlapping sites of right bronchus and lung|"
    "C34.82 Malignant neoplasm of overlapping sites of left bronchus and lung|"
    "C34.9 Malignant neoplasm of unspecified part of bronchus or lung|"
    "C34.90 Malignant neoplasm of unspecified part of unspecified bronchus or lung|"
    "C34.91 Malignant neoplasm of unspecified part of right bronchus or lung|"
    "C34.92 Malignant neoplasm of unspecified part of left bronchus or lung"
)
LUNG_UNSPECIFIED_SCT = sct(
    [
        ("93880001", "Primary malignant neoplasm of lung (disorder)"),
        ("363358000", "Malignant tumor of lung (disorder)"),
    ]
)
NSCLC_STAGE_3_4_SCT = sct(
    [
        ("422968005", "Non-small cell carcinoma of lung, TNM stage 3 (disorder)"),
        ("423121009", "Non-small cell carcinoma of lung, TNM stage 4 (disorder)"),
        ("425230006", "Squamous cell carcinoma of lung, TNM stage 3 (disorder)"),
        ("425376008", "Squamous cell carcinoma of lung, TNM stage 4 (disorder)"),
        ("424970000", "Large cell carcinoma of lung, TNM stage 3 (disorder)"),
        ("423600008", "Large cell carcinoma of lung, TNM stage 4 (disorder)"),
    ]
)
NSCLC_STAGE_1_2_SCT = sct(
    [
        ("424132000", "Non-small cell carcinoma of lung, TNM stage 1 (disorder)"),
        ("425048006", "Non-small cell carcinoma of lung, TNM stage 2 (disorder)"),
        ("423295000", "Squamous cell carcinoma of lung, TNM stage 1 (disorder)"),
        ("423468007", "Squamous cell carcinoma of lung, TNM stage 2 (disorder)"),
        ("424938000", "Large cell carcinoma of lung, TNM stage 1 (disorder)"),
        ("423050000", "Large cell carcinoma of lung, TNM stage 2 (disorder)"),
    ]
)
NSCLC_SCT = (
    sct(
        [
            ("254637007", "Non-small cell lung cancer (disorder)"),
            ("254626006", "Adenocarcinoma of lung (disorder)"),
            ("254634000", "Squamous cell carcinoma of lung (disorder)"),
            ("254629004", "Large cell carcinoma of lung (disorder)"),
            ("254631008", "Giant cell carcinoma of lung (disorder)"),
            ("440173001", "Nonsquamous nonsmall cell neoplasm of lung (disorder)"),
            (
                "426964009",
                "Non-small cell lung cancer positive for epidermal growth factor receptor expression "
                "(disorder)",
            ),
            (
                "427038005",
                "Non-small cell lung cancer negative for epidermal growth factor receptor expression "
                "(disorder)",
            ),
            (
                "703228009",
                "Non-small cell lung cancer with mutation in epidermal growth factor receptor gene"
                " (disorder)",
            ),
            (
                "703230006",
                "Non-small cell lung cancer without mutation in epidermal growth factor receptor gene "
                "(disorder)",
            ),
        ]
    )
    + NSCLC_STAGE_1_2_SCT
    + NSCLC_STAGE_3_4_SCT
)
SCLC_SCT = sct(
    [
        ("254632001", "Small cell carcinoma of lung (disorder)"),
        ("254633006", "Oat cell carcinoma of lung (disorder)"),
        ("67811000119102", "Primary small cell malignant neoplasm of lung, TNM stage 1 (disorder)"),
        ("67821000119109", "Primary small cell malignant neoplasm of lung, TNM stage 2 (disorder)"),
        ("67831000119107", "Primary small cell malignant neoplasm of lung, TNM stage 3 (disorder)"),
        ("67841000119103", "Primary small cell malignant neoplasm of lung, TNM stage 4 (disorder)"),
    ]
)

# ---- §2.2 stage, metastasis, recurrence --------------------------------------------------------------------
STAGE_GROUP_CODES: list[Concept] = [
    (LOINC, "21908-9", "Stage group.clinical Cancer"),
    (LOINC, "21902-2", "Stage group.pathology Cancer"),
    (LOINC, "21914-7", "Stage group.other Cancer"),
    (SNOMED, "399537006", "Clinical TNM stage grouping"),
    (SNOMED, "399588009", "Pathologic TNM stage grouping"),
    (SNOMED, "399390009", "TNM stage grouping"),
]
STAGE_3_VALUES: list[Concept] = [
    (AJCC, "3", "III"),
    (AJCC, "3A", "IIIA"),
    (AJCC, "3B", "IIIB"),
    (AJCC, "3C", "IIIC"),
    (SNOMED, "1222806003", "American Joint Committee on Cancer stage IIIC (qualifier value)"),
    (SNOMED, "258224005", "Stage 3 (qualifier value)"),
    (SNOMED, "261638004", "Stage 3A (qualifier value)"),
    (SNOMED, "261639007", "Stage 3B (qualifier value)"),
    (SNOMED, "261640009", "Stage 3C (qualifier value)"),
]
STAGE_4_VALUES: list[Concept] = [
    (AJCC, "4", "IV"),
    (AJCC, "4A", "IVA"),
    (AJCC, "4B", "IVB"),
    (AJCC, "4C", "IVC"),
    (SNOMED, "1222837003", "American Joint Committee on Cancer stage IV (qualifier value)"),
    (SNOMED, "258228008", "Stage 4 (qualifier value)"),
]
STAGE_EARLY_VALUES: list[Concept] = [
    (AJCC, "0", "0"),
    (AJCC, "1", "I"),
    (AJCC, "1A", "IA"),
    (AJCC, "1A1", "IA1"),
    (AJCC, "1A2", "IA2"),
    (AJCC, "1A3", "IA3"),
    (AJCC, "1B", "IB"),
    (AJCC, "2", "II"),
    (AJCC, "2A", "IIA"),
    (AJCC, "2B", "IIB"),
    (SNOMED, "1222769001", "American Joint Committee on Cancer stage IIB (qualifier value)"),
]
M_CATEGORY_CODES: list[Concept] = [
    (LOINC, "21907-1", "Distant metastases.clinical [Class] Cancer"),
    (LOINC, "21901-4", "Distant metastases.pathology [Class] Cancer"),
    (SNOMED, "399387003", "cM category"),
]
M1_VALUES: list[Concept] = [
    (SNOMED, "1229903009", "American Joint Committee on Cancer cM1 (qualifier value)"),
    (SNOMED, "1229916009", "American Joint Committee on Cancer pM1 (qualifier value)"),
]
M0_VALUES: list[Concept] = [
    (SNOMED, "1229901006", "American Joint Committee on Cancer cM0 (qualifier value)")
]
METASTASIS_ICD = icd(
    "C77.0 Secondary and unspecified malignant neoplasm of lymph nodes of head, face and neck|"
    "C77.1 Secondary and unspecified malignant neoplasm of intrathoracic lymph nodes|"
    "C77.2 Secondary and unspecified malignant neoplasm of intra-abdominal lymph nodes|"
    "C77.3 Secondary and unspecified malignant neoplasm of axilla and upper limb lymph nodes|"
    "C77.4 Secondary and unspecified malignant neoplasm of inguinal and lower limb lymph nodes|"
    "C77.5 Secondary and unspecified malignant neoplasm of intrapelvic lymph nodes|"
    "C77.8 Secondary and unspecified malignant neoplasm of lymph nodes of multiple regions|"
    "C77.9 Secondary and unspecified malignant neoplasm of lymph node, unspecified|"
    "C78.00 Secondary malignant neoplasm of unspecified lung|C78.01 Secondary malignant neoplasm of "
    "right lung|"
    "C78.02 Secondary malignant neoplasm of left lung|C78.1 Secondary malignant neoplasm of mediastinum|"
    "C78.2 Secondary malignant neoplasm of pleura|"
    "C78.5 Secondary malignant neoplasm of large intestine and rectum|"
    "C78.6 Secondary malignant neoplasm of retroperitoneum and peritoneum|"
    "C78.7 Secondary malignant neoplasm of liver and intrahepatic bile duct|"
    "C79.31 Secondary malignant neoplasm of brain|C79.32 Secondary malignant neoplasm of cerebral meninges|"
    "C79.51 Secondary malignant neoplasm of bone|C79.52 Secondary malignant neoplasm of bone marrow|"
    "C79.70 Secondary malignant neoplasm of unspecified adrenal gland|"
    "C79.71 Secondary malignant neoplasm of right adrenal gland|"
    "C79.72 Secondary malignant neoplasm of left adrenal gland|C79.81 Secondary malignant neoplasm of breast|"
    "C79.89 Secondary malignant neoplasm of other specified sites|"
    "C79.9 Secondary malignant neoplasm of unspecified site|"
    "C80.0 Disseminated malignant neoplasm, unspecified"
)
METASTASIS_SCT = sct(
    [
        ("128462008", "Secondary malignant neoplastic disease (disorder)"),
        ("94225005", "Secondary malignant neoplasm of brain (disorder)"),
        ("94381002", "Secondary malignant neoplasm of liver (disorder)"),
        ("94222008", "Secondary malignant neoplasm of bone (disorder)"),
        ("94391008", "Secondary malignant neoplasm of lung (disorder)"),
        ("94392001", "Secondary malignant neoplasm of lymph node (disorder)"),
        ("94181007", "Secondary malignant neoplasm of axillary lymph nodes (disorder)"),
        ("94253005", "Secondary malignant neoplasm of chest wall (disorder)"),
        ("94399005", "Secondary malignant neoplasm of main bronchus (disorder)"),
        ("94579000", "Secondary malignant neoplasm of skin (disorder)"),
        ("94606003", "Secondary malignant neoplasm of stomach (disorder)"),
    ]
)
LUNG_RECURRENCE_SCT = sct([("314954002", "Local recurrence of malignant tumor of lung (disorder)")])

# ---- §2.3 GI sites -----------------------------------------------------------------------------------------
COLON_ICD = icd(
    "C18.0 Malignant neoplasm of cecum|C18.2 Malignant neoplasm of ascending colon|"
    "C18.3 Malignant neoplasm of hepatic flexure|C18.4 Malignant neoplasm of transverse colon|"
    "C18.5 Malignant neoplasm of splenic flexure|C18.6 Malignant neoplasm of descending colon|"
    "C18.7 Malignant neoplasm of sigmoid colon|C18.8 Malignant neoplasm of overlapping sites of colon|"
    "C18.9 Malignant neoplasm of colon, unspecified"
)
COLON_SCT = sct(
    [
        ("363406005", "Malignant neoplasm of colon (disorder)"),
        ("269533000", "Carcinoma of colon (disorder)"),
        ("93761005", "Primary malignant neoplasm of colon (disorder)"),
        ("1701000119104", "Primary adenocarcinoma of colon (disorder)"),
        ("301756000", "Adenocarcinoma of sigmoid colon (disorder)"),
        ("781382000", "Malignant neoplasm of colon and/or rectum (disorder)"),
        ("737058005", "Microsatellite instability-high colorectal cancer (disorder)"),
    ]
)
RECTAL_ICD = icd("C19 Malignant neoplasm of rectosigmoid junction|C20 Malignant neoplasm of rectum")
RECTAL_SCT = sct(
    [
        ("269544008", "Carcinoma of the rectosigmoid junction (disorder)"),
        ("425178004", "Adenocarcinoma of rectosigmoid junction (disorder)"),
        ("363351006", "Malignant tumor of rectum (disorder)"),
        ("254582000", "Adenocarcinoma of rectum (disorder)"),
        ("93984006", "Primary malignant neoplasm of rectum (disorder)"),
    ]
)
APPENDIX_ICD = icd("C18.1 Malignant neoplasm of appendix")
PANCREAS_ICD = icd(
    "C25.0 Malignant neoplasm of head of pancreas|C25.1 Malignant neoplasm of body of pancreas|"
    "C25.2 Malignant neoplasm of tail of pancreas|C25.3 Malignant neoplasm of pancreatic duct|"
    "C25.7 Malignant neoplasm of other parts of pancreas|C25.8 Malignant neoplasm of overlapping sites "
    "of pancreas|"
    "C25.9 Malignant neoplasm of pancreas, unspecified"
)
PANCREAS_SCT = sct([("363418001", "Malignant tumor of pancreas (disorder)")])
AMPULLA_ICD = icd("C24.1 Malignant neoplasm of ampulla of Vater")
# SNOMED-only malignancies seen in real data (Synthea, CTM-app; §2.4) that are not sotorasib indications: they
# let a record "document a different cancer" even when no ICD-10-CM C-code is present.
OTHER_MALIGNANCY_SCT = sct(
    [
        ("254837009", "Malignant neoplasm of breast (disorder)"),
        ("408643008", "Infiltrating duct carcinoma of breast (disorder)"),
        ("372137005", "Primary malignant neoplasm of breast (disorder)"),
        ("278054005", "Lobular carcinoma of breast (disorder)"),
        ("372064008", "Malignant neoplasm of female breast (disorder)"),
    ]
)

# ---- §1 KRAS -----------------------------------------------------------------------------------------------
KRAS_SINGLE_TESTS: list[Concept] = [
    (
        LOINC,
        "21702-6",
        "KRAS gene mutations found [Identifier] in Blood or Tissue by Molecular genetics method Nominal",
    ),
    (
        LOINC,
        "75974-6",
        "KRAS gene targeted mutation analysis in Blood or Tissue by Molecular genetics method",
    ),
    (LOINC, "82535-6", "KRAS gene full mutation analysis in Blood or Tissue by Sequencing"),
    (
        LOINC,
        "85509-8",
        "KRAS gene mutations found [Identifier] in Colorectal cancer specimen by Molecular genetics "
        "method Nominal",
    ),
    (
        LOINC,
        "53620-1",
        "KRAS gene mutations found [Identifier] in Bone marrow by Molecular genetics method Nominal",
    ),
]
KRAS_NRAS_TESTS: list[Concept] = [
    (
        LOINC,
        "81420-2",
        "KRAS and NRAS gene mutations found [Identifier] in Blood or Tissue by Molecular genetics "
        "method Nominal",
    ),
]
VARIANT_ASSESSMENT: list[Concept] = [(LOINC, "69548-6", "Genetic variant assessment")]
MOLECULAR_CONSEQUENCE: list[Concept] = [
    (GR_TBD, "molecular-consequence", "Molecular Consequence"),
    (GR_TBD_STU1, "molecular-consequence", "Molecular Consequence"),
]
POSITIVE_RESULTS: list[Concept] = [
    (LOINC, "LA9633-4", "Present"),
    (LOINC, "LA6576-8", "Positive"),
    (SNOMED, "10828004", "Positive (qualifier value)"),
    (SNOMED, "260373001", "Detected (qualifier value)"),
]
NEGATIVE_RESULTS: list[Concept] = [
    (LOINC, "LA9634-2", "Absent"),
    (LOINC, "LA6577-6", "Negative"),
    (SNOMED, "260385009", "Negative (qualifier value)"),
    (SNOMED, "260415000", "Not detected (qualifier value)"),
]

DISEASE_STATUS: list[Concept] = [(LOINC, "97509-4", "Cancer Disease Progression")]

# ---- §4 prescriber -----------------------------------------------------------------------------------------
# Radiation oncology (2085R0001X, UNVERIFIED) and hematology without oncology (207RH0000X) are left out: such
# a prescriber then reads as "unknown" (may be consulting an oncologist), never as "not an oncologist".
ONCOLOGY_NUCC: list[Concept] = [
    (NUCC, "207RX0202X", "Internal Medicine, Medical Oncology"),
    (NUCC, "207RH0003X", "Internal Medicine, Hematology & Oncology"),
    (NUCC, "2080P0207X", "Pediatrics, Pediatric Hematology-Oncology"),
    (NUCC, "2086X0206X", "Surgery, Surgical Oncology"),
    (NUCC, "207VX0201X", "Obstetrics & Gynecology, Gynecologic Oncology"),
]

# ---- §7 hepatic monitoring ---------------------------------------------------------------------------------
HEPATIC_PANELS: list[Concept] = [
    (LOINC, "24325-3", "Hepatic function 2000 panel - Serum or Plasma"),
    (LOINC, "24323-8", "Comprehensive metabolic 2000 panel - Serum or Plasma"),
]
ALT = [(LOINC, "1742-6", "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma")]
AST = [(LOINC, "1920-8", "Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma")]
ALP = [(LOINC, "6768-6", "Alkaline phosphatase [Enzymatic activity/volume] in Serum or Plasma")]
BILIRUBIN = [(LOINC, "1975-2", "Bilirubin.total [Mass/volume] in Serum or Plasma")]

# ---- §3 medications ----------------------------------------------------------------------------------------
# (value set id, title, ingredient names matched in the subset's displays, extra codes not in the subset)
MEDICATION_GROUPS: list[tuple[str, str, list[str], list[Concept]]] = [
    (
        "platinum-chemotherapy",
        "Cisplatin or carboplatin products and ingredients",
        ["cisplatin", "carboplatin"],
        [
            (RXNORM, "2555", "cisplatin"),
            (RXNORM, "40048", "carboplatin"),
            (RXNORM, "1736854", "Cisplatin 50 MG Injection"),
            (RXNORM, "309311", "Cisplatin 1 MG/ML Injectable Solution"),
            (RXNORM, "1736853", "Cisplatin Injection"),
            (RXNORM, "1152129", "Cisplatin Injectable Product"),
            (RXNORM, "597195", "CARBOplatin 10 MG/ML Injectable Solution"),
            (RXNORM, "1156104", "CARBOplatin Injectable Product"),
        ],
    ),
    (
        "immune-checkpoint-inhibitors",
        "PD-1, PD-L1 and CTLA-4 antibodies (Centene CP.PHAR.549 Appendix B)",
        ["pembrolizumab", "nivolumab", "cemiplimab", "atezolizumab", "durvalumab", "ipilimumab"],
        [
            (RXNORM, "1547545", "pembrolizumab"),
            (RXNORM, "1597876", "nivolumab"),
            (RXNORM, "1792776", "atezolizumab"),
            (RXNORM, "1919503", "durvalumab"),
            (RXNORM, "2058826", "cemiplimab"),
            (RXNORM, "2058825", "cemiplimab-rwlc"),
            (RXNORM, "1094833", "ipilimumab"),
        ],
    ),
    (
        "nsclc-other-systemic-therapy",
        "Other NSCLC chemotherapy: pemetrexed, docetaxel, paclitaxel, gemcitabine",
        ["pemetrexed", "docetaxel", "paclitaxel", "gemcitabine"],
        [
            (RXNORM, "68446", "pemetrexed"),
            (RXNORM, "282443", "pemetrexed disodium"),
            (RXNORM, "72962", "docetaxel"),
            (RXNORM, "56946", "paclitaxel"),
            (RXNORM, "486610", "paclitaxel protein-bound"),
            (RXNORM, "583214", "PACLitaxel 100 MG Injection"),
            (RXNORM, "12574", "gemcitabine"),
            (RXNORM, "1156710", "gemcitabine Injectable Product"),
        ],
    ),
    (
        "fluoropyrimidines",
        "Fluorouracil or capecitabine products and ingredients",
        ["fluorouracil", "capecitabine"],
        [
            (RXNORM, "4492", "fluorouracil"),
            (RXNORM, "194000", "capecitabine"),
            (RXNORM, "1158877", "capecitabine Oral Product"),
        ],
    ),
    (
        "oxaliplatin",
        "Oxaliplatin products and ingredient",
        ["oxaliplatin"],
        [(RXNORM, "32592", "oxaliplatin")],
    ),
    (
        "irinotecan",
        "Irinotecan products and ingredients",
        ["irinotecan"],
        [
            (RXNORM, "51499", "irinotecan"),
            (RXNORM, "153329", "irinotecan hydrochloride"),
            (RXNORM, "1719768", "irinotecan liposomal"),
        ],
    ),
    (
        "panitumumab",
        "Panitumumab (Vectibix) products and ingredient",
        ["panitumumab"],
        [
            (RXNORM, "263034", "panitumumab"),
        ],
    ),
    (
        "crc-other-antineoplastics",
        "Other colorectal antineoplastics: cetuximab, bevacizumab, regorafenib",
        ["cetuximab", "bevacizumab", "regorafenib"],
        [
            (RXNORM, "318341", "cetuximab"),
            (RXNORM, "253337", "bevacizumab"),
            (RXNORM, "1312397", "regorafenib"),
        ],
    ),
    # terminology.md §8: adagrasib 2626149 is UNVERIFIED, so the CQL always pairs this set with name matching.
    (
        "adagrasib",
        "Adagrasib (Krazati); ingredient code UNVERIFIED",
        [],
        [
            (RXNORM, "2626149", "adagrasib"),
        ],
    ),
]

# §3.2: the six Lumakras RxCUIs are verified; strength/TTY pairing is inferred. 2550714 (IN) is UNVERIFIED.
# generic_available drives Centene I.A.7; today no generic sotorasib exists (no separate generic SPL).
SOTORASIB_PRODUCTS: list[dict[str, object]] = [
    {"code": "2550714", "display": "sotorasib", "tty": "IN", "strength_mg": None, "brand": False},
    {
        "code": "2550719",
        "display": "sotorasib 120 MG Oral Tablet",
        "tty": "SCD",
        "strength_mg": 120,
        "brand": False,
    },
    {
        "code": "2550725",
        "display": "sotorasib 120 MG Oral Tablet [Lumakras]",
        "tty": "SBD",
        "strength_mg": 120,
        "brand": True,
    },
    {
        "code": "2687205",
        "display": "sotorasib 240 MG Oral Tablet",
        "tty": "SCD",
        "strength_mg": 240,
        "brand": False,
    },
    {
        "code": "2687207",
        "display": "sotorasib 240 MG Oral Tablet [Lumakras]",
        "tty": "SBD",
        "strength_mg": 240,
        "brand": True,
    },
    {
        "code": "2628240",
        "display": "sotorasib 320 MG Oral Tablet",
        "tty": "SCD",
        "strength_mg": 320,
        "brand": False,
    },
    {
        "code": "2628242",
        "display": "sotorasib 320 MG Oral Tablet [Lumakras]",
        "tty": "SBD",
        "strength_mg": 320,
        "brand": True,
    },
]
# Brand products for which a generic equivalent is marketed; empty until one is (then add the SBD codes here).
SOTORASIB_BRANDS_WITH_GENERIC: list[str] = []


def rx(code: str, display: str) -> Concept:
    return (RXNORM, code, display)


def medication_concepts(
    rows: list[dict[str, object]], names: list[str], extra: list[Concept]
) -> list[Concept]:
    found = [
        rx(str(r["code"]), str(r["display"]))
        for r in rows
        if any(name in str(r["display"]).lower() for name in names)
    ]
    return found + extra


def specs(rxnorm_rows: list[dict[str, object]]) -> list[ValueSetSpec]:
    shared = [
        ValueSetSpec(
            "nucc-oncology-specialties",
            "Oncologist provider taxonomy codes",
            "NUCC taxonomy codes read as 'oncologist' (terminology.md §4).",
            ONCOLOGY_NUCC,
        ),
        ValueSetSpec(
            "lung-cancer-unspecified-histology",
            "Lung cancer coded without histology",
            "ICD-10-CM C34.x (no histology axis) and SNOMED lung malignancy codes without histology; counted "
            "as NSCLC unless small cell lung cancer is documented (terminology.md §2.1).",
            LUNG_ICD + LUNG_UNSPECIFIED_SCT,
        ),
        ValueSetSpec(
            "nsclc-diagnoses",
            "Non-small cell lung cancer",
            "SNOMED NSCLC disorders including the TNM-staged codes Synthea emits (terminology.md §2.1).",
            NSCLC_SCT,
        ),
        ValueSetSpec(
            "nsclc-staged-3-4",
            "NSCLC coded with TNM stage 3 or 4",
            "terminology.md §2.1.",
            NSCLC_STAGE_3_4_SCT,
        ),
        ValueSetSpec(
            "nsclc-staged-1-2",
            "NSCLC coded with TNM stage 1 or 2",
            "terminology.md §2.1.",
            NSCLC_STAGE_1_2_SCT,
        ),
        ValueSetSpec(
            "sclc-diagnoses", "Small cell lung cancer", "Not NSCLC (terminology.md §2.1).", SCLC_SCT
        ),
        ValueSetSpec(
            "tnm-stage-group-codes",
            "TNM stage group observation codes",
            "terminology.md §2.2.",
            STAGE_GROUP_CODES,
        ),
        ValueSetSpec(
            "stage-3-values",
            "Stage III values",
            "AJCC and SNOMED stage III (terminology.md §2.2).",
            STAGE_3_VALUES,
        ),
        ValueSetSpec(
            "stage-4-values",
            "Stage IV values",
            "AJCC and SNOMED stage IV (terminology.md §2.2).",
            STAGE_4_VALUES,
        ),
        ValueSetSpec(
            "stage-early-values",
            "Stage 0-II values",
            "AJCC stage 0-II (terminology.md §2.2).",
            STAGE_EARLY_VALUES,
        ),
        ValueSetSpec(
            "m-category-codes",
            "Distant metastasis (M) category observation codes",
            "terminology.md §2.2.",
            M_CATEGORY_CODES,
        ),
        ValueSetSpec("m1-values", "M1 distant metastasis values", "terminology.md §2.2.", M1_VALUES),
        ValueSetSpec("m0-values", "M0 no distant metastasis values", "terminology.md §2.2.", M0_VALUES),
        ValueSetSpec(
            "metastatic-disease",
            "Secondary malignant neoplasm conditions",
            "ICD-10-CM C77-C79, C80.0 and SNOMED secondary malignant neoplasm codes (terminology.md §2.2).",
            METASTASIS_ICD + METASTASIS_SCT,
        ),
        ValueSetSpec(
            "lung-cancer-recurrence",
            "Local recurrence of lung cancer",
            "terminology.md §2.2.",
            LUNG_RECURRENCE_SCT,
        ),
        ValueSetSpec(
            "colon-cancer", "Colon cancer (appendix excluded)", "terminology.md §2.3.", COLON_ICD + COLON_SCT
        ),
        ValueSetSpec(
            "rectal-cancer", "Rectal and rectosigmoid cancer", "terminology.md §2.3.", RECTAL_ICD + RECTAL_SCT
        ),
        ValueSetSpec(
            "appendiceal-adenocarcinoma",
            "Appendiceal adenocarcinoma",
            "ICD-10-CM C18.1; SNOMED unverified, so none listed (terminology.md §2.3).",
            APPENDIX_ICD,
        ),
        ValueSetSpec(
            "pancreatic-adenocarcinoma",
            "Pancreatic adenocarcinoma",
            "Exocrine pancreas; C25.4 (endocrine pancreas) excluded (terminology.md §2.3).",
            PANCREAS_ICD + PANCREAS_SCT,
        ),
        ValueSetSpec(
            "ampullary-adenocarcinoma",
            "Ampullary adenocarcinoma",
            "ICD-10-CM C24.1; SNOMED unverified (terminology.md §2.3).",
            AMPULLA_ICD,
        ),
        ValueSetSpec(
            "other-malignancies",
            "Other malignancies (SNOMED)",
            "SNOMED malignancy codes outside the "
            "sotorasib indications, used to recognise a documented different cancer (terminology.md §2.4).",
            OTHER_MALIGNANCY_SCT,
        ),
        ValueSetSpec(
            "cancer-disease-status-codes",
            "Cancer disease status observation code",
            "mCODE CancerDiseaseStatus, LOINC 97509-4 (terminology.md §2.2).",
            DISEASE_STATUS,
        ),
        ValueSetSpec(
            "genetic-variant-assessment",
            "Genomics Reporting variant observation code",
            "LOINC 69548-6 (terminology.md §1.2).",
            VARIANT_ASSESSMENT,
        ),
        ValueSetSpec(
            "molecular-consequence-codes",
            "Genomics Reporting molecular consequence observation code",
            "STU3 and STU1 TBD code systems (terminology.md §1.2).",
            MOLECULAR_CONSEQUENCE,
        ),
        ValueSetSpec(
            "kras-single-tests",
            "KRAS single-test LOINC codes",
            "terminology.md §1.3; 21703-4 (tested for, not a result) and 83059-6 (VCF text) excluded.",
            KRAS_SINGLE_TESTS,
        ),
        ValueSetSpec(
            "kras-nras-tests",
            "KRAS and NRAS combined test LOINC",
            "Counts only when the value names KRAS (terminology.md §1.3).",
            KRAS_NRAS_TESTS,
        ),
        ValueSetSpec(
            "positive-results",
            "Present / positive / detected result codes",
            "terminology.md §1.2-1.3.",
            POSITIVE_RESULTS,
        ),
        ValueSetSpec(
            "negative-results",
            "Absent / negative / not detected result codes",
            "terminology.md §1.2-1.3.",
            NEGATIVE_RESULTS,
        ),
        ValueSetSpec(
            "hepatic-function-panels",
            "Hepatic function panels",
            "Panels containing ALT, AST, alkaline phosphatase and total bilirubin (terminology.md §7).",
            HEPATIC_PANELS,
        ),
        ValueSetSpec("alt-tests", "ALT", "terminology.md §7.", ALT),
        ValueSetSpec("ast-tests", "AST", "terminology.md §7.", AST),
        ValueSetSpec("alkaline-phosphatase-tests", "Alkaline phosphatase", "terminology.md §7.", ALP),
        ValueSetSpec("total-bilirubin-tests", "Total bilirubin", "terminology.md §7.", BILIRUBIN),
    ]
    for vs_id, title, names, extra in MEDICATION_GROUPS:
        shared.append(
            ValueSetSpec(
                vs_id,
                title,
                "RxNorm ingredient and product codes (terminology.md §3; products "
                "from the CTM-app RxNorm subset).",
                medication_concepts(rxnorm_rows, names, extra),
            )
        )
    shared.append(
        ValueSetSpec(
            "sotorasib-products",
            "Sotorasib ingredient and Lumakras products",
            "terminology.md §3.2: the six product RxCUIs are on the Lumakras label; strength pairing "
            "inferred; the "
            "ingredient code is UNVERIFIED and the CQL pairs it with name matching.",
            [rx(str(p["code"]), str(p["display"])) for p in SOTORASIB_PRODUCTS],
        )
    )
    shared.append(
        ValueSetSpec(
            "sotorasib-brands-with-generic",
            "Lumakras products for which a generic is available",
            "Brand (SBD) sotorasib products with a marketed generic equivalent; empty while none "
            "exists. Adding a code "
            "here flips Centene CP.PHAR.549 I.A.7 / I.B.4 for that product.",
            [
                rx(str(p["code"]), str(p["display"]))
                for p in SOTORASIB_PRODUCTS
                if p["code"] in SOTORASIB_BRANDS_WITH_GENERIC
            ],
            out_dir=CENTENE_549_OUT,
        )
    )
    return shared


def dedupe(concepts: list[Concept]) -> list[Concept]:
    seen: set[tuple[str, str]] = set()
    out: list[Concept] = []
    for system, code, display in concepts:
        if (system, code) not in seen:
            seen.add((system, code))
            out.append((system, code, display))
    return sorted(out, key=lambda c: (c[0], c[1]))


def to_resource(spec: ValueSetSpec) -> dict[str, object]:
    concepts = dedupe(spec.concepts)
    by_system: dict[str, list[dict[str, str]]] = {}
    for system, code, display in concepts:
        by_system.setdefault(system, []).append({"code": code, "display": display})
    resource: dict[str, object] = {
        "resourceType": "ValueSet",
        "id": spec.vs_id,
        "url": BASE + spec.vs_id,
        "version": "1.0.0",
        "name": "".join(part.capitalize() for part in spec.vs_id.split("-")),
        "title": spec.title,
        "status": "active",
        "description": spec.description,
        "compose": {"include": [{"system": s, "concept": c} for s, c in by_system.items()]},
        "expansion": {
            "timestamp": EXPANSION_TIMESTAMP,
            "total": len(concepts),
            "contains": [{"system": s, "code": c, "display": d} for s, c, d in concepts],
        },
    }
    if not concepts:
        # FHIR forbids empty arrays and a compose.include without concepts would mean "the whole code system":
        # an intentionally empty value set is an expansion with total 0 and nothing else.
        del resource["compose"]
        resource["expansion"] = {"timestamp": EXPANSION_TIMESTAMP, "total": 0}
    return resource


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rxnorm", type=Path, default=DEFAULT_RXNORM)
    args = parser.parse_args()
    rows = json.loads(args.rxnorm.read_text())
    for spec in specs(rows):
        spec.out_dir.mkdir(parents=True, exist_ok=True)
        path = spec.out_dir / f"{spec.vs_id}.json"
        path.write_text(json.dumps(to_resource(spec), indent=2, ensure_ascii=False) + "\n")
        print(f"{path.relative_to(REPO)}: {len(dedupe(spec.concepts))} codes")


if __name__ == "__main__":
    main()
