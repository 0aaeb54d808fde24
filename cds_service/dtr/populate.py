"""POST /fhir/Questionnaire/$populate (SDC) for EHRs without a CQL engine: the form's defines evaluated here by
cql_like over the record, each known criterion answered with information-origin auto-server and its evidence;
what the record leaves unknown stays unanswered for the clinician."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from ..hook.errors import BadRequestError
from ..pipeline import Engine
from ..policy.decision import CriterionResult
from ..policy.registry import Policy
from .assess import assess
from .fhir import PROFILE_QR, QR_CONTEXT, QR_COVERAGE, intended_use, origin, outcome, reference_extension
from .package import registry_of, response_id
from .params import DtrInput
from .questionnaires import canonical, standard
from .record_request import hook_request, required_order
from .responses import policy_of, subjects

EVIDENCE_URL = "https://coverage-hooks.example.org/fhir/StructureDefinition/evidence"


def _answered(items: list[dict[str, Any]], known: dict[str, CriterionResult]) -> list[dict[str, Any]]:
    """The questionnaire's items as response items: groups kept, display items dropped, known criteria answered."""
    found = []
    for item in items:
        if item.get("type") == "display":
            continue
        entry: dict[str, Any] = {"linkId": item["linkId"]}
        if item.get("text"):
            entry["text"] = item["text"]
        criterion = known.get(str(item["linkId"]))
        if criterion is not None:
            answer: dict[str, Any] = {"valueBoolean": criterion.status == "met", "extension": [origin("auto-server")]}
            answer["extension"] += [
                {"url": EVIDENCE_URL, "valueReference": {"reference": ref}} for ref in criterion.evidence
            ]
            entry["answer"] = [answer]
        nested = _answered(item.get("item", []), known)
        if nested:
            entry["item"] = nested
        if item.get("type") != "group" or nested:
            found.append(entry)
    return found


def prefilled(policy: Policy, base: dict[str, Any], criteria: list[CriterionResult]) -> dict[str, Any]:
    known = {c.id: c for c in criteria if c.status != "unknown"}
    response = copy.deepcopy(base)
    response["questionnaire"] = canonical(policy)
    response["meta"] = {"profile": [PROFILE_QR]}
    response.pop("contained", None)
    response["status"] = "in-progress"
    response["authored"] = datetime.now(UTC).isoformat(timespec="seconds")
    response["item"] = _answered(standard(policy).get("item", []), known)
    if not response["item"]:
        response.pop("item")
    return response


async def populate(inputs: DtrInput, engine: Engine) -> dict[str, Any]:
    registry = registry_of(engine)
    response = inputs.response
    if response is None:
        raise BadRequestError("send the draft QuestionnaireResponse from the package ('questionnaire-response')")
    policy = policy_of(response, registry)
    patient_id, order_ref, coverage_ref = subjects(response)
    order = required_order(inputs, order_ref)
    base = {
        "resourceType": "QuestionnaireResponse",
        "id": response_id(order_ref, policy, "standard") if response.get("id") is None else response["id"],
        "extension": [
            reference_extension(QR_COVERAGE, coverage_ref),
            reference_extension(QR_CONTEXT, order_ref),
            intended_use("withpa"),
        ],
        "subject": {"reference": f"Patient/{patient_id}"},
    }
    assessment = await assess(hook_request(inputs, order, patient_id, issue=False), engine, {}, "")
    parts: list[dict[str, Any]] = []
    recorded = assessment.recorded
    criteria = [c for path in recorded.paths for c in path.criteria] if recorded else []
    parts.append({"name": "response", "resource": prefilled(policy, base, criteria)})
    if recorded is None:
        text = f"no policy decision for {order_ref} ({assessment.label}); nothing was prefilled"
        parts.append({"name": "issues", "resource": outcome("warning", "not-found", text)})
    return {"resourceType": "Parameters", "parameter": parts}
