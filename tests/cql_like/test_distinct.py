"""distinct/union over tuples and resources: CQL equality element by element, found through buckets."""

from __future__ import annotations

from typing import Any

from cql_like.ops import lists
from cql_like.runtime.clinical import Code, Concept
from cql_like.runtime.values import equal

RX = "http://www.nlm.nih.gov/research/umls/rxnorm"


def test_tuples_equal_by_element_name_not_position() -> None:
    a = {"x": 1, "y": 2}
    b = {"y": 1, "x": 2}
    assert equal(a, b) is False
    assert equal(a, {"y": 2, "x": 1}) is True
    assert lists.distinct([a, b, {"y": 2, "x": 1}]) == [a, b]


def test_tuples_holding_codes_merge_when_code_and_system_match_whatever_the_display() -> None:
    first = {"drug": Concept((Code("1", RX, None, "one"),), "one"), "current": True}
    same = {"drug": Concept((Code("1", RX, None, "uno"),), None), "current": True}
    other = {"drug": Concept((Code("2", RX, None, None),), None), "current": True}
    assert lists.distinct([first, same, other]) == [first, other]


def test_tuples_with_a_null_element_are_never_duplicates() -> None:
    t: dict[str, Any] = {"x": 1, "y": None}
    u: dict[str, Any] = {"x": 1, "y": None}
    assert lists.distinct([t, u]) == [t, u]


def test_identical_resources_merge_and_numbers_compare_across_int_and_float() -> None:
    r1 = {"resourceType": "Observation", "id": "o1", "valueInteger": 5}
    r1_copy = {"resourceType": "Observation", "id": "o1", "valueInteger": 5.0}
    r2 = {"resourceType": "Observation", "id": "o2", "valueInteger": 5}
    flag = {"resourceType": "Observation", "id": "o1", "valueInteger": True}
    assert lists.union([r1, r2], [r1_copy, flag]) == [r1, r2, flag]
