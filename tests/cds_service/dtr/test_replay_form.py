"""`python -m cds_service replay` with a DTR QuestionnaireResponse and its record: the decision, no PA number."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from cds_service.__main__ import cli
from cds_service.dtr import fhir
from tests.support import dtr_flow as flow
from tests.support.app_client import TestClient

NEEDS_INFO = "centene-sotorasib-nsclc-no-kras-result-needs-info"  # only I.A.4 (KRAS G12C) is unknown
G12D_ON_RECORD = "centene-sotorasib-kras-g12d-not-met"  # the same patient and order, KRAS G12D on file
COMMON = ["--policies", str(flow.REPO / "policies"), "--date", "2026-11-23"]


def _completed_form(client: TestClient) -> dict[str, Any]:
    """The adaptive form as the EHR holds it at the end: I.A.4 answered yes by a clinician, PA number issued."""
    context = flow.sign(client, NEEDS_INFO)["coverage-assertion-id"]
    adaptive = flow.parts(flow.package(client, NEEDS_INFO, context).json(), "packagebundle")[1]["entry"][1]["resource"]
    first = flow.next_question(client, NEEDS_INFO, adaptive)
    met = flow.next_question(client, NEEDS_INFO, flow.answer(first, "I.A.4", True))
    done = flow.next_question(client, NEEDS_INFO, flow.answer(met, fhir.ISSUE_PA_LINK_ID, True))
    assert done["status"] == "completed" and flow.coverage_information(done)["satisfied-pa-id"].startswith("PA-")
    return done


def _files(tmp_path: Path, response: dict[str, Any], record_of: str) -> list[str]:
    """The response and the record Bundle (the patient's data and the order the form is about) as two files."""
    record = flow.record(record_of)
    record["entry"].append({"resource": flow.order_of(NEEDS_INFO)})
    (tmp_path / "response.json").write_text(json.dumps(response))
    (tmp_path / "record.json").write_text(json.dumps(record))
    return [str(tmp_path / "response.json"), str(tmp_path / "record.json")]


def _replay(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["replay", *args, *COMMON], env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def test_an_answered_form_with_its_record_shows_the_approval_without_a_pa_number(
    policy_client: TestClient, tmp_path: Path
) -> None:
    response = _completed_form(policy_client)
    code, out, err = _replay(*_files(tmp_path, response, NEEDS_INFO))
    assert code == 0, err + out
    assert f"QuestionnaireResponse/{response['id']}" in out and "Patient/pat-1" in out
    assert "MedicationRequest/mr-sotorasib  approved  covered=covered pa-needed=auth-needed" in out
    assert "answers decided I.A.4" in out and "replay issues no PA number" in out
    assert "PA-" not in out
    code, out, err = _replay(*_files(tmp_path, response, NEEDS_INFO), "--json")
    assert code == 0, err
    [result] = json.loads(out)["results"]
    assert result["kind"] == "answered-form"
    [order] = result["orders"]
    assert (order["decision"], order["pa_needed"], order["policy_id"]) == (
        "approved",
        "auth-needed",
        "centene-cp-phar-549",
    )
    kras = next(c for c in order["criteria"] if c["id"] == "I.A.4")
    assert kras["status"] == "met" and kras["evidence"] == [f"QuestionnaireResponse/{response['id']}"]


def test_an_answer_the_record_contradicts_shows_the_record_decision_and_needs_review(
    policy_client: TestClient, tmp_path: Path
) -> None:
    response = _completed_form(policy_client)
    code, out, err = _replay(*_files(tmp_path, response, G12D_ON_RECORD), "--json")
    assert code == 0, err
    [result] = json.loads(out)["results"]
    [order] = result["orders"]
    assert order["decision"] == "not-met"
    assert next(c for c in order["criteria"] if c["id"] == "I.A.4")["status"] == "not-met"
    assert "needs review: I.A.4 is not-met on the record but was answered met" in result["notes"]


def test_a_form_without_its_record_is_named_and_skipped(policy_client: TestClient, tmp_path: Path) -> None:
    response = _completed_form(policy_client)
    (tmp_path / "response.json").write_text(json.dumps(response))
    code, out, err = _replay(str(tmp_path / "response.json"))
    assert code == 2
    assert "no record of Patient/pat-1 among the inputs for this QuestionnaireResponse" in err
