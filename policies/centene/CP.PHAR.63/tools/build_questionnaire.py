"""Regenerate questionnaire.json from policy.yaml: one boolean question per criterion, grouped by path.

Every criterion of this policy can come out unknown (missing birth date, unrecognised product code, absent
documentation), so every criterion gets a question. linkId = the document's criterion id.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

FOLDER = Path(__file__).resolve().parent.parent
CANONICAL_BASE = "https://coverage-hooks.example.org/fhir/Questionnaire/"


def build(policy: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Questionnaire",
        "id": policy["id"],
        "url": CANONICAL_BASE + policy["id"],
        "version": policy["version"],
        "name": "CenteneEverolimusPriorAuthorization",
        "title": f"{policy['document']['title']} - prior authorization questions",
        "status": "active",
        "subjectType": ["Patient"],
        "description": (
            f"Questions for the criteria of {policy['document']['number']} that the record may leave "
            "unknown; linkId is the policy's own criterion number."
        ),
        "item": [
            {
                "linkId": path["id"],
                "text": f"{path['id']} {path['title']}",
                "type": "group",
                "item": [
                    {
                        "linkId": criterion["id"],
                        "prefix": criterion["id"],
                        "text": criterion["question"],
                        "type": "boolean",
                        "required": False,
                        "item": [
                            {
                                "linkId": f"{criterion['id']}.help",
                                "text": f"Documentation: {criterion['submit']}",
                                "type": "display",
                            }
                        ],
                    }
                    for criterion in path["criteria"]
                ],
            }
            for path in policy["paths"]
        ],
    }


def main() -> None:
    policy = yaml.safe_load((FOLDER / "policy.yaml").read_text(encoding="utf-8"))
    questionnaire = build(policy)
    (FOLDER / "questionnaire.json").write_text(json.dumps(questionnaire, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
