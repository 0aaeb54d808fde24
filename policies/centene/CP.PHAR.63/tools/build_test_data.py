"""Regenerate tests/data/*.json: small FHIR R4 collection Bundles, one clinical story each.

The real mCODE breast-cancer bundle is copied unchanged by hand (tests/data/mcode-ctm-app_...); the bundles
built here hold synthetic records and, for the real patient, only the draft order, coverage and prescriber.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
NUCC = "http://nucc.org/provider-taxonomy"
CPT = "http://www.ama-assn.org/go/cpt"
PATIENT = "pt-1"
REAL_PATIENT = "mCODETrialMatchingPatientExample02"

Resource = dict[str, Any]

SPECIALTIES = {
    "oncology": ("207RX0202X", "Internal Medicine, Medical Oncology"),
    "pediatric-oncology": ("2080P0207X", "Pediatrics, Pediatric Hematology-Oncology"),
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
        "relationship": concept(
            "http://terminology.hl7.org/CodeSystem/subscriber-relationship", "self", "Self"
        ),
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


def condition(
    cid: str, system: str, code: str, display: str, status: str = "active", **extra: Any
) -> Resource:
    return {
        "resourceType": "Condition",
        "id": cid,
        "clinicalStatus": concept(
            "http://terminology.hl7.org/CodeSystem/condition-clinical", status, status.title()
        ),
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


def observation(
    oid: str, code: tuple[str, str, str], value: dict[str, Any], when: str = "2026-10-01"
) -> Resource:
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "category": [
            concept("http://terminology.hl7.org/CodeSystem/observation-category", "laboratory", "Laboratory")
        ],
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
    code, display = EVEROLIMUS[product]
    timing: dict[str, Any] = {}
    if frequency is not None:
        timing["repeat"] = {"frequency": frequency, "period": 1, "periodUnit": period_unit}
    if timing_code:
        timing["code"] = concept(
            "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation", timing_code, timing_code
        )
    dosage: dict[str, Any] = {"text": "as directed", "timing": timing}
    if dose is not None:
        dosage["doseAndRate"] = [{"doseQuantity": dose}]
    order: Resource = {
        "resourceType": "MedicationRequest",
        "id": order_id,
        "status": "draft",
        "intent": "order",
        "subject": ref("Patient", patient_id),
        "authoredOn": "2026-11-23",
        "requester": ref("Practitioner", "prac-1"),
        "dosageInstruction": [dosage],
        "dispenseRequest": dispense
        or {
            "quantity": {
                "value": 30,
                "unit": "tablet",
                "system": "http://terminology.hl7.org/CodeSystem/v3-orderableDrugForm",
                "code": "TAB",
            },
            "expectedSupplyDuration": {
                "value": 30,
                "unit": "days",
                "system": "http://unitsofmeasure.org",
                "code": "d",
            },
            "numberOfRepeatsAllowed": 5,
        },
    }
    if medication_reference:
        order["medicationReference"] = ref("Medication", medication_reference)
    else:
        order["medicationCodeableConcept"] = concept(RXNORM, code, display)
    if reason:
        order["reasonReference"] = reason
    return order


def mg(value: float) -> dict[str, Any]:
    return {"value": value, "unit": "mg", "system": "http://unitsofmeasure.org", "code": "mg"}


def tablets(value: float) -> dict[str, Any]:
    return {
        "value": value,
        "unit": "Tablet",
        "system": "http://terminology.hl7.org/CodeSystem/v3-orderableDrugForm",
        "code": "TAB",
    }


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
    sid: str, code: str | None, display: str, status: str, start: str, end: str | None = None
) -> Resource:
    medication = concept(RXNORM, code, display) if code else {"text": display}
    period = {"start": start, **({"end": end} if end else {})}
    return {
        "resourceType": "MedicationStatement",
        "id": sid,
        "status": status,
        "medicationCodeableConcept": medication,
        "subject": ref("Patient", PATIENT),
        "effectivePeriod": period,
    }


def bundle(name: str, resources: list[Resource]) -> None:
    document = {
        "resourceType": "Bundle",
        "id": name,
        "type": "collection",
        "entry": [
            {"fullUrl": f"urn:uuid:{r['resourceType'].lower()}-{r['id']}", "resource": r} for r in resources
        ],
    }
    (DATA / f"{name}.json").write_text(json.dumps(document, indent=2) + "\n")


def base(birth_date: str | None, specialty: str, gender: str = "female") -> list[Resource]:
    return [patient(birth_date, gender), *coverage(), *prescriber(specialty)]


BREAST_DX = condition(
    "cond-breast", ICD10CM, "C50.911", "Malignant neoplasm of unspecified site of right female breast"
)
BONE_METS = condition("cond-bone-mets", ICD10CM, "C79.51", "Secondary malignant neoplasm of bone")
ER_POS = observation(
    "obs-er", (LOINC, "40556-3", "Estrogen receptor Ag [Presence] in Tissue by Immune stain"), POSITIVE
)
PR_POS = observation(
    "obs-pr", (LOINC, "40557-1", "Progesterone receptor Ag [Presence] in Tissue by Immune stain"), POSITIVE
)
HER2_NEG = observation(
    "obs-her2", (LOINC, "18474-7", "HER2 Ag [Presence] in Tissue by Immune stain"), NEGATIVE
)
HER2_POS = observation(
    "obs-her2", (LOINC, "48676-1", "HER2 [Interpretation] in Tissue"), {"valueString": "3+"}
)
LETROZOLE_PAST = med_statement(
    "ms-letrozole", "200064", "Letrozole 2.5 MG Oral Tablet", "stopped", "2024-01-10", "2026-09-30"
)
EXEMESTANE_DRAFT = med_request("mr-exemestane", RXNORM, "310261", "Exemestane 25 MG Oral Tablet")


def breast(
    name: str,
    order: Resource,
    *,
    extra: list[Resource] | None = None,
    replace: Mapping[str, Resource | None] | None = None,
    birth_date: str | None = "1968-04-12",
    specialty: str = "oncology",
) -> None:
    clinical = {
        r["id"]: r for r in [BREAST_DX, BONE_METS, ER_POS, PR_POS, HER2_NEG, LETROZOLE_PAST, EXEMESTANE_DRAFT]
    }
    for rid, resource in (replace or {}).items():
        if resource is None:
            clinical.pop(rid)
        else:
            clinical[rid] = resource
    bundle(name, [*base(birth_date, specialty), *clinical.values(), *(extra or []), order])


def build() -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    # --- real mCODE patient: only the order context is added ---
    real_order = everolimus_order("afinitor-10", tablets(1), patient_id=REAL_PATIENT)
    real_context = [*coverage(REAL_PATIENT), *prescriber("oncology")]
    exemestane = med_request(
        "mr-exemestane",
        RXNORM,
        "310261",
        "Exemestane 25 MG Oral Tablet",
        subject=ref("Patient", REAL_PATIENT),
    )
    bundle("real-breast-order-with-exemestane", [*real_context, exemestane, real_order])
    bundle("real-breast-order-alone", [*real_context, real_order])

    # --- I.A breast (synthetic) ---
    afinitor_10_qd = everolimus_order("afinitor-10", mg(10))
    breast("breast-disperz-20mg-approved", everolimus_order("disperz-5", tablets(2), 2))
    breast("breast-afinitor-3-tablets-needs-info", everolimus_order("afinitor-5", tablets(3)))
    breast("breast-30mg-needs-info", everolimus_order("afinitor-10", mg(30)))
    breast("breast-her2-positive-not-met", afinitor_10_qd, replace={"obs-her2": HER2_POS})
    breast(
        "breast-stage-2-not-met",
        afinitor_10_qd,
        replace={"cond-bone-mets": None},
        extra=[stage("obs-stage", "2A", "IIA")],
    )
    breast("breast-no-stage-needs-info", afinitor_10_qd, replace={"cond-bone-mets": None})
    breast(
        "breast-no-receptors-needs-info",
        afinitor_10_qd,
        replace={"obs-er": None, "obs-pr": None, "obs-her2": None},
    )
    breast("breast-brand-needs-info", everolimus_order("afinitor-10-brand", tablets(1)))
    breast("breast-no-endocrine-history-needs-info", afinitor_10_qd, replace={"ms-letrozole": None})
    breast("breast-zortress-not-met", everolimus_order("zortress-0.75", tablets(1), 2))
    breast("breast-age-17-not-met", afinitor_10_qd, birth_date="2009-06-01")
    breast("breast-general-practice-needs-info", afinitor_10_qd, specialty="general")
    breast("breast-no-birth-date-needs-info", afinitor_10_qd, birth_date=None)
    breast("breast-strengthless-product-needs-info", everolimus_order("tablet-no-strength", tablets(1)))
    net_comorbidity = condition("cond-net", ICD10CM, "C25.4", "Malignant neoplasm of endocrine pancreas")
    breast(
        "breast-reason-with-net-comorbidity-approved",
        everolimus_order("afinitor-10", mg(10), reason=[ref("Condition", "cond-breast")]),
        extra=[net_comorbidity],
    )
    breast(
        "breast-recurrence-bid-code-approved",
        everolimus_order("afinitor-5", mg(5), None, timing_code="BID"),
        replace={
            "cond-bone-mets": None,
            "cond-breast": condition(
                "cond-breast",
                ICD10CM,
                "C50.911",
                "Malignant neoplasm of unspecified site of right female breast",
                "recurrence",
            ),
        },
    )
    breast(
        "breast-unreadable-dose-needs-info",
        everolimus_order("afinitor-10", None, None, dispense={"quantity": {"value": 30, "unit": "mL"}}),
    )

    # no diagnosis at all; Synthea-style unitless dose (a count of tablets)
    bundle(
        "no-diagnosis-unitless-dose",
        [*base("1970-05-05", "oncology"), everolimus_order("afinitor-10", {"value": 1.0})],
    )

    # --- I.B NET ---
    def net(name: str, dx: Resource, extra: list[Resource], product: str = "afinitor-10") -> None:
        bundle(name, [*base("1960-02-02", "oncology", "male"), dx, *extra, everolimus_order(product, mg(10))])

    liver_mets = condition(
        "cond-liver-mets",
        ICD10CM,
        "C78.7",
        "Secondary malignant neoplasm of liver and intrahepatic bile duct",
    )
    net(
        "net-pancreatic-metastatic-approved",
        condition("cond-net", ICD10CM, "C25.4", "Malignant neoplasm of endocrine pancreas"),
        [liver_mets],
    )
    net(
        "net-lung-stage-3-approved",
        condition("cond-net", ICD10CM, "C7A.090", "Malignant carcinoid tumor of the bronchus and lung"),
        [stage("obs-stage", "3A", "IIIA")],
        "disperz-5",
    )
    net(
        "net-unspecified-origin-needs-info",
        condition("cond-net", ICD10CM, "C7A.00", "Malignant carcinoid tumor of unspecified site"),
        [liver_mets],
    )
    net(
        "net-lung-stage-1-needs-info",
        condition("cond-net", ICD10CM, "C7A.090", "Malignant carcinoid tumor of the bronchus and lung"),
        [stage("obs-stage", "1", "I")],
    )
    net(
        "net-kidney-origin-not-met",
        condition("cond-net", ICD10CM, "C7A.093", "Malignant carcinoid tumor of the kidney"),
        [liver_mets],
    )

    # --- I.C RCC ---
    rcc_dx = condition(
        "cond-rcc", ICD10CM, "C64.1", "Malignant neoplasm of right kidney, except renal pelvis"
    )
    sunitinib = med_statement(
        "ms-sunitinib", None, "sunitinib 50 MG Oral Capsule", "stopped", "2025-09-01", "2026-08-15"
    )

    def rcc(name: str, extra: list[Resource]) -> None:
        bundle(
            name,
            [
                *base("1955-07-19", "oncology", "male"),
                rcc_dx,
                *extra,
                everolimus_order("afinitor-10", tablets(1)),
            ],
        )

    rcc("rcc-stage-4-after-sunitinib-approved", [stage("obs-stage", "4", "IV"), sunitinib])
    rcc("rcc-no-prior-therapy-needs-info", [stage("obs-stage", "4", "IV")])
    rcc("rcc-stage-2-not-met", [stage("obs-stage", "2", "II"), sunitinib])
    rcc("rcc-unstaged-needs-info", [sunitinib])

    # --- I.D renal angiomyolipoma with TSC ---
    aml = condition("cond-aml", ICD10CM, "D30.01", "Benign neoplasm of right kidney")
    tsc = condition("cond-tsc", ICD10CM, "Q85.1", "Tuberous sclerosis")
    tsc_snomed = condition("cond-tsc", SNOMED, "7199000", "Tuberous sclerosis syndrome")

    def aml_case(name: str, extra: list[Resource]) -> None:
        bundle(name, [*base("1994-03-03", "oncology"), aml, *extra, everolimus_order("afinitor-10", mg(10))])

    aml_case("aml-tsc-approved", [tsc])
    aml_case("aml-without-tsc-needs-info", [])
    aml_case(
        "aml-tsc-nephrectomy-planned-not-met",
        [
            tsc,
            {
                "resourceType": "ServiceRequest",
                "id": "sr-nephrectomy",
                "status": "active",
                "intent": "order",
                "code": concept(CPT, "50240", "Nephrectomy, partial"),
                "subject": ref("Patient", PATIENT),
            },
        ],
    )

    # --- I.E SEGA ---
    sega = condition("cond-sega", ICD10CM, "D43.1", "Neoplasm of uncertain behavior of brain, infratentorial")

    def sega_case(
        name: str, birth_date: str, extra: list[Resource], specialty: str = "pediatric-oncology"
    ) -> None:
        bundle(name, [*base(birth_date, specialty), sega, *extra, everolimus_order("disperz-2", tablets(2))])

    sega_case("sega-tsc-child-approved", "2021-05-05", [tsc_snomed])
    sega_case("sega-without-tsc-needs-info", "2021-05-05", [])
    sega_case("sega-infant-not-met", "2026-03-01", [tsc_snomed])

    # --- I.F TSC seizures ---
    focal = condition(
        "cond-epilepsy",
        ICD10CM,
        "G40.209",
        "Localization-related symptomatic epilepsy with complex partial seizures, not intractable, without "
        "status epilepticus",
    )
    levetiracetam = med_request(
        "mr-levetiracetam",
        RXNORM,
        "311289",
        "levETIRAcetam 500 MG Oral Tablet",
        status="active",
        authored="2025-01-10",
    )
    disperz_medication = {
        "resourceType": "Medication",
        "id": "med-disperz-5",
        "code": concept(RXNORM, "1308432", "everolimus 5 MG Tablet for Oral Suspension"),
    }

    def seizures(name: str, birth_date: str, extra: list[Resource], order: Resource | None = None) -> None:
        bundle(
            name,
            [
                *base(birth_date, "neurology", "male"),
                focal,
                tsc,
                *extra,
                order or everolimus_order("disperz-5", tablets(1), medication_reference="med-disperz-5"),
            ],
        )

    seizures("tsc-seizures-approved", "2019-09-09", [levetiracetam, disperz_medication])
    seizures("tsc-seizures-age-1-not-met", "2025-08-01", [levetiracetam, disperz_medication])
    seizures("tsc-seizures-no-adjunct-needs-info", "2019-09-09", [disperz_medication])
    unspecified_epilepsy = condition(
        "cond-epilepsy",
        ICD10CM,
        "G40.909",
        "Epilepsy, unspecified, not intractable, without status epilepticus",
    )
    bundle(
        "tsc-epilepsy-unspecified-type-needs-info",
        [
            *base("2019-09-09", "neurology", "male"),
            unspecified_epilepsy,
            tsc,
            levetiracetam,
            disperz_medication,
            everolimus_order("disperz-5", tablets(1), medication_reference="med-disperz-5"),
        ],
    )
    bundle(
        "tsc-seizures-general-practice-needs-info",
        [
            *base("2019-09-09", "general", "male"),
            focal,
            tsc,
            levetiracetam,
            disperz_medication,
            everolimus_order("disperz-5", tablets(1), medication_reference="med-disperz-5"),
        ],
    )
    seizures(
        "tsc-seizures-afinitor-tablet-not-met",
        "2019-09-09",
        [levetiracetam],
        everolimus_order("afinitor-5", tablets(1)),
    )

    # --- I.G transplant ---
    def transplant(name: str, dx: Resource, specialty: str, extra: list[Resource]) -> None:
        order = everolimus_order(
            "zortress-0.75",
            tablets(1),
            2,
            dispense={
                "quantity": tablets(60),
                "expectedSupplyDuration": {
                    "value": 30,
                    "unit": "days",
                    "system": "http://unitsofmeasure.org",
                    "code": "d",
                },
                "numberOfRepeatsAllowed": 2,
            },
        )
        bundle(name, [*base("1972-12-12", specialty, "male"), dx, *extra, order])

    kidney = condition("cond-kidney-tx", ICD10CM, "Z94.0", "Kidney transplant status")
    liver = condition("cond-liver-tx", ICD10CM, "Z94.4", "Liver transplant status")
    tacrolimus_stopped = med_statement(
        "ms-tacrolimus", None, "tacrolimus 1 MG Oral Capsule", "stopped", "2025-11-01", "2026-10-20"
    )
    tacrolimus_active = med_request(
        "mr-tacrolimus", RXNORM, "42316", "tacrolimus", status="active", authored="2026-10-01"
    )
    basiliximab = {
        "resourceType": "MedicationAdministration",
        "id": "ma-basiliximab",
        "status": "completed",
        "medicationCodeableConcept": {"text": "basiliximab 20 MG Injection [Simulect]"},
        "subject": ref("Patient", PATIENT),
        "effectiveDateTime": "2025-11-01",
    }
    cyclosporine = med_request("mr-cyclosporine", RXNORM, "3008", "cycloSPORINE", status="draft")
    prednisone = med_request(
        "mr-prednisone",
        RXNORM,
        "312617",
        "predniSONE 5 MG Oral Tablet",
        status="active",
        authored="2025-11-02",
    )
    transplant(
        "kidney-transplant-approved",
        kidney,
        "nephrology",
        [tacrolimus_stopped, basiliximab, cyclosporine, prednisone],
    )
    transplant(
        "kidney-transplant-no-tacrolimus-failure-needs-info",
        kidney,
        "nephrology",
        [basiliximab, cyclosporine, prednisone],
    )
    transplant(
        "kidney-transplant-no-cyclosporine-needs-info",
        kidney,
        "nephrology",
        [tacrolimus_stopped, basiliximab, prednisone],
    )
    transplant("liver-transplant-approved", liver, "hepatology", [tacrolimus_active, prednisone])
    transplant(
        "heart-transplant-not-met",
        condition("cond-heart-tx", ICD10CM, "Z94.1", "Heart transplant status"),
        "general",
        [tacrolimus_active, prednisone],
    )

    # --- I.H NCCN ---
    def nccn(name: str, dx: Resource, extra: list[Resource]) -> None:
        bundle(name, [*base("1979-01-20", "oncology"), dx, *extra, everolimus_order("afinitor-10", mg(10))])

    nccn(
        "nccn-lam-single-agent-approved",
        condition("cond-lam", ICD10CM, "J84.81", "Lymphangioleiomyomatosis"),
        [],
    )
    nccn(
        "nccn-endometrial-letrozole-approved",
        condition("cond-endometrial", ICD10CM, "C54.1", "Malignant neoplasm of endometrium"),
        [med_request("mr-letrozole", RXNORM, "200064", "Letrozole 2.5 MG Oral Tablet")],
    )
    nccn(
        "nccn-meningioma-no-partner-needs-info",
        condition("cond-meningioma", ICD10CM, "D32.0", "Benign neoplasm of cerebral meninges"),
        [],
    )
    nccn(
        "nccn-hodgkin-with-chemotherapy-not-met",
        condition("cond-hl", ICD10CM, "C81.10", "Nodular sclerosis Hodgkin lymphoma, unspecified site"),
        [
            med_request(
                "mr-cisplatin",
                RXNORM,
                "1736854",
                "Cisplatin 50 MG Injection",
                status="active",
                authored="2026-11-01",
            )
        ],
    )
    nccn(
        "nsclc-off-label-not-met",
        condition(
            "cond-nsclc", ICD10CM, "C34.11", "Malignant neoplasm of upper lobe, right bronchus or lung"
        ),
        [],
    )

    # --- II.A continued therapy (breast, no partner order so I.A stays open) ---
    prior_everolimus = med_request(
        "mr-everolimus-prior",
        RXNORM,
        "845507",
        "everolimus 10 MG Oral Tablet",
        status="active",
        authored="2026-06-01",
        dosageInstruction=[
            {
                "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
                "doseAndRate": [{"doseQuantity": mg(10)}],
            }
        ],
    )
    improved = observation(
        "obs-status",
        (LOINC, "97509-4", "Cancer Disease Progression"),
        {"valueCodeableConcept": concept(SNOMED, "268910001", "Patient's condition improved")},
        "2026-11-01",
    )
    worsened = observation(
        "obs-status",
        (LOINC, "97509-4", "Cancer Disease Progression"),
        {"valueCodeableConcept": concept(SNOMED, "271299001", "Patient's condition worsened")},
        "2026-11-01",
    )
    recent_everolimus = dict(prior_everolimus, authoredOn="2026-11-10")
    no_partner = {"mr-exemestane": None}
    breast(
        "continued-responding-approved",
        afinitor_10_qd,
        replace=no_partner,
        extra=[prior_everolimus, improved],
    )
    breast(
        "continued-dose-increase-over-limit-needs-info",
        everolimus_order("afinitor-10", mg(30)),
        replace=no_partner,
        extra=[prior_everolimus, improved],
    )
    breast(
        "continued-progressing-not-met",
        afinitor_10_qd,
        replace={"mr-exemestane": None, "obs-her2": HER2_POS},
        extra=[prior_everolimus, worsened],
    )
    breast(
        "continued-no-response-assessment-needs-info",
        everolimus_order("afinitor-10", mg(30)),
        replace=no_partner,
        extra=[prior_everolimus],
    )
    undated_everolimus = med_statement(
        "ms-everolimus", "845507", "everolimus 10 MG Oral Tablet", "active", "2026-01-01"
    )
    del undated_everolimus["effectivePeriod"]
    breast(
        "continued-undated-history-needs-info",
        afinitor_10_qd,
        replace=no_partner,
        extra=[undated_everolimus, improved],
    )
    breast(
        "continued-under-30-days-needs-info",
        afinitor_10_qd,
        replace=no_partner,
        extra=[recent_everolimus, improved],
    )


if __name__ == "__main__":
    build()
