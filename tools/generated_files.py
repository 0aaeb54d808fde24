"""Write a generator's output files deterministically, or check that the files on disk are what it would write.

The one writer of every build-time generator: the value-set builders, the questionnaire builder, the test-data
builders and sample_bundles/build_samples.py. A generator hands over its files as repository-relative path -> text;
--output-root moves them under another folder (so a test can write to a scratch folder) and --check compares
instead of writing. Folders a generator owns outright can be named as glob patterns: a file there that the
generator no longer produces is reported as `extra` by --check and deleted by a plain run, so it cannot linger.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def json_text(resource: object) -> str:
    """The one serialisation every generated file uses: 2-space indent, UTF-8 kept readable, final newline."""
    return json.dumps(resource, indent=2, ensure_ascii=False) + "\n"


def add_output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--check",
        action="store_true",
        help="regenerate in memory and compare with the files on disk; exit 1 naming each missing, stale or extra "
        "file, write nothing",
    )
    parser.add_argument(
        "--output-root",
        type=Path,
        default=REPO,
        help="folder the repository-relative output paths are written under (default: the repository root)",
    )


def _owned_files(root: Path, owned: Iterable[str]) -> set[Path]:
    """The files now under `root` matching the owned glob patterns, root-relative."""
    return {path.relative_to(root) for pattern in owned for path in root.glob(pattern) if path.is_file()}


def differing(files: Mapping[Path, str], root: Path, owned: Iterable[str] = ()) -> dict[Path, str]:
    """Each path that differs from a fresh generation, sorted, mapped to 'missing', 'stale' or 'extra'.

    Compared as UTF-8 bytes, so a changed line ending counts as stale too.
    """
    found: dict[Path, str] = {}
    for relative, text in files.items():
        target = root / relative
        if not target.is_file():
            found[relative] = "missing"
        elif target.read_bytes() != text.encode("utf-8"):
            found[relative] = "stale"
    for relative in _owned_files(root, owned) - set(files):
        found[relative] = "extra"
    return dict(sorted(found.items()))


def _report(changed: Mapping[Path, str], total: int) -> int:
    for relative, state in changed.items():
        print(f"{state}: {relative}", file=sys.stderr)
    if changed:
        print(f"{len(changed)} file(s) differ from the {total} generated; rerun without --check", file=sys.stderr)
        return 1
    print(f"{total} generated files are current")
    return 0


def _update(files: Mapping[Path, str], root: Path, changed: Mapping[Path, str]) -> None:
    for relative, state in changed.items():
        target = root / relative
        if state == "extra":
            target.unlink()
            print(f"removed {relative}")
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(files[relative].encode("utf-8"))
        print(f"wrote {relative}")
    removed = sum(1 for state in changed.values() if state == "extra")
    print(f"{len(files)} files, {len(changed) - removed} written, {removed} removed")


def write_or_check(files: Mapping[Path, str], *, root: Path, check: bool, owned: Iterable[str] = ()) -> int:
    """Write `files` (root-relative path -> text) under `root`, deleting the extra files in the `owned` glob
    patterns; with check=True only compare and report them on stderr. Returns the exit code."""
    changed = differing(files, root, owned)
    if check:
        return _report(changed, len(files))
    _update(files, root, changed)
    return 0
