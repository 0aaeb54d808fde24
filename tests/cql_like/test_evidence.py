"""Evidence names only the resources behind a true / non-empty result, also through tuples (issue gaps 1, 2)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from cql_like import PatientRecord
from cql_like.runtime.clinical import Concept
from tests.cql_like.helpers import load

NOW = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
RX = "http://www.nlm.nih.gov/research/umls/rxnorm"
REASON = "http://terminology.hl7.org/CodeSystem/medicationrequest-status-reason"

SHARED = """library Shared version '1'
using FHIR version '4.0.1'
include FHIRHelpers version '4.0.1' called FHIRHelpers
context Patient
define "Ended Orders": [MedicationRequest] M where M.status in { 'stopped', 'completed' }
"""

LIB = """library Main version '1'
using FHIR version '4.0.1'
include FHIRHelpers version '4.0.1' called FHIRHelpers
include Shared version '1' called Shared
context Patient
define function "Is Final"(O FHIR.Observation) returns Boolean:
  if O.status = 'preliminary' then exists ([MedicationRequest] M where M.status = 'active') and false
  else O.status = 'final'
define "Final Obs": [Observation] O where "Is Final"(O)
define "Stopped": Shared."Ended Orders" M where M.status = 'stopped'
define "Stopped Nested": ("Ended Orders Local" M where M.status in { 'stopped', 'completed' }) N
  where N.status = 'stopped'
define "Ended Orders Local": [MedicationRequest] M where M.status in { 'stopped', 'completed' }
define "With Final": [MedicationRequest] M with [Observation] O such that O.status = 'final'
  where M.status = 'stopped'
define "Stopped Tuples": Shared."Ended Orders" M where M.status = 'stopped'
  return Tuple { order: M, reason: M.statusReason }
define "Has Stopped Tuple": exists "Stopped Tuples"
define "Statement Tuples": [MedicationStatement] S return Tuple { statement: S }
define "Tuple Reasons": "Statement Tuples" T return FHIRHelpers.ToConcept(First(T.statement.statusReason))
define "Tuple Reason Count": Count(First("Statement Tuples").statement.statusReason)
define "Tuple Reason Texts": ("Statement Tuples" T return T.statement) S
  return First(S.statusReason R return FHIRHelpers.ToConcept(R))
define "Tuple Reason Direct": FHIRHelpers.ToConcept(First("Stopped Tuples").reason)
"""

RESOURCES: list[dict[str, Any]] = [
    {"resourceType": "Patient", "id": "p"},
    {"resourceType": "Observation", "id": "final", "status": "final"},
    {"resourceType": "Observation", "id": "prelim", "status": "preliminary"},
    {"resourceType": "MedicationRequest", "id": "stopped", "status": "stopped",
     "statusReason": {"coding": [{"system": REASON, "code": "sddi", "display": "Drug interaction"}]}},
    {"resourceType": "MedicationRequest", "id": "done", "status": "completed"},
    {"resourceType": "MedicationRequest", "id": "active", "status": "active"},
    {"resourceType": "MedicationStatement", "id": "st", "status": "stopped",
     "statusReason": [{"coding": [{"system": REASON, "code": "sddi"}]}, {"text": "nausea"}]},
]  # fmt: skip


def _evaluate(tmp_path: Path) -> Any:
    (tmp_path / "Shared.cql").write_text(SHARED, encoding="utf-8")
    lib = load(tmp_path, "Main", LIB)
    return lib.evaluate(PatientRecord.from_resources(RESOURCES), now=NOW)


def test_a_condition_that_touches_resources_counts_only_for_items_that_pass(tmp_path: Path) -> None:
    results = _evaluate(tmp_path)
    assert results.evidence["Final Obs"] == ("Observation/final",)


def test_a_filtered_define_of_another_library_passes_on_only_the_items_that_survive(tmp_path: Path) -> None:
    results = _evaluate(tmp_path)
    assert results.evidence["Stopped"] == ("MedicationRequest/stopped",)
    assert results.evidence["Stopped Nested"] == ("MedicationRequest/stopped",)
    assert results.evidence["Ended Orders Local"] == ("MedicationRequest/done", "MedicationRequest/stopped")


def test_with_clause_names_the_matching_resource_only(tmp_path: Path) -> None:
    results = _evaluate(tmp_path)
    assert results.evidence["With Final"] == ("MedicationRequest/stopped", "Observation/final")


def test_evidence_follows_resources_wrapped_in_tuples(tmp_path: Path) -> None:
    results = _evaluate(tmp_path)
    assert results.values["Has Stopped Tuple"] is True
    assert results.evidence["Has Stopped Tuple"] == ("MedicationRequest/stopped",)
    assert results.evidence["Stopped Tuples"] == ("MedicationRequest/stopped",)


def test_a_resource_read_out_of_a_tuple_keeps_its_fhir_type(tmp_path: Path) -> None:
    results = _evaluate(tmp_path)
    [reason] = results.values["Tuple Reasons"]
    assert isinstance(reason, Concept)
    assert reason.codes[0].code == "sddi"
    assert results.values["Tuple Reason Count"] == 2
    assert [c.codes[0].code for c in results.values["Tuple Reason Texts"]] == ["sddi"]
    assert results.values["Tuple Reason Direct"].codes[0].display == "Drug interaction"
