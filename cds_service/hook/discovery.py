"""The services this endpoint offers (GET /cds-services) and the CRD options each one honours."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .crd_version import SERVED

# dev-1 / dev-2: every CRD version any hook answers in (the request picks one with requestedVersion).
CRD_VERSIONS = list(SERVED)

# Prefetch keys; record.py fills the same templates itself for whatever the client did not send.
PATIENT = "patient"
COVERAGE = "coverage"
ENCOUNTER = "encounter"
CONDITIONS = "conditions"
OBSERVATIONS = "observations"
MEDICATION_REQUESTS = "medicationRequests"
MEDICATION_STATEMENTS = "medicationStatements"
MEDICATION_ADMINISTRATIONS = "medicationAdministrations"
MEDICATION_DISPENSES = "medicationDispenses"
PROCEDURES = "procedures"
SERVICE_REQUESTS = "serviceRequests"
PRACTITIONER_ROLES = "practitionerRoles"

# Patient-scoped record queries, one per resource type a policy can read (US Core search parameter `patient`;
# MedicationAdministration is not profiled by US Core, FHIR R4 defines the same parameter). Which of them the
# service fetches is decided by the loaded policies (Library.retrieved_types, see record.gather);
# tests/cds_service/hook/test_discovery.py checks every type a policy reads has one.
RECORD_QUERIES: Mapping[str, tuple[str, str]] = {
    "Condition": (CONDITIONS, "Condition?patient={{context.patientId}}"),
    # No category filter: Genomics Reporting STU1 variant Observations often carry none.
    "Observation": (OBSERVATIONS, "Observation?patient={{context.patientId}}"),
    "MedicationRequest": (MEDICATION_REQUESTS, "MedicationRequest?patient={{context.patientId}}"),
    "MedicationStatement": (MEDICATION_STATEMENTS, "MedicationStatement?patient={{context.patientId}}"),
    "MedicationAdministration": (
        MEDICATION_ADMINISTRATIONS,
        "MedicationAdministration?patient={{context.patientId}}",
    ),
    "MedicationDispense": (MEDICATION_DISPENSES, "MedicationDispense?patient={{context.patientId}}"),
    "Procedure": (PROCEDURES, "Procedure?patient={{context.patientId}}"),
    "ServiceRequest": (SERVICE_REQUESTS, "ServiceRequest?patient={{context.patientId}}"),
    "PractitionerRole": (PRACTITIONER_ROLES, "PractitionerRole?practitioner={{userPractitionerId}}"),
}


def query_type(template: str) -> str:
    """The resource type a prefetch template reads ("Coverage?patient=..." -> "Coverage")."""
    return template.split("?", 1)[0].split("/", 1)[0]


_ORDER_PREFETCH = {
    PATIENT: "Patient/{{context.patientId}}",
    COVERAGE: "Coverage?patient={{context.patientId}}&status=active&_include=Coverage:payor",
    **dict(RECORD_QUERIES.values()),
}
_DISPATCH_PREFETCH = {k: v for k, v in _ORDER_PREFETCH.items() if k != PRACTITIONER_ROLES}
_ENCOUNTER_PREFETCH = {k: _ORDER_PREFETCH[k] for k in (PATIENT, COVERAGE)}
# appointment-book decides the drug orders appointments are based on, encounter-discharge the drug orders of the
# encounter: both need the whole record the policies read, plus the encounter (CRD standard prefetch).
_APPOINTMENT_PREFETCH = {**_ORDER_PREFETCH, ENCOUNTER: "Encounter/{{context.encounterId}}"}
_DISCHARGE_PREFETCH = {**_DISPATCH_PREFETCH, ENCOUNTER: "Encounter/{{context.encounterId}}"}


@dataclass(frozen=True)
class ConfigOption:
    code: str
    type: str
    name: str
    description: str
    default: bool | int

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "type": self.type,
            "name": self.name,
            "description": self.description,
            "default": self.default,
        }


CONFIG_OPTIONS = (
    ConfigOption(
        "coverage-info",
        "boolean",
        "Coverage information",
        "Return a coverage-information system action for each order in scope.",
        True,
    ),
    ConfigOption(
        "guideline",
        "boolean",
        "Policy criteria",
        "Return a card per drug order explaining the payer policy's criteria, evidence and link.",
        True,
    ),
    ConfigOption(
        "claim",
        "boolean",
        "Claim instructions",
        "Return instructions for the claim, such as the prior authorization number to quote.",
        True,
    ),
    ConfigOption(
        "therapy-alternatives-req",
        "boolean",
        "Order changes",
        "Suggest changes to an order (dose, product) that would meet the payer policy.",
        True,
    ),
    ConfigOption(
        "clinical-reminder",
        "boolean",
        "Additional orders",
        "Suggest orders the payer policy expects alongside the drug (tests, combination partners).",
        True,
    ),
    # CRD found-35: a "what if" order-sign call sends false; approvals are then shown without a PA number and
    # nothing is kept as a determination (determinations.py).
    ConfigOption(
        "unsolicited-determ",
        "boolean",
        "Unsolicited determination",
        "Issue a prior authorization number when the order meets the payer policy. Send false for a 'what if' "
        "call: coverage and criteria are returned, no PA number is issued and no determination is recorded.",
        True,
    ),
    ConfigOption(
        "max-cards",
        "integer",
        "Maximum cards",
        "The largest number of cards to return for one hook call.",
        10,
    ),
)
DEFAULT_CONFIGURATION: Mapping[str, bool | int] = {o.code: o.default for o in CONFIG_OPTIONS}


@dataclass(frozen=True)
class Service:
    id: str
    hook: str
    title: str
    description: str
    prefetch: Mapping[str, str]
    primary: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "hook": self.hook,
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "prefetch": dict(self.prefetch),
            "usageRequirements": "Send the patient's one active Coverage (with its payor Organization) "
            "and fhirAuthorization so the service can read what was not prefetched.",
            "extension": {
                "davinci-crd.version": CRD_VERSIONS,
                "davinci-crd.configuration-options": [o.as_json() for o in CONFIG_OPTIONS],
            },
        }


SERVICES: Mapping[str, Service] = {
    s.id: s
    for s in (
        Service(
            "crd-order-sign",
            "order-sign",
            "Drug prior authorization (order-sign)",
            "Coverage and prior authorization requirements for the drugs being signed, decided against "
            "the payer's drug policies, with the criteria, the evidence found and what to submit.",
            _ORDER_PREFETCH,
            primary=True,
        ),
        Service(
            "crd-order-select",
            "order-select",
            "Drug coverage preview (order-select)",
            "Early coverage guidance for the selected drug orders; no documentation requests.",
            _ORDER_PREFETCH,
            primary=False,
        ),
        Service(
            "crd-order-dispatch",
            "order-dispatch",
            "Drug prior authorization (order-dispatch)",
            "Coverage and prior authorization requirements for the dispatched drug orders.",
            _DISPATCH_PREFETCH,
            primary=True,
        ),
        Service(
            "crd-appointment-book",
            "appointment-book",
            "Drug prior authorization (appointment-book)",
            "Coverage and prior authorization requirements for the drug orders the booked appointments are "
            "based on (infusion and injection visits), decided against the payer's drug policies.",
            _APPOINTMENT_PREFETCH,
            primary=True,
        ),
        Service(
            "crd-encounter-discharge",
            "encounter-discharge",
            "Discharge drug coverage (encounter-discharge)",
            "Coverage guidance for the draft and active drug orders of the encounter being discharged; no "
            "documentation requests.",
            _DISCHARGE_PREFETCH,
            primary=False,
        ),
        Service(
            "crd-encounter-start",
            "encounter-start",
            "Coverage check (encounter-start)",
            "Checks that the patient's active coverage is served here, so later order hooks answer fast.",
            _ENCOUNTER_PREFETCH,
            primary=False,
        ),
    )
}


def discovery_document() -> dict[str, Any]:
    return {"services": [service.as_json() for service in SERVICES.values()]}


def effective_configuration(requested: Mapping[str, Any]) -> dict[str, bool | int]:
    """Defaults overlaid with the client's davinci-crd.configuration; unknown or ill-typed keys ignored."""
    config = dict(DEFAULT_CONFIGURATION)
    for option in CONFIG_OPTIONS:
        value = requested.get(option.code)
        if option.type == "boolean" and isinstance(value, bool):
            config[option.code] = value
        elif option.type == "integer" and isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            config[option.code] = value
    return config
