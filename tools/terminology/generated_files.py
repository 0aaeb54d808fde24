"""Write generated JSON files deterministically, or check that the files on disk are what a generator would write.

Used by the value-set builders and policies/_shared/tools/build_questionnaire.py. Paths are relative to an
output root (the repository root by default), so a test can point --output-root at a scratch folder.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def json_text(resource: object) -> str:
    """The one serialisation every generated file uses: 2-space indent, UTF-8 kept readable, final newline."""
    return json.dumps(resource, indent=2, ensure_ascii=False) + "\n"


def add_output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--check",
        action="store_true",
        help="regenerate in memory and compare with the files on disk; exit 1 naming stale or missing files, "
        "write nothing",
    )
    parser.add_argument(
        "--output-root",
        type=Path,
        default=REPO,
        help="folder the repository-relative output paths are written under (default: the repository root)",
    )


def differing(files: Mapping[Path, str], root: Path) -> dict[Path, str]:
    """Each output path whose file is missing or holds other text, mapped to 'missing' or 'stale'."""
    found: dict[Path, str] = {}
    for relative, text in files.items():
        target = root / relative
        if not target.is_file():
            found[relative] = "missing"
        elif target.read_text(encoding="utf-8") != text:
            found[relative] = "stale"
    return found


def write_or_check(files: Mapping[Path, str], *, root: Path, check: bool) -> int:
    """Write (or with check=True only compare) `files` (repository-relative path -> text); returns the exit code."""
    changed = differing(files, root)
    if check:
        for relative, state in changed.items():
            print(f"{state}: {relative}", file=sys.stderr)
        if changed:
            print(
                f"{len(changed)} of {len(files)} generated files are out of date; rerun without --check",
                file=sys.stderr,
            )
        return 1 if changed else 0
    for relative in changed:
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(files[relative], encoding="utf-8")
        print(f"wrote {relative}")
    print(f"{len(files)} files, {len(changed)} written")
    return 0
