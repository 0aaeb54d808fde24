"""Translate every policy library to ELM JSON with the official CQL-to-ELM translator, kept beside the CQL.

Usage (repository root):
    .venv/bin/python tools/dtr/build_elm.py [--check] [--output-root DIR]

DTR (§spec-95, §spec-99) ships each Library with its CQL text and its ELM, so an EHR's CQL engine runs the
payer's logic without a translator of its own. The ELM comes from tools/reference-cql (npm @cqframework/cql, the
HL7 translator) at build time; the service only reads the files. Output:
- policies/<payer>/<id>/elm/<Library>.elm.json for each policy's main library;
- policies/_shared/elm/<Library>.elm.json for the shared libraries and FHIRHelpers, and
  policies/_shared/elm/FHIRHelpers.cql.txt, the FHIRHelpers 4.0.1 source the translator used (not `.cql`:
  FHIRHelpers is built into cql_like and must not be loaded as a policy library).
JSON is written compact (one line) since nobody reads ELM by hand and it is large. Needs node (the
tools/reference-cql node_modules); --check regenerates in memory and compares.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tools.generated_files import add_output_options, write_or_check  # noqa: E402

TOOL = REPO / "tools" / "reference-cql"
POLICIES = REPO / "policies"
SHARED_ELM = Path("policies/_shared/elm")
ELM_SUFFIX = ".elm.json"
FHIRHELPERS_SOURCE = SHARED_ELM / "FHIRHelpers.cql.txt"
_FHIRHELPERS_SCRIPT = "const m = await import(process.argv[1]); process.stdout.write(m.fhirHelpersSource());"


def policy_libraries() -> dict[Path, str]:
    """Each policy folder (repository-relative) -> its main library name."""
    found = {}
    for policy_file in sorted(POLICIES.glob("*/*/policy.yaml")):
        metadata = yaml.safe_load(policy_file.read_text(encoding="utf-8"))
        found[policy_file.parent.relative_to(REPO)] = str(metadata["library"])
    return found


def elm_text(elm: object) -> str:
    return json.dumps(elm, ensure_ascii=False, separators=(",", ":")) + "\n"


def translate(mains: list[Path]) -> dict[str, object]:
    """Library name -> ELM for the main libraries and everything they include (one translator session each)."""
    with tempfile.TemporaryDirectory() as out:
        command = ["node", str(TOOL / "cli.mjs"), "translate", *(str(REPO / m) for m in mains), "--out", out]
        result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600, check=False)
        if result.returncode != 0:
            sys.stderr.write(result.stderr)
            raise SystemExit(f"the CQL-to-ELM translator failed (exit {result.returncode})")
        return {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in sorted(Path(out).glob("*.json"))}


def fhirhelpers_source() -> str:
    script = TOOL / "lib" / "fhirhelpers.mjs"
    result = subprocess.run(
        ["node", "--input-type=module", "-e", _FHIRHELPERS_SCRIPT, script.as_uri()],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    return result.stdout if result.stdout.endswith("\n") else result.stdout + "\n"


def generated_files() -> dict[Path, str]:
    libraries = policy_libraries()
    elm = translate([folder / f"{name}.cql" for folder, name in libraries.items()])
    files: dict[Path, str] = {}
    main_names = set(libraries.values())
    for folder, name in libraries.items():
        files[folder / "elm" / f"{name}{ELM_SUFFIX}"] = elm_text(elm[name])
    for name, library in elm.items():
        if name not in main_names:
            files[SHARED_ELM / f"{name}{ELM_SUFFIX}"] = elm_text(library)
    files[FHIRHELPERS_SOURCE] = fhirhelpers_source()
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_output_options(parser)
    args = parser.parse_args(argv)
    owned = ["policies/*/*/elm/*.elm.json", "policies/_shared/elm/*"]
    return write_or_check(generated_files(), root=args.output_root, check=args.check, owned=owned)


if __name__ == "__main__":
    sys.exit(main())
