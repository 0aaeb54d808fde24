"""Every error code the engine can emit is documented in ERROR_CODES, and rendering sorts by place."""

from __future__ import annotations

import re
from pathlib import Path

from cql_like import CqlError, Diagnostic, SourceLocation
from cql_like.errors import ERROR_CODES

SOURCE = Path(__file__).resolve().parents[2] / "cql_like"
EMITTED = re.compile(r'(?:\.error\(|Diagnostic\()[^"]*?"([a-z]+(?:-[a-z]+)*)"', re.S)
RENDERED = re.compile(r":1:1: ([a-z-]+): ")


def test_every_emitted_code_is_documented() -> None:
    codes: set[str] = set()
    for path in SOURCE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        codes.update(EMITTED.findall(text))
        codes.update(RENDERED.findall(text))
    assert {"syntax", "unknown-identifier", "unknown-valueset", "cycle", "unknown-define"} <= codes
    assert codes <= set(ERROR_CODES), sorted(codes - set(ERROR_CODES))


def test_errors_are_sorted_deduplicated_and_counted() -> None:
    late = Diagnostic(SourceLocation("a.cql", 9, 1), "cycle", "late")
    early = Diagnostic(SourceLocation("a.cql", 2, 5), "syntax", "early")
    err = CqlError([late, early, late])
    assert err.diagnostics == (early, late)
    assert str(err).splitlines() == ["a.cql:2:5: syntax: early", "a.cql:9:1: cycle: late", "2 errors"]
