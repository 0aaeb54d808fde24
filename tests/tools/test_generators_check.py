"""Each generator's --check passes on the repository and fails, naming the file, on an altered copy.

The value-set builders read ../shared (the reference terminology next to the repository); altered copies are
generated under tmp_path with --output-root, so the repository's files are never touched.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"

needs_shared = pytest.mark.skipif(not (SHARED / "terminology").is_dir(), reason="../shared is not present")

SHARED_VALUESETS = ["tools/terminology/build_valuesets.py"]
EVEROLIMUS_VALUESETS = ["tools/everolimus/build_valuesets.py", str(SHARED)]
QUESTIONNAIRES = ["tools/questionnaires/build_questionnaire.py"]
ELM = ["tools/dtr/build_elm.py"]  # needs node and tools/reference-cql/node_modules (as tests/conformance does)

# (generator command, a file it writes, another file it writes), paths relative to the repository root
GENERATORS = {
    "shared value sets": pytest.param(
        SHARED_VALUESETS,
        "policies/_shared/valuesets/alt-tests.json",
        "policies/centene/CP.PHAR.549/valuesets/sotorasib-brands-with-generic.json",
        marks=needs_shared,
    ),
    "CP.PHAR.63 value sets": pytest.param(
        EVEROLIMUS_VALUESETS,
        "policies/centene/CP.PHAR.63/valuesets/gist.json",
        "policies/centene/CP.PHAR.63/valuesets/everolimus-all.json",
        marks=needs_shared,
    ),
    "questionnaires": pytest.param(
        QUESTIONNAIRES,
        "policies/centene/CP.PHAR.63/questionnaire.json",
        "policies/fep-blue/5.21.177/questionnaire.json",
    ),
    "ELM of the policy libraries": pytest.param(
        ELM,
        "policies/centene/CP.PHAR.549/elm/CenteneSotorasib.elm.json",
        "policies/_shared/elm/KrasG12C.elm.json",
    ),
}


def run(command: list[str], *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *command, *options], cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize(("command", "altered", "removed"), GENERATORS.values(), ids=GENERATORS.keys())
def test_check_passes_on_the_repository(command: list[str], altered: str, removed: str) -> None:
    result = run(command, "--check")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(("command", "altered", "removed"), GENERATORS.values(), ids=GENERATORS.keys())
def test_check_names_stale_and_missing_files_of_an_altered_copy(
    command: list[str], altered: str, removed: str, tmp_path: Path
) -> None:
    written = run(command, "--output-root", str(tmp_path))
    assert written.returncode == 0, written.stderr
    assert (tmp_path / altered).read_bytes() == (REPO / altered).read_bytes()
    assert run(command, "--check", "--output-root", str(tmp_path)).returncode == 0

    (tmp_path / altered).write_text((tmp_path / altered).read_text(encoding="utf-8").replace('"', "'", 1))
    (tmp_path / removed).unlink()
    checked = run(command, "--check", "--output-root", str(tmp_path))
    assert checked.returncode == 1
    assert f"stale: {altered}" in checked.stderr and f"missing: {removed}" in checked.stderr
    assert not (tmp_path / removed).exists()  # --check writes nothing
