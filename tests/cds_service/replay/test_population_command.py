"""`replay --population ... --compare-policies`: results as Parquet and CSV, flips marked, report and summary."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow.parquet as pq

from tests.support.population_report import replay_population


def test_results_comparison_and_report_of_a_population(tmp_path: Path) -> None:
    out, printed = replay_population(tmp_path, "--sequential")
    assert "150 patients" in printed and "patients/s" in printed and "0 patient(s) with errors" in printed
    results = pq.read_table(out / "results.parquet").to_pylist()
    assert results and all(r["policy_id"] and r["policy_version"] and r["path"] for r in results)
    assert {r["decision"] for r in results} >= {"approved", "not-met", "needs-info"}
    decided = results[0]
    assert decided["criteria"] and {"id", "status", "evidence"} == set(decided["criteria"][0])
    with (out / "results.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [r["patient_id"] for r in rows] == [r["patient_id"] for r in results]
    assert json.loads(rows[0]["criteria"]) == decided["criteria"]  # the nested list as JSON text

    comparison = pq.read_table(out / "comparison.parquet").to_pylist()
    flipped = [r for r in comparison if r["flipped"]]
    fep = [r for r in comparison if r["policy_id_before"] == "fep-blue-5-21-177"]
    assert fep and flipped == fep  # only FEP Blue's policy was withdrawn
    assert all(r["decision_after"] == "no-policy" and r["decision_before"] != "no-policy" for r in flipped)
    assert all(r["decision_before"] == r["decision_after"] for r in comparison if not r["flipped"])

    page = (out / "report.html").read_text()
    assert "Decisions that flip" in page and fep[0]["patient_id"] in page
    assert "<script src" not in page and "https://cdn" not in page  # everything inline: opens offline
