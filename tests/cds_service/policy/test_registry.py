"""Loading a policy folder: its questionnaire is checked at load and served as shipped, and the value sets of
policies copied from one template are one object each."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cds_service.policy.metadata import PolicyMetadataError
from cds_service.policy.registry import PolicyRegistry, SharedLoads, load_policy

REPO = Path(__file__).resolve().parents[3]
SOTORASIB = REPO / "policies/centene/CP.PHAR.549"


def _tree(tmp_path: Path, copies: int = 1) -> Path:
    """The real `_shared` folder and `copies` copies of the sotorasib policy under one payer folder."""
    root = tmp_path / "policies"
    shutil.copytree(REPO / "policies/_shared", root / "_shared")
    for index in range(copies):
        shutil.copytree(SOTORASIB, root / "centene" / f"copy-{index}", ignore=shutil.ignore_patterns("tests", "elm"))
    return root


def test_the_questionnaire_is_served_as_shipped_even_if_its_file_changes(tmp_path: Path) -> None:
    folder = _tree(tmp_path) / "centene" / "copy-0"
    shipped = json.loads((folder / "questionnaire.json").read_text(encoding="utf-8"))
    policy = load_policy(folder)
    (folder / "questionnaire.json").write_text("{}", encoding="utf-8")
    assert policy.questionnaire == shipped
    assert policy.questionnaire_url == shipped["url"]
    first = policy.questionnaire
    assert first is not None
    first["item"] = []  # a caller's copy: the next one is as shipped
    assert policy.questionnaire == shipped


def test_the_registry_finds_a_questionnaire_by_id(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    shipped = json.loads((root / "centene/copy-0/questionnaire.json").read_text(encoding="utf-8"))
    registry = PolicyRegistry.load(root)
    assert registry.questionnaire(shipped["id"]) == shipped
    assert registry.questionnaire("no-such-questionnaire") is None


@pytest.mark.parametrize("text", ["{", "[]"])
def test_an_unreadable_questionnaire_fails_the_load(tmp_path: Path, text: str) -> None:
    folder = _tree(tmp_path) / "centene" / "copy-0"
    (folder / "questionnaire.json").write_text(text, encoding="utf-8")
    with pytest.raises(PolicyMetadataError, match="cannot read questionnaire"):
        load_policy(folder)


def test_policies_from_one_template_share_their_value_sets(tmp_path: Path) -> None:
    root = _tree(tmp_path, copies=2)
    shared = SharedLoads()
    folders = [root / "centene" / f"copy-{i}" for i in range(2)]
    one, two = (shared.terminology(folder, [folder / "valuesets"]) for folder in folders)
    urls = one.urls()
    assert urls and urls == two.urls()
    for url in urls:
        assert one.find(url) is two.find(url)
