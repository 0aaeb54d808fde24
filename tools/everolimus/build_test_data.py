"""Regenerate CP.PHAR.63's tests/data/*.json: small FHIR R4 collection Bundles, one clinical story each.

The real mCODE breast-cancer bundle is copied unchanged by hand (tests/data/mcode-ctm-app_...); the bundles
built here hold synthetic records and, for the real patient, only the draft order, coverage and prescriber.
The stories live in stories_oncology.py and stories_tsc_transplant.py, the resource builders in
everolimus_fixtures.py.

Run from the repository root:
    .venv/bin/python tools/everolimus/build_test_data.py [--check] [--output-root DIR]
--check exits 1 naming each bundle that is stale or missing, writing nothing; --output-root DIR writes (or checks)
under DIR/policies/... instead of this repository.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from everolimus_fixtures import Stories, collection_bundle
from stories_oncology import oncology_stories
from stories_tsc_transplant import tsc_transplant_stories

# Run as a script: the repository root (for the shared writer in tools/generated_files.py) is not on sys.path.
REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tools.generated_files import add_output_options, json_text, write_or_check  # noqa: E402

# Repository-relative, so --output-root can move it; the hand-copied mCODE bundle there is not ours to check.
DATA = Path("policies/centene/CP.PHAR.63/tests/data")


def all_stories() -> Stories:
    oncology, tsc_transplant = oncology_stories(), tsc_transplant_stories()
    # A name in both would silently keep one record and drop the other story's file.
    clashes = oncology.keys() & tsc_transplant.keys()
    if clashes:
        raise ValueError(f"story names used twice: {sorted(clashes)}")
    return {**oncology, **tsc_transplant}


def rendered_files() -> dict[Path, str]:
    """Repository-relative path -> file text, exactly as written to tests/data."""
    return {
        DATA / f"{name}.json": json_text(collection_bundle(name, resources))
        for name, resources in all_stories().items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    add_output_options(parser)
    args = parser.parse_args(argv)
    return write_or_check(rendered_files(), root=args.output_root, check=args.check)


if __name__ == "__main__":
    sys.exit(main())
