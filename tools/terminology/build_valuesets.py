"""Build the shared sotorasib value sets (FHIR R4 ValueSet JSON with expansions) from reviewed code tables.

Run from the repository root:
    .venv/bin/python tools/terminology/build_valuesets.py [--rxnorm PATH] [--check] [--output-root DIR]

The code tables (sotorasib_code_tables.py, medication_groups.py) are transcribed from
../shared/reference/terminology.md; sotorasib_specs.py lists the value sets. Medication value sets list the
ingredient code AND every product code of that ingredient found in the RxNorm subset file (read here, at build
time only; the product reads the JSON this script writes). Output is deterministic, concepts sorted by
(system, code), so a re-run only shows real changes in git; --check compares instead of writing.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

# Run as a script, so the repository root (for the tools.terminology imports) is not on sys.path by itself.
REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tools.generated_files import add_output_options, json_text, write_or_check  # noqa: E402
from tools.terminology.sotorasib_specs import sotorasib_valuesets  # noqa: E402
from tools.terminology.valueset_json import to_resource  # noqa: E402

DEFAULT_RXNORM = REPO.parent / "shared" / "terminology" / "rxnorm-subset_mcode-ctm-app_medications.json"
VERSION = "1.0.0"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rxnorm", type=Path, default=DEFAULT_RXNORM, help="the RxNorm subset file")
    add_output_options(parser)
    args = parser.parse_args(argv)
    rows = json.loads(args.rxnorm.read_text(encoding="utf-8"))
    files = {
        folder / f"{spec.vs_id}.json": json_text(to_resource(spec, version=VERSION, order="sorted"))
        for folder, specs in sotorasib_valuesets(rows).items()
        for spec in specs
    }
    return write_or_check(files, root=args.output_root, check=args.check)


if __name__ == "__main__":
    sys.exit(main())
