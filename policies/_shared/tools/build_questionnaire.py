"""Write a policy's questionnaire.json (FHIR R4 Questionnaire) from its policy.yaml.

Usage (repository root):
    .venv/bin/python policies/_shared/tools/build_questionnaire.py policies/<payer>/<id> ...

One boolean item per criterion that can be unknown (linkId = criterion id, text = its question); a criterion
marked `can_be_unknown: false` in policy.yaml (its define is never null, e.g. an exclusion with "no record
means met") gets no item. Output is deterministic.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

BASE = "https://coverage-hooks.example.org/fhir/Questionnaire/"


def questionnaire(metadata: dict[str, Any]) -> dict[str, Any]:
    items = []
    for path in metadata["paths"]:
        for criterion in path["criteria"]:
            if criterion.get("can_be_unknown", True) is False:
                continue
            items.append(
                {
                    "linkId": criterion["id"],
                    "prefix": criterion["id"],
                    "text": criterion["question"],
                    "type": "boolean",
                    "required": False,
                }
            )
    return {
        "resourceType": "Questionnaire",
        "id": metadata["id"],
        "url": BASE + metadata["id"],
        "version": str(metadata["version"]),
        "name": "".join(ch for ch in metadata["title"].title() if ch.isalnum()) + "PriorAuthorization",
        "title": f"{metadata['title']}: {metadata['document']['number']} prior authorization questions",
        "status": "active",
        "subjectType": ["Patient"],
        "description": f"Questions for the criteria of {metadata['document']['title']} "
        f"({metadata['document']['number']}) that patient data may leave unknown.",
        "item": items,
    }


def main(folders: list[str]) -> None:
    for folder in folders:
        policy_dir = Path(folder)
        metadata = yaml.safe_load((policy_dir / "policy.yaml").read_text(encoding="utf-8"))
        target = policy_dir / metadata.get("questionnaire", "questionnaire.json")
        target.write_text(json.dumps(questionnaire(metadata), indent=2, ensure_ascii=False) + "\n")
        print(f"{target}: {len(questionnaire(metadata)['item'])} items")


if __name__ == "__main__":
    main(sys.argv[1:])
