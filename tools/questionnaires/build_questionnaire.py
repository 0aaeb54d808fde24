"""Write each policy's questionnaire.json (FHIR R4 Questionnaire) from its policy.yaml.

Usage (repository root):
    .venv/bin/python tools/questionnaires/build_questionnaire.py [--check] [--output-root DIR] [FOLDER ...]
FOLDER is a policy folder (policies/<payer>/<id>); without one, every folder whose policy.yaml names a
questionnaire. --check compares with the files on disk instead of writing (exit 1 naming stale or missing ones).

One boolean item per criterion that can be unknown (linkId = prefix = criterion id, text = its question); a
criterion marked `can_be_unknown: false` (its define is never null, e.g. an exclusion where "no record means met")
gets no item. `questionnaire_layout` in policy.yaml chooses the form:
- `flat` (the default): the questions in path order;
- `grouped-by-path`: one group per path ("<path id> <path title>"), each question with a display item naming the
  documentation to submit (the criterion's `submit`).
Each layout keeps the header wording (name, title, description) its questionnaires were first published with, so
regenerating changes no existing file. Output is deterministic.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

# The JSON writer and --check are the repository's shared generated-file helpers (tools/generated_files.py).
REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tools.generated_files import add_output_options, json_text, write_or_check  # noqa: E402

CANONICAL_BASE = "https://coverage-hooks.example.org/fhir/Questionnaire/"
LAYOUTS = ("flat", "grouped-by-path")

Json = dict[str, Any]


def asked(criteria: Iterable[Json]) -> list[Json]:
    """The criteria patient data may leave unknown: only they get a question."""
    return [criterion for criterion in criteria if criterion.get("can_be_unknown", True) is not False]


def question(criterion: Json) -> Json:
    return {
        "linkId": criterion["id"],
        "prefix": criterion["id"],
        "text": criterion["question"],
        "type": "boolean",
        "required": False,
    }


def question_with_documentation(criterion: Json) -> Json:
    help_item = {
        "linkId": f"{criterion['id']}.help",
        "text": f"Documentation: {criterion['submit']}",
        "type": "display",
    }
    return {**question(criterion), "item": [help_item]}


def flat_items(paths: Iterable[Json]) -> list[Json]:
    return [question(criterion) for path in paths for criterion in asked(path["criteria"])]


def grouped_items(paths: Iterable[Json]) -> list[Json]:
    return [
        {
            "linkId": path["id"],
            "text": f"{path['id']} {path['title']}",
            "type": "group",
            "item": [question_with_documentation(criterion) for criterion in asked(path["criteria"])],
        }
        for path in paths
        if asked(path["criteria"])  # FHIR: a group holds at least one item
    ]


def pascal_case(text: str) -> str:
    return "".join(ch for ch in text.title() if ch.isalnum())


def questionnaire(metadata: Json) -> Json:
    layout = metadata.get("questionnaire_layout", "flat")
    document = metadata["document"]
    if layout == "flat":
        name = pascal_case(metadata["title"])
        title = f"{metadata['title']}: {document['number']} prior authorization questions"
        description = (
            f"Questions for the criteria of {document['title']} ({document['number']}) that patient data may "
            "leave unknown."
        )
        items = flat_items(metadata["paths"])
    elif layout == "grouped-by-path":
        name = pascal_case(f"{metadata['payer']} {metadata['drug']}")
        title = f"{document['title']} - prior authorization questions"
        description = (
            f"Questions for the criteria of {document['number']} that the record may leave unknown; linkId is "
            "the policy's own criterion number."
        )
        items = grouped_items(metadata["paths"])
    else:
        raise ValueError(f"{metadata['id']}: questionnaire_layout {layout!r} is not one of {', '.join(LAYOUTS)}")
    return {
        "resourceType": "Questionnaire",
        "id": metadata["id"],
        "url": CANONICAL_BASE + metadata["id"],
        "version": str(metadata["version"]),
        "name": name + "PriorAuthorization",
        "title": title,
        "status": "active",
        "subjectType": ["Patient"],
        "description": description,
        "item": items,
    }


def policy_folders() -> list[Path]:
    """Every policy folder whose policy.yaml names a questionnaire."""
    return [
        policy_file.parent
        for policy_file in sorted((REPO / "policies").glob("*/*/policy.yaml"))
        if "questionnaire" in yaml.safe_load(policy_file.read_text(encoding="utf-8"))
    ]


def output_path(folder: Path, file_name: str) -> Path:
    """Repository-relative inside the repository (so --output-root applies); a folder elsewhere stays absolute."""
    target = folder.resolve() / file_name
    return target.relative_to(REPO) if target.is_relative_to(REPO) else target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "folders", nargs="*", type=Path, help="policy folders (default: every one with a questionnaire)"
    )
    add_output_options(parser)
    args = parser.parse_args(argv)
    files: dict[Path, str] = {}
    for folder in args.folders or policy_folders():
        metadata = yaml.safe_load((folder / "policy.yaml").read_text(encoding="utf-8"))
        target = output_path(folder, metadata.get("questionnaire", "questionnaire.json"))
        files[target] = json_text(questionnaire(metadata))
    return write_or_check(files, root=args.output_root, check=args.check)


if __name__ == "__main__":
    sys.exit(main())
