"""cql_like against the HL7 reference implementation (issue 6).

Every policy library, shared library and conformance library (tests/conformance/cql/) is translated by the
official CQL-to-ELM translator and evaluated by cql-execution (tools/reference-cql, one Node process for the
whole batch); cql_like evaluates the same libraries on the same records; every define is compared. The
reference engine's known deviations from CQL 1.5 are listed in skip-list.yaml with the spec section.
"""

from __future__ import annotations

import fnmatch
import json
import statistics
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from cql_like.compile.host import BACKENDS, Backend
from tests.conformance.refcql_records import (
    REPO,
    LibrarySpec,
    RecordSpec,
    example_records,
    own_libraries,
    policy_libraries,
    policy_records,
)
from tests.conformance.refcql_runner import ensure_installed, missing_tools, run_batch, run_cli
from tests.conformance.refcql_values import Canon, fhir_type_hint, from_ours, from_reference, same, show

_MISSING = missing_tools()
pytestmark = [
    pytest.mark.node,
    pytest.mark.timeout(900),  # a cold batch on a busy 2-core machine takes 1-2 minutes, inside the first test
    pytest.mark.skipif(_MISSING is not None, reason=_MISSING or ""),
]

SKIP_LIST = Path(__file__).with_name("skip-list.yaml")
TIMING_RECORD = "generated/sotorasib-201"
SOTORASIB_CODE = "2550714"


@dataclass(frozen=True)
class Disagreement:
    library: LibrarySpec
    define: str
    record: RecordSpec
    reference: str
    ours: str

    def reproduction(self, record_file: Path) -> str:
        params = " ".join(f"--param {k}={v}" for k, v in self.record.parameters.items())
        rel = self.library.file.relative_to(REPO)
        return (
            f'[{self.library.id}] define "{self.define}" on record {self.record.id}\n'
            f"    reference: {self.reference}\n"
            f"    cql_like:  {self.ours}\n"
            f"    node tools/reference-cql/cli.mjs eval {rel} --data {record_file} --now {self.record.now} "
            f'{params} --define "{self.define}"\n'
            f"    python -m cql_like eval {rel} --data {record_file} --now {self.record.now} "
            f'--define "{self.define}" --json'
        )


@dataclass
class CrossCheck:
    libraries: list[LibrarySpec]
    records: list[RecordSpec]
    reference: dict[str, Any]
    seconds: float
    timing_library: str
    by_id: dict[str, LibrarySpec] = field(init=False)

    def __post_init__(self) -> None:
        self.by_id = {lib.id: lib for lib in self.libraries}


def _sotorasib_policy_library(libraries: list[LibrarySpec]) -> str | None:
    """The main library of the policy that governs RxNorm 2550714 at Centene (CP.PHAR.549), when it exists."""
    for policy_yaml in sorted((REPO / "policies").glob("centene/*/policy.yaml")):
        meta = yaml.safe_load(policy_yaml.read_text(encoding="utf-8")) or {}
        codes = {str(d.get("code")) for d in meta.get("drugs") or []}
        if SOTORASIB_CODE in codes and meta.get("library"):
            rel = policy_yaml.parent.relative_to(REPO / "policies").as_posix()
            lib_id = f"{rel}/{meta['library']}"
            if any(lib.id == lib_id for lib in libraries):
                return lib_id
    return None


@pytest.fixture(scope="module")
def cross_check() -> CrossCheck:
    ensure_installed()
    libraries = policy_libraries() + own_libraries()
    records = policy_records(libraries) + example_records(libraries)
    timing_library = _sotorasib_policy_library(libraries) or "conformance/SotorasibCriteria"
    for rec in records:
        if rec.id == TIMING_RECORD and timing_library not in rec.libraries:
            rec.libraries.append(timing_library)
    started = time.perf_counter()
    reference = run_batch(libraries, records)
    seconds = time.perf_counter() - started
    how = "cached result (inputs unchanged)" if reference.get("cached") else "one Node process"
    print(f"\nreference-cql: {len(libraries)} libraries, {len(records)} records, {how}: {seconds:.1f} s")
    return CrossCheck(libraries, records, reference, seconds, timing_library)


# ---- the translator ---------------------------------------------------------------------------------------


def test_every_library_translates_with_the_official_translator(cross_check: CrossCheck) -> None:
    failures = {lib_id: t["errors"] for lib_id, t in cross_check.reference["translation"].items() if not t["ok"]}
    report = "\n".join(f"{lib_id}:\n  " + "\n  ".join(errors) for lib_id, errors in sorted(failures.items()))
    assert not failures, f"{len(failures)} libraries do not translate with @cqframework/cql 5.3.0:\n{report}"
    assert {lib.id for lib in cross_check.libraries} == set(cross_check.reference["translation"])


def test_translator_errors_name_file_line_and_column(tmp_path: Path) -> None:
    ensure_installed()
    bad = tmp_path / "Broken.cql"
    bad.write_text("library Broken version '1'\n\ndefine \"X\": 1 + 'a'\ndefine \"Y\": Missing\n", encoding="utf-8")
    proc = run_cli("check", str(bad))
    assert proc.returncode == 1
    assert f"{bad}:3:13: error: Could not resolve call to operator Add" in proc.stderr
    assert f"{bad}:4:13: error: Could not resolve identifier Missing" in proc.stderr
    assert proc.stdout == ""


def test_eval_prints_every_define_as_typed_json(tmp_path: Path) -> None:
    ensure_installed()
    lib = tmp_path / "Tiny.cql"
    lib.write_text(
        "library Tiny version '1'\nusing FHIR version '4.0.1'\ninclude FHIRHelpers version '4.0.1'\n"
        'parameter "OrderId" String\ncontext Patient\n'
        'define "Age": AgeInYears()\ndefine "Order": singleton from ([MedicationRequest] M where M.id = OrderId)\n'
        "define \"Dose\": 2 'g' + 500 'mg'\ndefine \"Day\": Today() - 1 month\n",
        encoding="utf-8",
    )
    bundle = tmp_path / "b.json"
    entries = [
        {"resource": {"resourceType": "Patient", "id": "p", "birthDate": "2000-03-31"}},
        {"resource": {"resourceType": "MedicationRequest", "id": "mr-1", "status": "draft"}},
    ]
    bundle.write_text(json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries}), encoding="utf-8")
    proc = run_cli("eval", str(lib), "--data", str(bundle), "--now", "2026-03-31", "--param", "OrderId=mr-1")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["defines"]["Age"] == 26
    assert out["defines"]["Order"] == {"@type": "Resource", "resourceType": "MedicationRequest", "id": "mr-1"}
    assert from_reference(out["defines"]["Dose"]) == from_reference({"@type": "Quantity", "value": 2.5, "unit": "g"})
    assert out["defines"]["Day"] == {"@type": "Date", "value": "2026-02-28"}
    assert out["types"]["Age"] == "{urn:hl7-org:elm-types:r1}Integer"


# ---- the comparison ---------------------------------------------------------------------------------------


def _load_skips() -> list[dict[str, Any]]:
    """Entries of skip-list.yaml, each tagged with its kind: "skip" (reference wrong) or "open" (ours to fix)."""
    doc = yaml.safe_load(SKIP_LIST.read_text(encoding="utf-8")) or {}
    entries: list[dict[str, Any]] = []
    for kind, key in (("skip", "skips"), ("open", "open")):
        for entry in doc.get(key) or []:
            missing = {"library", "define", "reason", "spec"} - entry.keys()
            assert not missing, f"skip-list.yaml entry {entry} lacks {sorted(missing)}"
            assert "CQL 1.5" in str(entry["spec"]), f"skip-list.yaml entry {entry} must cite a CQL 1.5 section"
            assert kind == "skip" or entry.get("owner"), f"open entry {entry} must name its owner"
            entries.append({**entry, "kind": kind})
    return entries


def _define_matches(pattern: str, define: str) -> bool:
    return fnmatch.fnmatchcase(define, pattern)


def _skipped(skips: list[dict[str, Any]], d: Disagreement) -> dict[str, Any] | None:
    for entry in skips:
        if entry["library"] == d.library.id and _define_matches(entry["define"], d.define):
            records = entry.get("records")
            if records is None or d.record.id in records:
                return entry
    return None


def _now(text: str) -> datetime:
    return (
        datetime.fromisoformat(text).replace(tzinfo=UTC)
        if "T" in text
        else datetime.fromisoformat(text + "T00:00:00").replace(tzinfo=UTC)
    )


def _load_ours(lib: LibrarySpec, backend: Backend = "generated") -> Any:
    from cql_like import LocalTerminology, load_library

    terminology = LocalTerminology.from_dirs(list(lib.valueset_dirs))
    return load_library(lib.file, terminology=terminology, library_paths=list(lib.lib_paths), backend=backend)


def _evaluate_ours(library: Any, rec: RecordSpec, declared: list[str]) -> Any:
    from cql_like import PatientRecord

    params = {k: v for k, v in rec.parameters.items() if k in declared}
    return library.evaluate(PatientRecord.from_bundle(rec.bundle), now=_now(rec.now), parameters=params)


def _record_file(rec: RecordSpec, out_dir: Path) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in rec.id)
    path = out_dir / f"{safe}.json"
    if not path.exists():
        path.write_text(json.dumps(rec.bundle, indent=1), encoding="utf-8")
    return path


def compare_result(
    lib: LibrarySpec, rec: RecordSpec, ref: dict[str, Any], ours_values: dict[str, Any], types: dict[str, Any]
) -> tuple[list[str], list[Disagreement]]:
    """(defines that agree, disagreements) for one library on one record."""
    agreed: list[str] = []
    disagreements: list[Disagreement] = []
    for define in types:
        if define == "Patient":  # the implicit context define; not a rule
            continue
        if define in ref["errors"]:
            ref_text = f"<error: {ref['errors'][define]}>"
            ref_value: Canon = ("Error", ref["errors"][define])
        else:
            ref_value = from_reference(ref["defines"].get(define))
            ref_text = show(ref_value)
        if define not in ours_values:
            disagreements.append(Disagreement(lib, define, rec, ref_text, "<define missing from results.values>"))
            continue
        our_value = from_ours(ours_values[define], fhir_type_hint(ref["defines"].get(define)))
        if same(ref_value, our_value):
            agreed.append(define)
        else:
            disagreements.append(Disagreement(lib, define, rec, ref_text, show(our_value)))
    return agreed, disagreements


# Both of cql_like's backends (cql_like/README.md) against the one reference batch: the node side runs once.
@pytest.mark.parametrize("backend", BACKENDS)
def test_cql_like_agrees_with_the_reference_engine(
    backend: Backend, cross_check: CrossCheck, tmp_path_factory: pytest.TempPathFactory
) -> None:
    out_dir = tmp_path_factory.mktemp("disagreements")
    skips = _load_skips()
    translation = cross_check.reference["translation"]
    records = {rec.id: rec for rec in cross_check.records}
    loaded: dict[str, Any] = {}
    load_errors: dict[str, str] = {}
    agreed_defines: set[tuple[str, str]] = set()
    agreed_records: set[str] = set()
    agreed_count = 0
    open_disagreements: list[Disagreement] = []
    skipped: list[tuple[Disagreement, dict[str, Any]]] = []
    used_skips: set[int] = set()
    failed_runs: list[str] = []
    for result in cross_check.reference["results"]:
        lib = cross_check.by_id[result["library"]]
        rec = records[result["record"]]
        if "*" in result["errors"]:
            failed_runs.append(f"[{lib.id}] on {rec.id}: reference engine failed: {result['errors']['*']}")
            continue
        if lib.id not in loaded and lib.id not in load_errors:
            try:
                loaded[lib.id] = _load_ours(lib, backend)
            except Exception as exc:  # noqa: BLE001 - any load failure is a finding to report
                load_errors[lib.id] = f"{type(exc).__name__}: {exc}"
        if lib.id in load_errors:
            continue
        try:
            ours = _evaluate_ours(loaded[lib.id], rec, translation[lib.id]["parameters"])
        except Exception as exc:  # noqa: BLE001
            failed_runs.append(f"[{lib.id}] on {rec.id}: cql_like raised {type(exc).__name__}: {exc}")
            continue
        agreed, disagreements = compare_result(lib, rec, result, ours.values, translation[lib.id]["types"])
        agreed_count += len(agreed)
        agreed_defines.update((lib.id, d) for d in agreed)
        if agreed:
            agreed_records.add(rec.id)
        for d in disagreements:
            entry = _skipped(skips, d)
            if entry is None:
                open_disagreements.append(d)
            else:
                skipped.append((d, entry))
                used_skips.add(id(entry))
    print(
        f"\nreference agreement ({backend} backend): {len(agreed_defines)} defines x {len(agreed_records)} records "
        f"agreed "
        f"({agreed_count} define evaluations); {len(open_disagreements)} disagreements, "
        f"{len(skipped)} tolerated by skip-list.yaml "
        f"({sum(1 for _, e in skipped if e['kind'] == 'skip')} reference wrong per spec, "
        f"{sum(1 for _, e in skipped if e['kind'] == 'open')} open on our side), "
        f"{len(load_errors)} libraries cql_like could not load, "
        f"{len(failed_runs)} failed runs"
    )
    for d, entry in skipped:
        label = "reference wrong per spec" if entry["kind"] == "skip" else f"OPEN, owner {entry['owner']}"
        print(f'  tolerated ({label}) [{d.library.id}] "{d.define}" on {d.record.id}')
        print(f"      reference: {d.reference}\n      cql_like:  {d.ours}")
    report = [d.reproduction(_record_file(d.record, out_dir)) for d in open_disagreements]
    report += [f"[{lib_id}] cql_like cannot load: {err}" for lib_id, err in sorted(load_errors.items())]
    report += failed_runs
    ran = {r["library"] for r in cross_check.reference["results"]}
    stale = [e for e in skips if id(e) not in used_skips and e["library"] in ran]
    report += [f"stale skip-list entry (no longer disagrees): {e['library']} / {e['define']}" for e in stale]
    for line in report:
        print(line)
    assert not report, f"{len(report)} problems; see the printed report above"


def test_timing_ratio_on_the_201_resource_sotorasib_record(cross_check: CrossCheck) -> None:
    rec = next(r for r in cross_check.records if r.id == TIMING_RECORD)
    assert len(rec.bundle["entry"]) == 201
    lib = cross_check.by_id[cross_check.timing_library]
    # Never cached: both engines are timed in the same minutes, so the ratio compares like with like.
    only = RecordSpec(id=rec.id, bundle=rec.bundle, now=rec.now, parameters=rec.parameters, libraries=[])
    timing = run_batch([lib], [only], timing=[{"library": lib.id, "record": rec.id, "repeat": 20}], use_cache=False)
    assert timing["timing"], "the reference engine produced no timing"
    ref = timing["timing"][0]
    library = _load_ours(lib)
    declared = cross_check.reference["translation"][lib.id]["parameters"]
    first = _evaluate_ours(library, rec, declared)
    runs = []
    for _ in range(ref["runs"] + 3):
        started = time.perf_counter()
        _evaluate_ours(library, rec, declared)
        runs.append((time.perf_counter() - started) * 1000)
    ours_ms = statistics.median(runs[3:])
    print(
        f"\ntiming on {TIMING_RECORD} (201 resources) with {lib.id}: reference cql-execution median "
        f"{ref['median_ms']:.2f} ms, cql_like median {ours_ms:.3f} ms "
        f"(record indexing + every define, {ref['runs']} runs each): ratio {ref['median_ms'] / ours_ms:.0f}x"
    )
    ref_result = next(r for r in cross_check.reference["results"] if r["library"] == lib.id and r["record"] == rec.id)
    _, disagreements = compare_result(
        lib, rec, ref_result, first.values, cross_check.reference["translation"][lib.id]["types"]
    )
    assert not disagreements, "\n".join(f"{d.define}: {d.reference} vs {d.ours}" for d in disagreements)


def test_records_cover_policy_cases_and_examples(cross_check: CrossCheck) -> None:
    ids = {rec.id for rec in cross_check.records}
    assert TIMING_RECORD in ids
    cases = sorted((REPO / "policies").glob("*/*/tests/cases.yaml"))
    expected = sum(len((yaml.safe_load(c.read_text(encoding="utf-8")) or {}).get("cases") or []) for c in cases)
    assert (
        sum(
            1
            for rec in cross_check.records
            if not rec.id.startswith(("generated/", "fhir-examples/", "sample_bundles/"))
        )
        == expected
    )
