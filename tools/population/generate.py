"""A synthetic FHIR Bulk Data export of a payer's membership, for `replay --population` (issue 18).

    python tools/population/generate.py --out var/population --patients 10000 [--seed 1] [--gzip]

One NDJSON file per resource type (Patient.ndjson, Condition.ndjson, ...), patients spread over all of them, as a
Bulk Data `$export` delivers them. Deterministic: the same seed and size give the same bytes.

Two kinds of members:
- those who take a drug a policy governs (`--drug-share`, 10 % by default): the resources of one of the policies' own
  test cases (policies/*/tests/cases.yaml, built by the policies' case builders) re-identified for the member, the
  case's draft order turned into the member's own active MedicationRequest, under a Coverage for the policy's payer
  and the case's line of business; plus a routine history;
- everyone else: a routine history only (tens to hundreds of encounters, vitals, labs, chronic conditions and the
  drugs that treat them), none of which a policy governs.
Practitioners, Organizations and Medications belong to no patient: they are written once, shared by the members who
reference them (as in a real export).
"""

from __future__ import annotations

import argparse
import gzip
import random
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, BinaryIO, cast

import orjson

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))  # run as a script from anywhere: the policies and their cases live in the repository

from cds_service.policy import PolicyRegistry  # noqa: E402
from cds_service.policy.cases import case_resources, load_cases  # noqa: E402
from cds_service.replay.inputs import patient_of  # noqa: E402
from cds_service.replay.orders import payer_coverage  # noqa: E402

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
# Routine chronic care: (SNOMED condition, RxNorm drug that treats it). None of these drugs is one a policy governs
# (a test checks it against the loaded policies).
ROUTINE_CARE = (
    ("38341003", "Hypertensive disorder", "314076", "lisinopril 10 MG Oral Tablet"),
    ("44054006", "Diabetes mellitus type 2", "861007", "metformin hydrochloride 500 MG Oral Tablet"),
    ("55822004", "Hyperlipidemia", "617310", "atorvastatin 20 MG Oral Tablet"),
    ("195967001", "Asthma", "745679", "albuterol 0.09 MG/ACTUAT Metered Dose Inhaler"),
    ("35489007", "Depressive disorder", "312938", "sertraline 50 MG Oral Tablet"),
)
VITALS = (
    ("8480-6", "Systolic blood pressure", "mm[Hg]", 105.0, 160.0),
    ("29463-7", "Body weight", "kg", 45.0, 130.0),
    ("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "%", 4.8, 9.5),
)
_NO_PATIENT_TYPES = ("Practitioner", "PractitionerRole", "Organization", "Medication", "Location")


@dataclass(frozen=True)
class Template:
    """One policy test case as a member template: its resources and the draft order to make the member's own."""

    name: str
    payer: str
    line_of_business: str
    order_id: str
    resources: tuple[dict[str, Any], ...]


def templates(policies_dir: Path) -> list[Template]:
    found = []
    for policy in PolicyRegistry.load(policies_dir):
        for case in load_cases(policy):
            resources = case_resources(case)
            if not any(r.get("resourceType") == "Patient" for r in resources):
                continue
            if not all(isinstance(r.get("id"), str) for r in resources):
                continue  # a transaction Bundle linked by urn:uuid fullUrls: its links cannot be re-identified
            found.append(
                Template(
                    name=case.test_id,
                    payer=policy.metadata.payer,
                    line_of_business=case.line_of_business,
                    order_id=case.order_id,
                    resources=tuple(resources),
                )
            )
    return found


def generate(out: Path, patients: int, seed: int, drug_share: float, policies_dir: Path, compress: bool) -> int:
    """Write the export; the number of resources written."""
    rng = random.Random(seed)
    cases = templates(policies_dir)
    out.mkdir(parents=True, exist_ok=True)
    suffix = ".ndjson.gz" if compress else ".ndjson"
    written = 0
    shared_seen: set[tuple[str, str]] = set()
    with ExitStack() as stack:
        files: dict[str, BinaryIO] = {}

        def write(resource: dict[str, Any]) -> None:
            nonlocal written
            kind = str(resource["resourceType"])
            if kind not in files:
                path = out / f"{kind}{suffix}"
                # mtime=0: the same seed gives the same bytes, gzipped or not
                raw: BinaryIO = stack.enter_context(path.open("wb"))
                if compress:
                    raw = cast(BinaryIO, stack.enter_context(gzip.GzipFile(fileobj=raw, mode="wb", mtime=0)))
                files[kind] = raw
            files[kind].write(orjson.dumps(resource) + b"\n")
            written += 1

        for number in range(patients):
            patient_id = f"m{number:07d}"
            if cases and rng.random() < drug_share:
                index = rng.randrange(len(cases))
                member = list(_from_template(cases[index], index, patient_id))
            else:
                member = [_patient(rng, patient_id), *_routine_coverage(rng, patient_id)]
            member.extend(_routine_history(rng, patient_id))
            for resource in member:
                if patient_of(resource) is None:
                    key = (str(resource["resourceType"]), str(resource["id"]))
                    if key in shared_seen:
                        continue
                    shared_seen.add(key)
                write(resource)
    return written


def _from_template(template: Template, index: int, patient_id: str) -> Iterator[dict[str, Any]]:
    """The case's resources re-identified: the member's own get the member's prefix, shared ones the template's."""
    ids: dict[tuple[str, str], str] = {}
    for resource in template.resources:
        kind, old = str(resource["resourceType"]), str(resource["id"])
        if kind == "Patient":
            ids[(kind, old)] = patient_id
        elif kind in _NO_PATIENT_TYPES or patient_of(resource) is None:
            ids[(kind, old)] = f"t{index}-{old}"
        else:
            ids[(kind, old)] = f"{patient_id}-{old}"
    payers = {
        str(payor.get("reference", "")).rpartition("/")[2]
        for resource in template.resources
        if resource.get("resourceType") == "Coverage"
        for payor in resource.get("payor") or ()
    }
    for resource in template.resources:
        kind = str(resource["resourceType"])
        if kind == "Coverage" or (kind == "Organization" and resource["id"] in payers):
            continue  # replaced by a Coverage for the case's payer and line of business below
        copy = _rewrite(resource, ids)
        assert isinstance(copy, dict)
        copy["id"] = ids[(kind, str(resource["id"]))]
        if kind == "MedicationRequest" and resource["id"] == template.order_id:
            copy["status"] = "active"  # the member's own order: replay decides it as a draft order-sign
        yield copy
    yield from payer_coverage(template.payer, template.line_of_business, patient_id)


def _rewrite(value: Any, ids: dict[tuple[str, str], str]) -> Any:
    if isinstance(value, dict):
        copied = {key: _rewrite(item, ids) for key, item in value.items()}
        reference = copied.get("reference")
        if isinstance(reference, str) and "/" in reference:
            kind, _, old = reference.rpartition("/")
            new = ids.get((kind.rsplit("/", 1)[-1], old))
            if new is not None:
                copied["reference"] = f"{kind.rsplit('/', 1)[-1]}/{new}"
        elif isinstance(reference, str) and reference.startswith("urn:uuid:"):
            old = reference.removeprefix("urn:uuid:")
            new = next((v for (_, o), v in ids.items() if o == old), None)
            if new is not None:
                kind = next(k for (k, o) in ids if o == old)
                copied["reference"] = f"{kind}/{new}"
        return copied
    if isinstance(value, list):
        return [_rewrite(item, ids) for item in value]
    return value


def _patient(rng: random.Random, patient_id: str) -> dict[str, Any]:
    born = date(1935, 1, 1) + timedelta(days=rng.randrange(365 * 88))
    return {
        "resourceType": "Patient",
        "id": patient_id,
        "gender": rng.choice(("female", "male")),
        "birthDate": born.isoformat(),
        "name": [{"family": f"Member{patient_id[1:]}", "given": ["Synthetic"]}],
    }


def _routine_coverage(rng: random.Random, patient_id: str) -> list[dict[str, Any]]:
    payer, line = rng.choice(
        (("centene", "medicaid"), ("centene", "marketplace"), ("centene", "commercial"), ("fep-blue", "fehb"))
    )
    return payer_coverage(payer, line, patient_id)


def _routine_history(rng: random.Random, patient_id: str) -> Iterator[dict[str, Any]]:
    """Tens to hundreds of resources: chronic conditions with their drugs, encounters with vitals and labs."""
    subject = {"reference": f"Patient/{patient_id}"}
    start = date(2016, 1, 1)
    for number, (condition, condition_name, drug, drug_name) in enumerate(ROUTINE_CARE):
        if rng.random() >= 0.3:
            continue
        onset = start + timedelta(days=rng.randrange(3000))
        yield {
            "resourceType": "Condition",
            "id": f"{patient_id}-cond-{number}",
            "clinicalStatus": {"coding": [{"code": "active"}]},
            "code": {"coding": [{"system": SNOMED, "code": condition, "display": condition_name}]},
            "subject": subject,
            "onsetDateTime": onset.isoformat(),
        }
        yield {
            "resourceType": "MedicationRequest",
            "id": f"{patient_id}-rx-{number}",
            "status": "active",
            "intent": "order",
            "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": drug, "display": drug_name}]},
            "subject": subject,
            "authoredOn": onset.isoformat(),
        }
    for visit in range(rng.randrange(8, 60)):
        when = start + timedelta(days=rng.randrange(3800))
        encounter = f"{patient_id}-enc-{visit}"
        yield {
            "resourceType": "Encounter",
            "id": encounter,
            "status": "finished",
            "class": {"code": "AMB"},
            "subject": subject,
            "period": {"start": when.isoformat(), "end": when.isoformat()},
        }
        for code, name, unit, low, high in VITALS:
            if rng.random() < 0.6:
                yield {
                    "resourceType": "Observation",
                    "id": f"{encounter}-{code}",
                    "status": "final",
                    "code": {"coding": [{"system": LOINC, "code": code, "display": name}]},
                    "subject": subject,
                    "encounter": {"reference": f"Encounter/{encounter}"},
                    "effectiveDateTime": when.isoformat(),
                    "valueQuantity": {"value": round(rng.uniform(low, high), 1), "unit": unit},
                }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, required=True, help="folder for the NDJSON files")
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--drug-share", type=float, default=0.1, help="share of members taking a governed drug")
    parser.add_argument("--policies", type=Path, default=REPO / "policies")
    parser.add_argument("--gzip", action="store_true", help="write .ndjson.gz")
    args = parser.parse_args(argv)
    written = generate(args.out, args.patients, args.seed, args.drug_share, args.policies, args.gzip)
    print(f"{args.patients} patients, {written} resources in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
