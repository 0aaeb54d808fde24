"""The shared writer of every generator and its --check mode (tools/generated_files.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from tools.generated_files import REPO, add_output_options, differing, json_text, write_or_check

FILES = {Path("a/one.json"): json_text({"é": 1}), Path("b/two.json"): json_text([1, 2])}
OWNED = ["a/**/*"]


def snapshot(root: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in root.rglob("*") if path.is_file()}


def test_json_text_is_indented_utf8_with_a_final_newline() -> None:
    assert json_text({"é": [1]}) == '{\n  "é": [\n    1\n  ]\n}\n'


def test_output_options_default_to_writing_under_the_repository() -> None:
    parser = argparse.ArgumentParser()
    add_output_options(parser)
    assert vars(parser.parse_args([])) == {"check": False, "output_root": REPO}
    assert vars(parser.parse_args(["--check", "--output-root", "out"])) == {"check": True, "output_root": Path("out")}


def test_write_creates_the_files_then_check_passes(tmp_path: Path) -> None:
    assert write_or_check(FILES, root=tmp_path, check=False) == 0
    assert (tmp_path / "a/one.json").read_text(encoding="utf-8") == FILES[Path("a/one.json")]
    assert write_or_check(FILES, root=tmp_path, check=True) == 0


def test_differing_names_missing_stale_and_extra_files_in_path_order(tmp_path: Path) -> None:
    write_or_check(FILES, root=tmp_path, check=False)
    (tmp_path / "a/one.json").write_bytes(FILES[Path("a/one.json")].replace("\n", "\r\n").encode())
    (tmp_path / "b/two.json").unlink()
    (tmp_path / "a/deeper").mkdir()
    (tmp_path / "a/deeper/left-over.json").write_text("{}\n")
    (tmp_path / "b/not-owned.json").write_text("{}\n")

    assert differing(FILES, tmp_path, OWNED) == {
        Path("a/deeper/left-over.json"): "extra",
        Path("a/one.json"): "stale",
        Path("b/two.json"): "missing",
    }
    assert differing(FILES, tmp_path) == {Path("a/one.json"): "stale", Path("b/two.json"): "missing"}


def test_check_reports_each_difference_on_stderr_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_or_check(FILES, root=tmp_path, check=False)
    (tmp_path / "a/one.json").write_text("{}\n", encoding="utf-8")
    (tmp_path / "b/two.json").unlink()
    (tmp_path / "a/left-over.json").write_text("{}\n")
    before = snapshot(tmp_path)
    capsys.readouterr()

    assert write_or_check(FILES, root=tmp_path, check=True, owned=OWNED) == 1

    err = capsys.readouterr().err.splitlines()
    assert err[:-1] == ["extra: a/left-over.json", "stale: a/one.json", "missing: b/two.json"]
    assert err[-1].startswith("3 file(s) differ")
    assert snapshot(tmp_path) == before


def test_write_updates_what_differs_and_deletes_extra_files_only_in_owned_folders(tmp_path: Path) -> None:
    write_or_check(FILES, root=tmp_path, check=False)
    (tmp_path / "a/one.json").write_text("{}\n", encoding="utf-8")
    (tmp_path / "a/left-over.json").write_text("{}\n")
    (tmp_path / "b/not-owned.json").write_text("{}\n")

    assert write_or_check(FILES, root=tmp_path, check=False, owned=OWNED) == 0

    assert not (tmp_path / "a/left-over.json").exists()
    assert (tmp_path / "b/not-owned.json").exists()
    assert (tmp_path / "a/one.json").read_text(encoding="utf-8") == FILES[Path("a/one.json")]
    assert write_or_check(FILES, root=tmp_path, check=True, owned=OWNED) == 0
