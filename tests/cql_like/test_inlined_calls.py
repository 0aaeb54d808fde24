"""Calls spliced into their call site (codegen/function_call.inlined_call): the same values and evidence as the
plain call, and only where the call's arguments vary with a query item or parameter."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from cql_like import LocalTerminology, PatientRecord, load_library
from cql_like.codegen import fused
from cql_like.codegen.function_call import inlined_call
from tests.cql_like.helpers import CONFORMANCE, write_library

NOW = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
SNOMED = "http://snomed.info/sct"

LIB = """library Inlined version '1'
using FHIR version '4.0.1'
include FHIRHelpers version '4.0.1' called FHIRHelpers
context Patient
define "Active Orders": [MedicationRequest] M where M.status = 'active'
define function "Is Asserted"(C FHIR.Condition) returns Boolean:
  not exists (C.verificationStatus.coding X where X.code in { 'refuted', 'entered-in-error' })
define function "Counts"(C FHIR.Condition) returns Boolean:
  "Is Asserted"(C) and exists "Active Orders"
define function "Older Than"(C FHIR.Condition, D Date) returns Boolean:
  (C.onset as FHIR.dateTime) < D
define "Counted": [Condition] C where "Counts"(C)
define "Counted Again": [Condition] C where "Counts"(C) and "Older Than"(C, @2026-01-01)
define "Any Counted": exists ([Condition] C where "Counts"(C))
define "First Asserted": "Is Asserted"(First([Condition]))
"""

RESOURCES: list[dict[str, Any]] = [
    {"resourceType": "Patient", "id": "p"},
    {"resourceType": "MedicationRequest", "id": "on", "status": "active"},
    {"resourceType": "MedicationRequest", "id": "off", "status": "stopped"},
    {"resourceType": "Condition", "id": "kept", "onsetDateTime": "2025-03-01",
     "code": {"coding": [{"system": SNOMED, "code": "254637007"}]}},
    {"resourceType": "Condition", "id": "refuted", "onsetDateTime": "2025-03-01",
     "verificationStatus": {"coding": [{"code": "refuted"}]}},
    {"resourceType": "Condition", "id": "recent", "onsetDateTime": "2026-06-01"},
]  # fmt: skip


@pytest.mark.parametrize("resources", [RESOURCES, [r for r in RESOURCES if r["id"] != "on"]], ids=["orders", "none"])
def test_spliced_calls_give_the_plain_calls_values_and_evidence(tmp_path: Path, resources: list[Any]) -> None:
    path = write_library(tmp_path, "Inlined", LIB)
    terminology = LocalTerminology.from_dirs([CONFORMANCE / "valuesets"])
    results = {
        backend: load_library(path, terminology=terminology, library_paths=[tmp_path], backend=backend).evaluate(
            PatientRecord.from_resources(resources), now=NOW
        )
        for backend in ("generated", "closures")
    }
    generated, plain = results["generated"], results["closures"]
    assert generated.values == plain.values
    assert generated.evidence == plain.evidence
    if len(resources) == len(RESOURCES):
        assert [c["id"] for c in generated.values["Counted"]] == ["kept", "recent"]
        # the define the function reads is evidence of the items that pass
        assert generated.evidence["Counted"] == ("Condition/kept", "Condition/recent", "MedicationRequest/on")
        assert [c["id"] for c in generated.values["Counted Again"]] == ["kept"]
    else:
        assert generated.values["Counted"] == [] and generated.evidence["Counted"] == ()


@dataclass
class _Target:
    name: str = "F"
    params: tuple[tuple[str, str], ...] = (("x", "FHIR.Condition"),)
    body: Any = None
    pure: bool = False
    kept: dict[Any, Any] = field(default_factory=dict)
    adds_evidence: bool = False
    source: fused.Source | None = fused.Source("(ctx.env.get('x') is None)", {})
    param_reads: frozenset[str] = frozenset({"x"})


ITEM = fused.Source("ctx.env.get('C')", {})


def test_a_call_is_spliced_only_when_the_body_is_all_text_short_and_not_kept() -> None:
    spliced = inlined_call(_Target(), (ITEM,))
    assert spliced is not None and "ctx.env.get('x')" not in spliced.text and "ctx.env.get('C')" in spliced.text
    assert inlined_call(_Target(pure=True), (ITEM,)) is None  # its results are kept across evaluations
    # a closure the body calls reads the parameter from ctx.env
    read_by_a_closure = fused.Source("(ctx.env.get('x') is None)", {}, env_reads=frozenset({"x"}))
    assert inlined_call(_Target(source=read_by_a_closure), (ITEM,)) is None
    assert inlined_call(_Target(source=None), (ITEM,)) is None
    long = fused.Source("(ctx.env.get('x') is None)" + " or True" * 400, {})
    assert inlined_call(_Target(source=long), (ITEM,)) is None
    # the same argument at every call ("Age"("Order")): the memo computes the body once
    assert inlined_call(_Target(), (fused.Source("_order(ctx)", {}),)) is None
