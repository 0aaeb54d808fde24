"""QuestionnaireResponse answers <-> policy criteria: linkId is the criterion id (build_questionnaire.py)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ..policy.metadata import CriterionStatus, PolicyMetadata
from .fhir import INFORMATION_ORIGIN


@dataclass(frozen=True)
class Answer:
    value: bool
    source: str  # information-origin: auto-client | auto-server | override | manual


def _items(items: Any) -> Iterator[dict[str, Any]]:
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict):
            yield item
            yield from _items(item.get("item"))
            for answer in item.get("answer") or []:
                if isinstance(answer, dict):
                    yield from _items(answer.get("item"))


def _source(answer: Mapping[str, Any]) -> str:
    for extension in answer.get("extension") or []:
        if isinstance(extension, dict) and extension.get("url") == INFORMATION_ORIGIN:
            for part in extension.get("extension") or []:
                if isinstance(part, dict) and part.get("url") == "source" and isinstance(part.get("valueCode"), str):
                    return str(part["valueCode"])
    return "manual"  # an answer without its origin was typed (DTR requires the extension; lenient in what we read)


def boolean_answers(response: Mapping[str, Any]) -> dict[str, Answer]:
    """linkId -> the item's boolean answer; items left unanswered are absent."""
    found: dict[str, Answer] = {}
    for item in _items(response.get("item")):
        for answer in item.get("answer") or []:
            if isinstance(answer, dict) and isinstance(answer.get("valueBoolean"), bool):
                found[str(item.get("linkId"))] = Answer(answer["valueBoolean"], _source(answer))
    return found


def criterion_answers(metadata: PolicyMetadata, response: Mapping[str, Any]) -> dict[str, Answer]:
    """The answers that speak to a criterion of the policy."""
    return {link: a for link, a in boolean_answers(response).items() if metadata.criterion(link) is not None}


def as_status(answer: Answer) -> CriterionStatus:
    return "met" if answer.value else "not-met"
