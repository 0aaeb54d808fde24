"""Write a CQL library to a temporary folder and load it (shared by the cql_like tests)."""

from __future__ import annotations

from pathlib import Path

from cql_like import Library, LocalTerminology, load_library

CONFORMANCE = Path(__file__).parent / "conformance"
# A library that policies include, as the pool and cache tests share it: a value set, a retrieve, a define
SHARED_LIBRARY = """library Shared version '1'
using FHIR version '4.0.1'
include FHIRHelpers version '4.0.1' called FHIRHelpers
valueset "Drugs": 'https://example.org/ValueSet/drugs'
context Patient
define "Ordered": exists ([MedicationRequest] M where M.medication in "Drugs")
"""


def write_library(folder: Path, name: str, body: str) -> Path:
    path = folder / f"{name}.cql"
    path.write_text(body, encoding="utf-8")
    return path


def load(folder: Path, name: str, body: str, *, value_sets: Path | None = None) -> Library:
    path = write_library(folder, name, body)
    terminology = LocalTerminology.from_dirs([value_sets or CONFORMANCE / "valuesets"])
    return load_library(path, terminology=terminology, library_paths=[folder])
