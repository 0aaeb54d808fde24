"""POST /fhir/Questionnaire/$questionnaire-package (DTR 2.2.0): which policy's questions this order needs, as one
package Bundle per Questionnaire: the standard form (CQL prefill) and the adaptive form ($next-question).

Every Library the form uses travels with its CQL and ELM, and every ValueSet they name (expanded when small).
Each bundle's draft QuestionnaireResponse names the order (qr-context) and Coverage (qr-coverage).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..audit.records import AuditStore
from ..gather.order_identity import identify_medication
from ..gather.record import GatheredData
from ..hook.errors import BadRequestError, NotFoundError, UnprocessableError
from ..payers.directory import payor_organization, route
from ..pipeline import Engine
from ..policy.registry import Policy, PolicyRegistry
from .fhir import (
    BASE,
    PROFILE_PACKAGE,
    PROFILE_QR,
    PROFILE_QR_ADAPT,
    QR_CONTEXT,
    QR_COVERAGE,
    adaptive_url,
    intended_use,
    outcome,
    reference_extension,
)
from .libraries import policy_logic
from .params import DtrInput
from .questionnaires import ADAPTIVE_CONTAINED_ID, adaptive_contained, adaptive_search, canonical, standard

RESPONSE_NAMESPACE = uuid.UUID("0b6f3f4e-8a51-4c52-9d0e-2f1f6d9a7c31")
# CRD decisions after which DTR has nothing to ask (§oper-8 says why instead).
_NOTHING_TO_ASK = {
    "approved": "the order's prior authorization is already approved ({pa}); no documentation is needed",
    "not-met": "the policy's criteria were not met on the record; documentation cannot change a criterion the "
    "record establishes: see the CRD card for the route for other uses or an appeal",
    "no-policy": "no policy of this payer governs the ordered drug; no documentation is needed",
    "no-active-coverage": "the Coverage was not in force; update the patient's coverage and sign the order again",
    "info-needed": "the drug could not be identified or the line of business is not under a policy; re-sign the "
    "order coded (RxNorm or NDC) as the CRD card says",
}


@dataclass(frozen=True)
class Target:
    """A policy whose questions are wanted, for which order and patient."""

    policy: Policy
    order_ref: str
    patient_ref: str
    context: str | None


def response_id(key: str, policy: Policy, kind: str) -> str:
    """Stable per order (or context), policy and form: repeated answers cite the same QuestionnaireResponse, so a
    determination made from them is the same one (determinations.py keys on the evidence)."""
    return str(uuid.uuid5(RESPONSE_NAMESPACE, f"{key}|{policy.id}|{kind}"))


def registry_of(engine: Engine) -> PolicyRegistry:
    if not isinstance(engine.policies, PolicyRegistry):
        raise NotFoundError("no policies are loaded, so there are no questionnaires")
    return engine.policies


def _ref(resource: Mapping[str, Any]) -> str:
    return f"{resource.get('resourceType')}/{resource.get('id')}"


def _patient_ref(coverage: Mapping[str, Any], orders: Iterable[Mapping[str, Any]]) -> str | None:
    for element in [coverage.get("beneficiary"), *(o.get("subject") for o in orders)]:
        if isinstance(element, dict) and isinstance(element.get("reference"), str):
            return "/".join(element["reference"].split("/")[-2:])
    return None


async def targets(inputs: DtrInput, engine: Engine, store: AuditStore) -> tuple[list[Target], list[str]]:
    """The policies to package, and warnings for the outcome (a requested questionnaire not offered, §oper-9)."""
    registry = registry_of(engine)
    coverage = inputs.coverage
    if coverage is None:
        raise BadRequestError("the 'coverage' parameter is required")
    if not (inputs.orders or inputs.questionnaires or inputs.context):
        raise BadRequestError("send at least one of 'order', 'questionnaire' or 'context' (dtr-1)")
    patient = _patient_ref(coverage, inputs.orders)
    found: list[Target] = []
    warnings: list[str] = []
    if inputs.context is not None:
        found.append(await _from_context(inputs.context, coverage, registry, store))
    if inputs.orders and inputs.context is None:  # with a context, CRD already named the policy
        found += _from_orders(inputs, coverage, engine, registry, patient)
    for wanted in inputs.questionnaires:
        policy = next((p for p in registry if wanted.split("|")[0] in _urls(p)), None)
        if policy is None:
            warnings.append(f"Questionnaire {wanted} is not offered by this payer")
        elif not any(t.policy.id == policy.id for t in found):
            order_ref = _ref(inputs.orders[0]) if inputs.orders else None
            if order_ref is None or patient is None:
                raise BadRequestError(f"Questionnaire {wanted} was asked for without an 'order' or 'context'")
            found.append(Target(policy, order_ref, patient, None))
    unique = {t.policy.id: t for t in reversed(found)}
    return list(reversed(unique.values())), warnings


def _urls(policy: Policy) -> tuple[str, ...]:
    """The canonicals (without version) a policy's forms are asked for by: standard and adaptive."""
    return (canonical(policy).split("|")[0], adaptive_url(policy.id))


async def _from_context(
    context: str, coverage: Mapping[str, Any], registry: PolicyRegistry, store: AuditStore
) -> Target:
    determination = await asyncio.to_thread(store.determination_by_assertion, context)
    if determination is None:
        raise NotFoundError("the context is not a coverage-assertion-id this payer issued (§spec-130)")
    if determination["coverage_ref"] != _ref(coverage):
        raise UnprocessableError("the Coverage is not the one the context's coverage assertion was made under")
    decision = str(determination["decision"])
    if decision in _NOTHING_TO_ASK:
        raise NothingToAskError(_NOTHING_TO_ASK[decision].format(pa=determination.get("pa_number")))
    policy = registry.policies.get(str(determination["policy_id"]))
    if policy is None or policy.shipped_questionnaire is None:
        raise NothingToAskError("the policy the context was decided under is no longer offered; sign the order again")
    return Target(policy, str(determination["order_ref"]), f"Patient/{determination['patient_id']}", context)


def _from_orders(
    inputs: DtrInput, coverage: Mapping[str, Any], engine: Engine, registry: PolicyRegistry, patient: str | None
) -> list[Target]:
    data = GatheredData()
    data.add(coverage)
    data.add(inputs.record)
    try:
        payer = route(engine.payers, coverage, payor_organization(data, coverage)).payer
    except BadRequestError as error:
        raise UnprocessableError(f"the Coverage is not one this payer serves: {error.message}") from None
    found = []
    for order in inputs.orders:
        data.add(order)
        codings = identify_medication(order, data, engine.crosswalk).codings
        policy = registry.find(payer.key, codings)
        if policy is not None and policy.shipped_questionnaire is not None and patient is not None:
            found.append(Target(policy, _ref(order), patient, inputs.context))
    return found


class NothingToAskError(Exception):
    """CRD asked for no documentation this service can collect (§oper-8): the outcome says why."""


def draft_response(target: Target, coverage_ref: str, *, adaptive: bool) -> dict[str, Any]:
    policy = target.policy
    kind = "adaptive" if adaptive else "standard"
    response: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": response_id(target.context or target.order_ref, policy, kind),
        "meta": {"profile": [PROFILE_QR_ADAPT if adaptive else PROFILE_QR]},
        "extension": [
            reference_extension(QR_COVERAGE, coverage_ref),
            reference_extension(QR_CONTEXT, target.order_ref),
            intended_use("withpa"),
        ],
        "questionnaire": f"#{ADAPTIVE_CONTAINED_ID}" if adaptive else canonical(policy),
        "status": "in-progress",
        "subject": {"reference": target.patient_ref},
    }
    if adaptive:
        response["contained"] = [adaptive_contained(policy, [])]
    return response


def package_bundle(target: Target, coverage_ref: str, *, adaptive: bool) -> dict[str, Any]:
    logic = policy_logic(target.policy)
    questionnaire = adaptive_search(target.policy) if adaptive else standard(target.policy)
    resources = [
        questionnaire,
        draft_response(target, coverage_ref, adaptive=adaptive),
        *logic.libraries,
        *logic.valuesets,
    ]
    return {
        "resourceType": "Bundle",
        "meta": {"profile": [PROFILE_PACKAGE]},
        "type": "collection",
        "entry": [{"fullUrl": _full_url(r), "resource": r} for r in resources],
    }


def _full_url(resource: Mapping[str, Any]) -> str:
    return f"{BASE}{resource['resourceType']}/{resource['id']}"


async def questionnaire_package(inputs: DtrInput, engine: Engine, store: AuditStore) -> dict[str, Any]:
    try:
        found, warnings = await targets(inputs, engine, store)
    except NothingToAskError as reason:
        return {"resourceType": "Parameters", "parameter": [_outcome_part("information", "informational", str(reason))]}
    assert inputs.coverage is not None
    coverage_ref = _ref(inputs.coverage)
    parts: list[dict[str, Any]] = []
    for target in found:
        for adaptive in (False, True):
            parts.append({"name": "packagebundle", "resource": package_bundle(target, coverage_ref, adaptive=adaptive)})
    if not found:
        warnings.append("no policy of this payer asks questions for the given orders (no documentation needed)")
    if warnings:
        parts.append(_outcome_part("warning", "not-found", "; ".join(warnings)))
    return {"resourceType": "Parameters", "parameter": parts}


def _outcome_part(severity: str, code: str, text: str) -> dict[str, Any]:
    return {"name": "outcome", "resource": outcome(severity, code, text)}
