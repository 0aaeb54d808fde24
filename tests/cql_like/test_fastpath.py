"""The value-set filter fast path gives exactly what the general query path gives (values and evidence)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from cql_like import PatientRecord
from cql_like.compile import fastpath as emit_fastpath
from cql_like.compile import queries as emit_query
from tests.cql_like.helpers import load

NOW = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
SNOMED, LOINC = "http://snomed.info/sct", "http://loinc.org"
LIB = """library Fast version '1'
using FHIR version '4.0.1'
include FHIRHelpers version '4.0.1' called FHIRHelpers
valueset "NSCLC": 'https://example.org/fhir/ValueSet/nsclc'
valueset "KRAS": 'https://example.org/fhir/ValueSet/kras-tests'
context Patient
define "Concepts": [Condition] C return FHIRHelpers.ToConcept(C.code)
define "Mixed": { "First Concept", null, 'C34.90' }
define "First Concept": First("Concepts")
define "NSCLC Concepts": "Concepts" X where X in "NSCLC"
define "Either": "Concepts" X where X in "KRAS" or X in "NSCLC"
define "NSCLC Conditions": [Condition] C where FHIRHelpers.ToConcept(C.code) in "NSCLC"
define "Implicit": [Condition] C where C.code in "NSCLC" or C.code in "KRAS"
define "Has NSCLC": exists ("NSCLC Conditions")
define "Observations": [Observation] O where O.code in "KRAS"
define "Mixed In": "Mixed" X where X in "NSCLC"
"""


def _condition(rid: str, codings: list[tuple[str | None, str | None]] | None, text: str | None = None) -> Any:
    resource: dict[str, Any] = {"resourceType": "Condition", "id": rid}
    if codings is not None or text is not None:
        cc: dict[str, Any] = {}
        if codings is not None:
            cc["coding"] = [{k: v for k, v in (("system", s), ("code", c)) if v is not None} for s, c in codings]
        if text is not None:
            cc["text"] = text
        resource["code"] = cc
    return resource


RESOURCES = [
    {"resourceType": "Patient", "id": "p"},
    _condition("nsclc", [(SNOMED, "254637007")]),
    _condition("icd", [("http://hl7.org/fhir/sid/icd-10-cm", "C34.90"), (SNOMED, "1")]),
    _condition("no-system", [(None, "254637007")]),
    _condition("no-code", [(SNOMED, None)]),
    _condition("text-only", None, "lung cancer"),
    _condition("absent", None),
    {"resourceType": "Observation", "id": "kras", "code": {"coding": [{"system": LOINC, "code": "21702-6"}]}},
]


def _run(tmp_path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    lib = load(tmp_path, "Fast", LIB)
    results = lib.evaluate(PatientRecord.from_resources(RESOURCES), now=NOW)
    return dict(results.values), dict(results.evidence)


def test_fast_path_matches_the_general_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    taken: list[object] = []
    real = emit_fastpath.code_filter  # what emit_query imported under that name

    def counting(*args: Any) -> Any:
        found = real(*args)
        taken.append(found)
        return found

    monkeypatch.setattr(emit_query, "code_filter", counting)
    fast_values, fast_evidence = _run(tmp_path)
    assert sum(f is not None for f in taken) == 5  # every typed value-set filter above ("Mixed In" is Any)
    monkeypatch.setattr(emit_query, "code_filter", lambda *args: None)
    general_values, general_evidence = _run(tmp_path)
    assert fast_values == general_values
    assert fast_evidence == general_evidence
    assert fast_evidence["NSCLC Conditions"] == ("Condition/icd", "Condition/nsclc")
    assert fast_evidence["Observations"] == ("Observation/kras",)
    assert len(fast_values["Either"]) == 2
