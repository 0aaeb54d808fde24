"""sample_bundles/build_samples.py: the committed samples are what the generator makes today."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]


def load_generator() -> ModuleType:
    if str(REPO / "sample_bundles") not in sys.path:  # as when run as a script: its neighbours import by name
        sys.path.insert(0, str(REPO / "sample_bundles"))
    spec = importlib.util.spec_from_file_location("build_samples", REPO / "sample_bundles" / "build_samples.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("build_samples", module)
    spec.loader.exec_module(module)
    return module


def test_committed_samples_are_up_to_date() -> None:
    generator = load_generator()
    expected = generator.expected_files(REPO / "policies")
    stale = [
        str(relative)
        for relative, content in expected.items()
        if (REPO / relative).read_text(encoding="utf-8") != content
    ]
    assert stale == [], "run `python sample_bundles/build_samples.py` and commit the result"


def test_generator_is_deterministic(tmp_path: Path) -> None:
    generator = load_generator()
    assert generator.main(["--output-root", str(tmp_path / "a")]) == 0
    assert generator.main(["--output-root", str(tmp_path / "b")]) == 0
    first = {p.relative_to(tmp_path / "a"): p.read_bytes() for p in (tmp_path / "a").rglob("*.json")}
    second = {p.relative_to(tmp_path / "b"): p.read_bytes() for p in (tmp_path / "b").rglob("*.json")}
    assert first == second and len(first) == 2 * len(generator.SAMPLES) + 1
    assert generator.main(["--output-root", str(tmp_path / "a"), "--check"]) == 0
    (tmp_path / "a" / "sample_bundles" / "index.json").write_text("{}")
    assert generator.main(["--output-root", str(tmp_path / "a"), "--check"]) == 1
