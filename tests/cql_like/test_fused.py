"""Fused expressions and lean queries give the answers the closures gave, at any depth and with shadowed aliases."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from cql_like import PatientRecord
from cql_like.codegen.fused import MAX_DEPTH
from tests.cql_like.helpers import load

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _evaluate(tmp_path: Path, defines: str) -> dict[str, object]:
    library = load(
        tmp_path, "Fused", "library Fused version '1'\nusing FHIR version '4.0.1'\ncontext Patient\n" + defines
    )
    results = library.evaluate(PatientRecord.from_resources([]), now=NOW)
    return {name: results[name] for name in library.define_names}


@pytest.mark.parametrize("terms", [MAX_DEPTH - 1, MAX_DEPTH * 4])
def test_long_operator_chains_evaluate_past_the_parser_depth(tmp_path: Path, terms: int) -> None:
    chain = " or ".join(["false"] * terms + ["null"])
    total = " + ".join(["1"] * terms)
    values = _evaluate(tmp_path, f'define "Chain": {chain}\ndefine "Last True": {chain} or true\n'
                                 f'define "Total": {total}\n')  # fmt: skip
    assert values == {"Chain": None, "Last True": True, "Total": terms}


def test_three_valued_operators_fused(tmp_path: Path) -> None:
    values = _evaluate(
        tmp_path,
        'define "And": { true and null, false and null, null and false, true and true }\n'
        'define "Or": { false or null, true or null, null or true, false or false }\n'
        'define "Not": { not null, not true, not false }\n'
        "define \"Compare\": { 'a' < 'b', 1 = null, (null as String) = 'a', 2 >= 2 }\n"
        'define "If": if null then 1 else 2\n',
    )
    assert values == {
        "And": [None, False, False, True],
        "Or": [None, True, True, False],
        "Not": [None, False, True],
        "Compare": [True, None, None, True],
        "If": 2,
    }


def test_lean_queries_and_their_exists(tmp_path: Path) -> None:
    values = _evaluate(
        tmp_path,
        'define "Big": ({ 1, 3, null, 5 }) X where X > 2\n'
        'define "Any Big": exists (({ 1, 3, null }) X where X > 2)\n'
        'define "None Big": exists (({ 1, 2 }) X where X > 2)\n'
        'define "Nulls Only": exists (({ 1, 2 }) X return null as Integer)\n'
        'define "Of Null": (null as List<Integer>) X where X > 1\n'
        'define "Single": (4) X where X > 1\n'
        'define "Single Rejected": (1) X where X > 1\n'
        'define "Distinct": ({ 1, 2, 3 }) X return distinct X mod 2\n',
    )
    assert values == {
        "Big": [3, 5],
        "Any Big": True,
        "None Big": False,
        "Nulls Only": False,
        "Of Null": [],
        "Single": 4,
        "Single Rejected": None,
        "Distinct": [1, 0],
    }


def test_an_inner_query_restores_the_outer_alias(tmp_path: Path) -> None:
    values = _evaluate(
        tmp_path,
        'define "Shadowed": ({ 1, 2 }) X where exists (({ 5 }) X where X = 5) return X\n'
        'define "Inner Sees Its Own": ({ 1, 2 }) X return all Count(({ 7, 8, 9 }) X where X > 7)\n',
    )
    assert values == {"Shadowed": [1, 2], "Inner Sees Its Own": [2, 2]}


def test_a_lone_value_where_the_model_says_list_is_a_list_of_one(tmp_path: Path) -> None:
    library = load(
        tmp_path, "Shapes",
        "library Shapes version '1'\nusing FHIR version '4.0.1'\n"
        "include FHIRHelpers version '4.0.1' called FHIRHelpers\ncontext Patient\n"
        'define "Contained": [MedicationRequest] M return Count(M.contained C where C is FHIR.Medication)\n'
        "define \"Categories\": [Observation] O return all Count(O.category C where C.text = 'lab')\n",
    )  # fmt: skip
    resources: list[dict[str, Any]] = [
        {"resourceType": "MedicationRequest", "id": "odd", "contained": True},
        {"resourceType": "MedicationRequest", "id": "one", "contained": {"resourceType": "Medication", "id": "m"}},
        {"resourceType": "Observation", "id": "o1", "category": {"text": "lab"}},
        {"resourceType": "Observation", "id": "o2", "category": [{"text": "lab"}, {"text": "vital"}]},
    ]
    results = library.evaluate(PatientRecord.from_resources(resources), now=NOW)
    assert sorted(results["Contained"]) == [0, 1]
    assert results["Categories"] == [1, 1]
