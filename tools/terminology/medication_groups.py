"""Medication tables of the shared sotorasib value sets (terminology.md §3).

Pure data. A medication value set lists the ingredient code AND every product code of that ingredient found in
the RxNorm subset file (matched by the names below at build time), plus the extra codes the subset lacks, plus the
package NDCs of ndc_products.py. Every group is systemic therapy, so the subset rows of a non-systemic product
(topical, ophthalmic, intralesional: NON_SYSTEMIC_WORDS, TOPICAL_ONLY_COMPONENTS) are left out of it and listed in
the non-systemic-products value set instead, which the CQL reads to reject such a product however it is named.
"""

from __future__ import annotations

from typing import NamedTuple

from tools.terminology.valueset_json import RXNORM, Concept

# Words of an RxNorm name (dose form or brand) that make a product non-systemic. Fluorouracil is the case in point:
# the subset holds its creams and solutions (Efudex, Carac, Fluoroplex, Tolak; diclofenac/fluorouracil cream) next to
# the injection; epinephrine/fluorouracil is an intratumoral gel. Product names from the RxNorm subset file.
NON_SYSTEMIC_WORDS: tuple[str, ...] = (
    "topical",
    "ophthalmic",
    "intravitreal",
    "intraocular",
    "cream",
    "ointment",
    "efudex",
    "carac",
    "fluoroplex",
    "tolak",
    "diclofenac",
    "epinephrine",
)
# Clinical drug components (no dose form in the name) whose strength only a topical product has: fluorouracil 1%, 2%,
# 4% and 0.5% (10, 20, 40, 5 MG/ML; injections are 25 and 50 MG/ML). RxNorm subset rows, strengths read from the
# subset's product names. 50 MG/ML (315950) is shared by the 5% cream and the injection and stays systemic.
TOPICAL_ONLY_COMPONENTS: tuple[str, ...] = ("329765", "329766", "343265", "1669867")

# ---- §3 medications ----------------------------------------------------------------------------------------


class MedicationGroup(NamedTuple):
    vs_id: str
    title: str
    subset_names: list[str]  # ingredient names matched in the RxNorm subset's displays
    extra: list[Concept]  # ingredient and product codes the subset does not hold


MEDICATION_GROUPS: list[MedicationGroup] = [
    MedicationGroup(
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
    MedicationGroup(
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
    MedicationGroup(
        "nsclc-other-systemic-therapy",
        "Other NSCLC systemic therapy: pemetrexed, docetaxel, paclitaxel, gemcitabine, etoposide, bevacizumab",
        ["pemetrexed", "docetaxel", "paclitaxel", "gemcitabine", "etoposide", "bevacizumab"],
        [
            (RXNORM, "68446", "pemetrexed"),
            (RXNORM, "282443", "pemetrexed disodium"),
            (RXNORM, "72962", "docetaxel"),
            (RXNORM, "56946", "paclitaxel"),
            (RXNORM, "486610", "paclitaxel protein-bound"),
            (RXNORM, "583214", "PACLitaxel 100 MG Injection"),
            (RXNORM, "12574", "gemcitabine"),
            (RXNORM, "1156710", "gemcitabine Injectable Product"),
            (RXNORM, "4179", "etoposide"),  # terminology.md §3.1 (CPIC)
            (RXNORM, "1734340", "Etoposide 100 MG Injection"),  # §3.1 Synthea SCLC chemotherapy
            (RXNORM, "253337", "bevacizumab"),  # §3.1 (CTM-app); with carboplatin/paclitaxel for NSCLC
        ],
    ),
    MedicationGroup(
        "fluoropyrimidines",
        "Fluorouracil or capecitabine products and ingredients",
        ["fluorouracil", "capecitabine"],
        [
            (RXNORM, "4492", "fluorouracil"),
            (RXNORM, "194000", "capecitabine"),
            (RXNORM, "1158877", "capecitabine Oral Product"),
        ],
    ),
    MedicationGroup(
        "oxaliplatin",
        "Oxaliplatin products and ingredient",
        ["oxaliplatin"],
        [(RXNORM, "32592", "oxaliplatin")],
    ),
    MedicationGroup(
        "irinotecan",
        "Irinotecan products and ingredients",
        ["irinotecan"],
        [
            (RXNORM, "51499", "irinotecan"),
            (RXNORM, "153329", "irinotecan hydrochloride"),
            (RXNORM, "1719768", "irinotecan liposomal"),
        ],
    ),
    MedicationGroup(
        "panitumumab",
        "Panitumumab (Vectibix) products and ingredient",
        ["panitumumab"],
        [
            (RXNORM, "263034", "panitumumab"),
        ],
    ),
    MedicationGroup(
        "crc-other-antineoplastics",
        "Other colorectal antineoplastics: cetuximab, bevacizumab, regorafenib",
        ["cetuximab", "bevacizumab", "regorafenib"],
        [
            (RXNORM, "318341", "cetuximab"),
            (RXNORM, "253337", "bevacizumab"),
            (RXNORM, "1312397", "regorafenib"),
        ],
    ),
    # terminology.md §3.1: cetuximab 318341 (✓✓). Its own set because Centene CP.PHAR.549's regimen footnote
    # accepts it as sotorasib's colorectal partner (NCCN); it stays in crc-other-antineoplastics too.
    MedicationGroup(
        "cetuximab",
        "Cetuximab (Erbitux) products and ingredient",
        ["cetuximab"],
        [
            (RXNORM, "318341", "cetuximab"),
        ],
    ),
    # terminology.md §3.1: adagrasib 2626149 is UNVERIFIED and no Krazati product RxCUI or package NDC was found
    # (ndc_products.py), so the CQL always pairs this set with name matching.
    MedicationGroup(
        "adagrasib",
        "Adagrasib (Krazati); ingredient code UNVERIFIED",
        [],
        [
            (RXNORM, "2626149", "adagrasib"),
        ],
    ),
]


# §3.2: the six Lumakras RxCUIs are verified; strength/TTY pairing is inferred. 2550714 (IN) is UNVERIFIED.
# Brand products drive Centene I.A.7 through SOTORASIB_BRANDS_WITH_GENERIC; today no generic sotorasib exists.
class SotorasibProduct(NamedTuple):
    code: str
    display: str
    tty: str
    strength_mg: int | None
    brand: bool


SOTORASIB_PRODUCTS: list[SotorasibProduct] = [
    SotorasibProduct("2550714", "sotorasib", "IN", None, brand=False),
    SotorasibProduct("2550719", "sotorasib 120 MG Oral Tablet", "SCD", 120, brand=False),
    SotorasibProduct("2550725", "sotorasib 120 MG Oral Tablet [Lumakras]", "SBD", 120, brand=True),
    SotorasibProduct("2687205", "sotorasib 240 MG Oral Tablet", "SCD", 240, brand=False),
    SotorasibProduct("2687207", "sotorasib 240 MG Oral Tablet [Lumakras]", "SBD", 240, brand=True),
    SotorasibProduct("2628240", "sotorasib 320 MG Oral Tablet", "SCD", 320, brand=False),
    SotorasibProduct("2628242", "sotorasib 320 MG Oral Tablet [Lumakras]", "SBD", 320, brand=True),
]
# Brand products for which a generic equivalent is marketed; empty until one is (then add the SBD codes here).
SOTORASIB_BRANDS_WITH_GENERIC: list[str] = []
