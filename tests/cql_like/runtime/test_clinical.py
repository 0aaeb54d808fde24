"""Concept identity: equal concepts (every field of every code, and the display) share one ident, which keys
memos and kept results; the FHIR conversion's ident is the one the constructor makes."""

from __future__ import annotations

import pytest

from cql_like import PatientRecord
from cql_like.fhir import model
from cql_like.runtime.clinical import Code, Concept

RX = "http://www.nlm.nih.gov/research/umls/rxnorm"


def test_concepts_are_equal_exactly_when_their_idents_are() -> None:
    base = Concept((Code("1", RX, None, "one"),), "text")
    same = Concept((Code("1", RX, None, "one"),), "text")
    variants = [
        Concept((Code("1", RX, None, "uno"),), "text"),  # another display of the code
        Concept((Code("1", RX, "2024", "one"),), "text"),  # a version
        Concept((Code("1", RX, None, "one"),), None),  # no display
        Concept((Code("1", RX, None, "one"), Code("2", RX)), "text"),
    ]
    assert base == same and base.ident == same.ident and hash(base) == hash(same)
    for other in variants:
        assert base != other and base.ident != other.ident


def test_a_converted_codeable_concept_has_the_constructors_ident() -> None:
    element = {"coding": [{"system": RX, "code": "1", "display": "one"}, {"code": "2", "version": "v"}], "text": "t"}
    converted = model.to_concept(element)
    assert converted is not None
    assert converted.ident == Concept(converted.codes, converted.display).ident


def test_a_malformed_code_is_converted_but_not_interned() -> None:
    element = {"coding": [{"system": RX, "code": ["not", "a", "string"]}]}
    record = PatientRecord.from_resources([{"resourceType": "Condition", "id": "c", "code": element}])
    value = record.converted_value("CodeableConcept", element, model.to_concept)
    assert isinstance(value, Concept) and value.codes[0].code == element["coding"][0]["code"]
    with pytest.raises(TypeError, match="unhashable"):  # a value-set test fails: never a silent false
        value.keys.isdisjoint({(RX, "1")})
