"""Read what an analyst points `replay` at: hook requests, patient Bundles, NDJSON exports, directories.

A hook request (a JSON object with `hook`) is replayed as it is. Everything else is FHIR data: Bundles of
any type (transaction, batch, collection, searchset, document), single resources and NDJSON lines are
pooled and split into one record per Patient, following each resource's patient reference; a bulk export
spreads one patient over several NDJSON files, so all data files of one run are pooled together.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

DATA_SUFFIXES = (".json", ".ndjson")
# Where a resource names its patient, in the order we look (first hit wins).
_PATIENT_FIELDS = ("subject", "patient", "beneficiary", "individual")


class ReplayInputError(ValueError):
    """A file could not be read as a hook request, a FHIR resource, a Bundle or NDJSON."""


@dataclass(frozen=True)
class HookRequestInput:
    source: Path
    payload: dict[str, Any]

    @property
    def label(self) -> str:
        return str(self.source)


@dataclass
class PatientRecordInput:
    """Every resource of one patient found in the data files (the Patient first)."""

    patient_id: str
    sources: list[Path] = field(default_factory=list)
    resources: list[dict[str, Any]] = field(default_factory=list)

    @property
    def label(self) -> str:
        names = ", ".join(sorted({str(p) for p in self.sources}))
        return f"Patient/{self.patient_id} ({names})"


@dataclass(frozen=True)
class AnsweredFormInput:
    """A DTR QuestionnaireResponse with its patient's record (from the data files named with it)."""

    source: Path
    response: dict[str, Any]
    record: PatientRecordInput

    @property
    def label(self) -> str:
        return f"QuestionnaireResponse/{self.response.get('id')} ({self.source}) with {self.record.label}"


ReplayInput = HookRequestInput | PatientRecordInput | AnsweredFormInput


def expand(paths: Iterable[Path]) -> list[Path]:
    """Files named directly, and every .json / .ndjson file under directories, each once, in order."""
    found: list[Path] = []
    seen: set[Path] = set()
    for path in paths:
        if path.is_dir():
            candidates = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in DATA_SUFFIXES)
        elif path.is_file():
            candidates = [path]
        else:
            raise ReplayInputError(f"{path}: no such file or directory")
        for candidate in candidates:
            resolved = candidate.resolve()
            if resolved not in seen:
                seen.add(resolved)
                found.append(candidate)
    return found


@dataclass
class ReadResult:
    inputs: list[ReplayInput]
    skipped: list[str]
    """Files found in directories that are not FHIR or CDS Hooks JSON (an index.json, a config file)."""


def read_inputs(files: Iterable[Path], explicit: Iterable[Path] = ()) -> ReadResult:
    """Hook requests in file order, then one record per patient found in the data files.

    Each Bundle or resource file is its own source (two Bundles may reuse a patient id); NDJSON files are
    pooled, because a bulk export spreads one patient over one file per resource type. A file named on
    the command line must be readable; one found in a directory that is not FHIR JSON is skipped.
    """
    named = {p.resolve() for p in explicit}
    requests: list[ReplayInput] = []
    groups: dict[tuple[str, str], PatientRecordInput] = {}
    shared: dict[str, list[tuple[Path, dict[str, Any]]]] = {}
    skipped: list[str] = []
    forms: list[tuple[Path, dict[str, Any]]] = []
    for path in files:
        source = "ndjson" if path.suffix == ".ndjson" else str(path)
        try:
            documents = list(_documents(path))
        except ReplayInputError as exc:
            if path.resolve() in named:
                raise
            skipped.append(str(exc))
            continue
        for document in documents:
            if isinstance(document.get("hook"), str):
                requests.append(HookRequestInput(path, document))
                continue
            if document.get("resourceType") == "QuestionnaireResponse":
                forms.append((path, document))  # decided with its patient's record, not pooled into it
                continue
            for resource in _resources(document):
                patient_id = patient_of(resource)
                if patient_id is None:
                    shared.setdefault(source, []).append((path, resource))
                    continue
                record = groups.setdefault((source, patient_id), PatientRecordInput(patient_id))
                _add(record, path, resource)
    records = []
    for (source, _), record in groups.items():
        if not any(r.get("resourceType") == "Patient" for r in record.resources):
            continue  # data about a patient the inputs do not include
        # Practitioners, Organizations, Medications belong to no patient: every record of the source gets them
        for path, resource in shared.get(source, []):
            _add(record, path, resource)
        record.resources.sort(key=lambda r: r.get("resourceType") != "Patient")
        records.append(record)
    answered = _pair_forms(forms, records, skipped)
    paired = {id(form.record) for form in answered}
    return ReadResult([*requests, *answered, *(r for r in records if id(r) not in paired)], skipped)


def _pair_forms(
    forms: list[tuple[Path, dict[str, Any]]], records: list[PatientRecordInput], skipped: list[str]
) -> list[AnsweredFormInput]:
    """Each QuestionnaireResponse with the record of its subject; one without a record is skipped, named."""
    answered = []
    for path, response in forms:
        patient_id = patient_of(response)
        record = next((r for r in records if r.patient_id == patient_id), None)
        if record is None:
            skipped.append(f"{path}: no record of Patient/{patient_id} among the inputs for this QuestionnaireResponse")
            continue
        answered.append(AnsweredFormInput(path, response, record))
    return answered


def _add(record: PatientRecordInput, path: Path, resource: dict[str, Any]) -> None:
    record.resources.append(resource)
    if path not in record.sources:
        record.sources.append(path)


def _documents(path: Path) -> Iterator[dict[str, Any]]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ReplayInputError(f"{path}: {exc.strerror}") from None
    if path.suffix == ".ndjson":
        for number, line in enumerate(raw.splitlines(), start=1):
            if line.strip():
                yield _object(line, f"{path}:{number}")
        return
    yield _object(raw, str(path))


def _object(raw: bytes, where: str) -> dict[str, Any]:
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ReplayInputError(f"{where}: not valid JSON ({exc})") from None
    if not isinstance(document, dict) or not (
        isinstance(document.get("resourceType"), str) or isinstance(document.get("hook"), str)
    ):
        raise ReplayInputError(f"{where}: neither a FHIR resource nor a CDS Hooks request")
    return document


def _resources(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if document.get("resourceType") != "Bundle":
        if isinstance(document.get("id"), str):
            yield document
        return
    for entry in document.get("entry") or ():
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict):
            if not isinstance(resource.get("id"), str):
                # transaction entries may carry only a fullUrl (urn:uuid:...): use its tail as the id
                full_url = entry.get("fullUrl")
                if not isinstance(full_url, str):
                    continue
                resource = {**resource, "id": full_url.rsplit(":", 1)[-1].rsplit("/", 1)[-1]}
            yield from _resources(resource)


def patient_of(resource: Mapping[str, Any]) -> str | None:
    if resource.get("resourceType") == "Patient":
        return str(resource["id"])
    for key in _PATIENT_FIELDS:
        value = resource.get(key)
        reference = value.get("reference") if isinstance(value, dict) else None
        if isinstance(reference, str) and "Patient/" in reference:
            return reference.rsplit("Patient/", 1)[1].split("/")[0]
        if isinstance(reference, str) and reference.startswith("urn:uuid:") and key in ("subject", "patient"):
            return reference.removeprefix("urn:uuid:")
    return None
