"""Deterministic CRD order-sign requests for the benchmark.

- `sotorasib_request(n, "met")`: a Centene Medicaid patient with stage IV NSCLC, KRAS G12C, prior platinum
  therapy and an oncologist ordering 960 mg/day; every I.A criterion is met. `n` prefetched resources in all.
- `sotorasib_request(n, "missing")`: the same order from a family physician for a patient whose record holds
  none of those facts, so every query scans the whole record and the answer is needs-info.
- `everolimus_request()`: a CP.PHAR.63 approval case, taken from the policy's own test bundle so the shapes
  stay whatever the policy authors test with.

No clock, no uuid4: the same arguments give byte-identical JSON (`request_bytes`).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any, Literal

import orjson
import yaml

from . import fhir_resources as fr

Criteria = Literal["met", "missing"]
REPO = Path(__file__).resolve().parents[1]
EVEROLIMUS_POLICY = REPO / "policies" / "centene" / "CP.PHAR.63"
RECORD_SIZES = (9, 201, 1001, 5001)
SERVICE_PATH = "/cds-services/crd-order-sign"
_NAMESPACE = uuid.UUID("6f1d0b8e-7c1e-4a53-9a8e-2f3b4c5d6e7f")

# prefetch key -> resource types it carries (discovery.py's order-sign templates)
_PREFETCH_TYPES = {
    "conditions": ("Condition",),
    "observations": ("Observation",),
    "medicationRequests": ("MedicationRequest",),
    "medicationStatements": ("MedicationStatement",),
    "medicationAdministrations": ("MedicationAdministration",),
    "medicationDispenses": ("MedicationDispense",),
    "procedures": ("Procedure",),
    "serviceRequests": ("ServiceRequest",),
    "practitionerRoles": ("PractitionerRole", "Practitioner"),
}


def searchset(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "entry": [
            {
                "fullUrl": f"https://ehr.example.org/fhir/{r['resourceType']}/{r['id']}",
                "resource": r,
                "search": {"mode": "include" if r["resourceType"] == "Organization" else "match"},
            }
            for r in resources
        ],
    }


def order_sign(
    name: str,
    patient: dict[str, Any],
    coverage: list[dict[str, Any]],
    others: list[dict[str, Any]],
    drafts: list[dict[str, Any]],
    user: str,
) -> dict[str, Any]:
    """An order-sign request with every order-sign prefetch key filled, so nothing is fetched from an EHR."""
    prefetch: dict[str, Any] = {"patient": patient, "coverage": searchset(coverage)}
    for key, types in _PREFETCH_TYPES.items():
        prefetch[key] = searchset([r for r in others if r["resourceType"] in types])
    counted = 1 + len(coverage) + sum(len(prefetch[k]["entry"]) for k in _PREFETCH_TYPES)
    if counted != 1 + len(coverage) + len(others):
        raise ValueError(f"{name}: a resource type has no prefetch key")
    return {
        "hook": "order-sign",
        "hookInstance": str(uuid.uuid5(_NAMESPACE, name)),
        "context": {
            "userId": user,
            "patientId": patient["id"],
            "draftOrders": {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [{"resource": d} for d in drafts],
            },
        },
        "prefetch": prefetch,
    }


def sotorasib_request(prefetched: int, criteria: Criteria = "met") -> dict[str, Any]:
    """`prefetched` counts every prefetched resource: Patient, Coverage, Organization, searchset entries."""
    if criteria == "met":
        facts = [
            fr.nsclc_condition(),
            fr.kras_g12c_observation(),
            fr.prior_carboplatin(),
            fr.prior_pembrolizumab_statement(),
            fr.practitioner_role("role-onc", "prac-onc", fr.MEDICAL_ONCOLOGY),
            fr.practitioner("prac-onc", "Okafor", "1234567893"),
        ]
        requester = "prac-onc"
    else:
        facts = [
            fr.practitioner_role("role-pcp", "prac-pcp", fr.FAMILY_MEDICINE),
            fr.practitioner("prac-pcp", "Brandt", "1987654320"),
        ]
        requester = "prac-pcp"
    coverage = [fr.medicaid_coverage(), fr.payer_organization()]
    core = 1 + len(coverage) + len(facts)
    if prefetched < core:
        raise ValueError(f"a {criteria} record needs at least {core} resources, not {prefetched}")
    others = facts + fr.filler(prefetched - core, seed=prefetched)
    order = fr.sotorasib_order(with_reason=criteria == "met")
    order["requester"] = {"reference": f"Practitioner/{requester}"}
    return order_sign(
        f"sotorasib/{criteria}/{prefetched}",
        fr.patient(),
        coverage,
        others,
        [order],
        f"Practitioner/{requester}",
    )


def request_from_bundle(name: str, bundle: dict[str, Any], order_id: str, payer: str) -> dict[str, Any]:
    """A collection Bundle (policy test data) as order-sign: drafts in draftOrders, the rest prefetched.

    Policy tests never route by payer, so their payor Organizations carry real identifiers (NAIC codes) that
    the sample payers.yaml does not list; the payer's sample identifier is put on them instead, and a Coverage
    without a type is typed Medicaid.
    """
    resources = [e["resource"] for e in bundle.get("entry", []) if isinstance(e.get("resource"), dict)]
    for resource in resources:
        if resource["resourceType"] == "Organization" and any(
            c.get("code") == "pay" for t in resource.get("type", []) for c in t.get("coding", [])
        ):
            resource["identifier"] = [{"system": fr.PAYER_ID_SYSTEM, "value": payer}]
        if resource["resourceType"] == "Coverage" and "type" not in resource:
            # nor a coverage type: the payer's rules place a Coverage by it (Medicaid, the line every real policy
            # covers); one they cannot place is answered conditional / info-needed, never decided
            resource["type"] = fr.medicaid_coverage()["type"]
    drafts = [r for r in resources if r["resourceType"] == "MedicationRequest" and r.get("status") == "draft"]
    drafts.sort(key=lambda r: r["id"] != order_id)  # the order under decision first, like a one-drug EHR
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    coverage = [r for r in resources if r["resourceType"] in ("Coverage", "Organization")]
    others = [r for r in resources if r not in drafts and r is not patient and r not in coverage]
    unsupported = sorted({r["resourceType"] for r in others} - {t for ts in _PREFETCH_TYPES.values() for t in ts})
    if unsupported:  # a type with no order-sign prefetch key would be fetched from the EHR: not this benchmark
        raise ValueError(f"{name}: no prefetch key for {unsupported}")
    user = next((r for r in resources if r["resourceType"] == "Practitioner"), None)
    return order_sign(name, patient, coverage, others, drafts, f"Practitioner/{user['id'] if user else 'x'}")


def everolimus_request() -> dict[str, Any]:
    """The first single-bundle approval case of CP.PHAR.63's tests/cases.yaml."""
    cases = yaml.safe_load((EVEROLIMUS_POLICY / "tests" / "cases.yaml").read_text(encoding="utf-8"))["cases"]
    for case in cases:
        if isinstance(case.get("data"), str) and case["expect"]["decision"] == "approved":
            bundle = orjson.loads((EVEROLIMUS_POLICY / "tests" / case["data"]).read_bytes())
            payer = yaml.safe_load((EVEROLIMUS_POLICY / "policy.yaml").read_text(encoding="utf-8"))["payer"]
            return request_from_bundle(f"everolimus/{case['note']}", bundle, case["order"], payer)
    raise LookupError(f"{EVEROLIMUS_POLICY}: no single-bundle approval case to benchmark")


def request_bytes(request: dict[str, Any]) -> bytes:
    return orjson.dumps(request)


def prefetched_count(request: dict[str, Any]) -> int:
    count = 0
    for value in request["prefetch"].values():
        count += len(value.get("entry", [])) if value.get("resourceType") == "Bundle" else 1
    return count
