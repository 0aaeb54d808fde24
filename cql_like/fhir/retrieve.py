"""Retrieve support: each resource type's default code path and the codes found there.

Medication resources of the request/statement/administration/dispense family carry their drug in
`medication[x]`; a `medicationReference` is followed to the Medication's `code` (contained `#id`
or `Medication/<id>` in the record).
"""

from __future__ import annotations

from typing import Any, Protocol

Resource = dict[str, Any]


class References(Protocol):
    """What reading codes needs of a record (record.PatientRecord): following a reference."""

    def resolve(self, reference: str | None, container: Resource | None = None) -> Resource | None: ...


DEFAULT_CODE_PATH = {
    "Observation": "code", "Condition": "code", "Procedure": "code", "ServiceRequest": "code",
    "MedicationRequest": "medication", "MedicationStatement": "medication",
    "MedicationAdministration": "medication", "MedicationDispense": "medication",
    "Medication": "code", "Coverage": "type", "PractitionerRole": "code",
    "DiagnosticReport": "code", "Encounter": "type", "AllergyIntolerance": "code",
    "Device": "type", "Specimen": "type", "DocumentReference": "type", "CarePlan": "category",
}  # fmt: skip

CodeKeys = frozenset[tuple[str | None, str]]


def _keys_of_concept(value: Any) -> set[tuple[str | None, str]]:
    keys: set[tuple[str | None, str]] = set()
    items = value if isinstance(value, list) else [value]
    for cc in items:
        if not isinstance(cc, dict):
            continue
        if "coding" in cc:
            for coding in cc.get("coding") or ():
                if isinstance(coding, dict) and coding.get("code") is not None:
                    keys.add((coding.get("system"), coding["code"]))
        elif cc.get("code") is not None:
            keys.add((cc.get("system"), cc["code"]))
    return keys


def medication_concept(record: References, resource: Resource) -> Any:
    """The CodeableConcept naming the drug of a medication-family resource, following references."""
    if "medicationCodeableConcept" in resource:
        return resource["medicationCodeableConcept"]
    ref = resource.get("medicationReference")
    if isinstance(ref, dict):
        med = record.resolve(ref.get("reference"), resource)
        if med is not None:
            return med.get("code")
    return None


def codes_at(record: References, resource: Resource, path: str) -> CodeKeys:
    if path == "medication":
        return frozenset(_keys_of_concept(medication_concept(record, resource)))
    return frozenset(_keys_of_concept(resource.get(path)))


def default_codes(record: References, resource: Resource) -> CodeKeys:
    path = DEFAULT_CODE_PATH.get(str(resource.get("resourceType")), "code")
    return codes_at(record, resource, path)
