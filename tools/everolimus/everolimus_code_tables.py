"""CP.PHAR.63's value sets as reviewed tables: the codes of each diagnosis, procedure, test and drug group the
policy's criteria name, each traced to its terminology.md section. build_valuesets.py turns them into ValueSets
(it puts the repository root on sys.path first, so tools.terminology imports here)."""

from __future__ import annotations

import simple_icd_10_cm as icd

from tools.terminology.valueset_json import (
    CPT,
    ICD10CM,
    LOINC,
    NCIT,
    NUCC,
    SNOMED,
    Concept,
    ValueSetSpec,
    rx,
    sct,
)


def icd_leaves(*prefixes: str) -> list[Concept]:
    """Every billable (leaf) FY2025 ICD-10-CM code under the prefixes, sorted, with its tabular description."""
    leaves = [code for code in icd.get_all_codes(with_dots=True) if icd.is_leaf(code) and code.startswith(prefixes)]
    return icd_codes(*sorted(leaves))


def icd_codes(*codes: str) -> list[Concept]:
    return [(ICD10CM, code, icd.get_description(code)) for code in codes]


# ---- diagnoses (terminology.md §2.4) whose codes are ICD-10-CM leaves only: (id, title, description, prefixes)
ICD_LEAF_SETS: list[tuple[str, str, str, tuple[str, ...]]] = [
    (
        "net-unspecified-origin",
        "Neuroendocrine tumour whose origin is not coded",
        "I.B.2: NETs coded without a primary site; the origin is unknown rather than excluded.",
        ("C7A.00", "C7A.1", "C7A.8"),
    ),
    (
        "net-other-origin",
        "Neuroendocrine tumour of an origin the policy does not list",
        "I.B.2: carcinoid of kidney or other named sites: not pancreatic, GI, lung or thymic.",
        ("C7A.093", "C7A.098"),
    ),
    # The shared CancerCondition library covers stage and metastasis; secondary NETs are not in its
    # metastatic-disease set.
    (
        "secondary-neuroendocrine-tumor",
        "Secondary neuroendocrine tumour",
        "I.B.3: secondary carcinoid / neuroendocrine tumours C7B.x (metastatic NET).",
        ("C7B",),
    ),
    (
        "renal-cell-carcinoma",
        "Malignant neoplasm of kidney, except renal pelvis",
        "I.C.2: ICD-10-CM C64 (renal pelvis C65 is urothelial, not RCC). SNOMED RCC codes unverified, omitted.",
        ("C64",),
    ),
    (
        "renal-angiomyolipoma",
        "Benign neoplasm of kidney (renal angiomyolipoma)",
        "I.D.2 and I.H.2.a.ii: ICD-10-CM D30.0x, the code used for renal angiomyolipoma.",
        ("D30.0",),
    ),
    (
        "focal-epilepsy",
        "Partial-onset (focal) epilepsy",
        "I.F.2: localization-related (focal) epilepsies G40.0-G40.2.",
        ("G40.0", "G40.1", "G40.2"),
    ),
    (
        "other-organ-transplant",
        "Transplant of an organ other than kidney or liver",
        "I.G.2: heart, lung, heart-lung, intestine, pancreas... transplant status: outside the labelled use.",
        ("Z94.1", "Z94.2", "Z94.3", "Z94.8", "T86.2", "T86.3", "T86.81", "T86.85", "T86.89"),
    ),
    # NCCN compendium diagnoses (I.H.2)
    ("hodgkin-lymphoma", "Hodgkin lymphoma", "I.H.2.a.i: C81.", ("C81",)),
    (
        "waldenstrom-lpl",
        "Waldenström macroglobulinemia / lymphoplasmacytic lymphoma",
        "I.H.2.a.i: C88.0; LPL has no code of its own and is coded C83.0x (mapping UNVERIFIED).",
        ("C88.0", "C83.0"),
    ),
    ("thymic-malignancy", "Thymoma / thymic carcinoma", "I.H.2.a.i: C37.", ("C37",)),
    ("lymphangioleiomyomatosis", "Lymphangioleiomyomatosis", "I.H.2.a.ii: J84.81.", ("J84.81",)),
    (
        "histiocytic-neoplasm",
        "Histiocytic neoplasms",
        "I.H.2.a.iii: Langerhans cell histiocytosis C96.0/C96.5/C96.6, J84.82; histiocytic sarcoma C96.A; "
        "other histiocytosis syndromes D76.3 (Erdheim-Chester, Rosai-Dorfman; mapping UNVERIFIED).",
        ("C96.0", "C96.5", "C96.6", "C96.A", "D76.3", "J84.82"),
    ),
    ("endometrial-carcinoma", "Endometrial carcinoma", "I.H.2.b: C54.1.", ("C54.1",)),
    ("gist", "Gastrointestinal stromal tumour", "I.H.2.c: C49.A0-C49.A9.", ("C49.A",)),
    (
        "thyroid-carcinoma",
        "Malignant neoplasm of thyroid (histology not coded)",
        "I.H.2.d: C73 covers differentiated, medullary and anaplastic carcinoma; DTC histology must be shown.",
        ("C73",),
    ),
    (
        "bone-malignancy",
        "Malignant neoplasm of bone (histology not coded)",
        "I.H.2.e: C40/C41 include osteosarcoma but also chondrosarcoma and Ewing sarcoma.",
        ("C40", "C41"),
    ),
    (
        "meningioma",
        "Meningioma (benign, malignant or uncertain behaviour neoplasm of meninges)",
        "I.H.2.f: D32.x, C70.x, D42.x.",
        ("D32", "C70", "D42"),
    ),
]

# ---- receptor status diagnoses (I.A.5), named ICD-10-CM codes: (id, title, description, codes)
ICD_CODE_SETS: list[tuple[str, str, str, tuple[str, ...]]] = [
    (
        "hr-positive-status",
        "Hormone receptor positive status diagnosis",
        "I.A.5: ER+ (Z17.0), PR+ (Z17.21), HR+ with HER2+/- (Z17.410, Z17.411).",
        ("Z17.0", "Z17.21", "Z17.410", "Z17.411"),
    ),
    (
        "hr-negative-status",
        "Hormone receptor negative status diagnosis",
        "I.A.5: HR- with HER2+/- (Z17.420, Z17.421).",
        ("Z17.420", "Z17.421"),
    ),
    (
        "her2-negative-status",
        "HER2 negative status diagnosis",
        "I.A.5: Z17.32, Z17.411, Z17.421.",
        ("Z17.32", "Z17.411", "Z17.421"),
    ),
    (
        "her2-positive-status",
        "HER2 positive status diagnosis",
        "I.A.5: Z17.31, Z17.410, Z17.420.",
        ("Z17.31", "Z17.410", "Z17.420"),
    ),
]

# RxNorm dose-form words of locally acting products: every drug group of this policy is systemic therapy, so a
# subset row in one of these forms is never put into a group (the CQL applies the same words to products outside
# the subset, and the local-routes value set to the order's route).
LOCAL_DOSE_FORMS: tuple[str, ...] = (
    "ophthalmic",
    "otic",
    "topical",
    "intravitreal",
    "intraocular",
    "nasal",
    "cream",
    "ointment",
    "lotion",
    "shampoo",
    "rectal",
    "enema",
    "vaginal",
    "mouthwash",
    "dental",
    "inhal",
)

# ---- partner / prior drugs: every RxNorm subset row (terminology.md §3.1, all term types) of the listed
# ingredients: (id, title, description, ingredient names, words that exclude a row besides LOCAL_DOSE_FORMS)
RXNORM_NAME_SETS: list[tuple[str, str, str, tuple[str, ...], tuple[str, ...]]] = [
    (
        "endocrine-therapy",
        "Breast cancer endocrine therapy",
        "I.A.6 / Appendix B by ingredient: anastrozole 84857, letrozole 72965, exemestane 258494, tamoxifen 10324, "
        "fulvestrant 282357 and their subset products (terminology.md §3.1). Toremifene, elacestrant, megestrol "
        "tablets and fluoxymesterone have no verified code and are matched by ingredient name in the CQL. Ethinyl "
        "estradiol and estradiol are deliberately absent: their products are contraceptives and hormone "
        "replacement, which are not breast cancer therapy.",
        ("anastrozole", "letrozole", "exemestane", "tamoxifen", "fulvestrant"),
        (),
    ),
    (
        "breast-combination-partner",
        "Exemestane, fulvestrant or tamoxifen",
        "I.A.8 combination partners.",
        ("exemestane", "fulvestrant", "tamoxifen"),
        (),
    ),
    (
        "rcc-prior-therapy",
        "RCC first/second-line therapies (Appendix B)",
        "I.C.6: sunitinib, sorafenib, nivolumab, ipilimumab from the subset; pazopanib, aldesleukin, "
        "cabozantinib, temsirolimus, axitinib, lenvatinib, erlotinib are matched by name.",
        ("sunitinib", "sorafenib", "nivolumab", "ipilimumab"),
        (),
    ),
    ("letrozole", "Letrozole", "I.H.2.b partner.", ("letrozole",), ("ribociclib",)),  # not the Kisqali co-pack
    ("sorafenib", "Sorafenib", "I.H.2.e partner (Nexavar).", ("sorafenib",), ()),
    (
        "meningioma-combination-partner",
        "Bevacizumab (incl. biosimilars)",
        "I.H.2.f partner; octreotide acetate LAR is matched by name (octreotide 7617 UNVERIFIED).",
        ("bevacizumab",),
        (),
    ),
]

# ---- value sets of codes listed here (no ICD-10-CM or subset lookup)
LISTED_CODE_SETS: list[ValueSetSpec] = [
    ValueSetSpec(
        "renal-surgery",
        "Kidney surgery or embolization",
        "I.D.2 'not requiring immediate surgery': nephrectomy (CPT 50220-50240, 50543-50546) and embolization "
        "(CPT 37243). CPT codes from the CPT code set, not cross-checked here (UNVERIFIED).",
        [
            (CPT, "50220", "Nephrectomy, including partial ureterectomy"),
            (CPT, "50225", "Nephrectomy, complicated"),
            (CPT, "50230", "Nephrectomy, radical"),
            (CPT, "50240", "Nephrectomy, partial"),
            (CPT, "50543", "Laparoscopic partial nephrectomy"),
            (CPT, "50545", "Laparoscopic radical nephrectomy"),
            (CPT, "50546", "Laparoscopic nephrectomy"),
            (CPT, "37243", "Vascular embolization or occlusion for tumors/organ ischemia"),
        ],
    ),
    # receptor status tests (I.A.5)
    ValueSetSpec(
        "estrogen-receptor-test",
        "Estrogen receptor tests",
        "I.A.5: ER interpretation / presence LOINC codes.",
        [
            (LOINC, "16112-5", "Estrogen receptor [Interpretation] in Tissue"),
            (LOINC, "40556-3", "Estrogen receptor Ag [Presence] in Tissue by Immune stain"),
            (LOINC, "85337-4", "Estrogen receptor Ag [Presence] in Breast cancer specimen by Immune stain"),
        ],
    ),
    ValueSetSpec(
        "progesterone-receptor-test",
        "Progesterone receptor tests",
        "I.A.5: PR interpretation / presence LOINC codes.",
        [
            (LOINC, "16113-3", "Progesterone receptor [Interpretation] in Tissue"),
            (LOINC, "40557-1", "Progesterone receptor Ag [Presence] in Tissue by Immune stain"),
            (LOINC, "85339-0", "Progesterone receptor Ag [Presence] in Breast cancer specimen by Immune stain"),
        ],
    ),
    ValueSetSpec(
        "her2-test",
        "HER2 tests",
        "I.A.5: HER2 interpretation, IHC and ERBB2 FISH LOINC codes.",
        [
            (LOINC, "48676-1", "HER2 [Interpretation] in Tissue"),
            (LOINC, "18474-7", "HER2 Ag [Presence] in Tissue by Immune stain"),
            (LOINC, "85319-2", "HER2 [Presence] in Breast cancer specimen by Immune stain"),
            (LOINC, "85318-4", "ERBB2 gene duplication [Presence] in Breast cancer specimen by FISH"),
            (LOINC, "31150-6", "ERBB2 gene duplication [Presence] in Tissue by FISH"),
        ],
    ),
    ValueSetSpec(
        "positive-result",
        "Positive result",
        "Qualitative positive answers (LOINC answers LA6576-8 UNVERIFIED).",
        [(SNOMED, "10828004", "Positive"), (LOINC, "LA6576-8", "Positive")],
    ),
    ValueSetSpec(
        "negative-result",
        "Negative result",
        "Qualitative negative answers (LOINC answer LA6577-6 UNVERIFIED).",
        [(SNOMED, "260385009", "Negative"), (SNOMED, "260415000", "Not detected"), (LOINC, "LA6577-6", "Negative")],
    ),
    # response (II.A.2)
    ValueSetSpec(
        "cancer-disease-status",
        "Cancer disease status Observation",
        "II.A.2: mCODE CancerDiseaseStatus code.",
        [(LOINC, "97509-4", "Cancer Disease Progression")],
    ),
    ValueSetSpec(
        "disease-responding",
        "Disease improved or stable",
        "II.A.2: responding to therapy.",
        sct([("268910001", "Patient's condition improved"), ("359746009", "Patient's condition stable")]),
    ),
    ValueSetSpec(
        "disease-worsening",
        "Disease worsened",
        "II.A.2: not responding.",
        sct([("271299001", "Patient's condition worsened")]),
    ),
    # prescriber specialties (terminology.md §4)
    ValueSetSpec(
        "neurologist-specialty",
        "Neurologist (NUCC)",
        "I.F.3.",
        [
            (NUCC, "2084N0400X", "Psychiatry & Neurology, Neurology"),
            (NUCC, "2084N0402X", "Neurology with Special Qualifications in Child Neurology"),
            (NUCC, "2084N0600X", "Clinical Neurophysiology"),
            (NUCC, "2084A2900X", "Neurocritical Care"),
        ],
    ),
    ValueSetSpec(
        "transplant-specialty",
        "Nephrologist, hepatologist or transplant specialist (NUCC)",
        "I.G.3.",
        [
            (NUCC, "207RN0300X", "Internal Medicine, Nephrology"),
            (NUCC, "2080P0210X", "Pediatrics, Pediatric Nephrology"),
            (NUCC, "207RI0008X", "Internal Medicine, Hepatology"),
            (NUCC, "207RT0003X", "Internal Medicine, Transplant Hepatology"),
            (NUCC, "2080T0004X", "Pediatrics, Pediatric Transplant Hepatology"),
            (NUCC, "204F00000X", "Transplant Surgery"),
        ],
    ),
    # medication records (every drug group is systemic therapy; "failure of" needs a stop reason)
    ValueSetSpec(
        "local-routes",
        "Routes of administration that act locally",
        "Systemic drug groups leave out records given by these routes: SNOMED CT route codes from the FHIR R4 "
        "route-codes value set (descendants of 284009009).",
        sct(
            [
                ("6064005", "Topical route"),
                ("448598008", "Cutaneous route"),
                ("10547007", "Otic route"),
                ("54485002", "Ophthalmic route"),
                ("446105004", "Conjunctival route"),
                ("372476004", "Subconjunctival route"),
                ("372468001", "Intraocular route"),
                ("418401004", "Intravitreal route"),
                ("418821007", "Intracameral route"),
                ("46713006", "Nasal route"),
                ("12130007", "Intra-articular route"),
            ]
        ),
    ),
    ValueSetSpec(
        "treatment-failure-reasons",
        "Therapy stopped because it failed or was not tolerated",
        "I.G.5 'failure of tacrolimus': MedicationRequest/MedicationStatement statusReason (terminology.md §2.2).",
        sct(
            [
                ("266721009", "No response to treatment (situation)"),
                ("407563006", "Treatment not tolerated (situation)"),
            ]
        ),
    ),
    ValueSetSpec(
        "systemic-corticosteroids",
        "Corticosteroids (ingredients)",
        "I.G.7: prednisone, prednisolone, methylprednisolone, hydrocortisone, dexamethasone ingredient RxCUIs "
        "(UNVERIFIED, recollection; always paired with ingredient names, local dose forms and routes excluded).",
        [
            rx("8640", "prednisone"),
            rx("8638", "prednisolone"),
            rx("6902", "methylprednisolone"),
            rx("5492", "hydrocortisone"),
            rx("3264", "dexamethasone"),
        ],
    ),
    ValueSetSpec(
        "antiseizure-drugs",
        "Antiseizure drugs for partial-onset seizures (ingredients)",
        "I.F.5 adjunctive therapy: ingredient RxCUIs (UNVERIFIED, recollection; always paired with ingredient "
        "names). Gabapentin, pregabalin and clonazepam are left out: mostly prescribed for other reasons.",
        [
            rx("114477", "levetiracetam"),
            rx("28439", "lamotrigine"),
            rx("11118", "valproic acid"),
            rx("2002", "carbamazepine"),
            rx("32624", "oxcarbazepine"),
            rx("38404", "topiramate"),
            rx("623404", "lacosamide"),
            rx("8183", "phenytoin"),
            rx("8134", "phenobarbital"),
            rx("39998", "zonisamide"),
            rx("21241", "clobazam"),
        ],
    ),
    # immunosuppressants: ingredient codes only, products matched by name in the CQL
    ValueSetSpec(
        "tacrolimus",
        "Tacrolimus",
        "I.G.5 / I.G.7.b: ingredient 42316 (CPIC); products matched by name.",
        [rx("42316", "tacrolimus")],
    ),
    ValueSetSpec(
        "cyclosporine",
        "Cyclosporine",
        "I.G.7.a: ingredient 3008 (CPIC); products matched by name.",
        [rx("3008", "cyclosporine")],
    ),
    ValueSetSpec(
        "basiliximab",
        "Basiliximab (Simulect)",
        "I.G.7.a: ingredient 196102 (UNVERIFIED; always paired with name matching).",
        [rx("196102", "basiliximab")],
    ),
]

# ---- diagnoses combining ICD-10-CM leaves with codes of other systems (terminology.md §2.4)
MIXED_DIAGNOSIS_SETS: list[ValueSetSpec] = [
    ValueSetSpec(
        "breast-cancer",
        "Malignant neoplasm of breast",
        "I.A.2: ICD-10-CM C50 leaves (FY2025, incl. C50.A inflammatory) and SNOMED CT breast cancer disorders.",
        icd_leaves("C50")
        + sct(
            [
                ("254837009", "Malignant neoplasm of breast"),
                ("408643008", "Infiltrating duct carcinoma of breast"),
                ("372137005", "Primary malignant neoplasm of breast"),
                ("278054005", "Lobular carcinoma of breast"),
                ("372064008", "Malignant neoplasm of female breast"),
            ]
        ),
    ),
    ValueSetSpec(
        "net-qualifying-origin",
        "Neuroendocrine tumour of pancreatic, GI, lung or thymic origin",
        "I.B.2.a-d: pNET (C25.4), GI-tract carcinoids (small intestine, appendix/colon/rectum, stomach, "
        "foregut/midgut/hindgut), bronchus/lung (C7A.090) and thymus (C7A.091).",
        icd_codes("C25.4")
        + icd_leaves("C7A.01", "C7A.02", "C7A.090", "C7A.091", "C7A.092", "C7A.094", "C7A.095", "C7A.096")
        + sct(
            [
                ("721697000", "Primary neuroendocrine carcinoma of colon"),
                ("721700001", "Primary neuroendocrine tumor of rectum"),
                ("721701002", "Primary neuroendocrine carcinoma of rectum"),
            ]
        ),
    ),
    ValueSetSpec(
        "tuberous-sclerosis",
        "Tuberous sclerosis complex",
        "I.D.2, I.E.2, I.F.2: Q85.1 and SNOMED 7199000.",
        icd_leaves("Q85.1") + sct([("7199000", "Tuberous sclerosis syndrome")]),
    ),
    ValueSetSpec(
        "sega-brain-neoplasm",
        "Subependymal giant cell astrocytoma / brain neoplasm coded in TSC",
        "I.E.2: NCIt C3696 SEGA, or a benign / uncertain-behaviour brain neoplasm (D33.0-D33.2, D43.0-D43.2), "
        "which in a TSC patient is how SEGA is coded.",
        [(NCIT, "C3696", "Subependymal Giant Cell Astrocytoma")]
        + icd_leaves("D33.0", "D33.1", "D33.2", "D43.0", "D43.1", "D43.2"),
    ),
    ValueSetSpec(
        "epilepsy-unspecified-type",
        "Epilepsy or seizures of unspecified type",
        "I.F.2: epilepsy without the seizure type: whether onset is partial is unknown.",
        icd_leaves("G40.9") + sct([("84757009", "Epilepsy")]),
    ),
    ValueSetSpec(
        "kidney-transplant",
        "Kidney transplant status, complication or procedure",
        "I.G.2: Z94.0, T86.1x; procedures CPT 50360/50365 and SNOMED 70536003 (procedure codes UNVERIFIED, "
        "ICD-10-CM status codes are the primary route).",
        icd_leaves("Z94.0", "T86.1")
        + [
            (CPT, "50360", "Renal allotransplantation, implantation of graft"),
            (CPT, "50365", "Renal allotransplantation with recipient nephrectomy"),
            (SNOMED, "70536003", "Transplantation of kidney"),
        ],
    ),
    ValueSetSpec(
        "liver-transplant",
        "Liver transplant status, complication or procedure",
        "I.G.2: Z94.4, T86.4x; procedures CPT 47135 and SNOMED 18027006 (procedure codes UNVERIFIED).",
        icd_leaves("Z94.4", "T86.4")
        + [(CPT, "47135", "Liver allotransplantation"), (SNOMED, "18027006", "Transplantation of liver")],
    ),
]

# On the Afinitor SPL per openFDA, but not in the subset; strength pairing inferred (terminology.md §3.3).
AFINITOR_SBD: list[Concept] = [
    rx("998191", "Everolimus 2.5 MG Oral Tablet [Afinitor]"),
    rx("845518", "Everolimus 5 MG Oral Tablet [Afinitor]"),
    rx("845512", "Everolimus 10 MG Oral Tablet [Afinitor]"),
]
