"""Cases built on real public records from ../shared/fhir-examples.

The example files are copied unchanged into a policy's tests/data; the functions here write the small
generated part that is merged with them: the draft sotorasib order and the coverage, pointed at the example's
own patient.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sotorasib_fixtures as fx
from sotorasib_cases_model import CARBOPLATIN_DONE, KRAS_G12C_TEXT, sotorasib_order

SHARED_EXAMPLES = Path(__file__).resolve().parents[4] / "shared" / "fhir-examples"

GENOMICS_BUNDLE = "genomics-reporting-stu1_Bundle-oncology-report-example.json"
SYNTHEA_NSCLC = "synthea-bulk10_nsclc-patient_Patient-Condition-MedicationRequest-Practitioner.ndjson"
MCODE_PRIMARY = "mcode-stu1_Condition-mCODEPrimaryCancerConditionExample01.json"
MCODE_STAGE = "mcode-stu1_Observation-mCODETNMClinicalStageGroupExample01.json"
MCODE_SECONDARY = "mcode-stu1_Condition-mCODESecondaryCancerConditionExample01.json"
SYNTHEA_PATIENT = "129c6ac7-8d06-89de-ad63-0204a93e76c3"
MCODE_PATIENT = "mCODEPatientExample01"


def _about(resource: fx.Resource, patient: dict[str, Any]) -> fx.Resource:
    """A deep copy (shared fixtures must stay about pat-1) whose subject/beneficiary is `patient`."""
    copy: fx.Resource = json.loads(json.dumps(resource))
    for key in ("subject", "beneficiary"):
        if key in copy:
            copy[key] = patient
    return copy


def synthea_order_record(payer: str) -> list[fx.Resource]:
    """The Synthea patient's chemotherapy prescriber (a general practitioner, by NPI) drafts the order."""
    sopt = ("5", "PRIVATE HEALTH INSURANCE") if payer == "centene" else ("6", "BLUE CROSS/BLUE SHIELD")
    return [
        fx.coverage(payer, sopt, SYNTHEA_PATIENT),
        sotorasib_order(
            requester="Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|9999974592",
            subject=fx.subject(SYNTHEA_PATIENT),
        ),
    ]


def mcode_order_record() -> list[fx.Resource]:
    """The mCODE examples belong to Patient/mCODEPatientExample01; this adds that patient's order context."""
    resources = [
        fx.patient("1955-02-02", MCODE_PATIENT),
        fx.coverage("centene", ("5", "PRIVATE HEALTH INSURANCE"), MCODE_PATIENT),
        *fx.practitioner_role("role-onc", fx.ONCOLOGIST),
        KRAS_G12C_TEXT,
        CARBOPLATIN_DONE,
        sotorasib_order(),
    ]
    return [_about(r, fx.subject(MCODE_PATIENT)) for r in resources]


def _genomics_bundle_patient() -> dict[str, Any]:
    """A logical reference to the genomics example's Patient (it has no id, only its lab's patient identifier)."""
    bundle = json.loads((SHARED_EXAMPLES / GENOMICS_BUNDLE).read_text(encoding="utf-8"))
    patients = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"]
    assert len(patients) == 1, f"{GENOMICS_BUNDLE}: expected one Patient"
    return {"identifier": patients[0]["identifier"][0]}


def genomics_order_record(resources: list[fx.Resource]) -> list[fx.Resource]:
    """The genomics example brings its own Patient, and a patient record has one: the generated part adds no
    Patient and names the example's Patient as subject/beneficiary. That Patient has no birth date, so age is
    unknown in these cases."""
    patient = _genomics_bundle_patient()
    return [_about(r, patient) for r in resources if r["resourceType"] != "Patient"]
