"""Terminology membership and clinical equivalence (CQL 1.5 §23): `in "ValueSet"`, `~` on codes."""

from __future__ import annotations

from typing import Any

from ..runtime.clinical import Code, Concept
from ..terminology import ValueSet


def in_value_set(value: Any, vs: ValueSet) -> bool | None:
    """Code, Concept, String or a list of these; null is not in any value set (false)."""
    if value is None:
        return False
    if isinstance(value, Code):
        return (value.system, value.code) in vs.codes
    if isinstance(value, Concept):
        return not value.keys.isdisjoint(vs.codes)
    if isinstance(value, str):
        return value in vs.codes_by_value
    if isinstance(value, list):
        return any(in_value_set(v, vs) is True for v in value)
    return None


def in_codes(value: Any, codes: frozenset[tuple[str | None, str]]) -> bool:
    if value is None:
        return False
    if isinstance(value, Code):
        return (value.system, value.code) in codes
    if isinstance(value, Concept):
        return any((c.system, c.code) in codes for c in value.codes)
    if isinstance(value, list):
        return any(in_codes(v, codes) for v in value)
    return False
