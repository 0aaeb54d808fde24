"""Load-time errors: every problem at once, sorted, each with a stable code and exact line:col."""

from __future__ import annotations

from pathlib import Path

import pytest

from cql_like import CqlError
from tests.cql_like.helpers import load

HEADER = (
    "library Errors version '1'\n"
    "using FHIR version '4.0.1'\n"
    "include FHIRHelpers version '4.0.1' called FHIRHelpers\n"
    "context Patient\n"
)


def _errors(tmp_path: Path, body: str, definitions: str = "") -> list[tuple[int, int, str, str]]:
    """Lines 1-3 are the header; definitions follow, then `context Patient`, then the body."""
    source = HEADER.replace("context Patient\n", definitions + "context Patient\n") + body
    with pytest.raises(CqlError) as err:
        load(tmp_path, "Errors", source)
    return [(d.loc.line, d.loc.column, d.code, d.message) for d in err.value.diagnostics]


def test_unknown_names_are_all_reported_in_order(tmp_path: Path) -> None:
    errors = _errors(
        tmp_path,
        'define "A": "Missing Define"\n'
        'define "B": Foo(1)\n'
        'define "C": [Observation] O where O.valeu = 1\n'
        'define "D": [Observaton]\n',
    )
    assert errors == [
        (5, 13, "unknown-identifier", "could not resolve identifier 'Missing Define'"),
        (6, 13, "unknown-function", "no function 'Foo' with 1 argument(s) in this library or the system library"),
        (7, 37, "unknown-property", "Observation has no element 'valeu'"),
        (8, 14, "unknown-type", "unknown FHIR resource type 'Observaton'"),
    ]


def test_unknown_value_set_and_code_system(tmp_path: Path) -> None:
    errors = _errors(
        tmp_path,
        "",
        'valueset "Nope": \'https://example.org/fhir/ValueSet/nope\'\ncode "X": \'1\' from "Undeclared"\n',
    )
    assert errors[0][:3] == (4, 10, "unknown-valueset")
    assert "https://example.org/fhir/ValueSet/nope" in errors[0][3]
    assert errors[1][:3] == (5, 6, "unknown-codesystem")


def test_wrong_arity_and_obvious_type_mismatch(tmp_path: Path) -> None:
    errors = _errors(
        tmp_path,
        "define \"A\": StartsWith('x')\n"
        "define \"B\": 'a' = 1\n"
        'define "C": [Observation] O where O.value as Quantity is null and O.status < @2024-01-01\n'
        'define "D": not 5\n',
    )
    codes = [(line, code) for line, _, code, _ in errors]
    assert codes == [(5, "wrong-arity"), (6, "type-mismatch"), (7, "type-mismatch"), (8, "type-mismatch")]
    assert errors[0][3] == "StartsWith expects 2 argument(s), got 1"


def test_cycles_between_defines_are_errors(tmp_path: Path) -> None:
    errors = _errors(tmp_path, 'define "A": "B"\ndefine "B": "A"\n')
    assert errors[0][2] == "cycle"
    assert "A -> B -> A" in errors[0][3]


def test_choice_cast_to_a_type_the_element_cannot_hold(tmp_path: Path) -> None:
    errors = _errors(tmp_path, 'define "A": [Condition] C return C.onset as CodeableConcept\n')
    assert errors[0][2] == "type-mismatch"
    assert "Condition.onset is never a FHIR.CodeableConcept" in errors[0][3]


def test_rendered_error_has_caret_under_the_column(tmp_path: Path) -> None:
    with pytest.raises(CqlError) as err:
        load(tmp_path, "Errors", HEADER + 'define "A": [Observation] O where O.valeu = 1\n')
    lines = str(err.value).splitlines()
    assert lines[0].endswith("Errors.cql:5:37: unknown-property: Observation has no element 'valeu'")
    assert lines[2].index("^") - 4 == 36


def test_missing_include_is_reported_where_it_is_included(tmp_path: Path) -> None:
    errors = _errors(tmp_path, "", "include Shared version '1' called S\n")
    assert errors[0][:3] == (4, 9, "unknown-library")
    assert "library 'Shared' not found" in errors[0][3]


def test_library_must_live_in_a_file_of_its_name(tmp_path: Path) -> None:
    with pytest.raises(CqlError) as err:
        load(tmp_path, "Other", HEADER)
    diag = err.value.diagnostics[0]
    assert (diag.loc.line, diag.loc.column, diag.code) == (1, 9, "library-name")


def test_value_set_with_filter_is_a_load_error(tmp_path: Path) -> None:
    vs_dir = tmp_path / "vs"
    vs_dir.mkdir()
    (vs_dir / "f.json").write_text(
        '{"resourceType": "ValueSet", "url": "https://x.org/vs/f", "compose": {"include": '
        '[{"system": "http://snomed.info/sct", "filter": [{"property": "concept", "op": "is-a", "value": "1"}]}]}}',
        encoding="utf-8",
    )
    with pytest.raises(CqlError) as err:
        load(tmp_path, "Errors", "valueset \"F\": 'https://x.org/vs/f'\n", value_sets=vs_dir)
    diag = err.value.diagnostics[0]
    assert (diag.loc.line, diag.code) == (1, "unexpandable-valueset")
    assert "https://x.org/vs/f" in diag.message
