"""Syntax errors carry the file, exact line and column, and a caret under the offending token."""

from __future__ import annotations

from pathlib import Path

import pytest

from cql_like import CqlError
from cql_like.syntax.parser import parse_text


def test_syntax_error_reports_line_column_and_caret() -> None:
    source = 'library Broken version \'1\'\ndefine "A": 1 +\ndefine "B": 2\n'
    with pytest.raises(CqlError) as err:
        parse_text(source, "Broken.cql")
    (diag,) = err.value.diagnostics
    # `define` after `+` reads as an identifier operand, so the parse fails at the name after it
    assert (diag.loc.line, diag.loc.column, diag.code) == (3, 8, "syntax")
    rendered = str(err.value)
    assert rendered.startswith("Broken.cql:3:8: syntax: unexpected '\"B\"'")
    assert rendered.splitlines()[1:] == ['    define "B": 2', "           ^"]


def test_unterminated_string_points_at_the_quote() -> None:
    with pytest.raises(CqlError) as err:
        parse_text('define "A": \'abc\n', "S.cql")
    assert str(err.value).startswith("S.cql:1:13: syntax: unexpected character")


def test_invented_syntax_is_rejected() -> None:
    # `===` is not CQL
    with pytest.raises(CqlError) as err:
        parse_text('define "A": 1 === 1\n', "X.cql")
    assert err.value.diagnostics[0].loc.line == 1


def test_comments_and_quoted_identifiers() -> None:
    lib = parse_text(
        "// line comment\n/* block\n comment */\ndefine \"Has \\\"quotes\\\"\": 'it''s'.length\n"
        if False
        else "// c\n/* b\n*/\ndefine \"A b\": 'x' // trailing\n",
        "C.cql",
    )
    assert [d.name for d in lib.defines] == ["A b"]
    assert lib.defines[0].loc.line == 4


@pytest.mark.parametrize(
    ("expression", "shape"),
    [
        ("not A = B", "Binary(equal, Unary(not))"),
        ("A and B or C", "Binary(or, Binary(and))"),
        ("exists X and Y", "Binary(and, Unary(exists))"),
        ("X is null and Y", "Binary(and, NullTest)"),
        ("1 + 2 * 3", "Binary(add, _, Binary(multiply))"),
    ],
)
def test_precedence_follows_cql(expression: str, shape: str) -> None:
    expr = parse_text(f'define "E": {expression}\n', "P.cql").defines[0].expression
    text = repr(expr)
    outer, _, inner = shape.partition("(")
    assert type(expr).__name__ == outer
    first = inner.split(",")[0].rstrip(")")
    assert f"op='{first}'" in text.split("left=")[0]


def test_timing_phrases_parse_to_their_parts() -> None:
    source = 'define "E": A starts 3 days or less before B and C on or after day of D and E within 90 days of F\n'
    text = repr(parse_text(source, "T.cql").defines[0].expression)
    assert "kind='before_after', boundary='starts'" in text and "offset_mode='or_less'" in text
    assert "relation='after', or_on=True" in text and "precision='day'" in text
    assert "kind='within'" in text


def test_parse_file_reads_from_disk(tmp_path: Path) -> None:
    from cql_like.syntax.parser import parse_file

    path = tmp_path / "F.cql"
    path.write_text("library F version '2'\n", encoding="utf-8")
    assert (parse_file(path).name, parse_file(path).version) == ("F", "2")
