"""A Bulk Data export split by patient without loading it: the input side of `replay --population`.

A bulk export spreads each patient over one NDJSON file per resource type, so no file holds a whole patient. Two
passes over the disk, never the whole export in memory:
1. *scatter* (one task per input file, any number in parallel): each line goes to partition
   crc32(patient id) mod P of that file (`<work>/<partition>/<file number>.ndjson`); resources of no patient
   (Practitioner, Organization, Medication) go to `<work>/shared/<file number>.ndjson`;
2. *gather* (one task per partition): the partition's pieces are read together, grouped by patient, and each
   patient becomes one record, with the shared resources the patient's own ones reference.
This is the map-side shuffle Spark and Dask do, done on files: a partition is small enough for one worker's memory
(the export's size / P), and a real cluster needs only a folder every worker sees.
"""

from __future__ import annotations

import glob
import gzip
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO, cast

import orjson

from .inputs import PatientRecordInput, patient_of

SHARED = "shared"
_NDJSON_NAMES = ("*.ndjson", "*.ndjson.gz")


class PopulationError(ValueError):
    """The population cannot be read (no NDJSON files, a line that is not a FHIR resource)."""


def export_files(where: str) -> list[Path]:
    """The NDJSON files of a Bulk Data export: a folder (its *.ndjson and *.ndjson.gz) or a glob, sorted."""
    path = Path(where)
    if path.is_dir():
        found = sorted(p for name in _NDJSON_NAMES for p in path.glob(name))
    else:
        found = sorted(Path(p) for p in glob.glob(where) if Path(p).is_file())
    if not found:
        raise PopulationError(f"{where}: no .ndjson or .ndjson.gz files")
    return found


def partition_of(patient_id: str, partitions: int) -> int:
    # crc32, not hash(): the same patient lands in the same partition in every process and every run
    return zlib.crc32(patient_id.encode()) % partitions


def _open(path: Path) -> BinaryIO:
    if path.suffix == ".gz":
        return cast(BinaryIO, gzip.GzipFile(path, "rb"))
    return path.open("rb")


def scatter(source: Path, number: int, work: Path, partitions: int) -> int:
    """Split one export file into its partitions' pieces; the number of lines read."""
    outputs: dict[str, IO[bytes]] = {}
    lines = 0
    try:
        with _open(source) as lines_in:
            for line_number, line in enumerate(lines_in, start=1):
                if not line.strip():
                    continue
                try:
                    resource = orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    raise PopulationError(f"{source}:{line_number}: not valid JSON ({exc})") from None
                if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
                    raise PopulationError(f"{source}:{line_number}: not a FHIR resource")
                patient_id = patient_of(resource)
                target = SHARED if patient_id is None else str(partition_of(patient_id, partitions))
                out = outputs.get(target)
                if out is None:
                    folder = work / target
                    folder.mkdir(parents=True, exist_ok=True)
                    out = outputs[target] = (folder / f"{number}.ndjson").open("wb")
                out.write(line if line.endswith(b"\n") else line + b"\n")
                lines += 1
    finally:
        for out in outputs.values():
            out.close()
    return lines


def read_shared(work: Path) -> dict[str, dict[str, Any]]:
    """The resources of no patient (few: the prescribers, payers and products of the export), by every reference
    that may name them: `Type/id`, and `Type?identifier=system|value` (Synthea's exports cite prescribers so)."""
    shared: dict[str, dict[str, Any]] = {}
    for piece in sorted((work / SHARED).glob("*.ndjson"), key=lambda p: int(p.stem)):
        for resource in _resources(piece):
            kind = resource["resourceType"]
            shared[f"{kind}/{resource.get('id')}"] = resource
            for identifier in resource.get("identifier") or ():
                if isinstance(identifier, dict) and identifier.get("system") and identifier.get("value"):
                    shared.setdefault(f"{kind}?identifier={identifier['system']}|{identifier['value']}", resource)
    return shared


@dataclass(frozen=True)
class PartitionRecords:
    records: list[PatientRecordInput]
    orphans: int
    """Patient ids with resources but no Patient resource in the export (counted, not replayed)."""


def gather(work: Path, partition: int, shared: Mapping[str, dict[str, Any]]) -> PartitionRecords:
    """One record per patient of the partition, sorted by patient id, the Patient first, in file order after."""
    by_patient: dict[str, list[dict[str, Any]]] = {}
    folder = work / str(partition)
    pieces = sorted(folder.glob("*.ndjson"), key=lambda p: int(p.stem)) if folder.is_dir() else []
    for piece in pieces:
        for resource in _resources(piece):
            patient_id = patient_of(resource)
            if patient_id is not None:
                by_patient.setdefault(patient_id, []).append(resource)
    records = []
    orphans = 0
    for patient_id in sorted(by_patient):
        own = by_patient[patient_id]
        if not any(r.get("resourceType") == "Patient" for r in own):
            orphans += 1
            continue
        own.sort(key=lambda r: r.get("resourceType") != "Patient")  # stable: file order after the Patient
        record = PatientRecordInput(patient_id, sources=pieces, resources=[*own, *referenced(own, shared)])
        records.append(record)
    return PartitionRecords(records, orphans)


def referenced(resources: Iterable[Mapping[str, Any]], shared: Mapping[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The shared resources the patient's own ones reference, and the ones those reference (a role's practitioner)."""
    found: dict[str, dict[str, Any]] = {}
    pending = [ref for r in resources for ref in _references(r)]
    while pending:
        resource = shared.get(pending.pop())
        if resource is None:
            continue
        key = f"{resource['resourceType']}/{resource.get('id')}"
        if key not in found:
            found[key] = resource
            pending.extend(_references(resource))
    return [found[key] for key in sorted(found)]


def _references(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        reference = value.get("reference")
        if isinstance(reference, str):
            yield reference
        for item in value.values():
            if isinstance(item, dict | list):
                yield from _references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)


def _resources(path: Path) -> Iterator[dict[str, Any]]:
    with path.open("rb") as lines:
        for line in lines:
            if line.strip():
                yield orjson.loads(line)
