"""Decide one order as CRD does, with the form's answers taken into account.

The CRD pipeline (pipeline.answer) gathers the record, routes the Coverage, finds the policy, checks the line of
business and the formulary, decides and keeps the determination; this module only changes which criteria
statuses it decides on. An answer counts where the record left the criterion unknown. Where the record
established the criterion (met or not met) and an answer says otherwise, the record stands and the conflict is
reported: the form then ends as "needs review" (a person at the payer looks at it), never as an approval.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import pipeline
from ..crd.coverage_info import COVERAGE_INFO_URL
from ..hook.request_model import HookRequest
from ..policy.decision import OrderDecision
from ..policy.metadata import CriterionStatus
from .answers import Answer, as_status
from .record_request import ORDER_SIGN


@dataclass(frozen=True)
class Conflict:
    criterion: str
    recorded: CriterionStatus
    answered: CriterionStatus


@dataclass
class Assessment:
    answer: pipeline.Answer
    recorded: OrderDecision | None = None  # the record alone
    decision: OrderDecision | None = None  # the record and the answers where it left criteria unknown
    conflicts: tuple[Conflict, ...] = ()
    answered: tuple[str, ...] = field(default=())  # criteria an answer decided

    @property
    def label(self) -> str:
        return self.answer.decisions[0].decision if self.answer.decisions else "no-order"

    def coverage_information(self) -> dict[str, Any] | None:
        for action in self.answer.body.get("systemActions", []):
            for extension in action.get("resource", {}).get("extension", []):
                if extension.get("url") == COVERAGE_INFO_URL:
                    return dict(extension)
        return None


def merge(
    recorded: OrderDecision, answers: Mapping[str, Answer], evidence: str
) -> tuple[dict[str, tuple[CriterionStatus, tuple[str, ...]]], list[Conflict]]:
    overrides: dict[str, tuple[CriterionStatus, tuple[str, ...]]] = {}
    conflicts = []
    for path in recorded.paths:
        for criterion in path.criteria:
            answer = answers.get(criterion.id)
            if answer is None:
                continue
            status = as_status(answer)
            if criterion.status == "unknown":
                overrides[criterion.id] = (status, (evidence,))
            elif criterion.status != status:
                conflicts.append(Conflict(criterion.id, criterion.status, status))
    return overrides, conflicts


async def assess(
    request: HookRequest, engine: pipeline.Engine, answers: Mapping[str, Answer], evidence: str
) -> Assessment:
    """`evidence`: how the answered criteria cite the form ("QuestionnaireResponse/<id>")."""
    if engine.evaluate is None:
        raise RuntimeError("no policies are loaded")
    evaluate = engine.evaluate
    seen: dict[str, Any] = {}

    def evaluate_with_answers(*args: Any, overrides: Any = None, **kwargs: Any) -> OrderDecision:
        recorded: OrderDecision = evaluate(*args, **kwargs)
        answered, conflicts = merge(recorded, answers, evidence)
        overrides = {**answered, **(overrides or {})}
        decision = evaluate(*args, **kwargs, overrides=overrides) if overrides else recorded
        seen.update(recorded=recorded, decision=decision, conflicts=tuple(conflicts), answered=tuple(answered))
        return decision

    answer = await pipeline.answer(request, ORDER_SIGN, dataclasses.replace(engine, evaluate=evaluate_with_answers))
    return Assessment(answer=answer, **seen)
