"""A population replayed through the CLI with --compare-policies against a policy set without FEP Blue's policy
(its members' orders flip to no-policy): results, comparison and report in one folder."""

from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner

from cds_service.__main__ import cli
from tests.support.population import REPO, make_population


def replay_population(tmp_path: Path, *extra: str, patients: int = 150) -> tuple[Path, str]:
    export = make_population(tmp_path / "export", compress=True, patients=patients)
    withdrawn = tmp_path / "policies-without-fep"
    shutil.copytree(REPO / "policies", withdrawn)
    shutil.rmtree(withdrawn / "fep-blue")
    out = tmp_path / "out"
    args = ["replay", "--population", str(export), "--policies", str(REPO / "policies"), "--date", "2026-11-23"]
    args += ["--compare-policies", str(withdrawn), "--out", str(out), *extra]
    result = CliRunner().invoke(cli, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return out, result.output
