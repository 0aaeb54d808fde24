"""`python -m cds_service policy test [PATH] [-k NAME]`: the policies' own cases as a table, exit 1 on a failure."""

from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner

from cds_service.__main__ import cli

REPO = Path(__file__).resolve().parents[3]
EVEROLIMUS = REPO / "policies" / "centene" / "CP.PHAR.63"
CASE = "tsc-seizures-age-1-not-met"


def test_a_policy_folder_cases_pass_in_a_table() -> None:
    result = CliRunner().invoke(cli, ["policy", "test", str(EVEROLIMUS), "-k", CASE])
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if CASE in line)
    assert "PASS" in row and "not-met (I.F)" in row
    assert "1 passed, 0 failed" in result.output


def test_a_case_the_policy_does_not_meet_fails_naming_the_mismatch(tmp_path: Path) -> None:
    # A copy of the tree (the policy includes policies/_shared) with one expectation changed.
    shutil.copytree(REPO / "policies", tmp_path / "policies")
    cases = tmp_path / "policies" / "centene" / "CP.PHAR.63" / "tests" / "cases.yaml"
    text = cases.read_text()
    marker = f"  - note: {CASE}\n"
    start = text.index(marker)
    changed = text[start:].replace("decision: not-met", "decision: approved", 1)
    cases.write_text(text[:start] + changed)
    result = CliRunner().invoke(cli, ["policy", "test", str(cases.parents[1]), "-k", CASE, "-v"])
    assert result.exit_code == 1, result.output
    assert "FAIL" in next(line for line in result.output.splitlines() if CASE in line)
    assert "MISMATCH decision: expected approved, got not-met" in result.output
    assert "0 passed, 1 failed" in result.output


def test_nothing_matched_is_a_failure_not_a_pass() -> None:
    result = CliRunner().invoke(cli, ["policy", "test", str(EVEROLIMUS), "-k", "no-such-case"])
    assert result.exit_code == 1 and "no case matched" in result.output
