"""`python -m cql_like check` and `eval` as a policy author runs them."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cql_like.cli import app

RUNNER = CliRunner()
POLICY_CQL = """library Demo version '1.0.0'
using FHIR version '4.0.1'
include FHIRHelpers version '4.0.1' called FHIRHelpers
include Common version '1.0.0' called Common
codesystem "LOINC": 'http://loinc.org'
valueset "KRAS tests": 'https://example.org/fhir/ValueSet/kras-tests' version '1'
parameter "OrderId" String
context Patient
define "Adult": Common."Adult"
define "KRAS Tested": exists [Observation: "KRAS tests"]
define "Order": singleton from ([MedicationRequest] M where M.id = OrderId)
define "Dose": 960 'mg'
define "Since": Interval[@2024-01-01, null]
"""
COMMON_CQL = """library Common version '1.0.0'
using FHIR version '4.0.1'
context Patient
define "Adult": AgeInYears() >= 18
"""
POLICY_YAML = """id: demo
library: Demo
paths:
  - id: I.A
    criteria:
      - {id: I.A.1, define: Adult}
      - {id: I.A.2, define: KRAS Tested}
display_values:
  Dose: Dose
"""


def _policy_tree(root: Path) -> Path:
    shared = root / "_shared"
    (shared / "valuesets").mkdir(parents=True)
    (shared / "Common.cql").write_text(COMMON_CQL, encoding="utf-8")
    vs = Path(__file__).parent / "conformance" / "valuesets" / "kras-tests.json"
    (shared / "valuesets" / "kras-tests.json").write_text(vs.read_text(encoding="utf-8"), encoding="utf-8")
    folder = root / "payer" / "demo"
    folder.mkdir(parents=True)
    (folder / "Demo.cql").write_text(POLICY_CQL, encoding="utf-8")
    (folder / "policy.yaml").write_text(POLICY_YAML, encoding="utf-8")
    return folder


def test_check_passes_on_a_clean_policy_tree(tmp_path: Path) -> None:
    _policy_tree(tmp_path)
    result = RUNNER.invoke(app, ["check", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "ok: 2 libraries checked" in result.output


def test_check_succeeds_when_there_is_nothing_to_check(tmp_path: Path) -> None:
    result = RUNNER.invoke(app, ["check", str(tmp_path / "absent"), str(tmp_path)])
    assert result.exit_code == 0
    assert "ok: 0 libraries checked" in result.output


def test_check_reports_policy_yaml_defines_that_do_not_exist(tmp_path: Path) -> None:
    folder = _policy_tree(tmp_path)
    (folder / "policy.yaml").write_text(POLICY_YAML.replace("define: Adult", "define: Adults"), encoding="utf-8")
    result = RUNNER.invoke(app, ["check", str(tmp_path)])
    assert result.exit_code == 1
    assert "unknown-define: criterion I.A.1 names define 'Adults', which Demo does not have" in result.output


def test_check_reports_cql_errors_with_location(tmp_path: Path) -> None:
    folder = _policy_tree(tmp_path)
    (folder / "Demo.cql").write_text(POLICY_CQL.replace('Common."Adult"', 'Common."Adults"'), encoding="utf-8")
    result = RUNNER.invoke(app, ["check", str(folder / "Demo.cql")])
    assert result.exit_code == 1
    assert "Demo.cql:9:24: unknown-identifier: library Common has no public definition 'Adults'" in result.output


def test_eval_json_output(tmp_path: Path) -> None:
    folder = _policy_tree(tmp_path)
    bundle = {"resourceType": "Bundle", "entry": [
        {"resource": {"resourceType": "Patient", "id": "p", "birthDate": "2000-01-01"}},
        {"resource": {"resourceType": "MedicationRequest", "id": "mr-1", "status": "draft"}},
    ]}  # fmt: skip
    data = tmp_path / "bundle.json"
    data.write_text(json.dumps(bundle), encoding="utf-8")
    result = RUNNER.invoke(app, ["eval", str(folder / "Demo.cql"), "--data", str(data), "--now", "2026-11-23",
                                 "--param", "OrderId=mr-1", "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["defines"]["Adult"] is True
    assert out["defines"]["KRAS Tested"] is False
    assert out["defines"]["Dose"] == {"value": 960, "unit": "mg"}
    assert out["defines"]["Since"] == {"low": "2024-01-01", "high": None, "lowClosed": True, "highClosed": True}
    assert out["defines"]["Order"]["id"] == "mr-1"
    assert out["evidence"]["Order"] == ["MedicationRequest/mr-1"]
    assert out["evidence"]["KRAS Tested"] == []


def test_eval_single_define_as_text(tmp_path: Path) -> None:
    folder = _policy_tree(tmp_path)
    data = tmp_path / "bundle.json"
    data.write_text(json.dumps([{"resourceType": "Patient", "id": "p", "birthDate": "2015-01-01"}]), encoding="utf-8")
    result = RUNNER.invoke(app, ["eval", str(folder / "Demo.cql"), "--data", str(data), "--define", "Adult",
                                 "--now", "2026-11-23"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Adult: false"
