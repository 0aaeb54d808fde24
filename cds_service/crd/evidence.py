"""One line per evidence resource for a card: what it is, when, and what it says."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_DATE_FIELDS = (
    "effectiveDateTime",
    "effectiveInstant",
    "issued",
    "onsetDateTime",
    "recordedDate",
    "authoredOn",
    "dateAsserted",
    "performedDateTime",
    "occurrenceDateTime",
    "date",
)
_PERIOD_FIELDS = ("effectivePeriod", "onsetPeriod", "performedPeriod")


def describe(reference: str, resource: Mapping[str, Any] | None) -> str:
    """`Observation/kras-1 (2026-10-02): KRAS mutation analysis = p.G12C`; the bare reference if unknown."""
    if resource is None:
        return reference
    when = _when(resource)
    what = _concept_text(resource.get("code")) or _concept_text(resource.get("medicationCodeableConcept"))
    value = _value(resource)
    text = reference + (f" ({when})" if when else "")
    if what:
        text += f": {what}"
    if value:
        text += f" = {value}" if what else f": {value}"
    return text


def _when(resource: Mapping[str, Any]) -> str | None:
    for name in _DATE_FIELDS:
        value = resource.get(name)
        if isinstance(value, str):
            return value[:10]
    for name in _PERIOD_FIELDS:
        period = resource.get(name)
        if isinstance(period, dict) and isinstance(period.get("start"), str):
            return str(period["start"])[:10]
    return None


def _concept_text(concept: Any) -> str | None:
    if not isinstance(concept, dict):
        return None
    if isinstance(concept.get("text"), str):
        return str(concept["text"])
    for coding in concept.get("coding") or ():
        if isinstance(coding, dict):
            if isinstance(coding.get("display"), str):
                return str(coding["display"])
            if isinstance(coding.get("code"), str):
                return str(coding["code"])
    return None


def _value(resource: Mapping[str, Any]) -> str | None:
    quantity = resource.get("valueQuantity")
    if isinstance(quantity, dict) and quantity.get("value") is not None:
        unit = quantity.get("unit") or quantity.get("code") or ""
        return f"{quantity['value']} {unit}".strip()
    concept = _concept_text(resource.get("valueCodeableConcept"))
    if concept:
        return concept
    for name in ("valueString", "valueBoolean", "valueInteger", "valueDateTime"):
        if name in resource and resource[name] is not None:
            return str(resource[name])
    for component in resource.get("component") or ():
        if isinstance(component, dict):
            inner = _value(component)
            if inner:
                return inner
    return None
