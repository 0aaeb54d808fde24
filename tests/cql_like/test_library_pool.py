"""LibraryPool: policies that include the same library share its compiled form, and only when nothing differs."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from cql_like import LibraryPool, LocalTerminology, PatientRecord, load_library
from cql_like.syntax.cache import ParseCache
from tests.cql_like.helpers import SHARED_LIBRARY

NOW = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
SHARED = SHARED_LIBRARY
MAIN = """library {name} version '1'
using FHIR version '4.0.1'
include Shared version '1' called S
context Patient
define "Ordered": S."Ordered"
"""
RECORD = PatientRecord.from_resources([
    {"resourceType": "Patient", "id": "p1"},
    {"resourceType": "MedicationRequest", "id": "m1", "subject": {"reference": "Patient/p1"},
     "medicationCodeableConcept": {"coding": [{"system": "http://rx", "code": "111"}]}},
])  # fmt: skip


def _value_set(folder: Path, code: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "drugs.json").write_text(json.dumps({
        "resourceType": "ValueSet", "url": "https://example.org/ValueSet/drugs", "status": "active",
        "expansion": {"contains": [{"system": "http://rx", "code": code}]},
    }))  # fmt: skip
    return folder


def _policy(root: Path, name: str) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / f"{name}.cql").write_text(MAIN.format(name=name))
    return folder / f"{name}.cql"


def _ordered(main: Path, shared: Path, valuesets: Path, pool: LibraryPool) -> object:
    library = load_library(
        main, terminology=LocalTerminology.from_dirs([valuesets]), library_paths=[shared],
        parse_cache=ParseCache(None), pool=pool,
    )  # fmt: skip
    return library.evaluate(RECORD, now=NOW).values["Ordered"]


def test_two_policies_share_the_compiled_library_and_answer_as_alone(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "Shared.cql").write_text(SHARED)
    valuesets = _value_set(tmp_path / "vs", "111")
    pool = LibraryPool()
    assert _ordered(_policy(tmp_path, "PolicyA"), shared, valuesets, pool) is True
    assert _ordered(_policy(tmp_path, "PolicyB"), shared, valuesets, pool) is True
    assert (pool.misses, pool.hits) == (1, 1)


def test_a_different_value_set_or_text_compiles_its_own_copy(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "Shared.cql").write_text(SHARED)
    pool = LibraryPool()
    assert _ordered(_policy(tmp_path, "PolicyA"), shared, _value_set(tmp_path / "vs-a", "111"), pool) is True
    # the same file under a terminology where the drug is not in the value set: never the shared answer
    assert _ordered(_policy(tmp_path, "PolicyB"), shared, _value_set(tmp_path / "vs-b", "222"), pool) is False
    (shared / "Shared.cql").write_text(SHARED.replace("exists", "not exists"))
    assert _ordered(_policy(tmp_path, "PolicyC"), shared, _value_set(tmp_path / "vs-a", "111"), pool) is False
    assert (pool.misses, pool.hits) == (3, 0)
