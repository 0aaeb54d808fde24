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


def test_one_hashable_kind_keeps_the_first_of_equal_items_in_order() -> None:
    one, same, two = (Concept((Code("1", RX, None, None),), None), Concept((Code("1", RX, None, None),), None),
                      Concept((Code("2", RX, None, None),), None))  # fmt: skip
    kept = lists.distinct([one, two, same])
    assert kept == [one, two] and kept[0] is one
    assert lists.distinct(["b", "a", "b"]) == ["b", "a"]
    assert lists.distinct([True, False, True]) == [True, False]
    assert lists.distinct([None, "a", None, "a"]) == [None, "a"]  # mixed with null: the general path


def test_resources_merge_by_identity_and_by_equality_only_within_a_type_and_id() -> None:
    a = {"resourceType": "MedicationRequest", "id": "a", "status": "active"}
    b = {"resourceType": "MedicationRequest", "id": "b", "status": "active"}
    a_copy = {"resourceType": "MedicationRequest", "id": "a", "status": "active"}
    a_other = {"resourceType": "MedicationRequest", "id": "a", "status": "stopped"}
    assert lists.union([a, b], [b, a]) == [a, b]
    assert lists.union([a, b], [a_copy]) == [a, b]  # same type and id, equal: merged (the general path)
    assert lists.union([a], [a_other]) == [a, a_other]  # same type and id, not equal: both kept
    no_id = {"resourceType": "Observation", "status": "final"}
    other_no_id = {"resourceType": "Observation", "status": "amended"}
    assert lists.distinct([no_id, other_no_id, no_id]) == [no_id, other_no_id]
