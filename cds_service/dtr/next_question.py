"""POST /fhir/Questionnaire/$next-question (SDC adaptive forms, DTR 2.2.0 §spec-23..41).

Each call decides the order as CRD does, with the form's answers where the record left a criterion unknown
(assess.py), then:
- conflict between an answer and the record: completed, "needs review" (no approval on doubt);
- not met: completed, not-covered with the failed criteria (a determination is kept);
- met: asks whether to issue the PA number (§spec-41); yes: completed with the durable PA number and its expiry
  (the same determination CRD makes for the same order and record, determinations.py); no: completed without;
- otherwise: asks the next unknown criterion of the most promising path (policy/decision.py `decide`), or the
  same one again while it is left unanswered.
Whatever ends the form carries coverage-information (§spec-33).
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from ..crd.coverage_info import COVERAGE_INFO_URL, Reason
from ..hook.errors import BadRequestError
from ..pipeline import Engine
from ..policy.registry import Policy
from .answers import boolean_answers, criterion_answers
from .assess import Assessment, assess
from .fhir import INTENDED_USE, ISSUE_PA_LINK_ID, PROFILE_QR_ADAPT, intended_use
from .package import registry_of
from .params import DtrInput
from .questionnaires import adaptive_contained, question
from .record_request import hook_request, required_order
from .responses import contained_questionnaire, is_adaptive, policy_of, subjects

ISSUE_PA_QUESTION = {
    "linkId": ISSUE_PA_LINK_ID,
    "text": "All requirements are met. Issue the prior authorization number for this order now?",
    "type": "boolean",
    "required": True,
}


async def next_question(inputs: DtrInput, engine: Engine) -> tuple[dict[str, Any], Assessment]:
    registry = registry_of(engine)
    response = inputs.response
    if response is None:
        raise BadRequestError("the 'questionnaire-response' parameter is required")
    if not is_adaptive(response):
        raise BadRequestError("$next-question takes an adaptive QuestionnaireResponse (questionnaire '#adaptive')")
    policy = policy_of(response, registry)
    patient_id, order_ref, _ = subjects(response)
    order = required_order(inputs, order_ref)
    answers = criterion_answers(policy.metadata, response)
    issue = boolean_answers(response).get(ISSUE_PA_LINK_ID)
    evidence = f"QuestionnaireResponse/{response.get('id', 'adaptive')}"
    request = hook_request(inputs, order, patient_id, issue=False)
    assessment = await assess(request, engine, answers, evidence)
    decision = assessment.decision
    if decision is None:  # no policy decided (no policy, line not covered, Coverage not in force): CRD's answer ends it
        return _completed(response, assessment.coverage_information(), "withpa"), assessment
    if assessment.conflicts:
        return _completed(response, _needs_review(assessment), "withpa"), assessment
    if decision.decision == "not-met":
        kept = await assess(hook_request(inputs, order, patient_id, issue=True), engine, answers, evidence)
        return _completed(response, kept.coverage_information(), "retain-doc"), kept
    if decision.decision == "approved":
        if issue is None:
            return _asking(response, policy, ISSUE_PA_QUESTION), assessment
        if not issue.value:
            return _completed(response, assessment.coverage_information(), "withpa"), assessment
        kept = await assess(hook_request(inputs, order, patient_id, issue=True), engine, answers, evidence)
        return _completed(response, kept.coverage_information(), "withorder"), kept
    for criterion in decision.path.with_status("unknown"):
        item = question(policy, criterion.id)
        if item is not None:
            return _asking(response, policy, {k: v for k, v in item.items() if k != "extension"}), assessment
    # Unknown, but nothing the form can ask (the record could not be read): CRD's needs-info answer ends it.
    return _completed(response, assessment.coverage_information(), "withpa"), assessment


def _asked(response: dict[str, Any]) -> list[dict[str, Any]]:
    return list((contained_questionnaire(response) or {}).get("item") or [])


def _asking(response: dict[str, Any], policy: Policy, item: dict[str, Any]) -> dict[str, Any]:
    """The response with `item` asked (appended to the contained form unless already there), still in progress."""
    asked = _asked(response)
    if not any(existing.get("linkId") == item["linkId"] for existing in asked):
        asked.append(item)
    updated = _base(response, policy, asked)
    updated["status"] = "in-progress"
    return updated


def _base(response: dict[str, Any], policy: Policy, asked: list[dict[str, Any]]) -> dict[str, Any]:
    updated = copy.deepcopy(response)
    updated["meta"] = {"profile": [PROFILE_QR_ADAPT]}
    updated["contained"] = [adaptive_contained(policy, asked)]
    updated["authored"] = datetime.now(UTC).isoformat(timespec="seconds")
    return updated


def _completed(response: dict[str, Any], coverage_information: dict[str, Any] | None, use: str) -> dict[str, Any]:
    """The form is done (§spec-148): no further question, the payer's coverage-information on it (§spec-33)."""
    updated = copy.deepcopy(response)
    updated["meta"] = {"profile": [PROFILE_QR_ADAPT]}
    updated["status"] = "completed"
    updated["authored"] = datetime.now(UTC).isoformat(timespec="seconds")
    kept = [e for e in updated.get("extension") or [] if e.get("url") not in (COVERAGE_INFO_URL, INTENDED_USE)]
    kept.append(intended_use(use))
    if coverage_information is not None:
        kept.append(coverage_information)
    updated["extension"] = kept
    return updated


_DECIDED = frozenset(
    {"covered", "pa-needed", "doc-needed", "doc-purpose", "info-needed", "reason", "satisfied-pa-id", "expiry-date"}
)


def _needs_review(assessment: Assessment) -> dict[str, Any] | None:
    """CRD's assertion for the order, turned into "needs review": not an approval or a denial, documentation with
    the prior authorization request, and a reason naming each answer that contradicts the record."""
    info = assessment.coverage_information()
    if info is None:
        return None
    conflicts = "; ".join(
        f"{c.criterion} is {c.recorded} on the record but was answered {c.answered}" for c in assessment.conflicts
    )
    reason = Reason(f"Needs review by the payer: {conflicts}. An answer does not override the record.")
    kept = [p for p in info["extension"] if p.get("url") not in _DECIDED]
    decided = [
        {"url": "covered", "valueCode": "conditional"},
        {"url": "pa-needed", "valueCode": "auth-needed"},
        {"url": "doc-needed", "valueCode": "clinical"},
        {"url": "doc-purpose", "valueCode": "withpa"},
        {"url": "reason", "valueCodeableConcept": {"text": reason.text[:1000]}},
    ]
    return {"url": COVERAGE_INFO_URL, "extension": kept[:1] + decided + kept[1:]}
