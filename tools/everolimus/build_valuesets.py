"""Regenerate valuesets/*.json for CP.PHAR.63 from the reference terminology.

Build-time only: the RxNorm rows are copied from the shared subset into each ValueSet's expansion, so the
product never reads ../shared. ICD-10-CM leaves come from the FY2025 tabular list (simple-icd-10-cm 1.5.0, a dev
dependency). The ValueSet rendering is the repository's shared toolkit (tools/terminology/valueset_json.py), the
writing its shared generated-file writer (tools/generated_files.py); this script puts the repository root on
sys.path, computed from its own location, to import them. Concepts keep the order listed here (version "2025.02").

Run from the repository root:
    .venv/bin/python tools/everolimus/build_valuesets.py [SHARED_DIR] [--check] [--output-root DIR]
SHARED_DIR defaults to ../shared next to the repository.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

# Build-time only: the shared value-set toolkit and file writer live in the repository's tools/.
REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from everolimus_code_tables import (  # noqa: E402
    AFINITOR_SBD,
    ICD_CODE_SETS,
    ICD_LEAF_SETS,
    LISTED_CODE_SETS,
    LOCAL_DOSE_FORMS,
    MIXED_DIAGNOSIS_SETS,
    RXNORM_NAME_SETS,
    icd_codes,
    icd_leaves,
)

from tools.generated_files import add_output_options, json_text, write_or_check  # noqa: E402
from tools.terminology.valueset_json import (  # noqa: E402
    RXNORM,
    RxNormRow,
    ValueSetSpec,
    rx,
    rxnorm_codes,
    rxnorm_named,
    to_resource,
)

VERSION = "2025.02"
OUT_DIR = Path("policies/centene/CP.PHAR.63/valuesets")  # relative to the repository root
RXNORM_SUBSET = Path("terminology/rxnorm-subset_mcode-ctm-app_medications.json")  # relative to SHARED_DIR


def product_sets(rows: Sequence[RxNormRow]) -> list[ValueSetSpec]:
    """VI. Product Availability: the family follows from dose form + strength."""
    return [
        ValueSetSpec(
            "everolimus-afinitor-tablet-products",
            "Everolimus oral tablets 2.5-10 mg (Afinitor family)",
            "Oral tablets of 2.5, 5, 7.5 or 10 mg: the Afinitor strengths (CP.PHAR.63 VI), generic SCDs and Afinitor "
            "SBDs/SBDF. Strength identifies the label family because Afinitor and Zortress strengths do not overlap.",
            rxnorm_codes(rows, ["998189", "845515", "1119400", "845507", "845511"]) + AFINITOR_SBD,
        ),
        ValueSetSpec(
            "everolimus-afinitor-disperz-products",
            "Everolimus tablets for oral suspension 2-5 mg (Afinitor Disperz family)",
            "Tablets for oral suspension of 2, 3 or 5 mg (CP.PHAR.63 VI), SCDs, the SCDF and the Afinitor SBDF: the "
            "dose form alone identifies Disperz. Told apart from Afinitor 5 mg by dose form.",
            rxnorm_codes(rows, ["1308428", "1308430", "1308432", "1869513", "1869516"]),
        ),
        ValueSetSpec(
            "everolimus-zortress-products",
            "Everolimus oral tablets 0.25-1 mg (Zortress family)",
            "Oral tablets of 0.25, 0.5, 0.75 or 1 mg: the Zortress strengths (CP.PHAR.63 VI), generic SCDs and the "
            "Zortress SBDF.",
            rxnorm_codes(rows, ["977427", "977434", "977438", "2056895", "977430"]),
        ),
        ValueSetSpec(
            "everolimus-brand-products",
            "Everolimus brand-name products (Afinitor, Afinitor Disperz, Zortress)",
            "Branded everolimus products (SBD/SBDF): requests for these fall under the generic redirection criteria.",
            AFINITOR_SBD + rxnorm_codes(rows, ["845511", "1869516", "977430"]),
        ),
        ValueSetSpec(
            "everolimus-all",
            "Everolimus (any RxNorm term type)",
            "Every everolimus RxNorm concept of the subset; used to find current or past everolimus therapy (II.A.1).",
            rxnorm_named(rows, ["everolimus"]) + AFINITOR_SBD,
        ),
    ]


def drug_sets(rows: Sequence[RxNormRow]) -> list[ValueSetSpec]:
    named = [
        ValueSetSpec(vs_id, title, description, rxnorm_named(rows, names, (*exclude, *LOCAL_DOSE_FORMS)))
        for vs_id, title, description, names, exclude in RXNORM_NAME_SETS
    ]
    return [
        *named,
        ValueSetSpec(
            "gist-combination-partner",
            "Imatinib, sunitinib or regorafenib",
            "I.H.2.c partners (imatinib 282388 UNVERIFIED; imatinib is also matched by name).",
            rxnorm_named(rows, ["sunitinib", "regorafenib"]) + [(RXNORM, "282388", "imatinib")],
        ),
        ValueSetSpec(
            "antineoplastic-agent",
            "Antineoplastic agents other than everolimus",
            "I.H.2.a single-agent check: every non-everolimus subset row (platinum, taxanes, antimetabolites, "
            "anti-PD-1/PD-L1/CTLA-4, anti-VEGF, TKIs, endocrine agents).",
            [rx(str(r["code"]), str(r["display"])) for r in rows if "everolimus" not in str(r["display"]).lower()],
        ),
    ]


def everolimus_valuesets(rows: Sequence[RxNormRow]) -> list[ValueSetSpec]:
    icd_sets = [
        ValueSetSpec(vs_id, title, description, icd_leaves(*prefixes))
        for vs_id, title, description, prefixes in ICD_LEAF_SETS
    ] + [
        ValueSetSpec(vs_id, title, description, icd_codes(*codes)) for vs_id, title, description, codes in ICD_CODE_SETS
    ]
    return [*product_sets(rows), *MIXED_DIAGNOSIS_SETS, *icd_sets, *LISTED_CODE_SETS, *drug_sets(rows)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("shared_dir", nargs="?", type=Path, default=REPO.parent / "shared")
    add_output_options(parser)
    args = parser.parse_args(argv)
    rows = json.loads((args.shared_dir / RXNORM_SUBSET).read_text(encoding="utf-8"))
    files = {
        OUT_DIR / f"{spec.vs_id}.json": json_text(to_resource(spec, version=VERSION, order="first-seen"))
        for spec in everolimus_valuesets(rows)
    }
    return write_or_check(files, root=args.output_root, check=args.check)


if __name__ == "__main__":
    sys.exit(main())
