"""One hook call, end to end and without HTTP: data -> payer -> policy -> decision -> coverage-info + cards.

hooks.py parses and authenticates, calls `answer`, writes the audit record and sends the response.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from .audit.store import DecisionRecord, SqliteAuditStore
from .crd import coverage_info as ci
from .crd import determinations as dt
from .crd.cards import CardRenderer, OrderCards
from .crd.notice_cards import notice_card
from .gather.drug_codes import NdcCrosswalk, default_crosswalk
from .gather.order_identity import identify_medication
from .gather.record import (
    Fetcher,
    GatheredData,
    based_on_orders,
    gather,
    medication_history_available,
    payor_organization,
)
from .hook.discovery import Service, effective_configuration
from .hook.errors import PreconditionFailedError, UnprocessableError
from .hook.request_model import HookRequest, check_subject
from .payers.directory import PayerDirectory, PayerRoute, choose_coverage, route

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
class _OrderResult:
    order_ref: str
    order: Mapping[str, Any]
    label: str
    assertion: ci.CoverageAssertion
    policy: Policy | None = None
    decision: OrderDecision | None = None
    notice: OrderCards | None = None  # the card of an order no policy decision reached
    codings: tuple[tuple[str, str], ...] = ()  # the ordered drug's codes, as identified
    evidence_gaps: tuple[str, ...] = ()  # what the policy reads that could not be retrieved


async def answer(request: HookRequest, service: Service, engine: Engine) -> Answer:
    timings: dict[str, float] = {}
    started = time.perf_counter()
    config = effective_configuration(request.configuration)
    data = await gather(request, service.prefetch, engine.fetch, engine.fetch_budget_s, engine.read_types)
    timings["fetch_ms"] = data.fetch_ms
    now = engine.clock()
    choice = choose_coverage(data.of_type("Coverage"), now.date())
    organization = payor_organization(data, choice.coverage)
    if organization is None and any(key.startswith("payor:") for key in data.unavailable):
        raise PreconditionFailedError("the Coverage's payor Organization could not be retrieved")
    payer_route = route(engine.payers, choice.coverage, organization, choice.not_in_force)
    timings["data_ms"] = (time.perf_counter() - started) * 1000.0

    orders = _orders_in_scope(request, data)
    record: Any = None
    results: list[_OrderResult] = []
    evaluate_started = time.perf_counter()
    for ref, order in orders:
        drug_order = _drug_order(order, data)
        notice = _notice_for(order, ref, drug_order, payer_route, data, engine.crosswalk, config)
        if notice is not None:
            results.append(notice)
            continue
        policy = None
        codings: list[tuple[str, str]] = []
        if drug_order is not None:
            codings = list(identify_medication(drug_order, data, engine.crosswalk).codings)
            policy = engine.policies.find(payer_route.payer.key, codings)
        if policy is None or engine.evaluate is None or drug_order is None:
            # a drug no policy governs gets the payer's no-policy default; other orders their kind's default
            kind = "MedicationRequest" if drug_order is not None else str(order.get("resourceType"))
            default = ci.assertion_for_default(*payer_route.payer.default_for(kind))
            results.append(_OrderResult(ref, order, "no-policy", default, codings=tuple(codings)))
            continue
        line = payer_route.line_of_business
        if line is None or line not in policy.metadata.lines_of_business:
            results.append(_line_not_covered(ref, order, policy, payer_route, config))
            continue
        if record is None:
            from cql_like import PatientRecord

            record = PatientRecord.from_resources(data.all_resources())
        from cql_like import CqlEvaluationError

        try:
            decision = engine.evaluate(
                policy,
                record,
                order_id=str(drug_order["id"]),
                now=now,
                line_of_business=line,
                order_resource=drug_order,
                ordered_codings=codings,
                medication_history_available=medication_history_available(data),
            )
        except CqlEvaluationError as error:
            # Data breaking FHIR's types (a code that is an array ...) cannot be decided on; the answer names
            # the policy and define, never the values. Was a 500 (found by tests/cds_service/test_fuzz.py).
            raise UnprocessableError(
                f"the data for {ref} breaks FHIR types policy {policy.id} reads ({error.define})"
            ) from None
        gaps = _evidence_gaps(data, policy)
        assertion, label = _assert(decision, policy, payer_route, service, gaps, data)
        results.append(
            _OrderResult(
                ref, order, label, assertion, policy, decision, codings=tuple(codings), evidence_gaps=tuple(gaps)
            )
        )
    timings["evaluate_ms"] = (time.perf_counter() - evaluate_started) * 1000.0

    render_started = time.perf_counter()
    determined = await _determine(results, request, service, config, payer_route, now, engine)
    timings["determinations_ms"] = (time.perf_counter() - render_started) * 1000.0
    system_actions: list[dict[str, Any]] = []
    decisions: list[DecisionRecord] = []
    cards: list[OrderCards] = []
    for result, determination in zip(results, determined, strict=True):
        assertion = determination.assertion
        order_cards = OrderCards()
        if result.policy is not None and result.decision is not None:
            order_cards = engine.renderer.render(
                decision=result.decision,
                policy=result.policy,
                order=result.order,
                payer_label=payer_route.payer.label,
                assertion=assertion,
                data=data,
                config=config,
                hook=request.hook,
                today=now.date(),
            )
            cards.append(order_cards)
        elif result.notice is not None:
            order_cards = result.notice
            cards.append(order_cards)
        # resp-29/35: an order already holding this very assertion gets no update; anything new or changed does.
        if config["coverage-info"] and not dt.carries_assertion(result.order, determination.assertion_id):
            extension = ci.extension_json(
                assertion,
                coverage_reference=payer_route.coverage_reference,
                asserted_on=determination.asserted_on,
                assertion_id=determination.assertion_id,
                crd_version=request.crd_version,
            )
            system_actions.append(ci.system_action(result.order, extension, _description(result, payer_route)))
        decisions.append(
            DecisionRecord(
                order_ref=result.order_ref,
                decision=result.label,
                covered=assertion.covered,
                pa_needed=assertion.pa_needed,
                coverage_assertion_id=determination.assertion_id,
                policy_id=result.policy.id if result.policy else None,
                policy_version=result.policy.version if result.policy else None,
                satisfied_pa_id=assertion.satisfied_pa_id,
                expiry_date=assertion.expiry.isoformat() if assertion.expiry else None,
                card_uuids=tuple(str(card["uuid"]) for card in order_cards.all()),
            )
        )
    body: dict[str, Any] = {"cards": _limit(cards, int(config["max-cards"])), "systemActions": system_actions}
    timings["render_ms"] = (time.perf_counter() - render_started) * 1000.0
    return Answer(body=body, route=payer_route, decisions=decisions, timings=timings)


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
        if isinstance(target, str) and target.rstrip("/").split("/")[-2:] == ["Encounter", encounter_id]:
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


def _notice_for(
    order: Mapping[str, Any],
    ref: str,
    drug_order: Mapping[str, Any] | None,
    payer_route: PayerRoute,
    data: GatheredData,
    crosswalk: NdcCrosswalk,
    config: Mapping[str, Any],
) -> _OrderResult | None:
    """The answer for an order no policy can decide: Coverage not in force, or a drug that cannot be told."""
    payer = payer_route.payer.label
    if payer_route.not_in_force is not None:
        why = payer_route.not_in_force
        card = notice_card(
            order=drug_order or order, order_ref=ref, payer_label=payer, topic="insurance",
            summary="no coverage in force", detail=f"{why}: the payer covers nothing under it on this date; "
            "update the patient's coverage before ordering.",
        )  # fmt: skip
        return _OrderResult(
            ref, order, "no-active-coverage", ci.assertion_for_no_active_coverage(why), notice=_cards(card, config)
        )
    if drug_order is None:
        return None
    identity = identify_medication(drug_order, data, crosswalk)
    if identity.gap is None:
        return None
    if identity.gap == "unretrievable":
        assertion, label, summary = (
            ci.assertion_for_unreadable_order(identity.reason),
            "indeterminate",
            ("coverage cannot be determined now"),
        )
    else:
        assertion, label, summary = (
            ci.assertion_for_uncoded_order(identity.reason),
            "info-needed",
            ("coverage cannot be determined: the drug is not coded"),
        )
    card = notice_card(
        order=drug_order, order_ref=ref, payer_label=payer, topic="guideline", summary=summary,
        detail=f"{identity.reason}. Coverage and prior authorization depend on the exact drug; re-sign the "
        "order with its RxNorm (or NDC) code to get the payer's answer.",
    )  # fmt: skip
    return _OrderResult(ref, order, label, assertion, notice=_cards(card, config))


def _line_not_covered(
    ref: str, order: Mapping[str, Any], policy: Policy, payer_route: PayerRoute, config: Mapping[str, Any]
) -> _OrderResult:
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
    return _OrderResult(
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
                satisfied_pa_id=None,  # the determination (determinations.py) holds the PA number
                expiry=decision.expiry if realtime else None,
                questionnaire=questionnaire,
                policy_link=link,
                policy_label=label,
                allowed_daily=ci.allowed_daily_dose(decision.values) if realtime else None,
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


async def _determine(
    results: list[_OrderResult],
    request: HookRequest,
    service: Service,
    config: Mapping[str, bool | int],
    payer_route: PayerRoute,
    now: datetime,
    engine: Engine,
) -> list[dt.OrderDetermination]:
    """Each order's assertion id (and PA number): kept and reused on primary hooks; on order-select and on a
    what-if call (`unsolicited-determ` false, CRD found-35) shown without a PA number and not kept."""
    today = now.date()
    candidates = [
        dt.candidate(
            order_ref=result.order_ref,
            order=result.order,
            codings=list(result.codings),
            patient_id=request.patient_id,
            payer_route=payer_route,
            label=result.label,
            assertion=result.assertion,
            decision=result.decision,
            evidence_gaps=list(result.evidence_gaps),
            today=today,
        )
        for result in results
    ]
    if not (service.primary and config["unsolicited-determ"]):
        return [dt.preview(c, r.assertion, today) for c, r in zip(candidates, results, strict=True)]
    return await dt.settle(engine.determinations, candidates, [r.assertion for r in results], today)


def _description(result: _OrderResult, payer_route: PayerRoute) -> str:
    return f"Coverage information from {payer_route.payer.label} for {result.order_ref}"


def _limit(per_order: list[OrderCards], max_cards: int) -> list[dict[str, Any]]:
    """Honour max-cards, keeping every order's decision card before any extra card."""
    ordered = [c.decision for c in per_order if c.decision] + [x for c in per_order for x in c.extras]
    return ordered[:max_cards]
