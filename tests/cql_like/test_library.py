"""Library.evaluate: values, evidence, parameters, caching and determinism as a caller sees them."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from cql_like import CqlEvaluationError, Date, PatientRecord, Quantity, Results
from tests.cql_like.helpers import load

NOW = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
LIB = """library Evidence version '1'
using FHIR version '4.0.1'
include FHIRHelpers version '4.0.1' called FHIRHelpers
codesystem "LOINC": 'http://loinc.org'
code "KRAS": '21702-6' from "LOINC"
parameter "OrderId" String
parameter "Cutoff" Date default @2026-01-01
context Patient
define "KRAS Tests": [Observation: "KRAS"]
define "Final KRAS": "KRAS Tests" O where O.status = 'final'
define "Has Final KRAS": exists "Final KRAS"
define "Has Amended KRAS": exists ("KRAS Tests" O where O.status = 'amended')
define "Recent": exists ("Final KRAS" O where (O.effective as dateTime) after "Cutoff")
define "Order": singleton from ([MedicationRequest] M where M.id = OrderId)
define "Order Status": "Order".status
define "Two Orders": singleton from [MedicationRequest]
define "Dose": 960 'mg'
"""

RESOURCES: list[dict[str, Any]] = [
    {"resourceType": "Patient", "id": "p", "birthDate": "1970-01-01"},
    {"resourceType": "Observation", "id": "final", "status": "final", "effectiveDateTime": "2026-03-01",
     "code": {"coding": [{"system": "http://loinc.org", "code": "21702-6"}]}},
    {"resourceType": "Observation", "id": "prelim", "status": "preliminary",
     "code": {"coding": [{"system": "http://loinc.org", "code": "21702-6"}]}},
    {"resourceType": "MedicationRequest", "id": "mr-1", "status": "draft"},
    {"resourceType": "MedicationRequest", "id": "mr-2", "status": "active"},
]  # fmt: skip


def _defines(tmp_path: Path, names: list[str], **params: object) -> Results:
    lib = load(tmp_path, "Evidence", LIB)
    return lib.evaluate(PatientRecord.from_resources(RESOURCES), now=NOW, parameters=params, defines=names)


def test_evidence_names_the_resources_behind_a_true_result(tmp_path: Path) -> None:
    lib = load(tmp_path, "Evidence", LIB)
    names = [n for n in lib.define_names if n != "Two Orders"]
    results = lib.evaluate(
        PatientRecord.from_resources(RESOURCES), now=NOW, parameters={"OrderId": "mr-1"}, defines=names
    )
    assert results.values["Has Final KRAS"] is True
    assert results.evidence["Has Final KRAS"] == ("Observation/final",)
    assert results.evidence["KRAS Tests"] == ("Observation/final", "Observation/prelim")
    assert results.evidence["Recent"] == ("Observation/final",)
    assert results.values["Has Amended KRAS"] is False
    assert results.evidence["Has Amended KRAS"] == ()
    assert results.evidence["Order"] == ("MedicationRequest/mr-1",)
    assert results.values["Order Status"] == "draft"
    assert results.values["Dose"] == Quantity(Decimal(960), "mg")
    assert results.evidence["Dose"] == ()


def test_parameters_override_defaults_and_accept_python_dates(tmp_path: Path) -> None:
    later = _defines(tmp_path, ["Recent"], Cutoff=dt.date(2026, 6, 1))
    assert later.values["Recent"] is False
    default = _defines(tmp_path, ["Recent"])
    assert default.values["Recent"] is True


def test_missing_parameter_is_null_not_false(tmp_path: Path) -> None:
    results = _defines(tmp_path, ["Order", "Order Status"])
    assert results.values == {"Order": None, "Order Status": None}


def test_singleton_from_many_is_an_evaluation_error_naming_the_define(tmp_path: Path) -> None:
    with pytest.raises(CqlEvaluationError) as err:
        _defines(tmp_path, ["Two Orders"])
    assert "define 'Two Orders'" in str(err.value)


def test_unknown_define_name_is_a_key_error(tmp_path: Path) -> None:
    with pytest.raises(KeyError):
        _defines(tmp_path, ["Nope"])


def test_evaluation_is_deterministic_across_threads(tmp_path: Path) -> None:
    lib = load(tmp_path, "Evidence", LIB)
    names = [n for n in lib.define_names if n != "Two Orders"]
    record = PatientRecord.from_resources(RESOURCES)

    def run(order: str) -> tuple[object, ...]:
        r = lib.evaluate(record, now=NOW, parameters={"OrderId": order}, defines=names)
        return (r.values["Order Status"], r.values["Has Final KRAS"], r.evidence["Order"])

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(run, ["mr-1", "mr-2"] * 20))
    assert set(outcomes[0::2]) == {("draft", True, ("MedicationRequest/mr-1",))}
    assert set(outcomes[1::2]) == {("active", True, ("MedicationRequest/mr-2",))}


def test_today_comes_from_now(tmp_path: Path) -> None:
    lib = load(tmp_path, "Clock", "library Clock version '1'\ndefine \"T\": Today()\n")
    results = lib.evaluate(PatientRecord.from_resources([]), now=dt.datetime(2024, 2, 29, 23, 0, tzinfo=dt.UTC))
    assert results.values["T"] == Date(2024, 2, 29)


def test_included_library_defines_and_functions(tmp_path: Path) -> None:
    (tmp_path / "Shared.cql").write_text(
        "library Shared version '1.0.0'\nusing FHIR version '4.0.1'\ncontext Patient\n"
        'define "Adult": AgeInYears() >= 18\n'
        'define function "Twice"(x Integer): x * 2\n'
        'define private "Hidden": 1\n',
        encoding="utf-8",
    )
    lib = load(tmp_path, "Main", "library Main version '1'\nusing FHIR version '4.0.1'\n"
               "include Shared version '1.0.0' called S\ncontext Patient\n"
               "define \"A\": S.\"Adult\"\ndefine \"B\": S.\"Twice\"(21)\n")  # fmt: skip
    results = lib.evaluate(PatientRecord.from_resources(RESOURCES), now=NOW)
    assert results.values == {"A": True, "B": 42}


def test_function_results_are_not_shared_between_concepts_that_differ_only_in_display(tmp_path: Path) -> None:
    # regression: text-only drugs (no codes) must not be merged by the per-evaluation function memo
    lib = load(
        tmp_path,
        "Names",
        "library Names version '1'\ncodesystem \"S\": 'urn:s'\n"
        'define function "Shout"(c Concept): Upper(c.display)\n'
        'define "Both": { "Shout"(Concept { Code \'x\' from "S" } display \'tacrolimus\'),\n'
        "  \"Shout\"(Concept { Code 'x' from \"S\" } display 'basiliximab') }\n",
    )
    assert lib.evaluate(PatientRecord.from_resources([]), now=NOW).values["Both"] == ["TACROLIMUS", "BASILIXIMAB"]


def test_retrieved_types_name_every_retrieve_in_the_library_and_its_includes(tmp_path: Path) -> None:
    (tmp_path / "History.cql").write_text(
        "library History version '1'\nusing FHIR version '4.0.1'\ncontext Patient\n"
        'define "Dispensed": [MedicationDispense]\n'
        "define \"Procedures\": [Procedure] P where P.status = 'completed'\n"
        'define "Age": AgeInYears()\n',
        encoding="utf-8",
    )
    main = LIB.replace("context Patient\n", "include History version '1' called H\ncontext Patient\n")
    lib = load(tmp_path, "Evidence", main)
    assert lib.retrieved_types == frozenset(
        {"Observation", "MedicationRequest", "MedicationDispense", "Procedure", "Patient"}
    )
    # the patient's age is a read of the Patient resource like `Patient.birthDate`
    born = load(tmp_path, "Born", "library Born version '1'\nusing FHIR version '4.0.1'\ncontext Patient\n"
                'define "B": Patient.birthDate\n')  # fmt: skip
    assert born.retrieved_types == frozenset({"Patient"})
    # a library without retrieves reads nothing from the record
    assert load(tmp_path, "Plain", "library Plain version '1'\ndefine \"X\": 1\n").retrieved_types == frozenset()
