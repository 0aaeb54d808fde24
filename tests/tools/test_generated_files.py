"""The deterministic writer and its --check mode (tools/terminology/generated_files.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.terminology.generated_files import json_text, write_or_check

FILES = {Path("a/one.json"): json_text({"é": 1}), Path("b/two.json"): json_text([1, 2])}


def test_json_text_is_indented_utf8_with_a_final_newline() -> None:
    assert json_text({"é": [1]}) == '{\n  "é": [\n    1\n  ]\n}\n'


def test_write_creates_the_files_then_check_passes(tmp_path: Path) -> None:
    assert write_or_check(FILES, root=tmp_path, check=False) == 0
    assert (tmp_path / "a/one.json").read_text(encoding="utf-8") == FILES[Path("a/one.json")]
    assert write_or_check(FILES, root=tmp_path, check=True) == 0


def test_check_names_stale_and_missing_files_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_or_check(FILES, root=tmp_path, check=False)
    (tmp_path / "a/one.json").write_text("{}\n", encoding="utf-8")
    (tmp_path / "b/two.json").unlink()
    capsys.readouterr()
    assert write_or_check(FILES, root=tmp_path, check=True) == 1
    err = capsys.readouterr().err
    assert "stale: a/one.json" in err and "missing: b/two.json" in err
    assert (tmp_path / "a/one.json").read_text(encoding="utf-8") == "{}\n"
    assert not (tmp_path / "b/two.json").exists()
