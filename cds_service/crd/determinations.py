"""Durable, idempotent coverage determinations (CRD resp-29, resp-35; what-if found-35).

A determination is keyed by what it was decided on: the order (its id and clinical content), the patient, the
Coverage and line of business, the policy id and version, and the record as the policy saw it (the criteria
snapshot: statuses and evidence ids). The same key gets the same coverage-assertion-id and PA number for as
long as the approval has not expired; a changed order or record gets a new assertion (and PA number) and the
old one is marked superseded. An order that already carries the current assertion gets no update systemAction.

Calls that must not issue a determination (order-select, and "what if" calls sending `unsolicited-determ`
false) store nothing: their assertion id is derived from the key, so a repeat is still recognised, and an
approval is stated as auth-needed without a PA number (crd-ci-q5 ties `satisfied` to a satisfied-pa-id).

Why the lookup is synchronous (not through the audit writer's group commit): the PA number must be known, and
agreed between workers, before the cards are rendered. A repeat costs one indexed SELECT; a new determination
one short transaction.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

import orjson

from ..audit.records import DeterminationRecord, Settled
from .coverage_info import COVERAGE_INFO_URL, CoverageAssertion, Reason

if TYPE_CHECKING:
    from ..payers.directory import PayerRoute
    from ..policy.decision import OrderDecision

# Bumped when the key's definition changes: old rows then stay as history and new calls start afresh.
KEY_VERSION = 1
# Preview (not stored) assertion ids are UUIDv5 in this namespace, from the determination key.
PREVIEW_NAMESPACE = uuid.UUID("6f1d4a5e-2b7c-4d0e-9a51-3c8e2f7b9d10")
# Order elements that are bookkeeping, not what is ordered: changing them is not a new request. Top-level
# `extension` is where coverage-information lives (ours and other payers'); nested extensions are kept.
NOT_CLINICAL = frozenset(
    {"id", "meta", "implicitRules", "language", "text", "extension", "identifier", "status", "statusReason",
     "authoredOn", "note", "groupIdentifier"}
)  # fmt: skip


class DeterminationStore(Protocol):
    def settle_determinations(
        self, candidates: Sequence[DeterminationRecord], today: str, new_pa_number: Callable[[], str]
    ) -> list[Settled]: ...

    def current_determination(self, order_ref: str, patient_id: str, coverage_ref: str) -> dict[str, Any] | None: ...


@dataclass(frozen=True)
class OrderDetermination:
    """One order's assertion as the answer carries it."""

    assertion: CoverageAssertion
    assertion_id: str
    asserted_on: date
    record: DeterminationRecord
    stored: bool
    reused: bool


def new_pa_number() -> str:
    return "PA-" + uuid.uuid4().hex[:16].upper()


def order_content(order: Mapping[str, Any], codings: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """What is ordered: every element but bookkeeping, plus the drug codes as resolved (a medicationReference's
    target can change without the order changing)."""
    content = {k: v for k, v in order.items() if k not in NOT_CLINICAL}
    content["_codings"] = sorted({f"{system}|{code}" for system, code in codings})
    return content


def criteria_snapshot(label: str, decision: OrderDecision | None, evidence_gaps: Sequence[str]) -> dict[str, Any]:
    """The record as the decision saw it: which path, each criterion's status and evidence ids."""
    snapshot: dict[str, Any] = {"decision": label}
    if decision is not None:
        snapshot["path"] = decision.path.id
        snapshot["criteria"] = [
            {"id": c.id, "status": c.status, "evidence": sorted(c.evidence)} for c in decision.path.criteria
        ]
        if decision.formulary_exclusion is not None:
            snapshot["nonFormulary"] = decision.formulary_exclusion.product
    if label == "indeterminate":
        snapshot["unavailable"] = sorted(evidence_gaps)
    return snapshot


def _digest(value: Any) -> str:
    return hashlib.sha256(orjson.dumps(value, option=orjson.OPT_SORT_KEYS)).hexdigest()


@dataclass(frozen=True)
class DeterminedOrder:
    """The order a determination is of: the draft as sent, the drug codings it was identified by, its patient and the
    Coverage (with payer and line of business) it was decided under."""

    order_ref: str
    order: Mapping[str, Any]
    codings: Sequence[tuple[str, str]]
    patient_id: str
    payer_route: PayerRoute


def determination_key(
    subject: DeterminedOrder,
    *,
    policy: tuple[str, str] | None,
    snapshot: Mapping[str, Any],
    covered: str,
    pa_needed: str | None,
) -> str:
    """What a determination is keyed on (module docstring); `policy` is (id, version)."""
    route = subject.payer_route
    return _digest(
        {
            "v": KEY_VERSION,
            "order": subject.order_ref,
            "content": _digest(order_content(subject.order, subject.codings)),
            "patient": subject.patient_id,
            "coverage": route.coverage_reference,
            "payer": route.payer.key,
            "line": route.line_of_business,
            "policy": list(policy) if policy else None,
            "record": _digest(snapshot),
            "covered": covered,
            "paNeeded": pa_needed,
        }
    )


def candidate(
    subject: DeterminedOrder,
    *,
    label: str,
    assertion: CoverageAssertion,
    decision: OrderDecision | None,
    evidence_gaps: Sequence[str],
    today: date,
) -> DeterminationRecord:
    snapshot = criteria_snapshot(label, decision, evidence_gaps)
    issues_pa_number = assertion.pa_needed == "satisfied"
    key = determination_key(
        subject,
        policy=(decision.policy_id, decision.policy_version) if decision else None,
        snapshot=snapshot,
        covered=assertion.covered,
        pa_needed=assertion.pa_needed,
    )
    payer_route = subject.payer_route
    return DeterminationRecord(
        key=key,
        order_ref=subject.order_ref,
        patient_id=subject.patient_id,
        coverage_ref=payer_route.coverage_reference,
        payer=payer_route.payer.key,
        line_of_business=payer_route.line_of_business,
        policy_id=decision.policy_id if decision else None,
        policy_version=decision.policy_version if decision else None,
        decision=label,
        covered=assertion.covered,
        pa_needed=assertion.pa_needed,
        criteria=snapshot,
        issue_date=today.isoformat(),
        expiry_date=assertion.expiry.isoformat() if issues_pa_number and assertion.expiry else None,
        issues_pa_number=issues_pa_number,
    )


async def settle(
    store: DeterminationStore,
    candidates: Sequence[DeterminationRecord],
    assertions: Sequence[CoverageAssertion],
    today: date,
) -> list[OrderDetermination]:
    """Look up or make the determination for each order (in a thread: the store may wait on disk or network)."""
    if not candidates:  # encounter-start, or no order in scope: no trip to the store
        return []
    settled = await asyncio.to_thread(store.settle_determinations, candidates, today.isoformat(), new_pa_number)
    return [
        OrderDetermination(
            assertion=_with_pa_number(assertion, s.record),
            assertion_id=s.record.coverage_assertion_id,
            asserted_on=date.fromisoformat(s.record.issue_date),
            record=s.record,
            stored=True,
            reused=s.reused,
        )
        for s, assertion in zip(settled, assertions, strict=True)
    ]


def preview(candidate: DeterminationRecord, assertion: CoverageAssertion, today: date) -> OrderDetermination:
    """A determination that is shown, not made: no PA number, nothing stored, an id stable for the same key."""
    assertion_id = str(uuid.uuid5(PREVIEW_NAMESPACE, candidate.key))
    if assertion.pa_needed == "satisfied":
        assertion = replace(
            assertion,
            pa_needed="auth-needed",
            satisfied_pa_id=None,
            expiry=None,
            reasons=(
                Reason(
                    "The policy's criteria appear met. No prior authorization number is issued on an order-select"
                    " or what-if call (unsolicited-determ false): sign the order to receive the determination."
                ),
            ),
        )
    record = replace(candidate, coverage_assertion_id=assertion_id, issues_pa_number=False, expiry_date=None)
    return OrderDetermination(assertion, assertion_id, today, record, stored=False, reused=False)


def _with_pa_number(assertion: CoverageAssertion, record: DeterminationRecord) -> CoverageAssertion:
    if assertion.pa_needed != "satisfied":
        return assertion
    expiry = date.fromisoformat(record.expiry_date) if record.expiry_date else None
    return replace(assertion, satisfied_pa_id=record.pa_number, expiry=expiry)


def carries_assertion(order: Mapping[str, Any], assertion_id: str) -> bool:
    """The order already holds a coverage-information extension with this assertion id (CRD resp-29/35)."""
    extensions = order.get("extension")
    for extension in extensions if isinstance(extensions, list) else []:
        if not (isinstance(extension, dict) and extension.get("url") == COVERAGE_INFO_URL):
            continue
        parts = extension.get("extension")
        for part in parts if isinstance(parts, list) else []:
            if (
                isinstance(part, dict)
                and part.get("url") == "coverage-assertion-id"
                and part.get("valueString") == assertion_id
            ):
                return True
    return False
