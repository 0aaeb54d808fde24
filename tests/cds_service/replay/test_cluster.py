"""`replay --population` on Dask: the local cluster decides exactly what a sequential run decides; a patient whose
data breaks the request is an error row, counted, and the run goes on."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import orjson

from cds_service.policy import PolicyRegistry
from cds_service.replay.cluster import run_population
from cds_service.replay.patients import PopulationOptions
from cds_service.replay.population import export_files
from cds_service.replay.run import evaluation_time
from cds_service.settings import SAMPLE_PAYERS_FILE
from tests.support.population import REPO, make_population

OPTIONS = PopulationOptions(REPO / "policies", SAMPLE_PAYERS_FILE, evaluation_time(date(2026, 11, 23)))


def test_the_local_cluster_decides_exactly_what_a_sequential_run_decides(tmp_path: Path) -> None:
    files = export_files(str(make_population(tmp_path / "pop", compress=True)))
    sequential = run_population(files, [OPTIONS], sequential=True, partitions=5)
    distributed = run_population(files, [OPTIONS], workers=2, partitions=8)
    assert distributed.workers == 2
    assert sequential.patients == distributed.patients == 200
    assert distributed.rows == sequential.rows  # every decision, path, criterion status and evidence id
    decisions = Counter(r.decision for r in sequential.rows[0])
    # the members on a governed drug are the policies' own cases: all three outcomes occur, and no errors
    assert decisions["approved"] and decisions["not-met"] and decisions["needs-info"]
    assert not sequential.errors
    assert all(r.policy_id and r.policy_version and r.path for r in sequential.rows[0])
    assert any(c.evidence for r in sequential.rows[0] for c in r.criteria)


def test_a_broken_patient_is_an_error_row_and_the_run_goes_on(tmp_path: Path) -> None:
    export = make_population(tmp_path / "pop", patients=60)
    orders = export / "MedicationRequest.ndjson"
    lines = orders.read_bytes().splitlines()
    drugs = {d.code for p in PolicyRegistry.load(REPO / "policies") for d in p.metadata.drugs}
    governed = next(i for i, line in enumerate(lines) if b'"status":"active"' in line and _code(line) in drugs)
    broken = orjson.loads(lines[governed])
    broken["medicationCodeableConcept"]["coding"] = "sotorasib"  # not a list of Coding: the order cannot be read
    lines[governed] = orjson.dumps(broken)
    orders.write_bytes(b"\n".join(lines) + b"\n")
    run = run_population(export_files(str(export)), [OPTIONS], sequential=True, partitions=3)
    patient = broken["subject"]["reference"].removeprefix("Patient/")
    assert run.patients == 60
    assert [p for p, _ in run.errors] == [patient]
    [row] = [r for r in run.rows[0] if r.patient_id == patient and r.decision == "error"]
    assert row.error and row.drug == "-"
    assert sum(1 for r in run.rows[0] if r.decision != "error") >= 3  # the others were decided


def _code(line: bytes) -> str | None:
    concept = orjson.loads(line).get("medicationCodeableConcept") or {}
    return next((str(c["code"]) for c in concept.get("coding", [])), None)
