"""What the compiler learns of each node (compile/types.NodeFacts), and what it decides from it.

A node's facts are its children's joined with its own; a define is judged by its body's (does it need an evidence
frame), a function by its body's (is it pure, which parameters it reads), a generated loop or function binds a name
in ctx.env only when a closure it calls reads that name. Each decision is checked where it shows: the flags of the
compiled define or function, and the answers and evidence of both backends."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from cql_like import PatientRecord, load_library
from cql_like.codegen import fused
from cql_like.compile.host import BACKENDS, Backend
from cql_like.compile.stages import LibraryCompiler
from cql_like.compile.types import NodeFacts
from cql_like.errors import ErrorSink
from cql_like.syntax import nodes as n
from cql_like.syntax.parser import parse_text
from cql_like.terminology import LocalTerminology
from tests.cql_like.helpers import CONFORMANCE, write_library

LIBRARY = """library Facts version '1'
using FHIR version '4.0.1'
include FHIRHelpers version '4.0.1' called FHIRHelpers
codesystem "SNOMED": 'http://snomed.info/sct'
parameter "Threshold" Integer default 2
context Patient

define "Literal": 5 + 1
define "Conditions": [Condition]
define "Adult": AgeInYears() >= 18
define "Has Medication": exists [MedicationRequest]
define "Numbers": { 1, 2, 3 }
define "Numbers If Adult": "Numbers" N where "Adult"
define "Numbers If Medicated": "Numbers" N where "Has Medication"
define "Over Threshold": "Numbers" N where N > Threshold
define "Ids": [Condition] C where C.id is not null return C.id
define "Onset In 2020": [Condition] C where C.onset between @2020-01-01T00:00:00Z and @2020-12-31T00:00:00Z

define function "Shout"(word String) returns String: Upper(word) + '!'
define function "Shout Twice"(word String) returns String: "Shout"(word) + "Shout"(word)
define function "Above Threshold"(n Integer) returns Boolean: n > Threshold
define function "Is Adult Or"(flag Boolean) returns Boolean: flag or "Adult"
define function "Onset Year"(c FHIR.Condition): year from (c.onset as dateTime)
define function "Recent"(c FHIR.Condition) returns Boolean:
  (c.onset between @2020-01-01T00:00:00Z and @2020-12-31T00:00:00Z) is true
define function "Has Word"(words List<String>, word String) returns Boolean: exists (words W where W = word)
"""


def _compiler(backend: Backend) -> LibraryCompiler:
    terminology = LocalTerminology.from_dirs([CONFORMANCE / "valuesets"])
    compiler = LibraryCompiler(parse_text(LIBRARY, "Facts.cql"), ErrorSink(), terminology,
                               lambda name, version, loc: None, True, backend)  # fmt: skip
    compiler.compile()
    assert compiler.sink.diagnostics == []
    return compiler


def _body_facts(compiler: LibraryCompiler, define: str) -> NodeFacts:
    node = next(d for d in compiler.source.defines if d.name == define)
    return compiler.exprs.compile_body(node.expression, {}).facts


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_node_carries_its_subtrees_facts(backend: Backend) -> None:
    compiler = _compiler(backend)
    assert _body_facts(compiler, "Literal") == NodeFacts()
    assert _body_facts(compiler, "Conditions") == NodeFacts(adds_evidence=True, reads_context=True)
    # the clock and the patient's birth date, but nothing that names a resource
    assert _body_facts(compiler, "Adult") == NodeFacts(reads_context=True)
    # a define reference reads the evaluation's cache and adds what the define's body named, nothing more
    assert _body_facts(compiler, "Numbers If Adult") == NodeFacts(reads_context=True)
    assert _body_facts(compiler, "Numbers If Medicated").adds_evidence
    assert _body_facts(compiler, "Over Threshold") == NodeFacts(reads_context=True, reads=frozenset({"N"}))


def test_a_define_needs_an_evidence_frame_only_when_its_body_can_name_a_resource() -> None:
    compiler = _compiler("generated")
    adds = {name: d.adds_evidence for name, d in compiler.out.defines.items()}
    assert adds == {
        "Literal": False, "Conditions": True, "Adult": False, "Has Medication": True, "Numbers": False,
        "Numbers If Adult": False, "Numbers If Medicated": True, "Over Threshold": False, "Ids": True,
        "Onset In 2020": True,
    }  # fmt: skip


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_function_of_its_arguments_alone_is_pure(backend: Backend) -> None:
    functions = {name: overloads[0] for name, overloads in _compiler(backend).out.functions.items()}
    # a parameter, a define, a resource argument, a list argument: not pure
    assert {name for name, f in functions.items() if f.pure} == {"Shout", "Shout Twice"}
    # navigation, a query over strings, a define that names no resource: none of them can add evidence
    assert {name for name, f in functions.items() if f.adds_evidence} == set()
    assert functions["Has Word"].param_reads == frozenset({"words", "word"})
    assert functions["Above Threshold"].param_reads == frozenset({"n"})


def test_a_name_spliced_into_the_text_is_not_bound_and_one_a_closure_reads_is() -> None:
    functions = {name: overloads[0] for name, overloads in _compiler("generated").out.functions.items()}
    source = functions["Shout"].source
    assert source is not None and source.env_reads == frozenset()  # `word` is the generated function's local
    # "Shout" binds or splices its own `word`: the caller's text reads its `word` only where it passes it
    twice = functions["Shout Twice"].source
    assert twice is not None and twice.env_reads == frozenset()
    recent = functions["Recent"].source  # `is true` spliced, over `between`, a closure that reads `c` from ctx.env
    assert recent is not None and recent.env_reads == frozenset({"c"})
    # a nested query's generated loop reads the outer name from ctx.env; its own alias it provides itself
    has_word = functions["Has Word"].source
    assert has_word is not None and has_word.env_reads == frozenset({"word"})


def test_a_closure_node_spliced_as_a_call_carries_its_reads() -> None:
    compiler = _compiler("generated")
    node = next(d for d in compiler.source.defines if d.name == "Onset In 2020")
    query = node.expression
    assert isinstance(query, n.Query) and query.where is not None
    where = compiler.exprs.sys(query.where, {"C": "FHIR.Condition"})
    assert where.facts.reads == frozenset({"C"})
    assert fused.of(where).env_reads == frozenset({"C"})


def _record() -> PatientRecord:
    return PatientRecord.from_resources([
        {"resourceType": "Patient", "id": "p", "birthDate": "1990-05-01"},
        {"resourceType": "Condition", "id": "c2020", "onsetDateTime": "2020-06-01T00:00:00Z"},
        {"resourceType": "Condition", "id": "c2010", "onsetDateTime": "2010-06-01T00:00:00Z"},
        {"resourceType": "MedicationRequest", "id": "m1", "status": "active", "intent": "order",
         "subject": {"reference": "Patient/p"}},
    ])  # fmt: skip


CALLS = (
    LIBRARY
    + """
define "Recent Conditions": [Condition] C where "Recent"(C)
define "Onset Years": [Condition] C return "Onset Year"(C)
define "Shouted": "Shout Twice"('hi')
define "Has Hi": "Has Word"({ 'hi', 'ho' }, 'hi')
define "Adult Or": "Is Adult Or"(false)
define "Above": "Above Threshold"(3)
"""
)


def test_both_backends_agree_on_values_and_evidence(tmp_path: Path) -> None:
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    results: dict[str, Any] = {}
    for backend in BACKENDS:
        folder = tmp_path / backend
        folder.mkdir()
        path = write_library(folder, "Facts", CALLS)
        terminology = LocalTerminology.from_dirs([CONFORMANCE / "valuesets"])
        library = load_library(path, terminology=terminology, library_paths=[folder], backend=backend)
        results[backend] = library.evaluate(_record(), now=now)
    generated, closures = results["generated"], results["closures"]
    assert generated.values == closures.values and generated.evidence == closures.evidence
    assert [c["id"] for c in generated["Onset In 2020"]] == ["c2020"]
    assert [c["id"] for c in generated["Recent Conditions"]] == ["c2020"]
    assert generated.evidence["Recent Conditions"] == ("Condition/c2020",)
    assert generated["Numbers If Medicated"] == [1, 2, 3]
    assert generated.evidence["Numbers If Medicated"] == ("MedicationRequest/m1",)
    assert generated["Numbers If Adult"] == [1, 2, 3] and generated.evidence["Numbers If Adult"] == ()
    assert generated["Over Threshold"] == [3]
    assert (generated["Shouted"], generated["Has Hi"], generated["Adult Or"], generated["Above"]) == (
        "HI!HI!", True, True, True,
    )  # fmt: skip
