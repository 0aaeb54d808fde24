"""NDC_PRODUCTS: the one NDC <-> RxNorm product table of the drugs the policies name (build time only).

Pure data plus the NDC spellings. It feeds two generated artifacts:
- the medication value sets (tools/terminology/build_valuesets.py): every spelling of each package NDC of a row with
  a `vs_id` is listed next to the RxNorm codes, so a Dispense coded only by NDC is still recognised in the history;
- the run-time NDC -> RxNorm crosswalk (tools/terminology/build_ndc_crosswalk.py ->
  cds_service/gather/data/ndc-rxnorm.json) that identifies orders coded by NDC alone: only VERIFIED rows whose
  RxNorm product some policy governs go there, so an order is never decided on a guessed strength (an UNVERIFIED
  pairing leaves the order unidentified: info-needed).

Spellings (ndc_spellings): the 10-digit form as labelled (e.g. 55513-512-60, 5-3-2), the 11-digit 5-4-2 form with
hyphens (55513-0512-60) and the 11-digit billing form without (55513051260). A leading zero pads whichever
segment is short; the labelled segment lengths say which.

Sources, per row: openFDA NDC directory records (api.fda.gov/drug/ndc.json, found through the search corpus),
with their `openfda.rxcui` list. A row not seen in such a record is marked verified=False (UNVERIFIED), as in
terminology.md. No Krazati (adagrasib) or Lumakras 120/320 mg package NDC was found in the stored sources, so none
is listed: an unidentified NDC-only drug in the history makes the exclusions unknown instead (PriorTherapy.cql).
"""

from __future__ import annotations

from typing import NamedTuple

from tools.terminology.valueset_json import Concept

NDC = "http://hl7.org/fhir/sid/ndc"
DAILYMED_AFINITOR = (
    "DailyMed SPL setid 2150f73a-179b-4afc-b8ce-67c85cc72f04 (AFINITOR / AFINITOR DISPERZ, Novartis): NDC list "
    "0078-0566, -0567, -0594, -0620, -0626, -0627, -0628; strength per product from the label's How Supplied "
    "(not in the retrieved excerpt): UNVERIFIED pairing"
)
MEMORY_LUMAKRAS_120 = "Lumakras 120 mg product code as printed on the 2021 label's How Supplied (not retrieved here)"
_SEGMENTS_11 = (5, 4, 2)


class NdcProduct(NamedTuple):
    ndc: str  # package NDC as labelled (10 digits, hyphenated), or the labeller-product part for a whole product
    display: str  # package description
    vs_id: str | None  # medication value set this package belongs to (None: crosswalk only)
    rxcui: str  # RxNorm product (SCD or SBD) the package is
    rxcui_display: str
    source: str
    verified: bool = True


NDC_PRODUCTS: list[NdcProduct] = [
    NdcProduct(
        "55513-512-60",
        "LUMAKRAS sotorasib 240 mg, 120 coated tablets in 1 bottle",
        "sotorasib-products",
        "2687207",
        "sotorasib 240 MG Oral Tablet [Lumakras]",
        "openFDA NDC product 55513-512 (Amgen, 240 mg/1, SPL c80a362c-7ac3-4894-a076-0691e68ef8c1); the SBD of the "
        "240 mg strength per terminology.md §3.2 (strength pairing inferred there)",
    ),
    NdcProduct(
        "55513-954-01",
        "Vectibix panitumumab 100 mg/5 mL, 1 single-dose vial",
        "panitumumab",
        "1657703",
        "5 ML panitumumab 20 MG/ML Injection",
        "openFDA NDC product 55513-954 (Amgen, 100 mg/5mL; openfda.rxcui lists 1657703)",
    ),
    NdcProduct(
        "55513-954-21",
        "Vectibix panitumumab 100 mg/5 mL, 1 single-dose vial (2025 package)",
        "panitumumab",
        "1657703",
        "5 ML panitumumab 20 MG/ML Injection",
        "openFDA NDC product 55513-954, package marketed from 2025-10-01",
    ),
    # Whole products (every package maps the same), for order identification; the strength pairings are UNVERIFIED.
    NdcProduct(
        "55513-488",
        "LUMAKRAS sotorasib 120 mg tablets",
        None,
        "2550725",
        "sotorasib 120 MG Oral Tablet [Lumakras]",
        MEMORY_LUMAKRAS_120,
        verified=False,
    ),
    # Lumakras 320 mg: product code not found in the sources searched. Krazati (adagrasib 200 mg, labeller 80739):
    # neither its product code nor its RxNorm codes were verified (terminology.md §3.2), so no row.
    *(
        NdcProduct(product, f"AFINITOR / AFINITOR DISPERZ {strength}", None, rxcui, name, DAILYMED_AFINITOR, False)
        for product, strength, rxcui, name in (
            ("0078-0594", "2.5 mg", "998191", "everolimus 2.5 MG Oral Tablet [Afinitor]"),
            ("0078-0566", "5 mg", "845518", "everolimus 5 MG Oral Tablet [Afinitor]"),
            ("0078-0620", "7.5 mg", "1119400", "everolimus 7.5 MG Oral Tablet"),
            ("0078-0567", "10 mg", "845512", "everolimus 10 MG Oral Tablet [Afinitor]"),
            ("0078-0626", "2 mg", "1308428", "everolimus 2 MG Tablet for Oral Suspension"),
            ("0078-0627", "3 mg", "1308430", "everolimus 3 MG Tablet for Oral Suspension"),
            ("0078-0628", "5 mg", "1308432", "everolimus 5 MG Tablet for Oral Suspension"),
        )
    ),
]


def ndc11(ndc: str) -> str:
    """The 11-digit 5-4-2 form with hyphens: each labelled segment left-padded with zeros to 5, 4 and 2 digits."""
    segments = ndc.split("-")
    if len(segments) != 3 or not all(s.isdigit() for s in segments):
        raise ValueError(f"not a hyphenated 10-digit NDC: {ndc!r}")
    padded = [s.rjust(width, "0") for s, width in zip(segments, _SEGMENTS_11, strict=True)]
    if any(len(s) != width for s, width in zip(padded, _SEGMENTS_11, strict=True)) or len("".join(segments)) != 10:
        raise ValueError(f"not a 10-digit NDC: {ndc!r}")
    return "-".join(padded)


def ndc_spellings(ndc: str) -> list[str]:
    """Every spelling an EHR may send for one package: as labelled, 11-digit hyphenated, 11-digit plain."""
    eleven = ndc11(ndc)
    return [ndc, eleven, eleven.replace("-", "")]


def ndc_concepts(vs_id: str) -> list[Concept]:
    """The NDC concepts (all spellings) of the packages that belong to one medication value set."""
    return [
        (NDC, spelling, product.display)
        for product in NDC_PRODUCTS
        if product.vs_id == vs_id
        for spelling in ndc_spellings(product.ndc)
    ]
