"""Deterministic FHIR R4 resources for the benchmark patient: a sotorasib candidate and filler history.

Shapes follow what EHRs and Synthea send (category, encounter links, issued, UCUM quantities), so a record
of 201 resources weighs about what a real prefetch does (~150 KB). Every value comes from the index of the
resource or from a seeded `random.Random`, never from the clock: the same arguments give the same JSON.
"""

from __future__ import annotations

import random
from typing import Any

PATIENT_ID = "pat-bench"
ORDER_ID = "mr-sotorasib"
ORDER_DATE = "2026-11-23"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
UCUM = "http://unitsofmeasure.org"
NUCC = "http://nucc.org/provider-taxonomy"
SOPT = "https://nahdo.org/sopt"
PAYER_ID_SYSTEM = "http://example.org/payer-id"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"

Resource = dict[str, Any]


def _ref(kind: str, ident: str) -> dict[str, str]:
    return {"reference": f"{kind}/{ident}"}


def _concept(system: str, code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code, "display": display}], "text": display}


def _status(system: str, code: str) -> dict[str, Any]:
    """Status and category concepts: EHRs send the bare coding."""
    return {"coding": [{"system": system, "code": code}]}


def _day(rng: random.Random, first_year: int = 2015, last_year: int = 2026) -> str:
    year = rng.randint(first_year, last_year)
    month = rng.randint(1, 10 if year == last_year else 12)
    return f"{year:04d}-{month:02d}-{rng.randint(1, 28):02d}"


# ---- the people and the payer ------------------------------------------------------------------------------


def patient() -> Resource:
    return {
        "resourceType": "Patient",
        "id": PATIENT_ID,
        "meta": {"profile": ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"]},
        "identifier": [{"system": "http://hospital.example.org/mrn", "value": "MRN-0042-7731"}],
        "name": [{"use": "official", "family": "Lindqvist", "given": ["Maren", "A"]}],
        "gender": "female",
        "birthDate": "1958-03-14",
        "address": [{"line": ["14 Harbor Lane"], "city": "Springfield", "state": "MO", "postalCode": "65804"}],
    }


def payer_organization() -> Resource:
    return {
        "resourceType": "Organization",
        "id": "org-centene",
        "identifier": [{"system": PAYER_ID_SYSTEM, "value": "centene"}],
        "active": True,
        "type": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/organization-type", "code": "pay"}]}],
        "name": "Centene Corporation",
    }


def medicaid_coverage() -> Resource:
    return {
        "resourceType": "Coverage",
        "id": "cov-medicaid",
        "status": "active",
        "type": _concept(SOPT, "21", "Medicaid (Managed Care)"),
        "subscriberId": "M55512031",
        "beneficiary": _ref("Patient", PATIENT_ID),
        "relationship": _concept("http://terminology.hl7.org/CodeSystem/subscriber-relationship", "self", "Self"),
        "period": {"start": "2025-01-01"},
        "payor": [_ref("Organization", "org-centene")],
    }


def practitioner(ident: str, family: str, npi: str) -> Resource:
    return {
        "resourceType": "Practitioner",
        "id": ident,
        "identifier": [{"system": "http://hl7.org/fhir/sid/us-npi", "value": npi}],
        "name": [{"family": family, "given": ["Jordan"], "prefix": ["Dr."]}],
        "active": True,
    }


def practitioner_role(ident: str, practitioner_id: str, taxonomy: tuple[str, str]) -> Resource:
    code, display = taxonomy
    return {
        "resourceType": "PractitionerRole",
        "id": ident,
        "active": True,
        "practitioner": _ref("Practitioner", practitioner_id),
        "organization": _ref("Organization", "org-clinic"),
        "specialty": [_concept(NUCC, code, display)],
    }


MEDICAL_ONCOLOGY = ("207RX0202X", "Internal Medicine, Medical Oncology")
FAMILY_MEDICINE = ("207Q00000X", "Family Medicine")


# ---- the facts the sotorasib policy looks for --------------------------------------------------------------


def nsclc_condition() -> Resource:
    return {
        "resourceType": "Condition",
        "id": "cond-nsclc",
        "clinicalStatus": _concept(CONDITION_CLINICAL, "active", "Active"),
        "verificationStatus": _concept(CONDITION_VERIFICATION, "confirmed", "Confirmed"),
        "category": [
            _concept(
                "http://terminology.hl7.org/CodeSystem/condition-category",
                "problem-list-item",
                "Problem List Item",
            )
        ],
        "code": {
            "coding": [
                {
                    "system": SNOMED,
                    "code": "423121009",
                    "display": "Non-small cell carcinoma of lung, TNM stage 4",
                },
                {
                    "system": ICD10,
                    "code": "C34.11",
                    "display": "Malignant neoplasm of upper lobe, right bronchus or lung",
                },
            ],
            "text": "NSCLC, stage IV",
        },
        "subject": _ref("Patient", PATIENT_ID),
        "onsetDateTime": "2025-06-02",
        "recordedDate": "2025-06-04",
    }


def kras_g12c_observation() -> Resource:
    return {
        "resourceType": "Observation",
        "id": "obs-kras-g12c",
        "status": "final",
        "category": [_concept(OBSERVATION_CATEGORY, "laboratory", "Laboratory")],
        "code": _concept(LOINC, "69548-6", "Genetic variant assessment"),
        "subject": _ref("Patient", PATIENT_ID),
        "effectiveDateTime": "2025-06-20",
        "valueCodeableConcept": _concept(LOINC, "LA9633-4", "Present"),
        "component": [
            {
                "code": _concept(LOINC, "48018-6", "Gene studied [ID]"),
                "valueCodeableConcept": _concept("http://www.genenames.org", "HGNC:6407", "KRAS"),
            },
            {
                "code": _concept(LOINC, "48005-3", "Amino acid change (pHGVS)"),
                "valueCodeableConcept": {"text": "p.G12C"},
            },
        ],
    }


def prior_carboplatin() -> Resource:
    return {
        "resourceType": "MedicationRequest",
        "id": "mr-carboplatin",
        "status": "completed",
        "intent": "order",
        "medicationCodeableConcept": _concept(RXNORM, "1156104", "CARBOplatin Injectable Product"),
        "subject": _ref("Patient", PATIENT_ID),
        "authoredOn": "2025-07-01",
        "requester": _ref("Practitioner", "prac-onc"),
    }


def prior_pembrolizumab_statement() -> Resource:
    return {
        "resourceType": "MedicationStatement",
        "id": "ms-pembrolizumab",
        "status": "completed",
        "medicationCodeableConcept": _concept(RXNORM, "1547545", "pembrolizumab"),
        "subject": _ref("Patient", PATIENT_ID),
        "effectivePeriod": {"start": "2025-07-01", "end": "2026-09-30"},
    }


def sotorasib_order(*, with_reason: bool) -> Resource:
    """The draft order under decision: 960 mg once daily (8 x 120 mg), 30 days, the label's dose."""
    order: Resource = {
        "resourceType": "MedicationRequest",
        "id": ORDER_ID,
        "status": "draft",
        "intent": "order",
        "medicationCodeableConcept": _concept(RXNORM, "2550719", "sotorasib 120 MG Oral Tablet"),
        "subject": _ref("Patient", PATIENT_ID),
        "authoredOn": ORDER_DATE,
        "requester": _ref("Practitioner", "prac-onc"),
        "dosageInstruction": [
            {
                "text": "960 mg (8 tablets) by mouth once daily",
                "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
                "route": _concept(SNOMED, "26643006", "Oral route"),
                "doseAndRate": [{"doseQuantity": {"value": 960, "unit": "mg", "system": UCUM, "code": "mg"}}],
            }
        ],
        "dispenseRequest": {
            "quantity": {"value": 240, "unit": "tablet", "system": UCUM, "code": "{tbl}"},
            "expectedSupplyDuration": {"value": 30, "unit": "days", "system": UCUM, "code": "d"},
            "numberOfRepeatsAllowed": 2,
        },
    }
    if with_reason:
        order["reasonReference"] = [_ref("Condition", "cond-nsclc")]
    return order


# ---- filler: history that matches no criterion, so every query has to look at it ---------------------------

_FILLER_CONDITIONS = (
    ("38341003", "I10", "Hypertensive disorder"),
    ("44054006", "E11.9", "Diabetes mellitus type 2"),
    ("55822004", "E78.5", "Hyperlipidemia"),
    ("195967001", "J45.909", "Asthma"),
    ("40055000", "N18.3", "Chronic kidney disease stage 3"),
    ("35489007", "F32.9", "Depressive disorder"),
    ("69896004", "M06.9", "Rheumatoid arthritis"),
    ("235595009", "K21.9", "Gastroesophageal reflux disease"),
)
_FILLER_OBSERVATIONS = (
    ("8867-4", "Heart rate", "/min", 55.0, 110.0, "vital-signs"),
    ("8480-6", "Systolic blood pressure", "mm[Hg]", 100.0, 170.0, "vital-signs"),
    ("29463-7", "Body weight", "kg", 48.0, 110.0, "vital-signs"),
    ("2345-7", "Glucose [Mass/volume] in Serum or Plasma", "mg/dL", 70.0, 210.0, "laboratory"),
    ("2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "mg/dL", 0.5, 2.1, "laboratory"),
    ("718-7", "Hemoglobin [Mass/volume] in Blood", "g/dL", 9.0, 16.0, "laboratory"),
    ("6690-2", "Leukocytes [#/volume] in Blood by Automated count", "10*3/uL", 3.0, 12.0, "laboratory"),
    ("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "%", 5.0, 9.5, "laboratory"),
)
_FILLER_DRUGS = (
    ("197361", "amlodipine 5 MG Oral Tablet"),
    ("860975", "24 HR metformin hydrochloride 500 MG Extended Release Oral Tablet"),
    ("314076", "lisinopril 10 MG Oral Tablet"),
    ("617312", "atorvastatin 10 MG Oral Tablet"),
    ("198211", "simvastatin 40 MG Oral Tablet"),
    ("310798", "hydrochlorothiazide 25 MG Oral Tablet"),
    ("966247", "levothyroxine sodium 0.05 MG Oral Tablet"),
    ("312961", "simethicone 80 MG Chewable Tablet"),
)
# Share of each filler type; Observations dominate real records.
_FILLER_CYCLE = (
    *("Observation", "Condition", "Observation", "MedicationRequest", "Observation"),
    *("MedicationStatement", "Condition", "Observation", "MedicationRequest", "Observation"),
)


def filler_resource(kind: str, index: int, rng: random.Random) -> Resource:
    encounter = _ref("Encounter", f"enc-{index // 4:05d}")
    if kind == "Condition":
        snomed, icd, display = _FILLER_CONDITIONS[index % len(_FILLER_CONDITIONS)]
        onset = _day(rng)
        return {
            "resourceType": "Condition",
            "id": f"cond-{index:05d}",
            "clinicalStatus": _status(CONDITION_CLINICAL, rng.choice(("active", "resolved"))),
            "verificationStatus": _status(CONDITION_VERIFICATION, "confirmed"),
            "category": [_status("http://terminology.hl7.org/CodeSystem/condition-category", "encounter-diagnosis")],
            "code": {
                "coding": [
                    {"system": SNOMED, "code": snomed, "display": display},
                    {"system": ICD10, "code": icd},
                ],
                "text": display,
            },
            "subject": _ref("Patient", PATIENT_ID),
            "encounter": encounter,
            "onsetDateTime": onset,
            "recordedDate": onset,
        }
    if kind == "Observation":
        code, display, unit, low, high, category = _FILLER_OBSERVATIONS[index % len(_FILLER_OBSERVATIONS)]
        when = _day(rng) + f"T{rng.randint(7, 18):02d}:{rng.randint(0, 59):02d}:00Z"
        return {
            "resourceType": "Observation",
            "id": f"obs-{index:05d}",
            "status": "final",
            "category": [_status(OBSERVATION_CATEGORY, category)],
            "code": _concept(LOINC, code, display),
            "subject": _ref("Patient", PATIENT_ID),
            "encounter": encounter,
            "effectiveDateTime": when,
            "issued": when,
            "valueQuantity": {
                "value": round(rng.uniform(low, high), 1),
                "unit": unit,
                "system": UCUM,
                "code": unit,
            },
        }
    rxnorm, display = _FILLER_DRUGS[index % len(_FILLER_DRUGS)]
    if kind == "MedicationRequest":
        return {
            "resourceType": "MedicationRequest",
            "id": f"mr-{index:05d}",
            "status": rng.choice(("active", "completed", "stopped")),
            "intent": "order",
            "medicationCodeableConcept": _concept(RXNORM, rxnorm, display),
            "subject": _ref("Patient", PATIENT_ID),
            "encounter": encounter,
            "authoredOn": _day(rng),
            "requester": _ref("Practitioner", "prac-pcp"),
            "dosageInstruction": [
                {
                    "sequence": 1,
                    "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
                    "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "tablet", "code": "{tbl}"}}],
                }
            ],
        }
    if kind == "MedicationStatement":
        start = _day(rng)
        return {
            "resourceType": "MedicationStatement",
            "id": f"ms-{index:05d}",
            "status": rng.choice(("active", "completed")),
            "medicationCodeableConcept": _concept(RXNORM, rxnorm, display),
            "subject": _ref("Patient", PATIENT_ID),
            "effectivePeriod": {"start": start},
            "dateAsserted": start,
        }
    raise ValueError(f"no filler for {kind}")


def filler(count: int, seed: int) -> list[Resource]:
    rng = random.Random(seed)
    return [filler_resource(_FILLER_CYCLE[i % len(_FILLER_CYCLE)], i, rng) for i in range(count)]
