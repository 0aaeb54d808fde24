"""Every free-text KRAS phrasing of the corpus (data/kras_text_corpus.yaml) read through _shared/KrasG12C.cql.

Each phrase is a KRAS single-test Observation (LOINC 21702-6) carried both as valueString and as
valueCodeableConcept.text; "KRAS G12C Positive" must never be met where the corpus says negative or unknown, nor
not met where it says positive or unknown. The confusion table is printed (pytest -s) and the readings that fall
back to unknown are bounded. The reference engine (cql-execution) must read every phrase the same way.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from cql_like import Library, LocalTerminology, PatientRecord, load_library

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO / "policies" / "_shared"
CORPUS = Path(__file__).with_name("data") / "kras_text_corpus.yaml"
NOW = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
STATUS = {True: "positive", False: "negative", None: "unknown"}
# Readings that are safe (unknown) but miss a decision the corpus gives; raise only with a reason.
MAX_UNDECIDED = 6


def corpus() -> list[dict[str, Any]]:
    phrases: list[dict[str, Any]] = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))["phrases"]
    return phrases


@cache
def kras_library() -> Library:
    terminology = LocalTerminology.from_dirs([SHARED / "valuesets"])
    return load_library(SHARED / "KrasG12C.cql", terminology=terminology, library_paths=[SHARED])


def kras_record(value: dict[str, Any]) -> PatientRecord:
    observation = {
        "resourceType": "Observation",
        "id": "obs-kras-text",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "21702-6", "display": "KRAS gene mutations found"}]},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": "2026-07-15",
        **value,
    }
    patient = {"resourceType": "Patient", "id": "p1", "birthDate": "1961-03-14"}
    return PatientRecord.from_resources([patient, observation])


def reading(value: dict[str, Any]) -> str:
    values = kras_library().evaluate(kras_record(value), now=NOW, defines=["KRAS G12C Positive"]).values
    return STATUS[values["KRAS G12C Positive"]]


def confusion_table(rows: list[tuple[str, str]]) -> str:
    counts = Counter(rows)
    labels = ["positive", "negative", "unknown"]
    lines = ["expected \\ read  " + "".join(f"{label:>10}" for label in labels)]
    lines += [f"{e:<17}" + "".join(f"{counts[(e, r)]:>10}" for r in labels) for e in labels]
    return "\n".join(lines)


def test_corpus_is_large_and_covers_every_status() -> None:
    phrases = corpus()
    assert len(phrases) >= 150
    assert {p["expect"] for p in phrases} == {"positive", "negative", "unknown"}
    issue = {p["text"] for p in phrases if p.get("issue")}
    assert {
        "KRAS G12C mutation not identified",
        "KRAS G12C was not found",
        "KRAS G12C testing pending",
        "indeterminate (insufficient tumor)",
        "Tested for: G12C, G12D, G12V. Result: none detected",
        "KRAS G12C mutation detected. No mutation in EGFR.",
    } <= issue


@pytest.mark.parametrize("shape", ["valueString", "valueCodeableConcept.text"])
def test_no_false_met_and_no_false_not_met(shape: str) -> None:
    rows: list[tuple[str, str]] = []
    wrong: list[str] = []
    for phrase in corpus():
        text = phrase["text"]
        value = {"valueString": text} if shape == "valueString" else {"valueCodeableConcept": {"text": text}}
        got = reading(value)
        rows.append((phrase["expect"], got))
        if got != phrase["expect"] and got != "unknown":
            wrong.append(f"{text!r}: expected {phrase['expect']}, read {got}")
    print(f"\nKRAS text corpus ({shape}, {len(rows)} phrases)\n{confusion_table(rows)}")
    assert wrong == [], "false met / false not met:\n" + "\n".join(wrong)
    undecided = [row for row in rows if row[0] != "unknown" and row[1] == "unknown"]
    assert len(undecided) <= MAX_UNDECIDED


def test_issue_phrases_read_exactly() -> None:
    for phrase in corpus():
        if phrase.get("issue"):
            assert reading({"valueString": phrase["text"]}) == phrase["expect"], phrase["text"]


PROBE = """library KrasTextProbe version '1.0.0'
using FHIR version '4.0.1'
include FHIRHelpers version '4.0.1' called FHIRHelpers
include KrasG12C version '1.0.0' called KrasG12C
context Patient
"""


def cql_string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'"


@pytest.mark.node
@pytest.mark.timeout(600)
def test_reference_engine_reads_every_phrase_alike() -> None:
    from tests.conformance.refcql_records import LibrarySpec, RecordSpec
    from tests.conformance.refcql_runner import ensure_installed, missing_tools, run_batch

    missing = missing_tools()
    if missing:
        pytest.skip(missing)
    ensure_installed()
    phrases = corpus()
    defines = "".join(
        f'define "P{n:03d}": KrasG12C."G12C Text Reading"({cql_string(p["text"])})\n' for n, p in enumerate(phrases)
    )
    with tempfile.TemporaryDirectory(prefix="kras-corpus-") as tmp:
        probe = Path(tmp) / "KrasTextProbe.cql"
        probe.write_text(PROBE + defines, encoding="utf-8")
        spec = LibrarySpec("corpus/KrasTextProbe", probe, (SHARED,), (SHARED / "valuesets",), "conformance")
        patient = {"resourceType": "Patient", "id": "p1"}
        bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": patient}]}
        record = RecordSpec("corpus", bundle, NOW.isoformat(), {}, [spec.id])
        result = run_batch([spec], [record], use_cache=False)
        terminology = LocalTerminology.from_dirs([SHARED / "valuesets"])
        ours = load_library(probe, terminology=terminology, library_paths=[SHARED])
        mine = ours.evaluate(PatientRecord.from_bundle(bundle), now=NOW).values
    reference = _reference_values(result)
    differ = [
        f"{phrases[int(name[1:])]['text']!r}: reference {reference.get(name)!r}, cql_like {mine[name]!r}"
        for name in mine
        if name.startswith("P") and reference.get(name) != mine[name]
    ]
    assert differ == []


def _reference_values(result: dict[str, Any]) -> dict[str, Any]:
    run = next(r for r in result["results"] if r["library"] == "corpus/KrasTextProbe")
    assert not run["errors"], run["errors"]
    values: dict[str, Any] = run["defines"]
    return values
