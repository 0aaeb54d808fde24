"""Regenerate r4_model.json from fhir.resources (R4B classes, which match R4 4.0.1 for these types).

Run once by a developer: `python -m cql_like.fhir.generate_model`. The engine only reads the JSON.
Table shape: {type: {element: [[type, ...], is_list]}}; an element with several types is a
choice element (`value` -> valueQuantity, valueCodeableConcept, ...).
"""

from __future__ import annotations

import importlib
import json
import typing
from pathlib import Path
from typing import Any

RESOURCES = [
    "Patient", "Coverage", "Condition", "Observation", "MedicationRequest", "MedicationStatement",
    "MedicationAdministration", "MedicationDispense", "Medication", "Procedure", "ServiceRequest",
    "PractitionerRole", "Practitioner", "Organization", "Encounter", "DiagnosticReport",
    "AllergyIntolerance", "Specimen", "Claim", "DocumentReference", "CarePlan", "Device",
]  # fmt: skip
_PRIMITIVE_BY_PY = {bool: "boolean", int: "integer", str: "string", float: "decimal"}


def _type_name(annotation: Any) -> tuple[str, bool]:
    """(FHIR type name, is_list) of a pydantic field annotation."""
    is_list = False
    args = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        inner = [a for a in args if a is not type(None)]
        if len(inner) > 1:
            lists = [a for a in inner if typing.get_origin(a) in (list, typing.List)]  # noqa: UP006
            inner = lists or inner
        return _type_name(inner[0])
    if origin in (list, typing.List):  # noqa: UP006
        name, _ = _type_name(args[0])
        return name, True
    if origin is typing.Annotated:
        meta = annotation.__metadata__[0]
        name = type(meta).__name__
        return name[0].lower() + name[1:], is_list
    if annotation in _PRIMITIVE_BY_PY:
        return _PRIMITIVE_BY_PY[annotation], is_list
    name = getattr(annotation, "__name__", str(annotation))
    if name.endswith("Type"):
        name = name[: -len("Type")]
    return name, is_list


def _class_for(name: str, owner_module: str) -> Any:
    for module_name in (owner_module, f"fhir.resources.R4B.{name.lower()}"):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        if hasattr(module, name):
            return getattr(module, name)
    return None


def build() -> dict[str, dict[str, list[Any]]]:
    table: dict[str, dict[str, list[Any]]] = {}
    queue: list[tuple[str, str]] = [(r, f"fhir.resources.R4B.{r.lower()}") for r in RESOURCES]
    while queue:
        name, module_name = queue.pop()
        if name in table:
            continue
        cls = _class_for(name, module_name)
        if cls is None:
            continue
        elements: dict[str, list[Any]] = {}
        for field_name, field in cls.model_fields.items():
            extra = field.json_schema_extra or {}
            if not isinstance(extra, dict) or not extra.get("element_property"):
                continue
            type_name, is_list = _type_name(field.annotation)
            alias = field.alias or field_name
            choice = extra.get("one_of_many")
            key = str(choice) if choice else alias
            entry = elements.setdefault(key, [[], is_list])
            entry[0].append(type_name[0].upper() + type_name[1:] if choice else type_name)
            if type_name[0].isupper() and type_name not in table and type_name != "Resource":
                queue.append((type_name, cls.__module__))
        table[name] = elements
    return dict(sorted(table.items()))


def main() -> None:
    table = build()
    out = Path(__file__).with_name("r4_model.json")
    out.write_text(json.dumps(table, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {out} ({len(table)} types)")


if __name__ == "__main__":
    main()
