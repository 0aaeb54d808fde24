"""Realistic queries over the public FHIR examples in /work/shared/fhir-examples (read-only test data)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from cql_like import DateTime, Library, LocalTerminology, PatientRecord, load_library

EXAMPLES = Path("/work/shared/fhir-examples")
LIBRARY = Path(__file__).parent / "libraries" / "RealData.cql"
NOW = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)

pytestmark = pytest.mark.skipif(not EXAMPLES.is_dir(), reason="shared FHIR examples not present")


@pytest.fixture(scope="module")
def library() -> Library:
    return load_library(LIBRARY, terminology=LocalTerminology())


def _bundle(name: str) -> PatientRecord:
    return PatientRecord.from_bundle(json.loads((EXAMPLES / name).read_text(encoding="utf-8")))


def test_genomics_bundle_has_nras_g12c_but_no_kras(library: Library) -> None:
    results = library.evaluate(_bundle("genomics-reporting-stu1_Bundle-oncology-report-example.json"), now=NOW)
    assert results.values["Has NRAS G12C"] is True
    assert results.values["Has KRAS G12C"] is False
    assert results.evidence["Has KRAS G12C"] == ()
    (nras,) = results.evidence["Has NRAS G12C"]
    assert nras.startswith("Observation/")
    assert "NRAS" in results.values["Genes"] and "KRAS" not in results.values["Genes"]
    assert results.values["Genes"] == sorted(results.values["Genes"])


def test_mcode_variant_without_gene_display_is_not_a_g12c(library: Library) -> None:
    resource = json.loads((EXAMPLES / "mcode-stu1_Observation-mCODECancerGeneticVariantExample01.json").read_text())
    results = library.evaluate(PatientRecord.from_resources([resource]), now=NOW)
    assert len(results.values["Variants"]) == 1
    assert results.values["Has NRAS G12C"] is False
    assert results.values["Has KRAS G12C"] is False


def test_mcode_primary_cancer_condition_is_nsclc(library: Library) -> None:
    resource = json.loads((EXAMPLES / "mcode-stu1_Condition-mCODEPrimaryCancerConditionExample01.json").read_text())
    results = library.evaluate(PatientRecord.from_resources([resource]), now=NOW)
    assert results.values["Has NSCLC"] is True
    assert results.evidence["Has NSCLC"] == ("Condition/mCODEPrimaryCancerConditionExample01",)


def test_synthea_patient_history(library: Library) -> None:
    lines = (
        EXAMPLES / "synthea-bulk10_nsclc-patient_Patient-Condition-MedicationRequest-Practitioner.ndjson"
    ).read_text()
    record = PatientRecord.from_resources(json.loads(line) for line in lines.splitlines() if line.strip())
    results = library.evaluate(record, now=NOW)
    assert results.values["Has NSCLC"] is True
    assert results.values["Stage 1 Only"] is True
    assert results.values["Cisplatin Orders"] == 221
    assert results.values["Cisplatin Stopped"] == 221
    assert results.values["Cisplatin For NSCLC"] is False  # reasonReference points at the stage-1 Condition
    assert isinstance(results.values["First NSCLC Onset"], DateTime)
    assert results.values["Age At Death"] == 61  # born 1927-05-21, died 1989-05-09
    assert results.values["Age Now"] == 99
