"""Code tables of the shared sotorasib value sets, transcribed from ../shared/reference/terminology.md.

Pure data: each block names the terminology.md section it comes from; sotorasib_specs.py says which value set
each table goes into. The medication tables (§3) are in medication_groups.py.
"""

from __future__ import annotations

import simple_icd_10_cm as icd10cm

from tools.terminology.valueset_json import AJCC, GR_TBD, GR_TBD_STU1, ICD10CM, LOINC, NUCC, SNOMED, Concept, icd, sct

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
                "Non-small cell lung cancer positive for epidermal growth factor receptor expression (disorder)",
            ),
            (
                "427038005",
                "Non-small cell lung cancer negative for epidermal growth factor receptor expression (disorder)",
            ),
            (
                "703228009",
                "Non-small cell lung cancer with mutation in epidermal growth factor receptor gene (disorder)",
            ),
            (
                "703230006",
                "Non-small cell lung cancer without mutation in epidermal growth factor receptor gene (disorder)",
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
M0_VALUES: list[Concept] = [(SNOMED, "1229901006", "American Joint Committee on Cancer cM0 (qualifier value)")]


def secondary_neoplasm_icd() -> list[Concept]:
    """Every ICD-10-CM code of the secondary-neoplasm categories C77 (lymph nodes), C78 (respiratory and digestive
    organs) and C79 (other sites), headers included since records carry them too, plus C80.0 (disseminated), from the
    FY2025 tabular list (simple-icd-10-cm 1.5.0): enumerated, so no subcategory (C78.3x, C79.0x, C79.6x, ...) can be
    missed the way a hand-typed list missed them (issue 13)."""
    codes = [code for code in icd10cm.get_all_codes(with_dots=True) if code[:3] in ("C77", "C78", "C79")]
    return [(ICD10CM, code, icd10cm.get_description(code)) for code in [*codes, "C80.0"]]


METASTASIS_ICD = secondary_neoplasm_icd()
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
        "KRAS gene mutations found [Identifier] in Colorectal cancer specimen by Molecular genetics method Nominal",
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
        "KRAS and NRAS gene mutations found [Identifier] in Blood or Tissue by Molecular genetics method Nominal",
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
# Who is "an oncologist" (CP.PHAR.549 I.A.2/I.B.2, CP.PHAR.63 I.A.3 ..., FEP's oncologist criteria): every NUCC
# physician specialty whose name and board make the prescriber an oncologist. Codes: terminology.md §4 (public NUCC
# table); 2085R0001X, UNVERIFIED there, is checked against independent public NUCC/CMS crosswalks (Radiology,
# Radiation Oncology; CMS specialty 92). Left out: Hematology without oncology (207RH0000X: a hematologist is not an
# oncologist, though one treats the lymphomas of CP.PHAR.63 I.H) and Diagnostic Radiology (2085R0202X). A prescriber
# left out reads as "unknown" (may be consulting an oncologist), never as "not an oncologist".
ONCOLOGY_NUCC: list[Concept] = [
    (NUCC, "207RX0202X", "Internal Medicine, Medical Oncology"),  # the oncologist the policies mean
    (NUCC, "207RH0003X", "Internal Medicine, Hematology & Oncology"),  # boarded in medical oncology too
    (NUCC, "2080P0207X", "Pediatrics, Pediatric Hematology-Oncology"),  # children's oncologist (SEGA, I.E)
    (NUCC, "2086X0206X", "Surgery, Surgical Oncology"),  # an oncologist by training; manages solid tumours
    (NUCC, "207VX0201X", "Obstetrics & Gynecology, Gynecologic Oncology"),  # prescribes for endometrial cancer
    (NUCC, "2085R0001X", "Radiology, Radiation Oncology"),  # an oncologist; co-manages systemic therapy
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

# ---- routes that do not reach the systemic circulation (PriorTherapy.cql: a drug given so is not systemic therapy) --
# SNOMED CT route of administration values. Topical and otic: FHIR R4 route-codes value set expansion (hl7.org/fhir
# valueset-route-codes); ophthalmic, intravitreal and intracameral: SNOMED route tables in public FHIR code (GitHub
# search corpus), each seen in two or more. 418821007 is intracameral, not intravitreal (418401004).
NON_SYSTEMIC_ROUTES = sct(
    [
        ("6064005", "Topical route"),
        ("10547007", "Otic route"),
        ("54485002", "Ophthalmic route"),
        ("418401004", "Intravitreal route"),
        ("418821007", "Intracameral route"),
    ]
)
