"""A small generated population for the `replay --population` tests (tools/population/generate.py), made once."""

from __future__ import annotations

from pathlib import Path

from tools.population.generate import generate

REPO = Path(__file__).resolve().parents[2]
TEST_PATIENTS = 200
TEST_SEED = 18


def make_population(folder: Path, *, compress: bool = False, patients: int = TEST_PATIENTS) -> Path:
    generate(folder, patients, TEST_SEED, 0.15, REPO / "policies", compress)
    return folder
