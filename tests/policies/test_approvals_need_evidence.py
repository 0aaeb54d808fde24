"""Approvals need evidence (issue 13 item 8): a property test over every policy case.

Hypothesis picks a case and one resource of its record, then mutates the record the way real records go wrong:
- a resource disappears (not sent, not fetched): a needs-info decision must never turn into an approval, unless the
  resource was itself the doubt: medication history that an exclusion reads (no Krazati on record is how an
  exclusion is met), or a result contradicting the result the approval then rests on (two KRAS results that
  disagree are unknown; without one of them the other decides);
- a resource that supports an approval is withdrawn (entered-in-error, a Condition refuted or only a
  differential diagnosis, a KRAS text result negated): if the decision is still approved, it is not on that
  resource's strength (the resource is no longer evidence of a met criterion on the approving path).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cds_service.policy.cases import PolicyCase, case_resources, decide_case, load_cases
from cds_service.policy.decision import OrderDecision
from tests.policies.test_policy_cases import REGISTRY

Resource = dict[str, Any]

CASES = [case for policy in REGISTRY for case in load_cases(policy)]
NEEDS_INFO = [case for case in CASES if case.expect.get("decision") == "needs-info"]
APPROVED = [case for case in CASES if case.expect.get("decision") == "approved"]
MEDICATION_HISTORY = {"MedicationRequest", "MedicationStatement", "MedicationAdministration", "MedicationDispense"}
# Resources whose status FHIR marks as entered-in-error through `status`.
STATUS_TYPES = MEDICATION_HISTORY | {"Observation", "Procedure", "ServiceRequest", "DiagnosticReport"}
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"


def _ref(resource: Resource) -> str:
    return f"{resource.get('resourceType')}/{resource.get('id')}"


def _entered_in_error(resource: Resource) -> Resource:
    changed = copy.deepcopy(resource)
    if changed["resourceType"] == "Condition":
        changed["verificationStatus"] = {"coding": [{"system": CONDITION_VERIFICATION, "code": "entered-in-error"}]}
    else:
        changed["status"] = "entered-in-error"
    return changed


def _refuted(resource: Resource) -> Resource:
    changed = copy.deepcopy(resource)
    changed["verificationStatus"] = {"coding": [{"system": CONDITION_VERIFICATION, "code": "refuted"}]}
    return changed


def _differential(resource: Resource) -> Resource:
    changed = copy.deepcopy(resource)
    changed["verificationStatus"] = {"coding": [{"system": CONDITION_VERIFICATION, "code": "differential"}]}
    return changed


def _negated_text(resource: Resource) -> Resource:
    changed = copy.deepcopy(resource)
    changed["valueString"] = "KRAS G12C mutation not detected."
    return changed


def _withdrawals(resource: Resource) -> list[Callable[[Resource], Resource]]:
    kind = resource.get("resourceType")
    ways: list[Callable[[Resource], Resource]] = []
    if kind in STATUS_TYPES or kind == "Condition":
        ways.append(_entered_in_error)
    if kind == "Condition":
        ways.extend([_refuted, _differential])
    if kind == "Observation" and "valueString" in resource:
        ways.append(_negated_text)
    return ways


def _order_id(case: PolicyCase) -> str:
    return case.order_id


def _supporting(case: PolicyCase, resources: list[Resource]) -> list[Resource]:
    """Resources named as evidence of a met criterion on the approving path, other than the order itself."""
    decision = decide_case(case, resources)
    assert decision.decision == "approved", f"{case.test_id} should approve before mutation"
    cited = {ref for criterion in decision.path.criteria if criterion.status == "met" for ref in criterion.evidence}
    return [r for r in resources if _ref(r) in cited and r.get("id") != _order_id(case) and _withdrawals(r)]


@pytest.mark.skipif(not NEEDS_INFO, reason="no needs-info cases")
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_removing_a_resource_never_turns_needs_info_into_approval(data: st.DataObject) -> None:
    case = data.draw(st.sampled_from(NEEDS_INFO), label="case")
    resources = case_resources(case)
    removable = [r for r in resources if r.get("id") != case.order_id or r.get("resourceType") != "MedicationRequest"]
    removed = data.draw(st.sampled_from(removable), label="removed")
    kept = [r for r in resources if r is not removed]
    decision = decide_case(case, kept)
    if decision.decision == "approved":
        before = decide_case(case, resources)
        history = removed.get("resourceType") in MEDICATION_HISTORY
        assert history or _was_a_contradicting_result(removed, before, decision), (
            f"{case.test_id}: removing {_ref(removed)} approved the order"
        )


def _was_a_contradicting_result(removed: Resource, before: OrderDecision, after: OrderDecision) -> bool:
    """An Observation whose removal let a criterion that was unknown rest on another Observation: the two results
    disagreed (the doubt was the removed result itself)."""
    if removed.get("resourceType") != "Observation":
        return False
    unknown_before = {c.id for p in before.paths for c in p.criteria if c.status == "unknown"}
    flipped = [c for c in after.path.criteria if c.id in unknown_before and c.status == "met"]
    return bool(flipped) and all(any(ref.startswith("Observation/") for ref in c.evidence) for c in flipped)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_withdrawing_a_supporting_resource_never_leaves_an_approval_resting_on_it(data: st.DataObject) -> None:
    case = data.draw(st.sampled_from(APPROVED), label="case")
    resources = case_resources(case)
    supporting = _supporting(case, resources)
    if not supporting:
        return
    target = data.draw(st.sampled_from(supporting), label="withdrawn")
    withdraw = data.draw(st.sampled_from(_withdrawals(target)), label="how")
    mutated = [withdraw(r) if r is target else r for r in resources]
    decision = decide_case(case, mutated)
    if decision.decision != "approved":
        return
    still_cited = {
        ref for criterion in decision.path.criteria if criterion.status == "met" for ref in criterion.evidence
    }
    assert _ref(target) not in still_cited, (
        f"{case.test_id}: still approved on {_ref(target)} after {withdraw.__name__.strip('_')}"
    )
