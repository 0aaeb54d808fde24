"""`replay --population` input side: a Bulk Data export split by patient on disk, gzip or not, shared resources
attached by reference; the Synthea export of ../shared reads as real-world shape."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cds_service.replay.population import PopulationError, export_files, gather, read_shared, scatter
from tests.support.population import REPO, make_population
from tests.support.replay_records import SYNTHEA_NDJSON

SHARED_SYNTHEA = REPO.parent / "shared" / "fhir-examples" / SYNTHEA_NDJSON.name


def _split(files: list[Path], work: Path, partitions: int) -> dict[str, list[str]]:
    for number, path in enumerate(files):
        scatter(path, number, work, partitions)
    shared = read_shared(work)
    records: dict[str, list[str]] = {}
    for partition in range(partitions):
        for record in gather(work, partition, shared).records:
            assert record.patient_id not in records  # one partition per patient
            records[record.patient_id] = [f"{r['resourceType']}/{r['id']}" for r in record.resources]
    return records


def test_every_patient_is_one_record_with_the_patient_first_whatever_the_partitioning(tmp_path: Path) -> None:
    export = make_population(tmp_path / "plain", patients=80)
    zipped = make_population(tmp_path / "zipped", compress=True, patients=80)
    three = _split(export_files(str(export)), tmp_path / "w3", 3)
    seven = _split(export_files(str(zipped)), tmp_path / "w7", 7)
    assert three == seven  # gzip or not, 3 or 7 partitions: the same records
    assert len(three) == 80
    assert all(resources[0].startswith("Patient/") for resources in three.values())
    # a template's prescriber is shared (written once) and reaches only the members whose order cites it
    with_role = [rs for rs in three.values() if any(r.startswith("PractitionerRole/") for r in rs)]
    assert with_role and len(with_role) < 80
    assert all(any(r.startswith("Practitioner/") for r in rs) for rs in with_role)


def test_a_glob_selects_files_and_an_empty_one_is_an_error(tmp_path: Path) -> None:
    export = make_population(tmp_path / "pop", patients=10)
    assert [p.name for p in export_files(str(export / "Pat*.ndjson"))] == ["Patient.ndjson"]
    with pytest.raises(PopulationError, match="no .ndjson"):
        export_files(str(tmp_path / "nothing-*.ndjson"))


def test_the_synthea_bulk_export_reads_as_one_record_per_patient(tmp_path: Path) -> None:
    source = SHARED_SYNTHEA if SHARED_SYNTHEA.is_file() else Path("/work/shared/fhir-examples") / SYNTHEA_NDJSON.name
    if not source.is_file():
        source = SYNTHEA_NDJSON  # the unchanged copy the policy tests keep
    export = tmp_path / "synthea"
    export.mkdir()
    shutil.copy(source, export / "export.ndjson")
    records = _split(export_files(str(export)), tmp_path / "work", 4)
    assert len(records) == 1
    [(patient, resources)] = records.items()
    assert resources[0] == f"Patient/{patient}"
    assert any(r.startswith("Condition/") for r in resources)
    assert any(r.startswith("MedicationRequest/") for r in resources)
    assert any(r.startswith("Practitioner/") for r in resources)  # the requester, shared, attached by reference
