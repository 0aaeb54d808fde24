"""FHIR R4 resource builders for the sotorasib policy test bundles (Centene CP.PHAR.549, FEP Blue 5.21.177).

Shapes follow ../shared/reference/terminology.md (section in each docstring) and the real examples in
../shared/fhir-examples. Only build_sotorasib_cases.py uses this module; the product never imports it.
"""

from __future__ import annotations

from typing import Any

Resource = dict[str, Any]

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
NUCC = "http://nucc.org/provider-taxonomy"
UCUM = "http://unitsofmeasure.org"
HGVS = "http://varnomen.hgvs.org"
DRUG_FORM = "http://terminology.hl7.org/CodeSystem/v3-orderableDrugForm"
PATIENT_ID = "pat-1"


def coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def concept(*codings: dict[str, str], text: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if codings:
        out["coding"] = list(codings)
    if text:
        out["text"] = text
    return out


def subject(patient_id: str = PATIENT_ID) -> dict[str, str]:
    return {"reference": f"Patient/{patient_id}"}


def patient(birth_date: str | None = "1961-03-14", patient_id: str = PATIENT_ID) -> Resource:
    out: Resource = {
        "resourceType": "Patient",
        "id": patient_id,
        "name": [{"family": "Testpatient", "given": ["Alex"]}],
        "gender": "female",
    }
    if birth_date:
        out["birthDate"] = birth_date
    return out


def coverage(payer_key: str, sopt: tuple[str, str], patient_id: str = PATIENT_ID) -> Resource:
    """US Core Coverage (terminology.md §6); the payor identifier is the one in cds_service/payers/payers.yaml."""
    return {
        "resourceType": "Coverage",
        "id": "cov-1",
        "status": "active",
        "identifier": [
            {
                "type": concept(coding("http://terminology.hl7.org/CodeSystem/v2-0203", "MB")),
                "value": "M-0001",
            }
        ],
        "type": concept(coding("https://nahdo.org/sopt", sopt[0], sopt[1])),
        "subscriberId": "M-0001",
        "beneficiary": subject(patient_id),
        "relationship": concept(coding("http://terminology.hl7.org/CodeSystem/subscriber-relationship", "self")),
        "payor": [{"identifier": {"system": "http://example.org/payer-id", "value": payer_key}}],
    }


# How each line of business shows on a Coverage (terminology.md §6 and cds_service/payers/payers.yaml): Medicaid by SOPT
# 2x, Centene's Marketplace (Ambetter) by its plan class, commercial by SOPT 5x, FEHB as a BCBS plan.
LINE_OF_BUSINESS_COVERAGE: dict[str, dict[str, Any]] = {
    "medicaid": {"type": concept(coding("https://nahdo.org/sopt", "21", "Medicaid (Managed Care)"))},
    "marketplace": {
        "type": concept(coding("https://nahdo.org/sopt", "51", "Managed Care (Private)")),
        "class": [
            {
                "type": concept(coding("http://terminology.hl7.org/CodeSystem/coverage-class", "plan")),
                "value": "AMBETTER-SILVER",
                "name": "Ambetter Balanced Care",
            }
        ],
    },
    "commercial": {"type": concept(coding("https://nahdo.org/sopt", "512", "Commercial Managed Care - PPO"))},
    "fehb": {"type": concept(coding("https://nahdo.org/sopt", "61", "BC Managed Care"))},
}


def with_line_of_business(resource: Resource, line_of_business: str) -> Resource:
    """The Coverage rewritten to carry the case's line of business; other resources unchanged."""
    if resource.get("resourceType") != "Coverage":
        return resource
    changed = {k: v for k, v in resource.items() if k not in ("type", "class")}
    changed.update(LINE_OF_BUSINESS_COVERAGE[line_of_business])
    return changed


def practitioner_role(role_id: str, taxonomy: tuple[str, str]) -> list[Resource]:
    """A Practitioner and its PractitionerRole with NUCC specialty and code (terminology.md §4)."""
    return [
        {
            "resourceType": "Practitioner",
            "id": f"{role_id}-prac",
            "identifier": [{"system": "http://hl7.org/fhir/sid/us-npi", "value": "1234567893"}],
            "name": [{"family": "Prescriber", "prefix": ["Dr."]}],
        },
        {
            "resourceType": "PractitionerRole",
            "id": role_id,
            "active": True,
            "practitioner": {"reference": f"Practitioner/{role_id}-prac"},
            "code": [concept(coding(NUCC, *taxonomy))],
            "specialty": [concept(coding(NUCC, *taxonomy), text=taxonomy[1])],
        },
    ]


ONCOLOGIST = ("207RX0202X", "Internal Medicine, Medical Oncology")
GENERAL_PRACTICE = ("208D00000X", "General Practice Physician")


def condition(
    condition_id: str,
    *codings: dict[str, str],
    status: str = "active",
    onset: str = "2026-06-01",
    stage: tuple[str, str, str] | None = None,
) -> Resource:
    out: Resource = {
        "resourceType": "Condition",
        "id": condition_id,
        "clinicalStatus": concept(coding("http://terminology.hl7.org/CodeSystem/condition-clinical", status)),
        "verificationStatus": concept(
            coding("http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed")
        ),
        "category": [concept(coding("http://terminology.hl7.org/CodeSystem/condition-category", "problem-list-item"))],
        "code": concept(*codings),
        "subject": subject(),
        "onsetDateTime": onset,
    }
    if stage:
        out["stage"] = [{"summary": concept(coding(*stage))}]
    return out


def observation(
    obs_id: str, code: dict[str, Any], status: str = "final", effective: str = "2026-07-15", **value: Any
) -> Resource:
    out: Resource = {
        "resourceType": "Observation",
        "id": obs_id,
        "status": status,
        "category": [concept(coding("http://terminology.hl7.org/CodeSystem/observation-category", "laboratory"))],
        "code": code,
        "subject": subject(),
        "effectiveDateTime": effective,
    }
    out.update(value)
    return out


def component(loinc: str, display: str, **value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"code": concept(coding(LOINC, loinc, display))}
    out.update(value)
    return out


def variant(
    obs_id: str,
    gene: tuple[str, str, str] | None,
    present: bool = True,
    protein: str | None = None,
    cdna: str | None = None,
    clinvar: str | None = None,
    status: str = "final",
) -> Resource:
    """Genomics Reporting STU2/STU3 Variant Observation (terminology.md §1.2)."""
    components = []
    if gene:
        components.append(component("48018-6", "Gene studied [ID]", valueCodeableConcept=concept(coding(*gene))))
    if cdna:
        components.append(
            component("48004-6", "DNA change (c.HGVS)", valueCodeableConcept=concept(coding(HGVS, cdna, cdna)))
        )
    if protein:
        components.append(
            component(
                "48005-3",
                "Amino acid change (pHGVS)",
                valueCodeableConcept=concept(coding(HGVS, protein, protein)),
            )
        )
    if clinvar:
        components.append(
            component(
                "81252-9",
                "Discrete genetic variant",
                valueCodeableConcept=concept(coding("http://www.ncbi.nlm.nih.gov/clinvar", clinvar)),
            )
        )
    answer = coding(LOINC, "LA9633-4", "Present") if present else coding(LOINC, "LA9634-2", "Absent")
    out = observation(
        obs_id,
        concept(coding(LOINC, "69548-6", "Genetic variant assessment")),
        status=status,
        valueCodeableConcept=concept(answer),
        component=components,
    )
    out["meta"] = {"profile": ["http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/variant"]}
    out["category"].append(concept(coding("http://terminology.hl7.org/CodeSystem/v2-0074", "GE")))
    return out


def molecular_consequence(obs_id: str, variant_id: str, protein: str) -> Resource:
    """Genomics Reporting STU3 MolecularConsequence derived from a Variant (terminology.md §1.2)."""
    tbd = "http://hl7.org/fhir/uv/genomics-reporting/CodeSystem/tbd-codes-cs"
    out = observation(
        obs_id,
        concept(coding(tbd, "molecular-consequence", "Molecular Consequence")),
        derivedFrom=[{"reference": f"Observation/{variant_id}"}],
        component=[
            component(
                "48005-3",
                "Amino acid change (pHGVS)",
                valueCodeableConcept=concept(coding(HGVS, protein, protein)),
            )
        ],
    )
    out["meta"] = {"profile": ["http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/molecular-consequence"]}
    return out


def medication(med_id: str, code: str, display: str) -> Resource:
    return {"resourceType": "Medication", "id": med_id, "code": concept(coding(RXNORM, code, display))}


KRAS_STU2 = ("http://www.genenames.org", "HGNC:6407", "KRAS")
KRAS_STU1 = ("http://www.genenames.org/geneId", "HGNC:6407", "KRAS")


def kras_single_test(obs_id: str, loinc: str, display: str, status: str = "final", **value: Any) -> Resource:
    """Single-test KRAS Observation with a coded or free-text result (terminology.md §1.3)."""
    return observation(obs_id, concept(coding(LOINC, loinc, display)), status=status, **value)


def stage_group(obs_id: str, value: tuple[str, str, str], focus: str | None = None) -> Resource:
    out = observation(
        obs_id,
        concept(coding(LOINC, "21908-9", "Stage group.clinical Cancer")),
        valueCodeableConcept=concept(coding(*value)),
    )
    if focus:
        out["focus"] = [{"reference": f"Condition/{focus}"}]
    return out


def disease_status(obs_id: str, value: tuple[str, str], effective: str) -> Resource:
    """mCODE CancerDiseaseStatus (terminology.md §2.2)."""
    return observation(
        obs_id,
        concept(coding(LOINC, "97509-4", "Cancer Disease Progression")),
        effective=effective,
        valueCodeableConcept=concept(coding(SNOMED, *value)),
    )


def drug(code: str | None, display: str) -> dict[str, Any]:
    return concept(coding(RXNORM, code, display)) if code else concept(text=display)


def tablets(count: float, unit_style: str = "TAB") -> dict[str, Any]:
    """doseQuantity as a tablet count, in the shapes of terminology.md §5."""
    if unit_style == "TAB":
        return {"value": count, "unit": "Tablet", "system": DRUG_FORM, "code": "TAB"}
    if unit_style == "{tbl}":
        return {"value": count, "unit": "tablet", "system": UCUM, "code": "{tbl}"}
    return {"value": count}


def mg(amount: float) -> dict[str, Any]:
    return {"value": amount, "unit": "mg", "system": UCUM, "code": "mg"}


def daily(dose: dict[str, Any], frequency: int = 1) -> list[dict[str, Any]]:
    return [
        {
            "sequence": 1,
            "text": "by mouth once daily",
            "timing": {"repeat": {"frequency": frequency, "period": 1, "periodUnit": "d"}},
            "route": concept(coding(SNOMED, "26643006", "Oral route")),
            "doseAndRate": [{"doseQuantity": dose}],
        }
    ]


def medication_request(
    mr_id: str,
    medication: dict[str, Any],
    status: str = "draft",
    dosage: list[dict[str, Any]] | None = None,
    authored: str = "2026-11-20",
    requester: str = "PractitionerRole/role-onc",
    reason: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> Resource:
    out: Resource = {
        "resourceType": "MedicationRequest",
        "id": mr_id,
        "status": status,
        "intent": "order",
        "medicationCodeableConcept": medication,
        "subject": subject(),
        "authoredOn": authored,
        "requester": {"reference": requester},
    }
    if dosage:
        out["dosageInstruction"] = dosage
    if reason:
        out["reasonCode"] = reason
    out.update(extra)
    return out


def medication_statement(
    ms_id: str,
    medication: dict[str, Any],
    status: str = "completed",
    start: str = "2026-01-10",
    end: str | None = "2026-05-01",
    **extra: Any,
) -> Resource:
    period = {"start": start}
    if end:
        period["end"] = end
    out: Resource = {
        "resourceType": "MedicationStatement",
        "id": ms_id,
        "status": status,
        "medicationCodeableConcept": medication,
        "subject": subject(),
        "effectivePeriod": period,
    }
    out.update(extra)
    return out


def medication_administration(ma_id: str, medication: dict[str, Any], when: str = "2026-03-02") -> Resource:
    return {
        "resourceType": "MedicationAdministration",
        "id": ma_id,
        "status": "completed",
        "medicationCodeableConcept": medication,
        "subject": subject(),
        "effectiveDateTime": when,
    }


def medication_dispense(
    md_id: str, medication: dict[str, Any], status: str = "completed", handed_over: str = "2026-03-01"
) -> Resource:
    """A pharmacy fill (claims and pharmacy systems record prior oral therapy this way)."""
    return {
        "resourceType": "MedicationDispense",
        "id": md_id,
        "status": status,
        "medicationCodeableConcept": medication,
        "subject": subject(),
        "whenHandedOver": handed_over,
    }


def service_request(sr_id: str, loinc: str, display: str, status: str = "draft") -> Resource:
    return {
        "resourceType": "ServiceRequest",
        "id": sr_id,
        "status": status,
        "intent": "order",
        "code": concept(coding(LOINC, loinc, display)),
        "subject": subject(),
        "requester": {"reference": "PractitionerRole/role-onc"},
    }


def bundle(resources: list[Resource]) -> Resource:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": f"https://ehr.example.org/fhir/{r['resourceType']}/{r['id']}", "resource": r} for r in resources
        ],
    }
