"""Policy trees for the 1-vs-100-policies measurement, generated into a temporary directory.

A synthetic policy is a copy of a real one (its CQL, value sets, questionnaire and templates; not its tests)
with a new id, document number and drug codes, so it compiles exactly like the original and competes with it
in the registry under the same payer: the worst case for routing.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
POLICIES = REPO / "policies"
SHARED = "_shared"
_NOT_COPIED = shutil.ignore_patterns("tests", "__pycache__", "*.pyc")


def copy_policy(source: Path, target: Path) -> None:
    shutil.copytree(source, target, ignore=_NOT_COPIED)


def synthetic_codes(index: int, count: int) -> list[str]:
    """RxNorm-shaped codes no real product has (RxCUIs are below 3,000,000 today)."""
    return [f"9{index:04d}{k:03d}" for k in range(count)]


def write_synthetic(source: Path, target: Path, index: int) -> None:
    copy_policy(source, target)
    path = target / "policy.yaml"
    metadata: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    metadata["id"] = f"synthetic-{index:04d}"
    metadata["title"] = f"Synthetic drug {index}"
    metadata["drug"] = f"Synthdrug-{index}"
    metadata["document"]["number"] = f"SYN.{index:04d}"
    drugs = metadata["drugs"]
    for drug, code in zip(drugs, synthetic_codes(index, len(drugs)), strict=True):
        drug["code"] = code
        drug["display"] = f"synthdrug {index} product {code}"
    path.write_text(yaml.safe_dump(metadata, sort_keys=False, allow_unicode=True), encoding="utf-8")


def build_tree(root: Path, real: Path, total: int) -> Path:
    """`root` holding `_shared`, the real policy `real` and `total - 1` synthetic copies of it, same payer."""
    if root.exists():
        shutil.rmtree(root)
    relative = real.relative_to(POLICIES)
    shutil.copytree(POLICIES / SHARED, root / SHARED)
    copy_policy(real, root / relative)
    payer_dir = root / relative.parts[0]
    for index in range(1, total):
        write_synthetic(real, payer_dir / f"SYN.{index:04d}", index)
    return root
