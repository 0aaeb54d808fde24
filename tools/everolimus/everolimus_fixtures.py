"""FHIR R4 resource builders for the CP.PHAR.63 test bundles (build_test_data.py and its stories_* modules).

Every synthetic record belongs to one patient (PATIENT); only the real mCODE patient's order context names another.
Build-time only: the service never imports this module.
"""

from __future__ import annotations

from typing import Any

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
NUCC = "http://nucc.org/provider-taxonomy"
CPT = "http://www.ama-assn.org/go/cpt"
UCUM = "http://unitsofmeasure.org"
DRUG_FORM = "http://terminology.hl7.org/CodeSystem/v3-orderableDrugForm"
PATIENT = "pt-1"
REAL_PATIENT = "mCODETrialMatchingPatientExample02"

Resource = dict[str, Any]
# Story name (also the bundle id and file name) -> the resources of that record, order as written.
Stories = dict[str, list[Resource]]

SPECIALTIES = {
    "oncology": ("207RX0202X", "Internal Medicine, Medical Oncology"),
    "pediatric-oncology": ("2080P0207X", "Pediatrics, Pediatric Hematology-Oncology"),
    "hematology-oncology": ("207RH0003X", "Internal Medicine, Hematology & Oncology"),
    "radiation-oncology": ("2085R0001X", "Radiology, Radiation Oncology"),
    "neurology": ("2084N0400X", "Psychiatry & Neurology, Neurology"),
    "nephrology": ("207RN0300X", "Internal Medicine, Nephrology"),
    "hepatology": ("207RT0003X", "Internal Medicine, Transplant Hepatology"),
    "general": ("208D00000X", "General Practice"),
}

EVEROLIMUS = {
    "afinitor-10": ("845507", "everolimus 10 MG Oral Tablet"),
    "afinitor-5": ("845515", "everolimus 5 MG Oral Tablet"),
    "afinitor-10-brand": ("845512", "everolimus 10 MG Oral Tablet [Afinitor]"),
    "disperz-2": ("1308428", "everolimus 2 MG Tablet for Oral Suspension"),
    "disperz-5": ("1308432", "everolimus 5 MG Tablet for Oral Suspension"),
    "zortress-0.75": ("977438", "everolimus 0.75 MG Oral Tablet"),
    "zortress-1": ("2056895", "everolimus 1 MG Oral Tablet"),
    "tablet-no-strength": ("845506", "everolimus Oral Tablet"),
}


def ref(resource_type: str, resource_id: str) -> dict[str, str]:
    return {"reference": f"{resource_type}/{resource_id}"}


def concept(system: str, code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code, "display": display}], "text": display}


def patient(birth_date: str | None, gender: str = "female") -> Resource:
    resource: Resource = {"resourceType": "Patient", "id": PATIENT, "gender": gender}
    if birth_date:
        resource["birthDate"] = birth_date
    return resource


def coverage(patient_id: str = PATIENT) -> list[Resource]:
    payer = {
        "resourceType": "Organization",
        "id": "org-centene",
        "identifier": [{"system": "urn:oid:2.16.840.1.113883.6.300", "value": "68069"}],
        "type": [concept("http://terminology.hl7.org/CodeSystem/organization-type", "pay", "Payer")],
        "name": "Centene Corporation",
    }
    cov = {
        "resourceType": "Coverage",
        "id": "cov-1",
        "status": "active",
        "subscriberId": "M123456",
        "beneficiary": ref("Patient", patient_id),
        "relationship": concept("http://terminology.hl7.org/CodeSystem/subscriber-relationship", "self", "Self"),
        "payor": [ref("Organization", "org-centene")],
    }
    return [payer, cov]


def prescriber(specialty: str) -> list[Resource]:
    code, display = SPECIALTIES[specialty]
    return [
        {
            "resourceType": "Practitioner",
            "id": "prac-1",
            "identifier": [{"system": "http://hl7.org/fhir/sid/us-npi", "value": "9941339108"}],
            "name": [{"family": "Prescriber", "given": ["Pat"]}],
        },
        {
            "resourceType": "PractitionerRole",
            "id": "role-1",
            "active": True,
            "practitioner": ref("Practitioner", "prac-1"),
            "code": [concept(NUCC, code, display)],
            "specialty": [concept(NUCC, code, display)],
        },
    ]


def base(birth_date: str | None, specialty: str, gender: str = "female") -> list[Resource]:
    """The resources every synthetic story starts with: patient, Centene coverage, the ordering prescriber."""
    return [patient(birth_date, gender), *coverage(), *prescriber(specialty)]


def condition(cid: str, system: str, code: str, display: str, status: str = "active", **extra: Any) -> Resource:
    return {
        "resourceType": "Condition",
        "id": cid,
        "clinicalStatus": concept("http://terminology.hl7.org/CodeSystem/condition-clinical", status, status.title()),
        "verificationStatus": concept(
            "http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed", "Confirmed"
        ),
        "category": [
            concept(
                "http://terminology.hl7.org/CodeSystem/condition-category",
                "problem-list-item",
                "Problem List Item",
            )
        ],
        "code": concept(system, code, display),
        "subject": ref("Patient", PATIENT),
        **extra,
    }


def observation(oid: str, code: tuple[str, str, str], value: dict[str, Any], when: str = "2026-10-01") -> Resource:
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "category": [concept("http://terminology.hl7.org/CodeSystem/observation-category", "laboratory", "Laboratory")],
        "code": concept(*code),
        "subject": ref("Patient", PATIENT),
        "effectiveDateTime": when,
        **value,
    }


def stage(oid: str, ajcc: str, display: str) -> Resource:
    return observation(
        oid,
        (LOINC, "21908-9", "Stage group.clinical Cancer"),
        {
            "valueCodeableConcept": {
                "coding": [{"system": "http://cancerstaging.org", "code": ajcc, "display": display}]
            }
        },
    )


POSITIVE = {"valueCodeableConcept": concept(SNOMED, "10828004", "Positive (qualifier value)")}
NEGATIVE = {"valueCodeableConcept": concept(SNOMED, "260385009", "Negative (qualifier value)")}


def mg(value: float) -> dict[str, Any]:
    return {"value": value, "unit": "mg", "system": UCUM, "code": "mg"}


def tablets(value: float) -> dict[str, Any]:
    return {"value": value, "unit": "Tablet", "system": DRUG_FORM, "code": "TAB"}


def thirty_day_supply(quantity: dict[str, Any], refills: int) -> dict[str, Any]:
    """A MedicationRequest.dispenseRequest for 30 days, as the days-supply and tablet-ceiling rules read it."""
    return {
        "quantity": quantity,
        "expectedSupplyDuration": {"value": 30, "unit": "days", "system": UCUM, "code": "d"},
        "numberOfRepeatsAllowed": refills,
    }


def everolimus_order(
    product: str,
    dose: dict[str, Any] | None,
    frequency: int | None = 1,
    period_unit: str = "d",
    *,
    order_id: str = "mr-everolimus",
    patient_id: str = PATIENT,
    timing_code: str | None = None,
    dispense: dict[str, Any] | None = None,
    medication_reference: str | None = None,
    reason: list[dict[str, str]] | None = None,
) -> Resource:
    """The draft order the hook asks about; product is a key of EVEROLIMUS."""
    code, display = EVEROLIMUS[product]
    timing: dict[str, Any] = {}
    if frequency is not None:
        timing["repeat"] = {"frequency": frequency, "period": 1, "periodUnit": period_unit}
    if timing_code:
        timing["code"] = concept("http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation", timing_code, timing_code)
    dosage: dict[str, Any] = {"text": "as directed", "timing": timing}
    if dose is not None:
        dosage["doseAndRate"] = [{"doseQuantity": dose}]
    # Spelled "tablet", where tablets() says "Tablet": kept as the committed bundles have it.
    default_dispense = thirty_day_supply({"value": 30, "unit": "tablet", "system": DRUG_FORM, "code": "TAB"}, refills=5)
    order: Resource = {
        "resourceType": "MedicationRequest",
        "id": order_id,
        "status": "draft",
        "intent": "order",
        "subject": ref("Patient", patient_id),
        "authoredOn": "2026-11-23",
        "requester": ref("Practitioner", "prac-1"),
        "dosageInstruction": [dosage],
        "dispenseRequest": dispense or default_dispense,
    }
    if medication_reference:
        order["medicationReference"] = ref("Medication", medication_reference)
    else:
        order["medicationCodeableConcept"] = concept(RXNORM, code, display)
    if reason:
        order["reasonReference"] = reason
    return order


def med_request(
    mid: str,
    system: str,
    code: str,
    display: str,
    status: str = "draft",
    authored: str = "2026-11-23",
    **extra: Any,
) -> Resource:
    return {
        "resourceType": "MedicationRequest",
        "id": mid,
        "status": status,
        "intent": "order",
        "medicationCodeableConcept": concept(system, code, display),
        "subject": ref("Patient", PATIENT),
        "authoredOn": authored,
        **extra,
    }


def med_statement(
    sid: str,
    code: str | None,
    display: str,
    status: str,
    start: str | None,
    end: str | None = None,
    **extra: Any,
) -> Resource:
    """A medication history entry; start=None leaves effectivePeriod out (an undated history)."""
    medication = concept(RXNORM, code, display) if code else {"text": display}
    statement: Resource = {
        "resourceType": "MedicationStatement",
        "id": sid,
        "status": status,
        "medicationCodeableConcept": medication,
        "subject": ref("Patient", PATIENT),
        **extra,
    }
    if start:
        statement["effectivePeriod"] = {"start": start, **({"end": end} if end else {})}
    return statement


def verified_as(resource: Resource, status: str) -> Resource:
    """The same Condition with another verificationStatus (FHIR condition-ver-status code)."""
    status_concept = concept("http://terminology.hl7.org/CodeSystem/condition-ver-status", status, status.title())
    return dict(resource, verificationStatus=status_concept)


def collection_bundle(name: str, resources: list[Resource]) -> Resource:
    return {
        "resourceType": "Bundle",
        "id": name,
        "type": "collection",
        "entry": [{"fullUrl": f"urn:uuid:{r['resourceType'].lower()}-{r['id']}", "resource": r} for r in resources],
    }
