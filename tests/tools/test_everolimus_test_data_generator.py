"""CP.PHAR.63 test bundles stay what their generator (tools/everolimus/build_test_data.py) writes.

The generator runs as a script, as its README says, so these tests run it in a subprocess; every test that could
write points it at a copy under tmp_path, never at the repository's tests/data.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
POLICY = REPO / "policies" / "centene" / "CP.PHAR.63"
GENERATOR = REPO / "tools" / "everolimus" / "build_test_data.py"
DATA = POLICY / "tests" / "data"
# Copied by hand from the public mCODE examples; the generator neither writes nor checks it.
HAND_COPIED = "mcode-ctm-app_Bundle-TrialMatching_Patient02-breast.json"


def run_generator(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(GENERATOR.relative_to(cwd)), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def generated_files() -> list[Path]:
    return sorted(path for path in DATA.glob("*.json") if path.name != HAND_COPIED)


def test_committed_bundles_are_current() -> None:
    result = run_generator("--check")
    assert result.returncode == 0, result.stderr


def test_check_runs_from_the_generator_folder_too() -> None:
    result = run_generator("--check", cwd=GENERATOR.parent)
    assert result.returncode == 0, result.stderr


def test_check_names_stale_and_missing_files_and_writes_nothing(tmp_path: Path) -> None:
    copy = tmp_path / DATA.relative_to(REPO)
    shutil.copytree(DATA, copy)
    altered, removed = generated_files()[:2]
    (copy / altered.name).write_bytes(altered.read_bytes() + b"\n")
    (copy / removed.name).unlink()
    before = {path.name: path.read_bytes() for path in copy.iterdir()}

    result = run_generator("--check", "--output-root", str(tmp_path))

    assert result.returncode == 1
    assert f"stale: {altered.relative_to(REPO)}" in result.stderr
    assert f"missing: {removed.relative_to(REPO)}" in result.stderr
    assert result.stderr.count("stale: ") + result.stderr.count("missing: ") == 2
    assert {path.name: path.read_bytes() for path in copy.iterdir()} == before


def test_writing_reproduces_the_committed_bundles(tmp_path: Path) -> None:
    out = tmp_path / DATA.relative_to(REPO)

    result = run_generator("--output-root", str(tmp_path))

    assert result.returncode == 0, result.stderr
    written = sorted(path.name for path in out.iterdir())
    assert written == [path.name for path in generated_files()]
    for name in written:
        assert (out / name).read_bytes() == (DATA / name).read_bytes(), name
