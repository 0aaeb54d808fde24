"""FHIR JSON helpers for references and arrays, the one implementation the engine and the service share.

The engine owns them (the service may import the engine, never the reverse). They read JSON as clients send it:
a literal reference may be relative ("Patient/1") or absolute ("https://ehr.example/fhir/Patient/1"), and a
field FHIR defines as an array may arrive absent, null or as a scalar.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def reference_parts(reference: str) -> list[str]:
    """The last two segments of a literal reference, ["Type", "id"] (fewer when it has fewer)."""
    return reference.rstrip("/").split("/")[-2:]


def relative_reference(reference: str) -> str:
    """`Type/id` of a relative or absolute literal reference."""
    return "/".join(reference_parts(reference))


def referenced_id(reference: str, resource_type: str) -> str | None:
    """The id a literal reference names when it points at `resource_type`, else None."""
    parts = reference_parts(reference)
    if len(parts) == 2 and parts[0] == resource_type and parts[1]:
        return parts[1]
    return None


def as_list(value: Any) -> list[Any]:
    """`value` when it is a JSON array; otherwise (absent, null, a scalar where FHIR has an array) nothing."""
    return value if isinstance(value, list) else []


def contained(resource: Mapping[str, Any], ident: str) -> dict[str, Any] | None:
    """The resource `resource` contains with id `ident` (the target of a "#ident" reference), else None."""
    for item in as_list(resource.get("contained")):
        if isinstance(item, dict) and item.get("id") == ident:
            return item
    return None
