"""The one questionnaire builder (tools/questionnaires/build_questionnaire.py) and its two layouts."""

from __future__ import annotations

from typing import Any

import pytest

from tools.questionnaires.build_questionnaire import questionnaire

POLICY: dict[str, Any] = {
    "id": "payer-x-1",
    "version": 2025.1,
    "title": "Drug (Brand)",
    "payer": "payer",
    "drug": "drug",
    "document": {"number": "X.1", "title": "Clinical Policy: Drug"},
    "paths": [
        {
            "id": "I.A",
            "title": "Indication",
            "criteria": [
                {"id": "I.A.1", "question": "Diagnosed?", "submit": "Chart notes"},
                {"id": "I.A.2", "question": "Not excluded?", "submit": "History", "can_be_unknown": False},
            ],
        },
        {
            "id": "I.B",
            "title": "Exclusion only",
            "criteria": [{"id": "I.B.1", "question": "?", "submit": "-", "can_be_unknown": False}],
        },
    ],
}


def test_flat_layout_asks_each_criterion_that_can_be_unknown_in_path_order() -> None:
    built = questionnaire(POLICY)
    assert built["item"] == [
        {"linkId": "I.A.1", "prefix": "I.A.1", "text": "Diagnosed?", "type": "boolean", "required": False}
    ]
    assert (built["name"], built["version"]) == ("DrugBrandPriorAuthorization", "2025.1")


def test_grouped_layout_has_one_group_per_path_with_documentation_hints() -> None:
    built = questionnaire({**POLICY, "questionnaire_layout": "grouped-by-path"})
    assert built["name"] == "PayerDrugPriorAuthorization"
    [group] = built["item"]  # I.B asks nothing, and FHIR forbids an empty group
    assert (group["linkId"], group["text"], group["type"]) == ("I.A", "I.A Indication", "group")
    [item] = group["item"]
    assert item["linkId"] == "I.A.1"
    assert item["item"] == [{"linkId": "I.A.1.help", "text": "Documentation: Chart notes", "type": "display"}]


def test_an_unknown_layout_is_an_error() -> None:
    with pytest.raises(ValueError, match="questionnaire_layout"):
        questionnaire({**POLICY, "questionnaire_layout": "tabs"})
