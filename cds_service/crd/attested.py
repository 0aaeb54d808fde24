"""CRD keeps a DTR approval: an order-sign after the adaptive form approved the order answers with that
determination (same assertion id, PA number and expiry) instead of asking again for what was attested.

Without this, the record alone leaves the attested criterion unknown, CRD answers needs-info and its new
determination supersedes the approval. The approval is kept only while all of these hold:
- it is the order's current determination, an approval with a PA number that has not expired, and at least one
  of its criteria cites a QuestionnaireResponse (it was made from answers);
- it was made on this very order content, patient, Coverage, payer, line of business and policy version (its
  key recomputed from today's order with its own criteria snapshot matches the stored key);
- the record does not contradict it: every criterion the record established then has the same status now, and
  no attested criterion is now not met on the record (the record turning it met is no contradiction);
- the decision remade with the determination's criteria statuses and evidence is that same approval.
Otherwise the record's own decision stands (a not-met, a changed order: a new determination, not approved).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from ..policy.metadata import CriterionStatus
from . import determinations as dt

if TYPE_CHECKING:
    from ..policy.decision import OrderDecision

ATTESTED_EVIDENCE = "QuestionnaireResponse/"
Overrides = Mapping[str, tuple[CriterionStatus, tuple[str, ...]]]


def is_attested(criterion: Mapping[str, Any]) -> bool:
    evidence = criterion.get("evidence") or []
    return bool(evidence) and all(str(e).startswith(ATTESTED_EVIDENCE) for e in evidence)


def dtr_approval(stored: Mapping[str, Any] | None, today: date) -> bool:
    """An approval made from a form's answers, with a PA number still in force."""
    if stored is None or stored["decision"] != "approved" or not stored["pa_number"]:
        return False
    if stored["expiry_date"] is not None and stored["expiry_date"] < today.isoformat():
        return False
    criteria = stored["criteria"].get("criteria") or []
    return any(is_attested(c) for c in criteria)


def kept_statuses(stored: Mapping[str, Any], decision: OrderDecision) -> Overrides | None:
    """The determination's criteria (status, evidence) when the record today does not contradict them; else None."""
    snapshot = stored["criteria"]
    path = next((p for p in decision.paths if p.id == snapshot.get("path")), None)
    if path is None:
        return None
    now = {c.id: c.status for c in path.criteria}
    kept: dict[str, tuple[CriterionStatus, tuple[str, ...]]] = {}
    for criterion in snapshot.get("criteria") or []:
        current = now.get(criterion["id"])
        if current is None:
            return None
        if is_attested(criterion):
            if current == "not-met":
                return None
        elif current != criterion["status"]:
            return None
        kept[criterion["id"]] = (criterion["status"], tuple(criterion["evidence"]))
    return kept


async def keep_dtr_approval(
    store: dt.DeterminationStore,
    subject: dt.DeterminedOrder,
    *,
    decision: OrderDecision,
    today: date,
    reevaluate: Callable[..., OrderDecision],
) -> OrderDecision:
    """The decision to assert: the DTR approval remade (module docstring) when it holds, else `decision`.
    `reevaluate(overrides=...)` decides the order again with criteria statuses replaced."""
    stored = await asyncio.to_thread(
        store.current_determination, subject.order_ref, subject.patient_id, subject.payer_route.coverage_reference
    )
    if stored is None or not dtr_approval(stored, today):
        return decision
    if (stored["policy_id"], stored["policy_version"]) != (decision.policy_id, decision.policy_version):
        return decision
    same_identity = (
        dt.determination_key(
            subject,
            policy=(decision.policy_id, decision.policy_version),
            snapshot=stored["criteria"],
            covered=stored["covered"],
            pa_needed=stored["pa_needed"],
        )
        == stored["determination_key"]
    )
    kept = kept_statuses(stored, decision) if same_identity else None
    if kept is None:
        return decision
    remade = reevaluate(overrides=kept)
    if remade.decision != "approved" or dt.criteria_snapshot("approved", remade, ()) != stored["criteria"]:
        return decision
    return remade
