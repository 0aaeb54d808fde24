"""One hook call, end to end and without HTTP, in three steps a reader can follow top to bottom:

    answer = gather_and_route -> decide_orders -> render_answer

gather_and_route reads the record (prefetch, then FHIR queries) and finds the payer; decide_orders gives every
order in scope one outcome (crd/outcome.py) and its coverage assertion; render_answer settles the durable
determinations and renders coverage information, cards and the audit's decision records from those outcomes.
The request clock (Engine.clock, read once) is passed to every step. http/hook_routes.py parses and
authenticates, calls `answer`, writes the audit record and sends the response.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from cql_like import CqlEvaluationError, PatientRecord
from cql_like.fhir.references import reference_parts

from .audit.records import DecisionRecord
from .audit.store import SqliteAuditStore
from .crd import coverage_info as ci
from .crd import determinations as dt
from .crd.attested import keep_dtr_approval
from .crd.cards import CardRenderer, OrderCards
from .crd.notice_cards import notice_card
from .crd.outcome import Outcome, decided_outcome
from .gather.drug_codes import NdcCrosswalk, default_crosswalk
from .gather.order_identity import OrderIdentity, as_evaluated, identify_medication
from .gather.record import Fetcher, GatheredData, based_on_orders, gather, medication_history_available
from .hook.discovery import Service, effective_configuration
from .hook.errors import PreconditionFailedError, UnprocessableError
from .hook.request_model import HookRequest, check_subject
from .payers.directory import PayerDirectory, PayerRoute, route_patient
from .policy.evaluate import Evaluator, Overrides

if TYPE_CHECKING:
    from .policy.decision import OrderDecision
    from .policy.registry import Policy


class PolicyCatalog(Protocol):
    def find(self, payer: str, codings: Iterable[tuple[str, str]]) -> Policy | None: ...

    def questionnaire(self, questionnaire_id: str) -> dict[str, Any] | None: ...


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
    # Where determinations (assertion ids, PA numbers) are kept: the audit store in the service; a private
    # in-memory one for offline replay.
    determinations: dt.DeterminationStore = field(default_factory=SqliteAuditStore.in_memory)
    read_types: frozenset[str] | None = None
    """FHIR resource types the loaded policies read (Library.retrieved_types): what is fetched when not
    prefetched. None: every type discovery has a query for."""
    crosswalk: NdcCrosswalk = field(default_factory=default_crosswalk)


@dataclass
class Answer:
    body: dict[str, Any]
    route: PayerRoute
    decisions: list[DecisionRecord]
    timings: dict[str, float]


@dataclass
class OrderOutcome:
    """One order's outcome, decided once and read by coverage information, cards, metrics and the audit."""

    order_ref: str
    order: Mapping[str, Any]
    outcome: Outcome
    assertion: ci.CoverageAssertion
    policy: Policy | None = None
    decision: OrderDecision | None = None
    notice: OrderCards | None = None  # the card of an order no policy decision reached
    codings: tuple[tuple[str, str], ...] = ()  # the ordered drug's codes, as identified
    evidence_gaps: tuple[str, ...] = ()  # what the policy reads that could not be retrieved


@dataclass
class Routed:
    """What gather_and_route found: the record, the payer, the orders to answer for, the call's configuration."""

    data: GatheredData
    route: PayerRoute
    orders: list[tuple[str, Mapping[str, Any]]]
    config: Mapping[str, Any]


async def answer(request: HookRequest, service: Service, engine: Engine) -> Answer:
    timings: dict[str, float] = {}
    now = engine.clock()
    routed = await gather_and_route(request, service, engine, now, timings)
    record = _Record(routed.data)
    outcomes = decide_orders(routed, service, engine, record, now, timings)
    outcomes = await keep_dtr_approvals(request, service, engine, routed, record, outcomes, now)
    return await render_answer(request, service, engine, routed, outcomes, now, timings)


async def gather_and_route(
    request: HookRequest, service: Service, engine: Engine, now: datetime, timings: dict[str, float]
) -> Routed:
    started = time.perf_counter()
    config = effective_configuration(request.configuration)
    data = await gather(request, service.prefetch, engine.fetch, engine.fetch_budget_s, engine.read_types)
    timings["fetch_ms"] = data.fetch_ms
    payer_route = route_patient(engine.payers, data, now.date())
    timings["data_ms"] = (time.perf_counter() - started) * 1000.0
    return Routed(data, payer_route, _orders_in_scope(request, data), config)


def decide_orders(
    routed: Routed, service: Service, engine: Engine, record: _Record, now: datetime, timings: dict[str, float]
) -> list[OrderOutcome]:
    started = time.perf_counter()
    outcomes = [_decide_order(ref, order, routed, service, engine, record, now) for ref, order in routed.orders]
    timings["evaluate_ms"] = (time.perf_counter() - started) * 1000.0
    return outcomes


async def keep_dtr_approvals(
    request: HookRequest,
    service: Service,
    engine: Engine,
    routed: Routed,
    record: _Record,
    outcomes: list[OrderOutcome],
    now: datetime,
) -> list[OrderOutcome]:
    """An order the record leaves at needs-info keeps the DTR approval made from attested answers for this very
    order, unless the record (read in full) contradicts it (crd/attested.py). Only on calls that keep
    determinations: order-select and what-if calls preview."""
    if not (service.primary and routed.config["unsolicited-determ"]) or engine.evaluate is None:
        return outcomes
    kept: list[OrderOutcome] = []
    for outcome in outcomes:
        decision, policy, line = outcome.decision, outcome.policy, routed.route.line_of_business
        drug_order = _drug_order(outcome.order, routed.data)
        if (
            decision is None
            or policy is None
            or decision.decision != "needs-info"
            or outcome.evidence_gaps
            or drug_order is None
            or line is None
        ):
            kept.append(outcome)
            continue
        reevaluate = functools.partial(
            _evaluate, engine.evaluate, policy, record.get(), drug_order, outcome.order_ref, line,
            list(outcome.codings), routed.data, now,
        )  # fmt: skip
        remade = await keep_dtr_approval(
            engine.determinations,
            _determined(outcome, request, routed),
            decision=decision,
            today=now.date(),
            reevaluate=reevaluate,
        )
        if remade is decision:
            kept.append(outcome)
            continue
        assertion, label = decided_outcome(remade, policy, routed.route, primary=service.primary, evidence_gaps=[])
        kept.append(dataclasses.replace(outcome, outcome=label, assertion=assertion, decision=remade))
    return kept


async def render_answer(
    request: HookRequest,
    service: Service,
    engine: Engine,
    routed: Routed,
    outcomes: list[OrderOutcome],
    now: datetime,
    timings: dict[str, float],
) -> Answer:
    started = time.perf_counter()
    determined = await _determine(outcomes, request, service, routed, now, engine)
    timings["determinations_ms"] = (time.perf_counter() - started) * 1000.0
    cards: list[OrderCards] = []
    system_actions: list[dict[str, Any]] = []
    decisions: list[DecisionRecord] = []
    for outcome, determination in zip(outcomes, determined, strict=True):
        order_cards = _cards_for(outcome, determination.assertion, request, engine, routed, now)
        if order_cards is not None:
            cards.append(order_cards)
        # resp-29/35: an order already holding this very assertion gets no update; anything new or changed does.
        if routed.config["coverage-info"] and not dt.carries_assertion(outcome.order, determination.assertion_id):
            system_actions.append(_system_action(outcome, determination, request, routed.route))
        decisions.append(_decision_record(outcome, determination, order_cards or OrderCards()))
    body: dict[str, Any] = {"cards": _limit(cards, int(routed.config["max-cards"])), "systemActions": system_actions}
    timings["render_ms"] = (time.perf_counter() - started) * 1000.0
    return Answer(body=body, route=routed.route, decisions=decisions, timings=timings)


class _Record:
    """The record as the engine reads it, indexed on first use: a call whose orders no policy governs skips it."""

    def __init__(self, data: GatheredData) -> None:
        self._data = data
        self._record: PatientRecord | None = None
        self._as_evaluated: dict[str, dict[str, Any]] = {}  # "Type/id" -> the order as the policy reads it

    def get(self) -> PatientRecord:
        if self._record is None:
            resources = self._data.all_resources()
            if self._as_evaluated:
                resources = [self._as_evaluated.get(f"{r.get('resourceType')}/{r.get('id')}", r) for r in resources]
            self._record = PatientRecord.from_resources(resources)
        return self._record

    def read_as(self, order: dict[str, Any]) -> None:
        """Evaluate `order` in place of the EHR's resource of the same Type/id (order_identity.as_evaluated)."""
        self._as_evaluated[f"{order.get('resourceType')}/{order.get('id')}"] = order
        self._record = None


def _decide_order(
    ref: str,
    order: Mapping[str, Any],
    routed: Routed,
    service: Service,
    engine: Engine,
    record: _Record,
    now: datetime,
) -> OrderOutcome:
    data, payer_route = routed.data, routed.route
    drug_order = _drug_order(order, data)
    if payer_route.not_in_force is not None:
        return _not_in_force(ref, order, drug_order, payer_route, routed.config)
    identity = identify_medication(drug_order, data, engine.crosswalk) if drug_order is not None else None
    if drug_order is not None and identity is not None and identity.gap is not None:
        return _unidentified(ref, order, drug_order, identity, payer_route, routed.config)
    codings = list(identity.codings) if identity is not None else []
    policy = engine.policies.find(payer_route.payer.key, codings) if drug_order is not None else None
    if policy is None or engine.evaluate is None or drug_order is None:
        # a drug no policy governs gets the payer's no-policy default; other orders their kind's default
        kind = "MedicationRequest" if drug_order is not None else str(order.get("resourceType"))
        default = ci.assertion_for_default(*payer_route.payer.default_for(kind))
        return OrderOutcome(ref, order, "no-policy", default, codings=tuple(codings))
    line = payer_route.line_of_business
    if line is None or line not in policy.metadata.lines_of_business:
        return _line_not_covered(ref, order, policy, payer_route, routed.config)
    evaluated = as_evaluated(drug_order, identity) if identity is not None else None
    if evaluated is not None:
        record.read_as(evaluated)
        drug_order = evaluated
    decision = _evaluate(engine.evaluate, policy, record.get(), drug_order, ref, line, codings, data, now)
    gaps = _evidence_gaps(data, policy)
    assertion, outcome = decided_outcome(decision, policy, payer_route, primary=service.primary, evidence_gaps=gaps)
    return OrderOutcome(
        ref, order, outcome, assertion, policy, decision, codings=tuple(codings), evidence_gaps=tuple(gaps)
    )


def _evaluate(
    evaluate: Evaluator,
    policy: Policy,
    record: PatientRecord,
    drug_order: Mapping[str, Any],
    ref: str,
    line_of_business: str,
    codings: list[tuple[str, str]],
    data: GatheredData,
    now: datetime,
    overrides: Overrides | None = None,
) -> OrderDecision:
    try:
        return evaluate(
            policy,
            record,
            order_id=str(drug_order["id"]),
            now=now,
            line_of_business=line_of_business,
            order_resource=drug_order,
            ordered_codings=codings,
            medication_history_available=medication_history_available(data),
            overrides=overrides,
        )
    except CqlEvaluationError as error:
        # Data breaking FHIR's types (a code that is an array ...) cannot be decided on; the answer names
        # the policy and define, never the values. Was a 500 (found by tests/cds_service/test_fuzz.py).
        raise UnprocessableError(
            f"the data for {ref} breaks FHIR types policy {policy.id} reads ({error.define})"
        ) from None


def _cards_for(
    outcome: OrderOutcome,
    assertion: ci.CoverageAssertion,
    request: HookRequest,
    engine: Engine,
    routed: Routed,
    now: datetime,
) -> OrderCards | None:
    """The order's cards: rendered from its policy decision, else the notice decided with the outcome."""
    if outcome.policy is None or outcome.decision is None:
        return outcome.notice
    return engine.renderer.render(
        decision=outcome.decision,
        outcome=outcome.outcome,
        policy=outcome.policy,
        order=outcome.order,
        payer_label=routed.route.payer.label,
        assertion=assertion,
        data=routed.data,
        config=routed.config,
        hook=request.hook,
        today=now.date(),
    )


def _system_action(
    outcome: OrderOutcome, determination: dt.OrderDetermination, request: HookRequest, payer_route: PayerRoute
) -> dict[str, Any]:
    extension = ci.extension_json(
        determination.assertion,
        coverage_reference=payer_route.coverage_reference,
        asserted_on=determination.asserted_on,
        assertion_id=determination.assertion_id,
        crd_version=request.crd_version,
    )
    description = f"Coverage information from {payer_route.payer.label} for {outcome.order_ref}"
    return ci.system_action(outcome.order, extension, description)


def _decision_record(outcome: OrderOutcome, determination: dt.OrderDetermination, cards: OrderCards) -> DecisionRecord:
    assertion = determination.assertion
    return DecisionRecord(
        order_ref=outcome.order_ref,
        decision=outcome.outcome,
        covered=assertion.covered,
        pa_needed=assertion.pa_needed,
        coverage_assertion_id=determination.assertion_id,
        policy_id=outcome.policy.id if outcome.policy else None,
        policy_version=outcome.policy.version if outcome.policy else None,
        satisfied_pa_id=assertion.satisfied_pa_id,
        expiry_date=assertion.expiry.isoformat() if assertion.expiry else None,
        card_uuids=tuple(str(card["uuid"]) for card in cards.all()),
    )


def _orders_in_scope(request: HookRequest, data: GatheredData) -> list[tuple[str, Mapping[str, Any]]]:
    """The orders (or appointments) to answer for, each as given or read; one about another patient is a 400."""
    refs = list(request.in_scope)
    if request.hook == "encounter-discharge":
        refs = _encounter_drug_orders(data, str(request.context.get("encounterId")))
    found: list[tuple[str, Mapping[str, Any]]] = []
    for ref in refs:
        order = data.resources.get(ref)
        if order is None:
            raise PreconditionFailedError(f"the order {ref} was neither in the request nor retrievable")
        check_subject(order, request.patient_id)
        found.append((ref, order))
    for ref in based_on_orders(order for _, order in found):
        if ref in data.resources:
            check_subject(data.resources[ref], request.patient_id)
    return found


def _encounter_drug_orders(data: GatheredData, encounter_id: str) -> list[str]:
    """encounter-discharge: the encounter's drug orders still to be filled (draft or active), by id."""
    refs = []
    for order in data.of_type("MedicationRequest"):
        encounter = order.get("encounter")
        target = encounter.get("reference") if isinstance(encounter, dict) else None
        if isinstance(target, str) and reference_parts(target) == ["Encounter", encounter_id]:
            if order.get("status") in ("draft", "active"):
                refs.append(f"MedicationRequest/{order['id']}")
    return sorted(refs)


def _drug_order(order: Mapping[str, Any], data: GatheredData) -> Mapping[str, Any] | None:
    """The MedicationRequest to decide: the order itself, or the one an appointment is based on."""
    if order.get("resourceType") == "MedicationRequest":
        return order
    if order.get("resourceType") == "Appointment":
        for ref in based_on_orders([order]):
            based_on = data.resources.get(ref)
            if based_on is not None and based_on.get("resourceType") == "MedicationRequest":
                return based_on
    return None


def _not_in_force(
    ref: str,
    order: Mapping[str, Any],
    drug_order: Mapping[str, Any] | None,
    payer_route: PayerRoute,
    config: Mapping[str, Any],
) -> OrderOutcome:
    """No Coverage in force on the request's date: nothing is covered under it (CRD resp-45)."""
    why = str(payer_route.not_in_force)
    card = notice_card(
        order=drug_order or order, order_ref=ref, payer_label=payer_route.payer.label, topic="insurance",
        summary="no coverage in force", detail=f"{why}: the payer covers nothing under it on this date; "
        "update the patient's coverage before ordering.",
    )  # fmt: skip
    return OrderOutcome(
        ref, order, "no-active-coverage", ci.assertion_for_no_active_coverage(why), notice=_cards(card, config)
    )


def _unidentified(
    ref: str,
    order: Mapping[str, Any],
    drug_order: Mapping[str, Any],
    identity: OrderIdentity,
    payer_route: PayerRoute,
    config: Mapping[str, Any],
) -> OrderOutcome:
    """A drug that cannot be told (not coded, or its Medication unreadable): no policy can decide it."""
    outcome: Outcome
    if identity.gap == "unretrievable":
        assertion, outcome, summary = (
            ci.assertion_for_unreadable_order(identity.reason),
            "indeterminate",
            "coverage cannot be determined now",
        )
    else:
        assertion, outcome, summary = (
            ci.assertion_for_uncoded_order(identity.reason),
            "info-needed",
            "coverage cannot be determined: the drug is not coded",
        )
    card = notice_card(
        order=drug_order, order_ref=ref, payer_label=payer_route.payer.label, topic="guideline", summary=summary,
        detail=f"{identity.reason}. Coverage and prior authorization depend on the exact drug; re-sign the "
        "order with its RxNorm (or NDC) code to get the payer's answer.",
    )  # fmt: skip
    return OrderOutcome(ref, order, outcome, assertion, notice=_cards(card, config))


def _line_not_covered(
    ref: str, order: Mapping[str, Any], policy: Policy, payer_route: PayerRoute, config: Mapping[str, Any]
) -> OrderOutcome:
    """The Coverage's line of business is not placed, or not one the drug's policy covers: the payer may have
    other rules for it (Medicare Part D, a dual plan), so this service does not answer as if it were another."""
    meta = policy.metadata
    line = payer_route.line_of_business
    if line is None:
        reason = (
            f"The line of business of {payer_route.coverage_reference} could not be placed from its type or plan; "
            f"{payer_route.payer.label} {meta.document.number} applies to "
            + ", ".join(meta.lines_of_business) + " coverage."
        )  # fmt: skip
    else:
        reason = (
            f"{payer_route.payer.label} {meta.document.number} covers "
            + ", ".join(meta.lines_of_business) + f" lines of business, not {line}; "
            "coverage for this plan is decided under its own rules."
        )  # fmt: skip
    card = notice_card(
        order=order, order_ref=ref, payer_label=payer_route.payer.label, topic="insurance",
        summary="line of business not placed" if line is None else f"{line} coverage is not under this policy",
        detail=reason,
    )  # fmt: skip
    return OrderOutcome(
        ref, order, "info-needed", ci.assertion_for_line_not_covered(reason), notice=_cards(card, config)
    )


def _cards(card: dict[str, Any], config: Mapping[str, Any]) -> OrderCards | None:
    topic = card["source"]["topic"]["code"]
    return OrderCards(decision=card) if config.get(topic, True) else None


def _evidence_gaps(data: GatheredData, policy: Policy) -> list[str]:
    """What the policy reads that could not be retrieved (keys of `unavailable` that are resource types)."""
    library = getattr(policy, "library", None)
    read = library.retrieved_types if library is not None else None
    return sorted(k for k in data.unavailable if ":" not in k and (read is None or k in read))


def _determined(outcome: OrderOutcome, request: HookRequest, routed: Routed) -> dt.DeterminedOrder:
    return dt.DeterminedOrder(outcome.order_ref, outcome.order, outcome.codings, request.patient_id, routed.route)


async def _determine(
    outcomes: list[OrderOutcome],
    request: HookRequest,
    service: Service,
    routed: Routed,
    now: datetime,
    engine: Engine,
) -> list[dt.OrderDetermination]:
    """Each order's assertion id (and PA number): kept and reused on primary hooks; on order-select and on a
    what-if call (`unsolicited-determ` false, CRD found-35) shown without a PA number and not kept."""
    today = now.date()
    candidates = [
        dt.candidate(
            _determined(outcome, request, routed),
            label=outcome.outcome,
            assertion=outcome.assertion,
            decision=outcome.decision,
            evidence_gaps=list(outcome.evidence_gaps),
            today=today,
        )
        for outcome in outcomes
    ]
    if not (service.primary and routed.config["unsolicited-determ"]):
        return [dt.preview(c, o.assertion, today) for c, o in zip(candidates, outcomes, strict=True)]
    return await dt.settle(engine.determinations, candidates, [o.assertion for o in outcomes], today)


def _limit(per_order: list[OrderCards], max_cards: int) -> list[dict[str, Any]]:
    """Honour max-cards, keeping every order's decision card before any extra card."""
    ordered = [c.decision for c in per_order if c.decision] + [x for c in per_order for x in c.extras]
    return ordered[:max_cards]
