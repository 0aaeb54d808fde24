"""`python -m cds_service replay`: each input kind end to end, --json, directories, --compare-policies."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cds_service.__main__ import cli
from tests.support.replay_records import REPO, SAMPLES, SYNTHEA_NDJSON

AGE_1 = SAMPLES / "centene-everolimus-tsc-seizures-age-1-not-met.json"
COMMON = ["--policies", str(REPO / "policies"), "--date", "2026-11-23"]


def replay(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["replay", *args, *COMMON], env={"COLUMNS": "160"})
    return result.exit_code, result.stdout, result.stderr


def replay_json(*args: str) -> dict[str, Any]:
    code, out, err = replay(*args, "--json")
    assert code == 0, err + out
    document: dict[str, Any] = json.loads(out)
    return document


def test_a_hook_request_prints_the_decision_and_the_criteria_table() -> None:
    code, out, _ = replay(str(AGE_1))
    assert code == 0, out
    assert "MedicationRequest/mr-everolimus  not-met  covered=not-covered" in out
    assert "card: everolimus: not covered; not met: Age 2 years or older" in out
    criterion_row = next(line for line in out.splitlines() if "I.F.4" in line)
    assert "not met" in criterion_row and "Age 2 years or older" in criterion_row
    product_row = next(line for line in out.splitlines() if "I.F.1" in line)
    assert "met" in product_row and "Medication/med-disperz-5" in product_row  # the evidence column
    assert "1 input(s), 1 order(s), 0 error(s)" in out


def test_a_patient_record_with_a_named_order() -> None:
    record = SAMPLES / "records" / AGE_1.name
    document = replay_json(
        str(record), "--order", "rxnorm:1308432", "--dose", "5mg/d", "--payer", "centene", "--lob", "medicaid"
    )
    [result] = document["results"]
    assert result["kind"] == "patient-record" and result["line_of_business"] == "medicaid"
    [order] = result["orders"]
    assert order["order"] == "MedicationRequest/replay-order"
    assert (order["decision"], order["covered"], order["policy_id"]) == (
        "not-met",
        "not-covered",
        "centene-cp-phar-63",
    )
    statuses = {c["id"]: c["status"] for c in order["criteria"]}
    assert statuses["I.F.4"] == "not-met" and statuses["I.F.2"] == "met"


@pytest.mark.parametrize("bundle_type", ["collection", "transaction", "searchset"])
def test_a_patient_bundle_of_each_type_gets_the_decision_of_its_hook_request(tmp_path: Path, bundle_type: str) -> None:
    record = json.loads((SAMPLES / "records" / "centene-sotorasib-nsclc-approved.json").read_text())
    record["type"] = bundle_type
    for entry in record["entry"]:
        if bundle_type == "transaction":
            entry["request"] = {"method": "POST", "url": entry["resource"]["resourceType"]}
        if bundle_type == "searchset":
            entry["search"] = {"mode": "match"}
    path = tmp_path / f"{bundle_type}.json"
    path.write_text(json.dumps(record))
    order = ["--order", "rxnorm:2628240", "--payer", "centene", "--lob", "medicaid"]

    [result] = replay_json(str(path), *order, "--dose", "960mg/d")["results"]
    [decided] = result["orders"]
    assert (decided["decision"], decided["pa_needed"], decided["expiry"]) == ("approved", "satisfied", "2027-05-23")
    assert decided["summary"] == "Lumakras: prior authorization approved through 2027-05-23"

    # above the 960 mg/day limit the dose criterion needs the prescriber's evidence
    [result] = replay_json(str(path), *order, "--dose", "1200mg/d")["results"]
    [decided] = result["orders"]
    assert decided["decision"] == "needs-info"
    assert {c["id"]: c["status"] for c in decided["criteria"]}["I.A.8"] == "unknown"


def test_a_directory_of_requests_gets_what_the_server_gives(tmp_path: Path) -> None:
    index = json.loads((SAMPLES / "index.json").read_text())["samples"]
    (tmp_path / "nested").mkdir()
    for entry in index:
        shutil.copy(SAMPLES / f"{entry['name']}.json", tmp_path / "nested" / f"{entry['name']}.json")
    code, out, err = replay(str(tmp_path), "--json")
    assert code == 0, err
    assert "replaying" in err  # the progress bar goes to stderr, the JSON to stdout
    document = json.loads(out)
    decisions = {Path(r["label"]).stem: {o["order"]: o["decision"] for o in r["orders"]} for r in document["results"]}
    for entry in index:
        assert decisions[entry["name"]][entry["order"]] == entry["decision"], entry["name"]
    assert document["summary"]["inputs"] == len(index) and document["summary"]["errors"] == 0
    counted = sum(row["count"] for row in document["summary"]["decisions_by_policy"])
    assert counted == document["summary"]["orders"]


def test_a_bulk_ndjson_export_with_a_named_order() -> None:
    path = SYNTHEA_NDJSON
    document = replay_json(
        str(path), "--order", "rxnorm:2628240", "--dose", "960mg/d", "--payer", "centene", "--lob", "medicaid"
    )
    [result] = document["results"]
    assert result["label"].startswith("Patient/129c6ac7-8d06-89de-ad63-0204a93e76c3")
    [order] = result["orders"]
    assert (order["decision"], order["covered"], order["policy_id"]) == (
        "not-met",
        "not-covered",
        "centene-cp-phar-549",
    )
    statuses = {c["id"]: c["status"] for c in order["criteria"]}
    # Synthea's NSCLC is TNM stage 1: not advanced; the platinum chemotherapy history counts as prior therapy
    assert statuses["I.A.1"] == "not-met"
    assert statuses["I.A.5"] == "met"


def test_compare_policies_lists_the_decisions_a_changed_limit_flips(tmp_path: Path) -> None:
    changed = tmp_path / "policies"
    shutil.copytree(REPO / "policies", changed)
    library = changed / "centene" / "CP.PHAR.63" / "CenteneEverolimus.cql"
    text = library.read_text()
    assert 'define "Age 2 Or Older":\n  "Age In Years" >= 2' in text
    library.write_text(
        text.replace(
            'define "Age 2 Or Older":\n  "Age In Years" >= 2',
            'define "Age 2 Or Older":\n  "Age In Years" >= 1',
        )
    )
    unchanged = SAMPLES / "centene-everolimus-tsc-seizures-approved.json"

    document = replay_json(str(AGE_1), str(unchanged), "--compare-policies", str(changed))
    assert document["changes"] == [
        {
            "input": str(AGE_1),
            "order": "MedicationRequest/mr-everolimus",
            "before": "not-met",
            "after": "approved",
            "policy_before": "centene-cp-phar-63",
            "policy_after": "centene-cp-phar-63",
        }
    ]
    code, out, _ = replay(str(AGE_1), "--compare-policies", str(changed))
    assert code == 0
    assert "decisions that change under" in out
    assert "not-met" in out.split("decisions that change under")[1]


def test_usage_errors_and_failed_inputs(tmp_path: Path) -> None:
    code, _, err = replay(str(AGE_1), "--dose", "960mg/d")
    assert code == 2 and "give --order too" in err.replace("\n", " ")
    request = json.loads(AGE_1.read_text())
    request["prefetch"]["coverage"]["entry"] = []  # no active Coverage: the server answers 400
    bad = tmp_path / "no-coverage.json"
    bad.write_text(json.dumps(request))
    code, out, _ = replay(str(bad))
    assert code == 1
    assert "error: HTTP 400" in out
