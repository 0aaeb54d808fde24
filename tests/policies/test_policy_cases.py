"""Every policy folder's own cases (policies/<payer>/<id>/tests/cases.yaml) run through the real engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from cds_service.policy import PolicyRegistry
from cds_service.policy.cases import PolicyCase, describe, load_cases, run_case

POLICIES_DIR = Path(__file__).resolve().parents[2] / "policies"


def _registry() -> PolicyRegistry:
    return PolicyRegistry.load(POLICIES_DIR)


REGISTRY = _registry()
CASES = [case for policy in REGISTRY for case in load_cases(policy)]


@pytest.mark.parametrize("case", CASES, ids=[case.test_id for case in CASES])
def test_policy_case(case: PolicyCase) -> None:
    outcome = run_case(case)
    assert outcome.passed, describe(outcome)


@pytest.mark.parametrize("policy_id", sorted(REGISTRY.policies))
def test_every_path_has_an_approval_and_a_needs_info_case(policy_id: str) -> None:
    policy = REGISTRY.policies[policy_id]
    cases = load_cases(policy)
    assert cases, f"{policy_id} has no test cases"
    covered = {(c.expect.get("path"), c.expect.get("decision")) for c in cases}
    for path in policy.metadata.paths:
        assert (path.id, "approved") in covered, f"{policy_id}: no approval case for {path.id}"
        assert (path.id, "needs-info") in covered, f"{policy_id}: no needs-info case for {path.id}"


def test_the_bundled_policies_are_loaded() -> None:
    documents = {(p.metadata.payer, p.metadata.document.number) for p in REGISTRY}
    assert {("centene", "CP.PHAR.549"), ("fep-blue", "5.21.177"), ("centene", "CP.PHAR.63")} <= documents
