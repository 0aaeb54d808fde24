"""The per-order outcome, decided once: what the coverage information asserts and what cards, metrics and the
audit record read.

approved / needs-info / not-met come from the policy decision; indeterminate when what it needs could not be
read; no-policy, info-needed and no-active-coverage for orders no policy decision reaches.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from . import coverage_info as ci

if TYPE_CHECKING:
    from ..payers.directory import PayerRoute
    from ..policy.decision import OrderDecision
    from ..policy.registry import Policy

Outcome = Literal[
    "approved", "needs-info", "not-met", "indeterminate", "no-policy", "info-needed", "no-active-coverage"
]
QUESTIONNAIRE_BASE = "https://coverage-hooks.example.org/fhir/Questionnaire/"


def decided_outcome(
    decision: OrderDecision, policy: Policy, payer_route: PayerRoute, *, primary: bool, evidence_gaps: list[str]
) -> tuple[ci.CoverageAssertion, Outcome]:
    """The coverage assertion and outcome of an order its policy decided (`primary`: an order-sign-like hook)."""
    meta = policy.metadata
    label = f"{payer_route.payer.label} {meta.document.number}"
    link = meta.document.url
    questionnaire = questionnaire_url(policy)
    if decision.decision == "approved":
        realtime = payer_route.payer.real_time_determination
        return (
            ci.assertion_for_approval(
                realtime=realtime,
                primary=primary,
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
                policy_link=link, failed=failed, policy_label=label, other_use_policy=decision.other_use_policy
            ),
            "not-met",
        )
    if evidence_gaps:
        return (
            ci.assertion_for_technical_gap(
                primary=primary, questionnaire=questionnaire, policy_link=link, unavailable=evidence_gaps
            ),
            "indeterminate",
        )
    missing = [f"{c.id} {c.description}" for c in decision.path.with_status("unknown")]
    return (
        ci.assertion_for_needs_info(
            primary=primary, questionnaire=questionnaire, policy_link=link, missing=missing, policy_label=label
        ),
        "needs-info",
    )


def questionnaire_url(policy: Policy) -> str | None:
    shipped = policy.shipped_questionnaire  # its id and url at hand: every answer names it, none parses it
    if shipped is None:
        return None
    return shipped.url or QUESTIONNAIRE_BASE + str(shipped.id)
