"""What the cross-check evaluates: libraries, and the records (bundle, order id, now) each runs on.

- Policy libraries (policies/<payer>/<policy>/*.cql) run on their own policy's test cases
  (tests/cases.yaml, docs/architecture.md §2) and on every sample bundle in sample_bundles/.
- Shared libraries (policies/_shared/*.cql) run on every policy case and sample bundle.
- Our own libraries (tests/conformance/cql/*.cql) run on the shared FHIR examples and on the generated
  201-resource sotorasib record.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
POLICIES = REPO / "policies"
SHARED = POLICIES / "_shared"
SAMPLES = REPO / "sample_bundles"
OWN_CQL = Path(__file__).resolve().parent / "cql"
FHIR_EXAMPLES = REPO.parent / "shared" / "fhir-examples"
DEFAULT_NOW = "2026-11-23"
CASE_TIME = "T12:00:00Z"  # the policy case runner evaluates at noon UTC of the case date (cds_service/policy/cases.py)


@dataclass(frozen=True)
class LibrarySpec:
    id: str  # e.g. "centene/CP.PHAR.549/CenteneSotorasib" or "_shared/OrderCommon" or "conformance/LogicTruthTables"
    file: Path
    lib_paths: tuple[Path, ...]
    valueset_dirs: tuple[Path, ...]
    group: str  # "policy:<payer>/<policy>", "shared" or "conformance"


@dataclass
class RecordSpec:
    id: str
    bundle: dict[str, Any]
    now: str
    parameters: dict[str, str] = field(default_factory=dict)
    libraries: list[str] = field(default_factory=list)  # LibrarySpec ids this record runs against


def _dirs(*paths: Path) -> tuple[Path, ...]:
    return tuple(p for p in paths if p.is_dir())


def policy_libraries() -> list[LibrarySpec]:
    out = []
    for file in sorted(POLICIES.glob("*/*/*.cql")):
        folder = file.parent
        if folder.parent.name.startswith("_"):
            continue
        rel = folder.relative_to(POLICIES).as_posix()
        out.append(LibrarySpec(
            id=f"{rel}/{file.stem}", file=file, lib_paths=_dirs(SHARED),
            valueset_dirs=_dirs(folder / "valuesets", SHARED / "valuesets"), group=f"policy:{rel}",
        ))  # fmt: skip
    for file in sorted(SHARED.glob("*.cql")):
        out.append(LibrarySpec(
            id=f"_shared/{file.stem}", file=file, lib_paths=_dirs(SHARED),
            valueset_dirs=_dirs(SHARED / "valuesets"), group="shared",
        ))  # fmt: skip
    return out


def own_libraries() -> list[LibrarySpec]:
    return [
        LibrarySpec(
            id=f"conformance/{f.stem}",
            file=f,
            lib_paths=_dirs(OWN_CQL),
            valueset_dirs=_dirs(OWN_CQL / "valuesets"),
            group="conformance",
        )  # fmt: skip
        for f in sorted(OWN_CQL.glob("*.cql"))
    ]


def as_bundle(doc: dict[str, Any]) -> dict[str, Any]:
    """A FHIR Bundle as is; a CDS Hooks request becomes a collection of its draft orders and prefetch."""
    if doc.get("resourceType") == "Bundle":
        return doc
    resources: list[dict[str, Any]] = []
    context = doc.get("context") or {}
    drafts = context.get("draftOrders") or {}
    for entry in drafts.get("entry") or []:
        resources.append(entry["resource"])
    for value in (doc.get("prefetch") or {}).values():
        if not isinstance(value, dict):
            continue
        if value.get("resourceType") == "Bundle":
            resources.extend(e["resource"] for e in value.get("entry") or [] if "resource" in e)
        elif "resourceType" in value:
            resources.append(value)
    seen: set[tuple[str, str]] = set()
    unique = []
    for r in resources:
        key = (r.get("resourceType", ""), r.get("id", ""))
        if key[1] and key in seen:
            continue
        seen.add(key)
        unique.append(r)
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in unique]}


def read_resources(path: Path) -> list[dict[str, Any]]:
    """Resources of one case data file: a Bundle (any type), a single resource, or NDJSON."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ndjson":
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    doc = json.loads(text)
    if doc.get("resourceType") == "Bundle":
        return [e["resource"] for e in doc.get("entry") or [] if isinstance(e.get("resource"), dict)]
    return [doc]


def collection(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources]}


def _draft_orders(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    resources = [e["resource"] for e in bundle.get("entry") or [] if isinstance(e.get("resource"), dict)]
    return [r for r in resources
            if r.get("resourceType") == "MedicationRequest" and r.get("status") == "draft" and r.get("id")]  # fmt: skip


_INCLUDE_RE = re.compile(r"^\s*include\s+(?:\"([^\"]+)\"|([A-Za-z_][A-Za-z0-9_]*))", re.MULTILINE)


def includes(lib: LibrarySpec, libraries: list[LibrarySpec]) -> list[str]:
    """Ids of the shared libraries `lib` includes, directly or through other shared libraries."""
    shared = {spec.file.stem: spec for spec in libraries if spec.group == "shared"}
    found: list[str] = []
    todo = [lib]
    while todo:
        text = todo.pop().file.read_text(encoding="utf-8")
        for m in _INCLUDE_RE.finditer(text):
            spec = shared.get(m.group(1) or m.group(2))
            if spec is not None and spec.id not in found:
                found.append(spec.id)
                todo.append(spec)
    return found


def _policy_library_ids(rel: str, libraries: list[LibrarySpec]) -> list[str]:
    """A policy's libraries and the shared libraries they use."""
    own = [lib for lib in libraries if lib.group == f"policy:{rel}"]
    ids = [lib.id for lib in own]
    for lib in own:
        ids += [i for i in includes(lib, libraries) if i not in ids]
    return ids


def _policies_by_drug() -> dict[str, list[str]]:
    """RxNorm code -> policy folders (payer/policy) whose policy.yaml lists it under drugs."""
    by_code: dict[str, list[str]] = {}
    for policy_yaml in sorted(POLICIES.glob("*/*/policy.yaml")):
        meta = yaml.safe_load(policy_yaml.read_text(encoding="utf-8")) or {}
        rel = policy_yaml.parent.relative_to(POLICIES).as_posix()
        for drug in meta.get("drugs") or []:
            by_code.setdefault(str(drug.get("code")), []).append(rel)
    return by_code


def policy_records(libraries: list[LibrarySpec]) -> list[RecordSpec]:
    """Every policy test case (its policy's libraries and the shared ones they use), and every sample
    request in sample_bundles/ once per draft order that a policy governs (that policy's libraries)."""
    records: list[RecordSpec] = []
    for cases_file in sorted(POLICIES.glob("*/*/tests/cases.yaml")):
        folder = cases_file.parent.parent
        rel = folder.relative_to(POLICIES).as_posix()
        own = _policy_library_ids(rel, libraries)
        doc = yaml.safe_load(cases_file.read_text(encoding="utf-8")) or {}
        for case in doc.get("cases") or []:
            files = case["data"] if isinstance(case["data"], list) else [case["data"]]
            resources = [r for f in files for r in read_resources(cases_file.parent / f)]
            records.append(RecordSpec(
                id=f"{rel}/{case['note']}", bundle=collection(resources),
                now=f"{case.get('now', DEFAULT_NOW)}{CASE_TIME}",
                parameters={"OrderId": str(case["order"])}, libraries=own,
            ))  # fmt: skip
    by_drug = _policies_by_drug()
    for sample in sorted(SAMPLES.glob("*.json")) if SAMPLES.is_dir() else []:
        doc = json.loads(sample.read_text(encoding="utf-8"))
        if doc.get("resourceType") != "Bundle" and "hook" not in doc:
            continue  # not a request or bundle (e.g. an index)
        bundle = as_bundle(doc)
        for order in _draft_orders(bundle):
            governing = [rel for code in _rxnorm_codes(order) for rel in by_drug.get(code, [])]
            ids = [i for rel in dict.fromkeys(governing) for i in _policy_library_ids(rel, libraries)]
            if ids:
                records.append(RecordSpec(
                    id=f"sample_bundles/{sample.name}#{order['id']}", bundle=bundle, now=f"{DEFAULT_NOW}{CASE_TIME}",
                    parameters={"OrderId": order["id"]}, libraries=list(dict.fromkeys(ids)),
                ))  # fmt: skip
    return records


def _rxnorm_codes(order: dict[str, Any]) -> list[str]:
    concept = order.get("medicationCodeableConcept") or {}
    return [str(c.get("code")) for c in concept.get("coding") or [] if c.get("system") == RXNORM]


def example_records(libraries: list[LibrarySpec]) -> list[RecordSpec]:
    """The shared FHIR examples (when /work/shared is there) and the generated sotorasib record."""
    own = [lib.id for lib in libraries if lib.group == "conformance"]
    records = [RecordSpec(id="generated/sotorasib-201", bundle=sotorasib_record(), now=DEFAULT_NOW,
                          parameters={"OrderId": "mr-sotorasib"}, libraries=own)]  # fmt: skip
    for name in ("mcode-ctm-app_Bundle-TrialMatching_Patient02-breast.json",
                 "genomics-reporting-stu1_Bundle-oncology-report-example.json"):  # fmt: skip
        path = FHIR_EXAMPLES / name
        if path.is_file():
            records.append(RecordSpec(id=f"fhir-examples/{name}", bundle=json.loads(path.read_text(encoding="utf-8")),
                                      now=DEFAULT_NOW, libraries=own))  # fmt: skip
    synthea = FHIR_EXAMPLES / "synthea-bulk10_nsclc-patient_Patient-Condition-MedicationRequest-Practitioner.ndjson"
    if synthea.is_file():
        resources = [json.loads(line) for line in synthea.read_text(encoding="utf-8").splitlines() if line.strip()]
        # Every resource but MedicationRequest, and the first 60 orders in file order: the reference engine
        # needs seconds for all 447, and 60 keep every code and every year of the treatment history.
        kept = [r for r in resources if r["resourceType"] != "MedicationRequest"]
        kept += [r for r in resources if r["resourceType"] == "MedicationRequest"][:60]
        bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in kept]}
        records.append(RecordSpec(id=f"fhir-examples/{synthea.name}[:60 orders]", bundle=bundle,
                                  now=DEFAULT_NOW, libraries=own))  # fmt: skip
    return records


# ---- the 201-resource sotorasib record ----------------------------------------------------------------

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"


def _cc(system: str, code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code, "display": display}], "text": display}


def sotorasib_record(total: int = 201) -> dict[str, Any]:
    """A deterministic patient record with `total` resources around a draft sotorasib order.

    A 67-year-old with stage IV KRAS G12C NSCLC after platinum chemotherapy and immunotherapy, a draft
    order for 960 mg/day, an oncologist requester, one Coverage, and liver-function labs every two weeks
    filling the record up to `total` resources (ALT, AST, bilirubin in turn).
    """
    pid = "pt-sotorasib"
    subject = {"reference": f"Patient/{pid}"}
    res: list[dict[str, Any]] = [
        {"resourceType": "Patient", "id": pid, "gender": "male", "birthDate": "1959-03-14"},
        {
            "resourceType": "Coverage",
            "id": "cov-1",
            "status": "active",
            "beneficiary": subject,
            "payor": [{"display": "Centene"}],
            "class": [
                {
                    "type": _cc("http://terminology.hl7.org/CodeSystem/coverage-class", "plan", "Plan"),
                    "value": "medicaid",
                }
            ],
        },  # noqa: E501
        {"resourceType": "Practitioner", "id": "pr-onc", "name": [{"family": "Osler"}]},
        {
            "resourceType": "PractitionerRole",
            "id": "role-onc",
            "practitioner": {"reference": "Practitioner/pr-onc"},
            "specialty": [_cc("http://nucc.org/provider-taxonomy", "207RX0202X", "Medical Oncology")],
        },
        {
            "resourceType": "MedicationRequest",
            "id": "mr-sotorasib",
            "status": "draft",
            "intent": "order",
            "subject": subject,
            "authoredOn": "2026-11-20",
            "requester": {"reference": "PractitionerRole/role-onc"},
            "medicationCodeableConcept": _cc(RXNORM, "2550714", "sotorasib 120 MG Oral Tablet [Lumakras]"),
            "reasonReference": [{"reference": "Condition/dx-nsclc"}],
            "dosageInstruction": [
                {
                    "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
                    "doseAndRate": [
                        {
                            "doseQuantity": {
                                "value": 960,
                                "unit": "mg",
                                "system": "http://unitsofmeasure.org",
                                "code": "mg",
                            }
                        }
                    ],
                }
            ],
            "dispenseRequest": {
                "quantity": {"value": 240, "unit": "TAB"},
                "expectedSupplyDuration": {
                    "value": 30,
                    "unit": "d",
                    "system": "http://unitsofmeasure.org",
                    "code": "d",
                },
            },
        },  # noqa: E501
        {
            "resourceType": "Condition",
            "id": "dx-nsclc",
            "subject": subject,
            "recordedDate": "2025-02-03",
            "clinicalStatus": _cc("http://terminology.hl7.org/CodeSystem/condition-clinical", "active", "Active"),
            "code": {
                "coding": [
                    {
                        "system": ICD10,
                        "code": "C34.90",
                        "display": "Malignant neoplasm of unsp part of unsp bronchus or lung",
                    },  # noqa: E501
                    {"system": SNOMED, "code": "254637007", "display": "Non-small cell lung cancer"},
                ]
            },
            "onsetDateTime": "2025-01-28",
            "stage": [{"summary": _cc("http://cancerstaging.org", "4", "IV")}],
        },
        {
            "resourceType": "Condition",
            "id": "dx-mets",
            "subject": subject,
            "onsetDateTime": "2025-06-10",
            "clinicalStatus": _cc("http://terminology.hl7.org/CodeSystem/condition-clinical", "active", "Active"),
            "code": _cc(ICD10, "C79.51", "Secondary malignant neoplasm of bone"),
        },
        {
            "resourceType": "Observation",
            "id": "obs-stage",
            "status": "final",
            "subject": subject,
            "code": _cc(LOINC, "21908-9", "Stage group.clinical Cancer"),
            "effectiveDateTime": "2025-02-03",
            "valueCodeableConcept": _cc("http://cancerstaging.org", "4", "IV"),
        },
        {
            "resourceType": "Observation",
            "id": "obs-kras",
            "status": "final",
            "subject": subject,
            "code": _cc(LOINC, "69548-6", "Genetic variant assessment"),
            "effectiveDateTime": "2025-02-20",
            "valueCodeableConcept": _cc(LOINC, "LA9633-4", "Present"),
            "component": [
                {
                    "code": _cc(LOINC, "48018-6", "Gene studied [ID]"),
                    "valueCodeableConcept": _cc("http://www.genenames.org/geneId", "HGNC:6407", "KRAS"),
                },
                {
                    "code": _cc(LOINC, "48005-3", "Amino acid change (pHGVS)"),
                    "valueCodeableConcept": _cc("http://varnomen.hgvs.org", "p.Gly12Cys", "p.Gly12Cys"),
                },
            ],
        },
        {
            "resourceType": "Observation",
            "id": "obs-ecog",
            "status": "final",
            "subject": subject,
            "code": _cc(LOINC, "89247-1", "ECOG Performance Status score"),
            "effectiveDateTime": "2026-11-02",
            "valueInteger": 1,
        },
    ]
    prior = [
        ("mr-carbo", "597195", "carboplatin 10 MG/ML Injectable Solution", "2025-03-01", "2025-06-30"),
        ("mr-pem", "1658957", "pemetrexed 500 MG Injection", "2025-03-01", "2025-06-30"),
        ("mr-pembro", "1547545", "pembrolizumab 25 MG/ML Injectable Solution", "2025-03-01", "2026-08-15"),
    ]
    for rid, code, display, start, end in prior:
        res.append(
            {
                "resourceType": "MedicationRequest",
                "id": rid,
                "status": "completed",
                "intent": "order",
                "subject": subject,
                "authoredOn": start,
                "medicationCodeableConcept": _cc(RXNORM, code, display),
                "dispenseRequest": {"validityPeriod": {"start": start, "end": end}},
            }
        )
    labs = [
        ("1742-6", "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma", "U/L", 18.0, 7.0),
        ("1920-8", "Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma", "U/L", 21.0, 6.0),
        ("1975-2", "Bilirubin.total [Mass/volume] in Serum or Plasma", "mg/dL", 0.4, 0.3),
    ]
    i = 0
    while len(res) < total:
        code, display, unit, base, spread = labs[i % 3]
        day = i // 3 * 14
        value = round(base + spread * ((i * 7919) % 11) / 10, 1)
        res.append(
            {
                "resourceType": "Observation",
                "id": f"lab-{i:03d}",
                "status": "final",
                "subject": subject,
                "category": [
                    _cc("http://terminology.hl7.org/CodeSystem/observation-category", "laboratory", "Laboratory")
                ],  # noqa: E501
                "code": _cc(LOINC, code, display),
                "effectiveDateTime": _days_before("2026-11-16", day),
                "valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit},
            }
        )
        i += 1
    return {
        "resourceType": "Bundle",
        "id": "sotorasib-201",
        "type": "collection",
        "entry": [{"fullUrl": f"urn:uuid:{r['resourceType']}-{r['id']}", "resource": r} for r in res[:total]],
    }


def _days_before(iso: str, days: int) -> str:
    from datetime import date, timedelta

    return (date.fromisoformat(iso) - timedelta(days=days)).isoformat()
