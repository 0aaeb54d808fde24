"""Functions whose results are kept across evaluations: only those that read nothing but their arguments."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cql_like import PatientRecord
from cql_like.codegen.function_call import KEPT_LIMIT
from tests.cql_like.helpers import load

LIBRARY = """library Pure version '1'
using FHIR version '4.0.1'
include FHIRHelpers version '4.0.1' called FHIRHelpers
codesystem "SNOMED": 'http://snomed.info/sct'
parameter "Suffix" String
context Patient

define function "Shout"(word String) returns String: Upper(word) + '!'
define function "With Suffix"(word String) returns String: word + Suffix
define function "Years Since"(born Integer) returns Integer: (year from Today()) - born
define function "Patient Gender"(word String) returns String: word + ': ' + Patient.gender
define function "Active Count"(word String) returns String: word + ToString(Count([Condition]))
define function "Via Impure"(word String) returns String: "With Suffix"(word)
define function "Is Diabetes"(concept Concept) returns Boolean: concept ~ Code '44054006' from "SNOMED"
define function "Resource Id"(c FHIR.Condition) returns String: c.id

define "Shouted": "Shout"('hi')
define "Suffixed": "With Suffix"('hi')
define "Years": "Years Since"(2000)
define "Gender": "Patient Gender"('gender')
define "Counted": "Active Count"('n=')
define "Indirect": "Via Impure"('hi')
define "Diabetes": [Condition] C where "Is Diabetes"(FHIRHelpers.ToConcept(C.code))
define "Ids": [Condition] C return "Resource Id"(C)
"""


def _functions(library: object) -> dict[str, object]:
    compiled = library._compiled  # type: ignore[attr-defined]
    return {name: overloads[0] for name, overloads in compiled.functions.items()}


def test_only_functions_of_their_arguments_are_pure(tmp_path: Path) -> None:
    functions = _functions(load(tmp_path, "Pure", LIBRARY))
    pure = {name for name, f in functions.items() if f.pure}  # type: ignore[attr-defined]
    # parameter, clock, patient, retrieve, a call of an impure function, a resource argument: all impure
    assert pure == {"Shout", "Is Diabetes"}


def _condition(rid: str, code: str) -> dict[str, object]:
    return {"resourceType": "Condition", "id": rid, "code": {"coding": [{"system": "http://snomed.info/sct",
                                                                          "code": code}]}}  # fmt: skip


def test_impure_results_follow_each_evaluation(tmp_path: Path) -> None:
    library = load(tmp_path, "Pure", LIBRARY)
    first = PatientRecord.from_resources([{"resourceType": "Patient", "id": "a", "gender": "female"},
                                          _condition("c1", "44054006")])  # fmt: skip
    second = PatientRecord.from_resources([{"resourceType": "Patient", "id": "b", "gender": "male"},
                                           _condition("c2", "38341003"), _condition("c3", "44054006")])  # fmt: skip
    one = library.evaluate(first, now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), parameters={"Suffix": "?"})
    two = library.evaluate(second, now=dt.datetime(2030, 1, 1, tzinfo=dt.UTC), parameters={"Suffix": "."})
    assert (one["Suffixed"], two["Suffixed"]) == ("hi?", "hi.")
    assert (one["Indirect"], two["Indirect"]) == ("hi?", "hi.")
    assert (one["Years"], two["Years"]) == (26, 30)
    assert (one["Gender"], two["Gender"]) == ("gender: female", "gender: male")
    assert (one["Counted"], two["Counted"]) == ("n=1", "n=2")
    assert (one["Ids"], two["Ids"]) == (["c1"], ["c2", "c3"])
    assert (one["Shouted"], two["Shouted"]) == ("HI!", "HI!")


def test_kept_results_of_a_pure_function_keep_each_evaluations_evidence(tmp_path: Path) -> None:
    library = load(tmp_path, "Pure", LIBRARY)
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for rid in ("c1", "c2"):  # the second evaluation answers "Is Diabetes" from the kept result
        results = library.evaluate(PatientRecord.from_resources([_condition(rid, "44054006")]), now=now)
        assert [c["id"] for c in results["Diabetes"]] == [rid]
        assert results.evidence["Diabetes"] == (f"Condition/{rid}",)
    kept = _functions(library)["Is Diabetes"].kept  # type: ignore[attr-defined]
    assert len(kept) == 1


def test_the_kept_table_is_bounded(tmp_path: Path) -> None:
    library = load(tmp_path, "Pure", LIBRARY)
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    resources = [_condition(f"c{i}", str(100000 + i)) for i in range(KEPT_LIMIT + 10)]
    results = library.evaluate(PatientRecord.from_resources(resources), now=now, defines=["Diabetes"])
    assert results["Diabetes"] == []
    assert 0 < len(_functions(library)["Is Diabetes"].kept) <= KEPT_LIMIT  # type: ignore[attr-defined]


def test_forgetting_kept_results_starts_cold_with_the_same_answers(tmp_path: Path) -> None:
    library = load(tmp_path, "Pure", LIBRARY)
    record = PatientRecord.from_resources([_condition("c1", "44054006")])
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    warm = library.evaluate(record, now=now)
    library.forget_kept_results()
    assert _functions(library)["Is Diabetes"].kept == {}  # type: ignore[attr-defined]
    cold = library.evaluate(record, now=now)
    assert cold.values == warm.values
    assert cold.evidence == warm.evidence
