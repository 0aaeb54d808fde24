"""`python -m bench.cql_like_eval`: in-process evaluation time of cql_like libraries.

Prints median and p99 of `Library.evaluate` over a 201-resource patient record for
(1) a realistic ~30-define criteria library written here (synthetic record), and
(2) each real policy in policies/ whose approval case exists, its bundle padded to 201 resources.
"evaluate" (record already indexed), "index + evaluate" (PatientRecord built per call, as the service
does per request) and "cold" (also without the results pure functions keep across evaluations) are
timed. Target: <= 1 ms median for "evaluate" (make bench reports it for CP.PHAR.549, phase_engine.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from cql_like import Library, LocalTerminology, PatientRecord, load_library
from cql_like.cli import load_for_file

REPO = Path(__file__).resolve().parents[1]
NOW = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
LOINC, SNOMED, RXNORM, ICD10 = (
    "http://loinc.org",
    "http://snomed.info/sct",
    "http://www.nlm.nih.gov/research/umls/rxnorm",
    "http://hl7.org/fhir/sid/icd-10-cm",
)

LIBRARY = """library BenchCriteria version '1.0.0'
using FHIR version '4.0.1'
include FHIRHelpers version '4.0.1' called FHIRHelpers
codesystem "LOINC": 'http://loinc.org'
codesystem "RxNorm": 'http://www.nlm.nih.gov/research/umls/rxnorm'
valueset "NSCLC": 'https://bench.example/ValueSet/nsclc'
valueset "Metastatic": 'https://bench.example/ValueSet/metastatic'
valueset "KRAS tests": 'https://bench.example/ValueSet/kras'
valueset "Sotorasib": 'https://bench.example/ValueSet/sotorasib'
valueset "Platinum": 'https://bench.example/ValueSet/platinum'
code "Present": 'LA9633-4' from "LOINC"
code "Gene studied": '48018-6' from "LOINC"
code "Amino acid change": '48005-3' from "LOINC"
code "ALT": '1742-6' from "LOINC"
parameter "OrderId" String
context Patient

define "Order": singleton from ([MedicationRequest] M where M.id = OrderId)
define "Order Is Sotorasib": "Order".medication in "Sotorasib"
define "Age": AgeInYears()
define "Adult": AgeInYears() >= 18
define "Active NSCLC": [Condition: "NSCLC"] C
  where C.clinicalStatus ~ Code 'active' from "LOINC" or C.clinicalStatus is null
define "Has NSCLC": exists "Active NSCLC"
define "Metastatic Disease": exists [Condition: "Metastatic"]
define "Advanced NSCLC": "Has NSCLC" and "Metastatic Disease"
define "Final KRAS": [Observation: "KRAS tests"] O where O.status in { 'final', 'amended', 'corrected' }
define function "Gene"(O FHIR.Observation) returns String:
  First(O.component C where C.code ~ "Gene studied" return (C.value as CodeableConcept).coding[0].display)
define function "Change"(O FHIR.Observation) returns String:
  First(O.component C where C.code ~ "Amino acid change" return (C.value as CodeableConcept).coding[0].code)
define "KRAS G12C": exists ("Final KRAS" O where "Gene"(O) = 'KRAS' and "Change"(O) = 'p.G12C')
define "KRAS Result Known": exists "Final KRAS"
define "KRAS Criterion": if "KRAS G12C" then true else if "KRAS Result Known" then false else null
define "Prior Platinum":
  exists ([MedicationRequest: "Platinum"] M where M.status in { 'completed', 'stopped', 'active' })
define "Prior Systemic Therapy": "Prior Platinum"
define "Recent ALT": [Observation] O where O.code ~ "ALT" and O.status = 'final'
  and (O.effective as dateTime) 90 days or less before Now()
define "ALT Values": "Recent ALT" O return O.value as Quantity
define "Latest ALT": Last("Recent ALT" O sort by (effective as dateTime))
define "ALT Below 3x ULN": (("Latest ALT").value as Quantity) < 120 'U/L'
define "Dose": First("Order".dosageInstruction D return First(D.doseAndRate R return R.dose as Quantity))
define "Frequency": First("Order".dosageInstruction).timing.repeat.frequency
define "Daily Dose": "Dose" * "Frequency"
define "Dose Within Limit": "Daily Dose" <= 960 'mg'
define "Dose Criterion": if "Dose Within Limit" then true else null
define "Oncologist": exists ([PractitionerRole] R where exists (R.specialty S where S ~ Code '207RX0202X' from "LOINC"))
define "Coverage Active": exists ([Coverage] V where V.status = 'active')
define "Encounters Last Year": Count([Encounter] E where E.period starts during Interval[Today() - 1 year, Today()])
define "Initial Criteria Met": "Adult" and "Advanced NSCLC" and "KRAS Criterion" and "Prior Systemic Therapy"
  and "Dose Criterion"
"""

VALUE_SETS = {
    "nsclc": [(SNOMED, "254637007"), (ICD10, "C34.90"), (ICD10, "C34.11")],
    "metastatic": [(SNOMED, "94225005"), (SNOMED, "128462008")],
    "kras": [(LOINC, "69548-6"), (LOINC, "21702-6")],
    "sotorasib": [(RXNORM, "2550714"), (RXNORM, "2550719")],
    "platinum": [(RXNORM, "1736854"), (RXNORM, "40048")],
}


def _coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    c: dict[str, Any] = {"system": system, "code": code}
    if display:
        c["display"] = display
    return c


def synthetic_record(size: int = 201) -> list[dict[str, Any]]:
    """A plausible NSCLC patient: conditions, variant and lab observations, orders, encounters."""
    out: list[dict[str, Any]] = [
        {"resourceType": "Patient", "id": "p", "birthDate": "1958-04-02", "gender": "male"},
        {"resourceType": "Coverage", "id": "cov", "status": "active"},
        {"resourceType": "PractitionerRole", "id": "role", "specialty": [{"coding": [_coding(LOINC, "207RX0202X")]}]},
        {"resourceType": "Condition", "id": "c-nsclc", "code": {"coding": [_coding(ICD10, "C34.11")]}},
        {"resourceType": "Condition", "id": "c-met", "code": {"coding": [_coding(SNOMED, "94225005")]}},
        {
            "resourceType": "Observation",
            "id": "o-kras",
            "status": "final",
            "code": {"coding": [_coding(LOINC, "69548-6")]},
            "valueCodeableConcept": {"coding": [_coding(LOINC, "LA9633-4")]},
            "component": [
                {
                    "code": {"coding": [_coding(LOINC, "48018-6")]},
                    "valueCodeableConcept": {
                        "coding": [_coding("http://www.genenames.org/geneId", "HGNC:6407", "KRAS")]
                    },
                },
                {
                    "code": {"coding": [_coding(LOINC, "48005-3")]},
                    "valueCodeableConcept": {"coding": [_coding("http://varnomen.hgvs.org", "p.G12C")]},
                },
            ],
        },
        {
            "resourceType": "MedicationRequest",
            "id": "mr-sotorasib",
            "status": "draft",
            "intent": "order",
            "medicationCodeableConcept": {"coding": [_coding(RXNORM, "2550714")]},
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
        },
    ]
    i = 0
    while len(out) < size:
        i += 1
        day = dt.date(2026, 11, 20) - dt.timedelta(days=3 * i)
        kind = i % 4
        if kind == 0:
            out.append(
                {
                    "resourceType": "Observation",
                    "id": f"alt-{i}",
                    "status": "final",
                    "code": {"coding": [_coding(LOINC, "1742-6")]},
                    "effectiveDateTime": day.isoformat(),
                    "valueQuantity": {
                        "value": 20 + i % 30,
                        "unit": "U/L",
                        "system": "http://unitsofmeasure.org",
                        "code": "U/L",
                    },
                }
            )
        elif kind == 1:
            out.append(
                {
                    "resourceType": "MedicationRequest",
                    "id": f"mr-{i}",
                    "status": "stopped",
                    "intent": "order",
                    "medicationCodeableConcept": {"coding": [_coding(RXNORM, "1736854" if i % 8 == 1 else "197361")]},
                    "authoredOn": day.isoformat(),
                }
            )
        elif kind == 2:
            out.append(
                {
                    "resourceType": "Encounter",
                    "id": f"e-{i}",
                    "status": "finished",
                    "period": {"start": day.isoformat(), "end": day.isoformat()},
                }
            )
        else:
            out.append(
                {
                    "resourceType": "Condition",
                    "id": f"c-{i}",
                    "code": {"coding": [_coding(SNOMED, str(100000 + i))]},
                    "onsetDateTime": day.isoformat(),
                }
            )
    return out


def _time(fn: Callable[[], object], runs: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds per call. On a shared machine the CPU time of this
    (single-threaded) process is the steadier measure of the engine's own cost."""
    for _ in range(min(50, runs)):
        fn()
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter_ns(), time.thread_time_ns()
        fn()
        cpu.append((time.thread_time_ns() - start_cpu) / 1e6)
        wall.append((time.perf_counter_ns() - start) / 1e6)
    return wall, cpu


def _stats(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def _summary(label: str, samples: tuple[list[float], list[float]]) -> dict[str, Any]:
    (wall_median, wall_p99), (cpu_median, cpu_p99) = _stats(samples[0]), _stats(samples[1])
    print(
        f"  {label:<18} wall median {wall_median:7.3f} ms  p99 {wall_p99:7.3f} ms | "
        f"cpu median {cpu_median:7.3f} ms  p99 {cpu_p99:7.3f} ms  (n={len(samples[0])})"
    )
    return {
        "wall_median_ms": round(wall_median, 4),
        "wall_p99_ms": round(wall_p99, 4),
        "cpu_median_ms": round(cpu_median, 4),
        "cpu_p99_ms": round(cpu_p99, 4),
        "runs": len(samples[0]),
    }


def bench(
    name: str, library: Library, resources: list[dict[str, Any]], params: dict[str, Any], runs: int
) -> dict[str, Any]:
    record = PatientRecord.from_resources(resources)
    defines = len(library.define_names)
    print(f"{name}: {defines} defines, {len(record)} resources")
    evaluated = _summary("evaluate", _time(lambda: library.evaluate(record, now=NOW, parameters=params), runs))
    indexed = _summary(
        "index + evaluate",
        _time(lambda: library.evaluate(PatientRecord.from_resources(resources), now=NOW, parameters=params), runs),
    )

    def cold() -> object:
        library.forget_kept_results()
        return library.evaluate(PatientRecord.from_resources(resources), now=NOW, parameters=params)

    started_cold = _summary("cold", _time(cold, runs))
    return {"defines": defines, "resources": len(record), "evaluate": evaluated, "index_and_evaluate": indexed,
            "cold": started_cold}  # fmt: skip


def synthetic(runs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "vs").mkdir()
        for key, codes in VALUE_SETS.items():
            vs = {
                "resourceType": "ValueSet",
                "url": f"https://bench.example/ValueSet/{key}",
                "expansion": {"contains": [{"system": s, "code": c} for s, c in codes]},
            }
            (folder / "vs" / f"{key}.json").write_text(json.dumps(vs), encoding="utf-8")
        (folder / "BenchCriteria.cql").write_text(LIBRARY, encoding="utf-8")
        start = time.perf_counter()
        library = load_library(folder / "BenchCriteria.cql", terminology=LocalTerminology.from_dirs([folder / "vs"]))
        print(f"compile BenchCriteria: {(time.perf_counter() - start) * 1000:.1f} ms")
        return bench("synthetic criteria library", library, synthetic_record(), {"OrderId": "mr-sotorasib"}, runs)


def _data_files(case: dict[str, Any]) -> list[str]:
    return case["data"] if isinstance(case["data"], list) else [case["data"]]


def _case_resources(folder: Path, case: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for name in _data_files(case):
        text = (folder / "tests" / name).read_text(encoding="utf-8")
        if text.lstrip().startswith("{") and '"resourceType": "Bundle"' in text[:200].replace('":"', '": "'):
            out += [e["resource"] for e in json.loads(text).get("entry", []) if "resource" in e]
        else:
            out += [json.loads(line) for line in text.splitlines() if line.strip()]
    return out


def padded_case(folder: Path) -> tuple[Library, list[dict[str, Any]], dict[str, Any], str] | None:
    """A policy's library, its first approval case padded to 201 resources (labs, past orders of other drugs,
    encounters, other conditions), the case's parameters and note; None without an approval case."""
    meta = yaml.safe_load((folder / "policy.yaml").read_text(encoding="utf-8"))
    cases = yaml.safe_load((folder / "tests" / "cases.yaml").read_text(encoding="utf-8")).get("cases", [])
    approved = next((c for c in cases if c.get("expect", {}).get("decision") == "approved"), None)
    if approved is None:
        return None
    library = load_for_file(folder / f"{meta['library']}.cql")
    resources = _case_resources(folder, approved)
    filler = [
        r
        for r in synthetic_record(400)[7:]
        if not (r["resourceType"] == "MedicationRequest" and "1736854" in json.dumps(r))
    ]
    resources = resources + filler[: max(0, 201 - len(resources))]
    return library, resources, {"OrderId": approved["order"]}, str(approved["note"])


def real_policies(runs: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for meta_path in sorted((REPO / "policies").rglob("policy.yaml")):
        folder = meta_path.parent
        meta = yaml.safe_load(meta_path.read_text(encoding="utf-8"))
        cases = yaml.safe_load((folder / "tests" / "cases.yaml").read_text(encoding="utf-8")).get("cases", [])
        start = time.perf_counter()
        padded = padded_case(folder)
        if padded is None:
            continue
        library, resources, params, note = padded
        print(f"compile {meta['library']}: {(time.perf_counter() - start) * 1000:.1f} ms")
        approved = next(c for c in cases if c.get("expect", {}).get("decision") == "approved")
        unpadded = _case_resources(folder, approved)
        results[f"{meta['id']} as is"] = bench(
            f"{meta['id']} ({note}, unpadded)", library, unpadded, {"OrderId": approved["order"]}, runs
        )
        large = next((c for c in cases if any("synthea" in str(d) for d in _data_files(c))), None)
        if large is not None:
            # a real longitudinal record (Synthea, hundreds of orders): the worst case in the suites
            results[f"{meta['id']} synthea"] = bench(
                f"{meta['id']} ({large['note']})", library, _case_resources(folder, large),
                {"OrderId": large["order"]}, max(5, runs // 20),
            )  # fmt: skip
        results[str(meta["id"])] = bench(f"{meta['id']} ({note})", library, resources, params, runs)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args()
    out = {"synthetic": synthetic(args.runs), "policies": real_policies(args.runs)}
    if args.json:
        args.json.write_text(json.dumps(out, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
