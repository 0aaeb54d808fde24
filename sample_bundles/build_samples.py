"""Build sample_bundles/ from the policies' own test cases: `python sample_bundles/build_samples.py`.

Each sample is one clinical story taken from a policy's tests/cases.yaml (so the sample and the policy's
test agree on what the record shows), re-shaped as a complete order-sign hook request with prefetch:
the draft orders go to context.draftOrders, the record to the prefetch keys our discovery document
asks for, and the Coverage is rewritten for the payer and line of business the sample shows. Beside each
request, records/<name>.json holds the patient record as a Bundle (for `python -m cds_service replay`),
and index.json lists every sample with its description and the answer it should get.

Deterministic: ids, hookInstances and file bytes depend only on the inputs, so `--check` can tell
whether the committed samples are stale (exit 1 naming each stale or missing file, write nothing).
`--output-root DIR` writes under DIR/sample_bundles instead of this repository; `--policies DIR` reads the
cases from DIR instead of the repository's policies/.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sample_catalog import SAMPLES, OrderSwap, Sample

# Run as a script: the repository root (for the shared writer in tools/generated_files.py) is not on sys.path.
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tools.generated_files import add_output_options, json_text, write_or_check  # noqa: E402

# Repository-relative, so --output-root can move the samples.
SAMPLES_DIR = Path(__file__).resolve().parent.relative_to(REPO)
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SOPT = "https://nahdo.org/sopt"
PAYER_ID_SYSTEM = "http://example.org/payer-id"
FHIR_BASE = "https://ehr.example.org/fhir"
SANDBOX_FHIR = "https://launch.smarthealthit.org/v/r4/fhir"
_NAMESPACE = uuid.UUID("6f1c2d3e-4b5a-4c6d-8e7f-90a1b2c3d4e5")

# Prefetch key -> resource types it carries (the order-sign templates in cds_service/hook/discovery.py;
# Organizations, Medications and Practitioners ride along as `_include`s of their searches). Every key is sent,
# empty when the story has none of its types: a key not sent is data the service could not see (it would try
# to fetch it and report it unavailable).
PREFETCH_TYPES: Mapping[str, tuple[str, ...]] = {
    "coverage": ("Coverage", "Organization"),
    "conditions": ("Condition",),
    "observations": ("Observation",),
    "medicationRequests": ("MedicationRequest", "Medication"),
    "medicationStatements": ("MedicationStatement",),
    "practitionerRoles": ("PractitionerRole", "Practitioner"),
    "medicationAdministrations": ("MedicationAdministration",),
    "medicationDispenses": ("MedicationDispense",),
    "procedures": ("Procedure",),
    "serviceRequests": ("ServiceRequest",),
}
ORDER_TYPES = ("MedicationRequest", "ServiceRequest")
LINE_COVERAGE: Mapping[str, dict[str, Any]] = {
    "medicaid": {"type": {"coding": [{"system": SOPT, "code": "21", "display": "Medicaid (Managed Care)"}]}},
    "marketplace": {
        "type": {"coding": [{"system": SOPT, "code": "5", "display": "PRIVATE HEALTH INSURANCE"}]},
        "class": [
            {
                "type": {
                    "coding": [{"system": "http://terminology.hl7.org/CodeSystem/coverage-class", "code": "plan"}]
                },
                "value": "AMBETTER-GOLD",
                "name": "Ambetter Gold",
            }
        ],
    },
    "commercial": {"type": {"coding": [{"system": SOPT, "code": "512", "display": "Commercial Managed Care - PPO"}]}},
    "fehb": {"type": {"coding": [{"system": SOPT, "code": "3116", "display": "Federal Employees Health Plan"}]}},
}
PAYER_NAMES = {
    "centene": "Centene Corporation",
    "fep-blue": "Federal Employee Program (Blue Cross Blue Shield)",
}


class SampleError(ValueError):
    """A sample names a case or data that does not exist, or data the hook request cannot carry."""


def load_case(policies_dir: Path, sample: Sample) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    cases_file = policies_dir / sample.policy / "tests" / "cases.yaml"
    cases = (yaml.safe_load(cases_file.read_text(encoding="utf-8")) or {}).get("cases", [])
    case = next((c for c in cases if c.get("note") == sample.case), None)
    if case is None:
        raise SampleError(f"{sample.name}: no case {sample.case!r} in {cases_file}")
    data = case["data"]
    resources: list[dict[str, Any]] = []
    for name in [data] if isinstance(data, str) else data:
        bundle = json.loads((cases_file.parent / name).read_text(encoding="utf-8"))
        if bundle.get("resourceType") == "Bundle":
            resources.extend(e["resource"] for e in bundle.get("entry", []) if "resource" in e)
        else:
            resources.append(bundle)
    return case, resources


def _ref(resource: Mapping[str, Any]) -> str:
    return f"{resource['resourceType']}/{resource['id']}"


def _deduplicated(resources: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for resource in resources:
        seen.setdefault(_ref(resource), resource)
    return list(seen.values())


def payer_organization(payer: str) -> dict[str, Any]:
    return {
        "resourceType": "Organization",
        "id": f"org-{payer}",
        "identifier": [{"system": PAYER_ID_SYSTEM, "value": payer}],
        "active": True,
        "type": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/organization-type",
                        "code": "pay",
                        "display": "Payer",
                    }
                ]
            }
        ],
        "name": PAYER_NAMES.get(payer, payer),
    }


def coverage_for(original: Mapping[str, Any] | None, patient_id: str, payer: str, line: str) -> dict[str, Any]:
    """The case's Coverage (or a new one), pointed at the sample payer and shaped for the line of business."""
    resource: dict[str, Any] = {
        "resourceType": "Coverage",
        "id": str(original["id"]) if original else "cov-1",
        "status": "active",
        "subscriberId": str(original.get("subscriberId", "M123456")) if original else "M123456",
        "beneficiary": {"reference": f"Patient/{patient_id}"},
        "relationship": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/subscriber-relationship",
                    "code": "self",
                }
            ]
        },
        "payor": [{"reference": f"Organization/org-{payer}"}],
    }
    resource.update(copy.deepcopy(LINE_COVERAGE[line]))
    return resource


def swapped_order(order: Mapping[str, Any], swap: OrderSwap) -> dict[str, Any]:
    resource = copy.deepcopy(dict(order))
    resource["id"] = swap.order_id
    resource.pop("medicationReference", None)
    resource["medicationCodeableConcept"] = {
        "coding": [{"system": RXNORM, "code": swap.code, "display": swap.display}],
        "text": swap.display,
    }
    resource["dosageInstruction"] = [
        {
            "text": f"{swap.dose_mg:g} mg by mouth {swap.per_day} time(s) a day",
            "timing": {"repeat": {"frequency": swap.per_day, "period": 1, "periodUnit": "d"}},
            "doseAndRate": [
                {
                    "doseQuantity": {
                        "value": swap.dose_mg,
                        "unit": "mg",
                        "system": "http://unitsofmeasure.org",
                        "code": "mg",
                    }
                }
            ],
        }
    ]
    return resource


def searchset(resources: Iterable[Mapping[str, Any]], match_types: Iterable[str]) -> dict[str, Any]:
    matched = set(match_types)
    listed = list(resources)
    entries = [
        {
            "fullUrl": f"{FHIR_BASE}/{_ref(r)}",
            "resource": r,
            "search": {"mode": "match" if r["resourceType"] in matched else "include"},
        }
        for r in listed
    ]
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": sum(1 for r in listed if r["resourceType"] in matched),
        "entry": entries,
    }


@dataclass
class BuiltSample:
    request: dict[str, Any]
    record: dict[str, Any]
    index_entry: dict[str, Any]


def build(sample: Sample, policies_dir: Path) -> BuiltSample:
    case, resources = load_case(policies_dir, sample)
    resources = _deduplicated(copy.deepcopy(resources))
    order_id = str(case["order"])
    by_type: dict[str, list[dict[str, Any]]] = {}
    for resource in resources:
        by_type.setdefault(resource["resourceType"], []).append(resource)
    patients = by_type.pop("Patient", [])
    if len(patients) != 1:
        raise SampleError(f"{sample.name}: the case must hold exactly one Patient, found {len(patients)}")
    patient = patients[0]

    drafts = [r for t in ORDER_TYPES for r in by_type.get(t, []) if r.get("status") == "draft"]
    if not any(r["id"] == order_id for r in drafts):
        raise SampleError(f"{sample.name}: no draft MedicationRequest/{order_id} in the case")
    if sample.swap is not None:
        drafts = [swapped_order(r, sample.swap) if r["id"] == order_id else r for r in drafts]
        order_id = sample.swap.order_id
    for kind in ORDER_TYPES:
        by_type[kind] = [r for r in by_type.get(kind, []) if r.get("status") != "draft"]

    coverages = by_type.pop("Coverage", [])
    original_coverage = coverages[0] if coverages else None
    by_type["Coverage"] = [coverage_for(original_coverage, patient["id"], sample.payer, sample.line)]
    payor_ids = {
        p.get("reference", "").split("/")[-1] for p in (original_coverage or {}).get("payor", []) if isinstance(p, dict)
    }
    others = [o for o in by_type.get("Organization", []) if o["id"] not in payor_ids | {f"org-{sample.payer}"}]
    by_type["Organization"] = [payer_organization(sample.payer), *others]

    placed = {t for types in PREFETCH_TYPES.values() for t in types}
    unplaced = sorted(kind for kind, found in by_type.items() if found and kind not in placed)
    if unplaced:
        raise SampleError(f"{sample.name}: the order-sign prefetch has no key for {', '.join(unplaced)}")
    prefetch: dict[str, Any] = {"patient": patient}
    for key, types in PREFETCH_TYPES.items():
        found = [r for t in types for r in by_type.get(t, [])]
        prefetch[key] = searchset(found, types[:1])

    order = next(r for r in drafts if r["id"] == order_id)
    requester = order.get("requester", {}).get("reference") if isinstance(order.get("requester"), dict) else None
    if not (isinstance(requester, str) and requester.startswith("Practitioner")):
        roles = by_type.get("PractitionerRole", [])
        role_practitioner = roles[0].get("practitioner", {}).get("reference") if roles else None
        requester = role_practitioner if isinstance(role_practitioner, str) else "Practitioner/prac-1"

    request = _hook_request(sample, patient["id"], requester, drafts, prefetch)
    record_resources = [
        patient,
        *(r for key in PREFETCH_TYPES for t in PREFETCH_TYPES[key] for r in by_type.get(t, [])),
    ]
    record = {
        "resourceType": "Bundle",
        "id": f"record-{sample.name}",
        "type": "collection",
        "entry": [{"fullUrl": f"{FHIR_BASE}/{_ref(r)}", "resource": r} for r in record_resources],
    }
    index_entry = {
        "name": sample.name,
        "description": sample.description,
        "hook": "order-sign",
        "record": f"records/{sample.name}.json",
        "payer": sample.payer,
        "line_of_business": sample.line,
        "order": f"MedicationRequest/{order_id}",
        "order_code": _first_rxnorm(order),
        "policy": None if sample.decision == "no-policy" else sample.policy,
        "case": f"{sample.policy}/tests/cases.yaml#{sample.case}",
        "decision": sample.decision,
        "formulary_exception": sample.formulary_exception,
        "sandbox_shape": sample.sandbox_shape,
    }
    return BuiltSample(request, record, index_entry)


def _first_rxnorm(order: Mapping[str, Any]) -> str | None:
    concept = order.get("medicationCodeableConcept")
    for coding in concept.get("coding", []) if isinstance(concept, dict) else []:
        if coding.get("system") == RXNORM:
            return str(coding.get("code"))
    return None


def _hook_request(
    sample: Sample,
    patient_id: str,
    user: str,
    drafts: list[dict[str, Any]],
    prefetch: dict[str, Any],
) -> dict[str, Any]:
    hook_instance = str(uuid.uuid5(_NAMESPACE, sample.name))
    if sample.sandbox_shape:
        return {
            "hookInstance": hook_instance,
            "fhirServer": SANDBOX_FHIR,
            "hook": "order-sign",
            "context": {
                "userId": user,
                "patientId": patient_id,
                "draftOrders": {
                    "resourceType": "Bundle",
                    "entry": [{"resource": _sandbox_order(r)} for r in drafts],
                },
            },
            "prefetch": prefetch,
        }
    return {
        "hook": "order-sign",
        "hookInstance": hook_instance,
        "fhirServer": FHIR_BASE,
        "fhirAuthorization": {
            "access_token": "sample-access-token",
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "user/Patient.read user/Coverage.read user/Condition.read user/Observation.read",
            "subject": "coverage-hooks",
        },
        "context": {
            "userId": user,
            "patientId": patient_id,
            "draftOrders": {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [{"fullUrl": f"{FHIR_BASE}/{_ref(r)}", "resource": r} for r in drafts],
            },
        },
        "prefetch": prefetch,
    }


def _sandbox_order(order: Mapping[str, Any]) -> dict[str, Any]:
    """What the sandbox's Rx View sends: no intent, `category` a single object rather than a list."""
    resource = copy.deepcopy(dict(order))
    resource.pop("intent", None)
    resource["category"] = {
        "coding": [
            {
                "system": "http://terminology.hl7.org/CodeSystem/medicationrequest-category",
                "code": "outpatient",
            }
        ]
    }
    return resource


def expected_files(policies_dir: Path) -> dict[Path, str]:
    """Every file the samples consist of (repository-relative) with its exact content."""
    files: dict[Path, str] = {}
    index = []
    for sample in SAMPLES:
        built = build(sample, policies_dir)
        files[SAMPLES_DIR / f"{sample.name}.json"] = json_text(built.request)
        files[SAMPLES_DIR / "records" / f"{sample.name}.json"] = json_text(built.record)
        index.append(built.index_entry)
    files[SAMPLES_DIR / "index.json"] = json_text({"samples": index})
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--policies", type=Path, default=REPO / "policies", help="the policy folders to read")
    add_output_options(parser)
    args = parser.parse_args(argv)
    return write_or_check(expected_files(args.policies), root=args.output_root, check=args.check)


if __name__ == "__main__":
    sys.exit(main())
