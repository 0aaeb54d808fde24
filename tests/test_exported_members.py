"""The public surface of cql_like is pinned: a change to it is a deliberate edit here."""

from __future__ import annotations

import cql_like


def test_all_is_pinned_and_sorted() -> None:
    assert cql_like.__all__ == [
        "Code",
        "Concept",
        "CqlError",
        "CqlEvaluationError",
        "Date",
        "DateTime",
        "Diagnostic",
        "Interval",
        "Library",
        "LibraryPool",
        "LocalTerminology",
        "PatientRecord",
        "Quantity",
        "Results",
        "SourceLocation",
        "ValueSet",
        "load_library",
    ]
    assert cql_like.__all__ == sorted(cql_like.__all__)


def test_every_exported_name_exists() -> None:
    public = {name for name in dir(cql_like) if not name.startswith("_")}
    assert set(cql_like.__all__) <= public
