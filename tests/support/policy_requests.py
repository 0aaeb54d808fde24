"""Realistic order-sign requests built from the policies' own test bundles (policies/*/tests/data).

A policy test bundle holds one clinical story: the draft MedicationRequests plus the patient's record.
`order_sign_from_bundles` turns it into what an EHR sends: the drafts as `context.draftOrders`, the rest as
prefetch under the service's keys, so the service never has to fetch. The payer Organization gets the
sample payer identifier from cds_service/payers/payers.yaml and the Coverage a Source of Payment Typology code for
the wanted line of business, because bundles written for the case runner do not route by identifier.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from cds_service.hook.discovery import RECORD_QUERIES
from tests.support.hook_requests import PAYER_ID_SYSTEM, SOPT, searchset

REPO = Path(__file__).resolve().parents[2]
POLICIES = REPO / "policies"
EVEROLIMUS_DATA = POLICIES / "centene" / "CP.PHAR.63" / "tests" / "data"

# The real (public, unchanged) mCODE breast-cancer patient with an everolimus + exemestane order: the
# largest story in the repository and one the policy approves, so it runs the whole pipeline.
REAL_BREAST_APPROVED = (
    EVEROLIMUS_DATA / "mcode-ctm-app_Bundle-TrialMatching_Patient02-breast.json",
    EVEROLIMUS_DATA / "real-breast-order-with-exemestane.json",
)
SOPT_BY_LINE = {"medicaid": "21", "marketplace": "5", "commercial": "512"}

# the prefetch key our discovery document gives each record type
_PREFETCH_KEY_BY_TYPE = {kind: key for kind, (key, _) in RECORD_QUERIES.items()}


def load_resources(paths: Iterable[Path]) -> list[dict[str, Any]]:
    resources: list[dict[str, Any]] = []
    for path in paths:
        bundle = json.loads(path.read_text())
        resources.extend(entry["resource"] for entry in bundle.get("entry", []) if "resource" in entry)
    return resources


def order_sign_from_bundles(
    paths: Iterable[Path],
    *,
    payer_key: str = "centene",
    line: str = "medicaid",
    fhir_server: str = "http://127.0.0.1:9/fhir",
    access_token: str = "opaque-token",
) -> dict[str, Any]:
    resources = copy.deepcopy(load_resources(paths))
    drafts = [r for r in resources if r["resourceType"] == "MedicationRequest" and r.get("status") == "draft"]
    if not drafts:
        raise ValueError("the bundles hold no draft MedicationRequest")
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    prefetch: dict[str, list[dict[str, Any]]] = {key: [] for key in _PREFETCH_KEY_BY_TYPE.values()}
    prefetch["coverage"] = []
    prefetch["other"] = []
    for resource in resources:
        kind = resource["resourceType"]
        if resource is patient or any(resource is d for d in drafts):
            continue
        if kind == "Coverage":
            resource["type"] = {"coding": [{"system": SOPT, "code": SOPT_BY_LINE[line]}]}
            prefetch["coverage"].append(resource)
        elif kind == "Organization" and resource.get("type"):
            resource.setdefault("identifier", []).append({"system": PAYER_ID_SYSTEM, "value": payer_key})
            prefetch["coverage"].append(resource)
        else:
            prefetch[_PREFETCH_KEY_BY_TYPE.get(kind, "other")].append(resource)
    requester = drafts[0].get("requester", {}).get("reference", "Practitioner/prac-1")
    return {
        "hook": "order-sign",
        "hookInstance": str(uuid.uuid4()),
        "fhirServer": fhir_server,
        "fhirAuthorization": {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/*.read",
            "subject": "coverage-hooks",
        },
        "context": {
            "userId": requester,
            "patientId": patient["id"],
            "draftOrders": {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [{"resource": draft} for draft in drafts],
            },
        },
        "prefetch": {"patient": patient, **{key: searchset(*found) for key, found in prefetch.items()}},
    }


def with_new_instance(request: dict[str, Any]) -> dict[str, Any]:
    """The same call as another hook invocation (a fresh hookInstance), sharing everything else."""
    return {**request, "hookInstance": str(uuid.uuid4())}
