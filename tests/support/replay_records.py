"""The files the replay tests feed the CLI: sample hook requests and public example records, as the policies'
test data keep them (copied unchanged from ../shared/fhir-examples)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "sample_bundles"
SYNTHEA_NDJSON = (
    REPO
    / "policies/centene/CP.PHAR.549/tests/data"
    / "synthea-bulk10_nsclc-patient_Patient-Condition-MedicationRequest-Practitioner.ndjson"
)
MCODE_BUNDLE = REPO / "policies/centene/CP.PHAR.63/tests/data/mcode-ctm-app_Bundle-TrialMatching_Patient02-breast.json"
