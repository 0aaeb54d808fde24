"""What the official CQL-to-ELM translator accepts we accept, and what it rejects we reject at load time."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cql_like import Code, Concept, CqlError, PatientRecord
from tests.cql_like.helpers import load

NOW = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
HEADER = """library Parity version '1'
using FHIR version '4.0.1'
include FHIRHelpers version '4.0.1' called FHIRHelpers
context Patient
"""


def _values(tmp_path: Path, body: str) -> dict[str, object]:
    lib = load(tmp_path, "Parity", HEADER + body)
    return dict(lib.evaluate(PatientRecord.from_resources([{"resourceType": "Patient", "id": "p"}]), now=NOW).values)


def _errors(tmp_path: Path, body: str) -> list[str]:
    with pytest.raises(CqlError) as info:
        load(tmp_path, "Parity", HEADER + body)
    return [f"{d.loc.line}:{d.loc.column}: {d.code}" for d in info.value.diagnostics]


def test_code_and_concept_instance_selectors(tmp_path: Path) -> None:
    values = _values(
        tmp_path,
        """define "C": Code { code: '254637007', system: 'http://snomed.info/sct', display: 'NSCLC' }
define "K": Concept { codes: { "C", Code { code: 'C34.90', system: 'http://hl7.org/fhir/sid/icd-10-cm' } },
  display: 'Lung cancer' }
define "One": Concept { codes: "C" }
define "Same": "K" ~ "C"
""",
    )
    assert values["C"] == Code("254637007", "http://snomed.info/sct", None, "NSCLC")
    concept = values["K"]
    assert isinstance(concept, Concept)
    assert [c.code for c in concept.codes] == ["254637007", "C34.90"]
    assert concept.display == "Lung cancer"
    one = values["One"]
    assert isinstance(one, Concept) and [c.code for c in one.codes] == ["254637007"]
    assert values["Same"] is True


def test_instance_selector_with_an_element_the_type_lacks_is_rejected(tmp_path: Path) -> None:
    assert _errors(tmp_path, "define \"C\": Code { code: '1', colour: 'red' }\n") == ["5:13: unknown-property"]


def test_function_call_as_query_source_needs_parentheses(tmp_path: Path) -> None:
    body = """define function "Obs"() returns List<FHIR.Observation>: [Observation]
define "Bad": "Obs"() O where O.status = 'final'
define "Good": ("Obs"()) O where O.status = 'final'
define "Member": Patient.name N where N.family = 'x'
"""
    assert _errors(tmp_path, body) == ["6:15: syntax"]
    fixed = body.replace('define "Bad": "Obs"() O where', 'define "Bad": ("Obs"()) O where')
    assert _values(tmp_path, fixed)["Good"] == []


def test_function_body_must_match_the_declared_return_type(tmp_path: Path) -> None:
    body = """define function "Label"(O FHIR.Observation) returns Boolean: O.status
define function "Ok"(O FHIR.Observation) returns Concept: O.code
define function "Widened"(n Integer) returns Decimal: n + 1
define function "Promoted"(O FHIR.Observation) returns List<FHIR.Observation>: O
"""
    assert _errors(tmp_path, body) == ["5:64: type-mismatch"]
