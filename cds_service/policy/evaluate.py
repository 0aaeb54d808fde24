"""Run one policy's compiled library for one draft order and turn define values into an OrderDecision."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from cql_like import PatientRecord

from .decision import OrderDecision, decide, is_continuing, path_results, status_of
from .formulary import formulary_exclusion
from .metadata import CriterionStatus, add_duration
from .registry import Policy

ORDER_PARAMETER = "OrderId"
# Set for a policy library that declares it (an exclusion such as "has not received Krazati" is met only when the
# whole medication history was read): True when the caller read every medication resource type.
MEDICATION_HISTORY_PARAMETER = "Medication History Available"


Overrides = Mapping[str, tuple[CriterionStatus, tuple[str, ...]]]


class Evaluator(Protocol):
    """How the pipeline decides one order: `evaluate_order`, or a wrapper with DTR's answers (dtr/assess.py)."""

    def __call__(
        self,
        policy: Policy,
        record: PatientRecord,
        order_id: str,
        now: datetime,
        line_of_business: str,
        order_resource: Mapping[str, Any] | None = None,
        *,
        ordered_codings: Sequence[tuple[str, str]],
        medication_history_available: bool,
        overrides: Overrides | None = None,
    ) -> OrderDecision: ...


def evaluate_order(
    policy: Policy,
    record: PatientRecord,
    order_id: str,
    now: datetime,
    line_of_business: str,
    order_resource: Mapping[str, Any] | None = None,
    *,
    ordered_codings: Sequence[tuple[str, str]],
    medication_history_available: bool,
    overrides: Overrides | None = None,
) -> OrderDecision:
    """Evaluate `policy` for the draft MedicationRequest `order_id` held in `record`.

    `order_resource` (the draft order itself) lets commercial approvals be capped by the requested duration.
    `ordered_codings` are the (system, code) pairs of the ordered drug the policy was found by; they decide
    whether the product is off the formulary of `line_of_business` (required, so no caller skips that check).
    `medication_history_available` says whether MedicationRequest, MedicationStatement, MedicationAdministration and
    MedicationDispense history were all read (record.medication_history_available); required for the same reason.
    `overrides` (criterion id -> status, evidence) replaces what the record gave for those criteria: DTR's attested
    answers (cds_service/dtr/assess.py decides which may apply); the rest of the decision is unchanged.
    """
    parameters: dict[str, Any] = {ORDER_PARAMETER: order_id}
    if MEDICATION_HISTORY_PARAMETER in policy.library.parameter_names:
        parameters[MEDICATION_HISTORY_PARAMETER] = medication_history_available
    results = policy.library.evaluate(record, now=now, parameters=parameters, defines=policy.metadata.decision_defines)
    replaced = overrides or {}
    paths = path_results(
        policy.metadata,
        lambda criterion: (
            replaced[criterion.id][0]
            if criterion.id in replaced
            else status_of(results.values.get(criterion.define), criterion.define)
        ),
        lambda criterion: (
            replaced[criterion.id][1] if criterion.id in replaced else tuple(results.evidence.get(criterion.define, ()))
        ),
    )
    metadata = policy.metadata
    continuing = metadata.continuing_therapy is not None and is_continuing(
        results.values.get(metadata.continuing_therapy), metadata.continuing_therapy
    )
    decision, deciding_path = decide(paths, continuing=continuing)
    exclusion = formulary_exclusion(metadata, line_of_business, ordered_codings)
    if exclusion is not None:
        decision = "not-met"
    expiry = None
    if decision == "approved":
        expiry = approval_expiry(policy, deciding_path.kind, line_of_business, now.date(), order_resource)
    # A non-formulary product goes to the formulary exception policy, not to the other-uses route.
    routes_other_uses = decision == "not-met" and exclusion is None
    other_use = metadata.other_uses.get(line_of_business) if routes_other_uses else None
    values = {label: results.values.get(define) for label, define in metadata.display_values.items()}
    return OrderDecision(
        policy_id=metadata.id,
        policy_version=metadata.version,
        order_ref=f"MedicationRequest/{order_id}",
        decision=decision,
        path=deciding_path,
        paths=paths,
        expiry=expiry,
        values=values,
        other_use_policy=other_use,
        formulary_exclusion=exclusion,
    )


def approval_expiry(
    policy: Policy,
    path_kind: str,
    line_of_business: str,
    start: date,
    order_resource: Mapping[str, Any] | None,
) -> date | None:
    durations = policy.metadata.approval_duration
    by_line = durations.continued if path_kind == "continued" else durations.initial
    duration = by_line.get(line_of_business)
    if duration is None:
        return None
    expiry = add_duration(start, duration)
    if line_of_business in durations.cap_by_request and order_resource is not None:
        requested_end = requested_end_date(order_resource, start)
        if requested_end is not None and requested_end < expiry:
            return requested_end
    return expiry


def requested_end_date(order: Mapping[str, Any], start: date) -> date | None:
    """The end of what the prescriber asked for: validityPeriod.end, else supply duration x fills."""
    dispense = order.get("dispenseRequest")
    if not isinstance(dispense, Mapping):
        return None
    validity = dispense.get("validityPeriod")
    if isinstance(validity, Mapping) and isinstance(validity.get("end"), str):
        try:
            return date.fromisoformat(validity["end"][:10])
        except ValueError:
            pass
    supply = dispense.get("expectedSupplyDuration")
    if not isinstance(supply, Mapping):
        return None
    days = _duration_days(supply)
    if days is None:
        return None
    repeats = dispense.get("numberOfRepeatsAllowed", 0)
    fills = 1 + (repeats if isinstance(repeats, int) and repeats >= 0 else 0)

    return start + timedelta(days=round(days * fills))


_DAYS_PER_UNIT = {"d": 1.0, "day": 1.0, "days": 1.0, "wk": 7.0, "mo": 30.0, "a": 365.0, "h": 1 / 24}


def _duration_days(quantity: Mapping[str, Any]) -> float | None:
    value = quantity.get("value")
    unit = quantity.get("code") or quantity.get("unit")
    if not isinstance(value, int | float) or not isinstance(unit, str):
        return None
    factor = _DAYS_PER_UNIT.get(unit)
    return None if factor is None else float(value) * factor
