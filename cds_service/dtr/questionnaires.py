"""The policy's Questionnaire as DTR serves it: standard (items with CQL initialExpressions) and adaptive."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from ..policy.registry import Policy
from .fhir import (
    CQF_LIBRARY,
    INITIAL_EXPRESSION,
    LAUNCH_CONTEXT,
    PROFILE_ADAPT,
    PROFILE_ADAPT_SEARCH,
    PROFILE_STANDARD,
    QUESTIONNAIRE_ADAPTIVE,
    adaptive_url,
)
from .libraries import policy_logic

ADAPTIVE_CONTAINED_ID = "adaptive"

_PATIENT_CONTEXT = {
    "url": LAUNCH_CONTEXT,
    "extension": [
        {
            "url": "name",
            "valueCoding": {"system": "http://hl7.org/fhir/uv/sdc/CodeSystem/launchContext", "code": "patient"},
        },
        {"url": "type", "valueCode": "Patient"},
    ],
}


def walk(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for item in items:
        yield item
        yield from walk(item.get("item", []))


def canonical(policy: Policy) -> str:
    questionnaire = policy.questionnaire or {}
    return f"{questionnaire.get('url')}|{questionnaire.get('version')}"


def standard(policy: Policy) -> dict[str, Any]:
    """The policy's questionnaire.json with the library and one `"Lib".Define` per criterion item (§spec-86)."""
    logic = policy_logic(policy)
    questionnaire = copy.deepcopy(policy.questionnaire or {})
    questionnaire["meta"] = {"profile": [PROFILE_STANDARD]}
    questionnaire["extension"] = [{"url": CQF_LIBRARY, "valueCanonical": logic.main_canonical}, _PATIENT_CONTEXT]
    for item in walk(questionnaire.get("item", [])):
        criterion = policy.metadata.criterion(str(item.get("linkId")))
        if criterion is not None and item.get("type") == "boolean":
            expression = {"language": "text/cql-identifier", "expression": f'"{logic.main}"."{criterion.define}"'}
            item["extension"] = [{"url": INITIAL_EXPRESSION, "valueExpression": expression}]
    return questionnaire


def question(policy: Policy, link_id: str) -> dict[str, Any] | None:
    """The standard questionnaire's item for a criterion, alone (no group around it)."""
    for item in walk(standard(policy).get("item", [])):
        if item.get("linkId") == link_id:
            return item
    return None


def adaptive_search(policy: Policy) -> dict[str, Any]:
    """The item-less adaptive Questionnaire of the package (§spec-23); `next_question_url` is where it goes on."""
    base = policy.questionnaire or {}
    return {
        "resourceType": "Questionnaire",
        "id": f"{policy.id}-adaptive",
        "meta": {"profile": [PROFILE_ADAPT_SEARCH]},
        "extension": [
            {"url": QUESTIONNAIRE_ADAPTIVE, "valueUrl": "Questionnaire/$next-question"},
            {"url": CQF_LIBRARY, "valueCanonical": policy_logic(policy).main_canonical},
        ],
        "url": adaptive_url(policy.id),
        "version": str(base.get("version")),
        "name": f"{base.get('name', 'PriorAuthorization')}Adaptive",
        "title": f"{base.get('title', policy.metadata.title)} (adaptive)",
        "status": "active",
        "subjectType": ["Patient"],
        "description": "Asks only what the record leaves unknown for the most promising indication path, and "
        "ends with the payer's decision.",
    }


def adaptive_contained(policy: Policy, items: list[dict[str, Any]]) -> dict[str, Any]:
    """The Questionnaire an adaptive QuestionnaireResponse contains: the questions asked so far (§spec-25)."""
    search = adaptive_search(policy)
    contained: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": ADAPTIVE_CONTAINED_ID,
        "meta": {"profile": [PROFILE_ADAPT]},
        "extension": [{"url": QUESTIONNAIRE_ADAPTIVE, "valueUrl": "Questionnaire/$next-question"}],
        "derivedFrom": [f"{search['url']}|{search['version']}"],
        "status": "active",
        "subjectType": ["Patient"],
    }
    if items:
        contained["item"] = items
    return contained
