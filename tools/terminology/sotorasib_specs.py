"""The shared sotorasib value sets: id, title, description and content of each, in one reviewable list.

Descriptions name the terminology.md section the codes come from; the codes themselves are in
sotorasib_code_tables.py and medication_groups.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tools.terminology.medication_groups import (
    MEDICATION_GROUPS,
    NON_SYSTEMIC_WORDS,
    SOTORASIB_BRANDS_WITH_GENERIC,
    SOTORASIB_PRODUCTS,
    TOPICAL_ONLY_COMPONENTS,
)
from tools.terminology.ndc_products import ndc_concepts
from tools.terminology.sotorasib_code_tables import (
    ALP,
    ALT,
    AMPULLA_ICD,
    APPENDIX_ICD,
    AST,
    BILIRUBIN,
    COLON_ICD,
    COLON_SCT,
    DISEASE_STATUS,
    HEPATIC_PANELS,
    KRAS_NRAS_TESTS,
    KRAS_SINGLE_TESTS,
    LUNG_ICD,
    LUNG_RECURRENCE_SCT,
    LUNG_UNSPECIFIED_SCT,
    M0_VALUES,
    M1_VALUES,
    M_CATEGORY_CODES,
    METASTASIS_ICD,
    METASTASIS_SCT,
    MOLECULAR_CONSEQUENCE,
    NEGATIVE_RESULTS,
    NON_SYSTEMIC_ROUTES,
    NSCLC_SCT,
    NSCLC_STAGE_1_2_SCT,
    NSCLC_STAGE_3_4_SCT,
    ONCOLOGY_NUCC,
    OTHER_MALIGNANCY_SCT,
    PANCREAS_ICD,
    PANCREAS_SCT,
    POSITIVE_RESULTS,
    RECTAL_ICD,
    RECTAL_SCT,
    SCLC_SCT,
    STAGE_3_VALUES,
    STAGE_4_VALUES,
    STAGE_EARLY_VALUES,
    STAGE_GROUP_CODES,
    VARIANT_ASSESSMENT,
)
from tools.terminology.valueset_json import RxNormRow, ValueSetSpec, rx, rxnorm_named

# Output folders, relative to the repository root
SHARED_VALUESETS = Path("policies/_shared/valuesets")
CENTENE_549_VALUESETS = Path("policies/centene/CP.PHAR.549/valuesets")

# Value sets whose content is a code table (or two) as transcribed
CODE_TABLE_VALUESETS: list[ValueSetSpec] = [
    ValueSetSpec(
        "nucc-oncology-specialties",
        "Oncologist provider taxonomy codes",
        "NUCC taxonomy codes read as 'oncologist' (terminology.md §4).",
        ONCOLOGY_NUCC,
    ),
    ValueSetSpec(
        "lung-cancer-unspecified-histology",
        "Lung cancer coded without histology",
        "ICD-10-CM C34.x (no histology axis) and SNOMED lung malignancy codes without histology; counted as NSCLC "
        "unless small cell lung cancer is documented (terminology.md §2.1).",
        LUNG_ICD + LUNG_UNSPECIFIED_SCT,
    ),
    ValueSetSpec(
        "nsclc-diagnoses",
        "Non-small cell lung cancer",
        "SNOMED NSCLC disorders including the TNM-staged codes Synthea emits (terminology.md §2.1).",
        NSCLC_SCT,
    ),
    ValueSetSpec("nsclc-staged-3-4", "NSCLC coded with TNM stage 3 or 4", "terminology.md §2.1.", NSCLC_STAGE_3_4_SCT),
    ValueSetSpec("nsclc-staged-1-2", "NSCLC coded with TNM stage 1 or 2", "terminology.md §2.1.", NSCLC_STAGE_1_2_SCT),
    ValueSetSpec("sclc-diagnoses", "Small cell lung cancer", "Not NSCLC (terminology.md §2.1).", SCLC_SCT),
    ValueSetSpec(
        "tnm-stage-group-codes", "TNM stage group observation codes", "terminology.md §2.2.", STAGE_GROUP_CODES
    ),
    ValueSetSpec(
        "stage-3-values", "Stage III values", "AJCC and SNOMED stage III (terminology.md §2.2).", STAGE_3_VALUES
    ),
    ValueSetSpec(
        "stage-4-values", "Stage IV values", "AJCC and SNOMED stage IV (terminology.md §2.2).", STAGE_4_VALUES
    ),
    ValueSetSpec(
        "stage-early-values", "Stage 0-II values", "AJCC stage 0-II (terminology.md §2.2).", STAGE_EARLY_VALUES
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
        "lung-cancer-recurrence", "Local recurrence of lung cancer", "terminology.md §2.2.", LUNG_RECURRENCE_SCT
    ),
    ValueSetSpec("colon-cancer", "Colon cancer (appendix excluded)", "terminology.md §2.3.", COLON_ICD + COLON_SCT),
    ValueSetSpec("rectal-cancer", "Rectal and rectosigmoid cancer", "terminology.md §2.3.", RECTAL_ICD + RECTAL_SCT),
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
        "SNOMED malignancy codes outside the sotorasib indications, used to recognise a documented different cancer "
        "(terminology.md §2.4).",
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
        "positive-results", "Present / positive / detected result codes", "terminology.md §1.2-1.3.", POSITIVE_RESULTS
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
    ValueSetSpec(
        "non-systemic-routes",
        "Routes that are not systemic",
        "SNOMED CT topical, otic, ophthalmic, intravitreal and intracameral routes: a drug given by one of them is "
        "not systemic therapy (sotorasib_code_tables.py names the source of each code).",
        NON_SYSTEMIC_ROUTES,
    ),
]

MEDICATION_DESCRIPTION = (
    "RxNorm ingredient and product codes (terminology.md §3; products from the CTM-app RxNorm subset, topical and "
    "ophthalmic products left out) and package NDCs (tools/terminology/ndc_products.py)."
)

SOTORASIB_PRODUCTS_VALUESET = ValueSetSpec(
    "sotorasib-products",
    "Sotorasib ingredient and Lumakras products",
    "terminology.md §3.2: the six product RxCUIs are on the Lumakras label; strength pairing inferred; the "
    "ingredient code is UNVERIFIED and the CQL pairs it with name matching.",
    [rx(product.code, product.display) for product in SOTORASIB_PRODUCTS] + ndc_concepts("sotorasib-products"),
)
# Centene CP.PHAR.549 alone reads this one, so it is written into that policy's folder.
SOTORASIB_BRANDS_WITH_GENERIC_VALUESET = ValueSetSpec(
    "sotorasib-brands-with-generic",
    "Lumakras products for which a generic is available",
    "Brand (SBD) sotorasib products with a marketed generic equivalent; empty while none exists. Adding a code "
    "here flips Centene CP.PHAR.549 I.A.7 / I.B.4 for that product.",
    [rx(p.code, p.display) for p in SOTORASIB_PRODUCTS if p.code in SOTORASIB_BRANDS_WITH_GENERIC],
)


def medication_valuesets(rxnorm_rows: Sequence[RxNormRow]) -> list[ValueSetSpec]:
    """One set per medication group: the subset rows naming its ingredients (systemic products only), its listed
    extra codes and its package NDCs."""
    return [
        ValueSetSpec(
            group.vs_id,
            group.title,
            MEDICATION_DESCRIPTION,
            [
                concept
                for concept in rxnorm_named(rxnorm_rows, group.subset_names, exclude=NON_SYSTEMIC_WORDS)
                if concept[1] not in TOPICAL_ONLY_COMPONENTS
            ]
            + group.extra
            + ndc_concepts(group.vs_id),
        )
        for group in MEDICATION_GROUPS
    ]


def non_systemic_products_valueset(rxnorm_rows: Sequence[RxNormRow]) -> ValueSetSpec:
    """The subset's topical, ophthalmic and intralesional products of the groups' ingredients: a concept holding one
    of these codes is not systemic therapy, even when another of its codings is the bare ingredient."""
    names = [name for group in MEDICATION_GROUPS for name in group.subset_names]
    named = rxnorm_named(rxnorm_rows, names)
    return ValueSetSpec(
        "non-systemic-products",
        "Topical, ophthalmic and intralesional products of the systemic-therapy ingredients",
        "RxNorm subset rows of the medication groups' ingredients whose name has a non-systemic dose form or brand "
        "(tools/terminology/medication_groups.py NON_SYSTEMIC_WORDS), and the components whose strength only a "
        "topical product has (TOPICAL_ONLY_COMPONENTS).",
        [
            concept
            for concept in named
            if concept[1] in TOPICAL_ONLY_COMPONENTS or any(w in concept[2].lower() for w in NON_SYSTEMIC_WORDS)
        ],
    )


def sotorasib_valuesets(rxnorm_rows: Sequence[RxNormRow]) -> dict[Path, list[ValueSetSpec]]:
    """Every value set this builder writes, by output folder."""
    return {
        SHARED_VALUESETS: [
            *CODE_TABLE_VALUESETS,
            *medication_valuesets(rxnorm_rows),
            non_systemic_products_valueset(rxnorm_rows),
            SOTORASIB_PRODUCTS_VALUESET,
        ],
        CENTENE_549_VALUESETS: [SOTORASIB_BRANDS_WITH_GENERIC_VALUESET],
    }
