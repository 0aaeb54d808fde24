"""Run replay inputs through the same in-process pipeline the server uses, and compare two policy sets.

Offline by design: no FHIR server is contacted (what a request did not prefetch stays unknown), no audit
record is written, and the clock is the one the analyst gives.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from ..crd.cards import TRACE_KEY, CardRenderer
from ..dtr.replay_form import assess_form
from ..hook.discovery import SERVICES, Service
from ..hook.errors import BadRequestError, HookError
from ..hook.request_model import parse_hook_request
from ..payers.directory import PayerDirectory
from ..pipeline import Answer, Engine, answer
from .inputs import AnsweredFormInput, HookRequestInput, PatientRecordInput, ReplayInput
from .orders import OrderSpec, OrderSpecError, order_sign_request


@dataclass(frozen=True)
class Criterion:
    id: str
    description: str
    status: str  # met | not-met | unknown
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class OrderOutcome:
    order: str
    decision: str  # approved | needs-info | not-met | no-policy | indeterminate
    covered: str
    pa_needed: str | None
    policy_id: str | None
    policy_version: str | None
    expiry: str | None
    summary: str | None
    criteria: tuple[Criterion, ...]
    path: str | None = None  # the indication path the criteria are of (e.g. I.A)


@dataclass(frozen=True)
class InputOutcome:
    label: str
    kind: str  # hook-request | patient-record | answered-form
    payer: str | None = None
    line_of_business: str | None = None
    orders: tuple[OrderOutcome, ...] = ()
    error: str | None = None
    elapsed_ms: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()  # a replayed form: which criteria the answers decided, conflicts


def build_engine(policies_dir: Path, payers_file: Path, now: datetime) -> Engine:
    from ..policy import PolicyRegistry, evaluate_order

    return Engine(
        payers=PayerDirectory.load(payers_file),
        policies=PolicyRegistry.load(policies_dir),
        evaluate=evaluate_order,
        fetch=None,
        renderer=CardRenderer(),
        clock=lambda: now,
    )


def service_for(hook: str) -> Service:
    for service in SERVICES.values():
        if service.hook == hook:
            return service
    raise BadRequestError(f"this service answers no {hook!r} hook")


def request_payload(item: HookRequestInput | PatientRecordInput, spec: OrderSpec | None) -> dict[str, Any]:
    if isinstance(item, HookRequestInput):
        return item.payload
    if spec is None:
        raise OrderSpecError("a patient record needs --order (e.g. --order rxnorm:2628240 --dose 960mg/d)")
    return order_sign_request(spec, item.patient_id, item.resources)


async def run_one(item: ReplayInput, engine: Engine, spec: OrderSpec | None) -> InputOutcome:
    kind = _KINDS[type(item)]
    started = time.perf_counter()
    notes: tuple[str, ...] = ()
    try:
        if isinstance(item, AnsweredFormInput):
            result, notes = await _answered_form(item, engine)
        else:
            payload = request_payload(item, spec)
            hook = str(payload.get("hook"))
            service = service_for(hook)
            result = await answer(parse_hook_request(payload, service.hook), service, engine)
    except (HookError, OrderSpecError) as exc:
        # the HTTP status the server would have answered, so replay and server read the same
        message = f"HTTP {exc.status}: {exc.message}" if isinstance(exc, HookError) else str(exc)
        return InputOutcome(item.label, kind, error=message, elapsed_ms=_ms(started))
    return InputOutcome(
        item.label,
        kind,
        payer=result.route.payer.key,
        line_of_business=result.route.line_of_business,
        orders=tuple(_orders(result)),
        elapsed_ms=_ms(started),
        timings=dict(result.timings),
        notes=notes,
    )


_KINDS = {HookRequestInput: "hook-request", PatientRecordInput: "patient-record", AnsweredFormInput: "answered-form"}


async def _answered_form(item: AnsweredFormInput, engine: Engine) -> tuple[Answer, tuple[str, ...]]:
    assessment = await assess_form(item.response, item.record.resources, engine)
    notes = [f"answers decided {', '.join(assessment.answered)}" if assessment.answered else "no answer was needed"]
    notes += [
        f"needs review: {c.criterion} is {c.recorded} on the record but was answered {c.answered}"
        for c in assessment.conflicts
    ]
    notes.append("replay issues no PA number: an approval shows as auth-needed")
    return assessment.answer, tuple(notes)


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0


def _orders(result: Answer) -> Iterable[OrderOutcome]:
    cards = {str(card["uuid"]): card for card in result.body.get("cards", [])}
    for record in result.decisions:
        decision_card = next((cards[u] for u in record.card_uuids if u in cards), None)
        trace: dict[str, Any] = (decision_card or {}).get("extension", {}).get(TRACE_KEY) or {}
        yield OrderOutcome(
            order=record.order_ref,
            decision=record.decision,
            covered=record.covered,
            pa_needed=record.pa_needed,
            policy_id=record.policy_id,
            policy_version=record.policy_version,
            expiry=record.expiry_date,
            summary=str(decision_card["summary"]) if decision_card else None,
            path=str(trace["path"]) if trace.get("path") else None,
            criteria=tuple(
                Criterion(
                    id=str(c.get("id")),
                    description=str(c.get("description", "")),
                    status=str(c.get("status")),
                    evidence=tuple(str(e) for e in c.get("evidence", ())),
                )
                for c in trace.get("criteria", ())
            ),
        )


def run_all(
    items: list[ReplayInput],
    engine: Engine,
    spec: OrderSpec | None,
    on_done: Callable[[InputOutcome], None] | None = None,
) -> list[InputOutcome]:
    async def go() -> list[InputOutcome]:
        outcomes = []
        for item in items:
            outcome = await run_one(item, engine, spec)
            outcomes.append(outcome)
            if on_done is not None:
                on_done(outcome)
        return outcomes

    return asyncio.run(go())


@dataclass(frozen=True)
class DecisionChange:
    input: str
    order: str
    before: str
    after: str
    policy_before: str | None
    policy_after: str | None


def compare(baseline: list[InputOutcome], candidate: list[InputOutcome]) -> list[DecisionChange]:
    """Orders whose decision (or error) differs between two runs over the same inputs."""
    changes = []
    for first, second in zip(baseline, candidate, strict=True):
        before = {o.order: o for o in first.orders}
        after = {o.order: o for o in second.orders}
        if first.error or second.error:
            if first.error != second.error:
                changes.append(DecisionChange(first.label, "-", _state(first.error), _state(second.error), None, None))
            continue
        for order in sorted(set(before) | set(after)):
            old, new = before.get(order), after.get(order)
            old_decision = old.decision if old else "absent"
            new_decision = new.decision if new else "absent"
            if old_decision != new_decision:
                changes.append(
                    DecisionChange(
                        first.label,
                        order,
                        old_decision,
                        new_decision,
                        old.policy_id if old else None,
                        new.policy_id if new else None,
                    )
                )
    return changes


def _state(error: str | None) -> str:
    return f"error: {error}" if error else "answered"


def evaluation_time(on: date | None) -> datetime:
    """Noon UTC of the given day (today when none), so age and date arithmetic do not straddle midnight."""
    day = on or datetime.now(UTC).date()
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


__all__ = [
    "Criterion",
    "DecisionChange",
    "InputOutcome",
    "OrderOutcome",
    "PatientRecordInput",
    "build_engine",
    "compare",
    "evaluation_time",
    "run_all",
    "run_one",
]
