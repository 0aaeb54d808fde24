"""Regenerate tests/data/*.json: small FHIR R4 collection Bundles, one clinical story each.

The real mCODE breast-cancer bundle is copied unchanged by hand (tests/data/mcode-ctm-app_...); the bundles
built here hold synthetic records and, for the real patient, only the draft order, coverage and prescriber.
The stories live in stories_oncology.py and stories_tsc_transplant.py, the resource builders in
everolimus_fixtures.py.

    python tools/build_test_data.py            # write the bundles
    python tools/build_test_data.py --check    # exit 1 naming each bundle that is stale or missing
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from everolimus_fixtures import Stories, collection_bundle
from stories_oncology import oncology_stories
from stories_tsc_transplant import tsc_transplant_stories

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"


def all_stories() -> Stories:
    oncology, tsc_transplant = oncology_stories(), tsc_transplant_stories()
    # A name in both would silently keep one record and drop the other story's file.
    clashes = oncology.keys() & tsc_transplant.keys()
    if clashes:
        raise ValueError(f"story names used twice: {sorted(clashes)}")
    return {**oncology, **tsc_transplant}


def rendered_files() -> dict[str, str]:
    """File name -> file text, exactly as written to tests/data."""
    return {
        f"{name}.json": json.dumps(collection_bundle(name, resources), indent=2) + "\n"
        for name, resources in all_stories().items()
    }


def write(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for file_name, text in rendered_files().items():
        (out / file_name).write_text(text)


def stale_files(out: Path) -> list[str]:
    """The generated files in `out` that are missing or differ from what the stories produce now."""
    stale = []
    for file_name, text in rendered_files().items():
        path = out / file_name
        if not path.is_file():
            stale.append(f"{file_name}: missing")
        elif path.read_bytes() != text.encode():
            stale.append(f"{file_name}: stale")
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--check", action="store_true", help="compare with the files on disk and write nothing; exit 1 if any differ"
    )
    parser.add_argument("--out", type=Path, default=DATA, help=f"the data folder (default {DATA})")
    args = parser.parse_args(argv)
    if not args.check:
        write(args.out)
        return 0
    stale = stale_files(args.out)
    for line in stale:
        print(line, file=sys.stderr)
    if stale:
        print(f"{len(stale)} file(s) out of date; run {Path(__file__).name} to regenerate", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
