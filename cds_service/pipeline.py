"""One hook call, end to end and without HTTP: data -> payer -> policy -> decision -> coverage-info + cards.

hooks.py parses and authenticates, calls `answer`, writes the audit record and sends the response.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from . import coverage_info as ci
from .cards import CardRenderer, OrderCards
from .discovery import Service, effective_configuration
from .errors import PreconditionFailedError, UnprocessableError
from .payers import PayerDirectory, PayerRoute, active_coverage, route
from .record import (
    Fetcher,
    GatheredData,
    gather,
    medication_codings,
    medication_history_available,
    payor_organization,
)
from .request_model import HookRequest
from .store import DecisionRecord

if TYPE_CHECKING:
    from .policy.decision import OrderDecision
    from .policy.registry import Policy

QUESTIONNAIRE_BASE = "https://coverage-hooks.example.org/fhir/Questionnaire/"


class PolicyCatalog(Protocol):
    def find(self, payer: str, codings: Iterable[tuple[str, str]]) -> Policy | None: ...

    def questionnaire(self, questionnaire_id: str) -> dict[str, Any] | None: ...


Evaluator = Callable[..., "OrderDecision"]


@dataclass
class Engine:
    """Everything a hook call needs that outlives the call: configuration, policies, I/O."""

    payers: PayerDirectory
    policies: PolicyCatalog
    evaluate: Evaluator | None
    fetch: Fetcher | None
    renderer: CardRenderer
    fetch_budget_s: float = 2.0
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))


@dataclass
class Answer:
    body: dict[str, Any]
    route: PayerRoute
    decisions: list[DecisionRecord]
    timings: dict[str, float]


@dataclass
class _OrderResult:
    order_ref: str
    order: Mapping[str, Any]
    label: str
    assertion: ci.CoverageAssertion
    policy: Policy | None = None
    decision: OrderDecision | None = None


async def answer(request: HookRequest, service: Service, engine: Engine) -> Answer:
    timings: dict[str, float] = {}
    started = time.perf_counter()
    config = effective_configuration(request.configuration)
    data = await gather(request, service.prefetch, engine.fetch, engine.fetch_budget_s)
    timings["fetch_ms"] = data.fetch_ms
    coverage = active_coverage(data.of_type("Coverage"))
    organization = payor_organization(data, coverage)
    if organization is None and any(key.startswith("payor:") for key in data.unavailable):
        raise PreconditionFailedError("the Coverage's payor Organization could not be retrieved")
    payer_route = route(engine.payers, coverage, organization)
    timings["data_ms"] = (time.perf_counter() - started) * 1000.0

    now = engine.clock()
    evidence_gaps = sorted(k for k in data.unavailable if not k.startswith(("payor:", "order:")))
    record: Any = None
    results: list[_OrderResult] = []
    evaluate_started = time.perf_counter()
    for ref in request.in_scope:
        order = data.resources.get(ref)
        if order is None:
            raise PreconditionFailedError(f"the order {ref} was neither in the request nor retrievable")
        policy = None
        codings: list[tuple[str, str]] = []
        if order.get("resourceType") == "MedicationRequest":
            codings = medication_codings(order, data)
            policy = engine.policies.find(payer_route.payer.key, codings)
        if policy is None or engine.evaluate is None:
            default = ci.assertion_for_default(payer_route.payer.default_covered, payer_route.payer.default_pa_needed)
            results.append(_OrderResult(ref, order, "no-policy", default))
            continue
        if record is None:
            from cql_like import PatientRecord

            record = PatientRecord.from_resources(data.all_resources())
        from cql_like import CqlEvaluationError

        try:
            decision = engine.evaluate(
                policy,
                record,
                order_id=str(order["id"]),
                now=now,
                line_of_business=payer_route.line_of_business,
                order_resource=order,
                ordered_codings=codings,
                medication_history_available=medication_history_available(data),
            )
        except CqlEvaluationError as error:
            # Data breaking FHIR's types (a code that is an array ...) cannot be decided on; the answer names
            # the policy and define, never the values. Was a 500 (found by tests/cds_service/test_fuzz.py).
            raise UnprocessableError(
                f"the data for {ref} breaks FHIR types policy {policy.id} reads ({error.define})"
            ) from None
        assertion, label = _assert(decision, policy, payer_route, service, evidence_gaps, data)
        results.append(_OrderResult(ref, order, label, assertion, policy, decision))
    timings["evaluate_ms"] = (time.perf_counter() - evaluate_started) * 1000.0

    render_started = time.perf_counter()
    system_actions: list[dict[str, Any]] = []
    decisions: list[DecisionRecord] = []
    cards: list[OrderCards] = []
    for result in results:
        assertion_id = str(uuid.uuid4())
        order_cards = OrderCards()
        if result.policy is not None and result.decision is not None:
            order_cards = engine.renderer.render(
                decision=result.decision,
                policy=result.policy,
                order=result.order,
                payer_label=payer_route.payer.label,
                assertion=result.assertion,
                data=data,
                config=config,
                hook=request.hook,
            )
            cards.append(order_cards)
        if config["coverage-info"]:
            extension = ci.extension_json(
                result.assertion,
                coverage_reference=payer_route.coverage_reference,
                asserted_on=now.date(),
                assertion_id=assertion_id,
            )
            system_actions.append(ci.system_action(result.order, extension, _description(result, payer_route)))
        decisions.append(
            DecisionRecord(
                order_ref=result.order_ref,
                decision=result.label,
                covered=result.assertion.covered,
                pa_needed=result.assertion.pa_needed,
                coverage_assertion_id=assertion_id,
                policy_id=result.policy.id if result.policy else None,
                policy_version=result.policy.version if result.policy else None,
                satisfied_pa_id=result.assertion.satisfied_pa_id,
                expiry_date=result.assertion.expiry.isoformat() if result.assertion.expiry else None,
                card_uuids=tuple(str(card["uuid"]) for card in order_cards.all()),
            )
        )
    body: dict[str, Any] = {"cards": _limit(cards, int(config["max-cards"])), "systemActions": system_actions}
    timings["render_ms"] = (time.perf_counter() - render_started) * 1000.0
    return Answer(body=body, route=payer_route, decisions=decisions, timings=timings)


def _assert(
    decision: OrderDecision,
    policy: Policy,
    payer_route: PayerRoute,
    service: Service,
    evidence_gaps: list[str],
    data: GatheredData,
) -> tuple[ci.CoverageAssertion, str]:
    meta = policy.metadata
    label = f"{payer_route.payer.label} {meta.document.number}"
    link = meta.document.url
    questionnaire = questionnaire_url(policy)
    if decision.decision == "approved":
        realtime = payer_route.payer.real_time_determination
        return (
            ci.assertion_for_approval(
                realtime=realtime,
                primary=service.primary,
                satisfied_pa_id=new_pa_number() if realtime else None,
                expiry=decision.expiry if realtime else None,
                questionnaire=questionnaire,
                policy_link=link,
                policy_label=label,
            ),
            "approved",
        )
    if decision.formulary_exclusion is not None:
        return (
            ci.assertion_for_non_formulary(
                policy_link=link,
                product=decision.formulary_exclusion.product,
                exception_policy=decision.formulary_exclusion.exception_policy,
                policy_label=label,
            ),
            "not-met",
        )
    if decision.decision == "not-met":
        failed = [f"{c.id} {c.description}" for c in decision.path.with_status("not-met")]
        return (
            ci.assertion_for_not_met(
                policy_link=link,
                failed=failed,
                policy_label=label,
                other_use_policy=decision.other_use_policy,
            ),
            "not-met",
        )
    if evidence_gaps:
        return (
            ci.assertion_for_technical_gap(
                primary=service.primary,
                questionnaire=questionnaire,
                policy_link=link,
                unavailable=evidence_gaps,
            ),
            "indeterminate",
        )
    missing = [f"{c.id} {c.description}" for c in decision.path.with_status("unknown")]
    return (
        ci.assertion_for_needs_info(
            primary=service.primary,
            questionnaire=questionnaire,
            policy_link=link,
            missing=missing,
            policy_label=label,
        ),
        "needs-info",
    )


def questionnaire_url(policy: Policy) -> str | None:
    if policy.questionnaire is None:
        return None
    return policy.questionnaire_url or QUESTIONNAIRE_BASE + str(policy.questionnaire.get("id"))


def new_pa_number() -> str:
    return "PA-" + uuid.uuid4().hex[:16].upper()


def _description(result: _OrderResult, payer_route: PayerRoute) -> str:
    return f"Coverage information from {payer_route.payer.label} for {result.order_ref}"


def _limit(per_order: list[OrderCards], max_cards: int) -> list[dict[str, Any]]:
    """Honour max-cards, keeping every order's decision card before any extra card."""
    ordered = [c.decision for c in per_order if c.decision] + [x for c in per_order for x in c.extras]
    return ordered[:max_cards]
