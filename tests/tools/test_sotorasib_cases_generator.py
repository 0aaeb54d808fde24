"""The sotorasib cases.yaml and tests/data files are what the generator writes (build_sotorasib_cases.py --check)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
GENERATOR = REPO / "tools" / "cases" / "sotorasib" / "build_sotorasib_cases.py"
POLICY_TESTS = [Path("policies/centene/CP.PHAR.549/tests"), Path("policies/fep-blue/5.21.177/tests")]


def _generator(*options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(GENERATOR), *options],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _copy_of_output(root: Path) -> None:
    for tests in POLICY_TESTS:
        shutil.copytree(REPO / tests, root / tests)


def test_the_generated_cases_are_current() -> None:
    result = _generator("--check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_passes_on_an_exact_copy(tmp_path: Path) -> None:
    _copy_of_output(tmp_path)
    result = _generator("--check", "--output-root", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_names_each_stale_missing_and_extra_file(tmp_path: Path) -> None:
    _copy_of_output(tmp_path)
    centene_data = tmp_path / POLICY_TESTS[0] / "data"
    fep_tests = tmp_path / POLICY_TESTS[1]
    stale = centene_data / "nsclc-age-17.json"
    content = bytearray(stale.read_bytes())
    content[-2] ^= 1  # one byte
    stale.write_bytes(bytes(content))
    (fep_tests / "cases.yaml").unlink()
    (centene_data / "left-over-case.json").write_text("{}\n")
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}

    result = _generator("--check", "--output-root", str(tmp_path))

    assert result.returncode == 1
    reported = result.stderr.splitlines()
    assert reported[:-1] == [
        "extra: policies/centene/CP.PHAR.549/tests/data/left-over-case.json",
        "stale: policies/centene/CP.PHAR.549/tests/data/nsclc-age-17.json",
        "missing: policies/fep-blue/5.21.177/tests/cases.yaml",
    ]
    assert reported[-1].startswith("3 file(s) differ")
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before, "--check wrote files"


def test_a_run_leaves_what_check_expects(tmp_path: Path) -> None:
    _copy_of_output(tmp_path)
    left_over = tmp_path / POLICY_TESTS[1] / "data" / "renamed-case.json"
    left_over.write_text("{}\n")
    (tmp_path / POLICY_TESTS[0] / "cases.yaml").write_text("cases: []\n")

    run = _generator("--output-root", str(tmp_path))

    assert run.returncode == 0, run.stdout + run.stderr
    assert not left_over.exists()
    result = _generator("--check", "--output-root", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
