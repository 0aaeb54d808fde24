"""NDC product codes -> RxNorm for the drugs the policies name: the source table of the NDC crosswalk.

An EHR may code a drug order by NDC alone (pharmacy-originated orders, dispensing systems); the policies are keyed
by RxNorm. Each row is one NDC *product* (labeller-product, every package size of it maps the same way) with the
RxNorm clinical or branded drug it is, and where the pairing comes from.

`verified` is True only when the source named both the product code and its strength; rows marked False are
UNVERIFIED (the product code is known, the strength pairing is from the label family and must be confirmed with
RxNav `ndcstatus`/openFDA before production use). build_ndc_crosswalk.py turns this table into the run-time file
cds_service/gather/data/ndc-rxnorm.json. Another helper keeps a product table for the same drugs (h2,
tools/terminology/ndc_products.py): the integrator unifies the two.
"""

from __future__ import annotations

from typing import NamedTuple

OPENFDA_LUMAKRAS_240 = "openFDA drug/ndc product_ndc 55513-512 (LUMAKRAS 240 mg/1, package 55513-512-60), 2026-09-29"
DAILYMED_AFINITOR = (
    "DailyMed SPL setid 2150f73a-179b-4afc-b8ce-67c85cc72f04 (AFINITOR / AFINITOR DISPERZ, Novartis): NDC list "
    "0078-0566, -0567, -0594, -0620, -0626, -0627, -0628; strength per product from the label's How Supplied "
    "(not in the retrieved excerpt)"
)
MEMORY_LUMAKRAS_120 = "Lumakras 120 mg product code as printed on the 2021 label's How Supplied (not retrieved here)"


class NdcRow(NamedTuple):
    product_ndc: str  # labeller-product as the label prints it (4-4, 5-3 or 5-4 digits)
    rxnorm: str  # the RxNorm SBD (branded product) the NDC product is
    display: str
    source: str
    verified: bool


ROWS: tuple[NdcRow, ...] = (
    # Lumakras (sotorasib), Amgen, labeller 55513
    NdcRow("55513-512", "2687207", "sotorasib 240 MG Oral Tablet [Lumakras]", OPENFDA_LUMAKRAS_240, True),
    NdcRow("55513-488", "2550725", "sotorasib 120 MG Oral Tablet [Lumakras]", MEMORY_LUMAKRAS_120, False),
    # Lumakras 320 mg: product code not found in the sources searched; orders by its NDC get info-needed.
    # Krazati (adagrasib 200 mg, Mirati, labeller 80739): neither its product code nor its RxNorm codes were
    # verified (terminology.md §3.2), so no row: no policy governs it today.
    # Afinitor (everolimus tablets) and Afinitor Disperz (tablets for oral suspension), Novartis, labeller 0078
    NdcRow("0078-0594", "998191", "everolimus 2.5 MG Oral Tablet [Afinitor]", DAILYMED_AFINITOR, False),
    NdcRow("0078-0566", "845518", "everolimus 5 MG Oral Tablet [Afinitor]", DAILYMED_AFINITOR, False),
    NdcRow("0078-0620", "1119400", "everolimus 7.5 MG Oral Tablet", DAILYMED_AFINITOR, False),
    NdcRow("0078-0567", "845512", "everolimus 10 MG Oral Tablet [Afinitor]", DAILYMED_AFINITOR, False),
    NdcRow("0078-0626", "1308428", "everolimus 2 MG Tablet for Oral Suspension", DAILYMED_AFINITOR, False),
    NdcRow("0078-0627", "1308430", "everolimus 3 MG Tablet for Oral Suspension", DAILYMED_AFINITOR, False),
    NdcRow("0078-0628", "1308432", "everolimus 5 MG Tablet for Oral Suspension", DAILYMED_AFINITOR, False),
)
