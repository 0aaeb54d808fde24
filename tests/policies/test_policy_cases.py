"""Every policy folder's own cases (policies/<payer>/<id>/tests/cases.yaml) run through the real engine.

Each case runs under both of cql_like's backends (cql_like/README.md): the fast "generated" one the service uses
and the plain "closures" one, and the two must give the same decision and, define by define, the same values and
evidence, so the generated code is always checked against the plain path.
"""

from __future__ import annotations

import dataclasses
import functools
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

import pytest

from cds_service.policy import PolicyRegistry
from cds_service.policy.cases import PolicyCase, case_resources, decide_case, describe, load_cases, run_case
from cds_service.policy.evaluate import MEDICATION_HISTORY_PARAMETER, ORDER_PARAMETER
from cql_like import PatientRecord, load_library
from cql_like.compile.host import Backend
from cql_like.json_values import to_json

POLICIES_DIR = Path(__file__).resolve().parents[2] / "policies"


def _registry(backend: Backend = "generated") -> PolicyRegistry:
    if backend == "generated":
        return PolicyRegistry.load(POLICIES_DIR)
    # the service's own loading (paths, terminology), with every library compiled by the other backend
    with mock.patch("cds_service.policy.registry.load_library", functools.partial(load_library, backend=backend)):
        return PolicyRegistry.load(POLICIES_DIR)


REGISTRY = _registry()
CLOSURES_REGISTRY = _registry("closures")
CASES = [case for policy in REGISTRY for case in load_cases(policy)]
CLOSURES_CASES = [case for policy in CLOSURES_REGISTRY for case in load_cases(policy)]


@pytest.mark.parametrize("case", CASES, ids=[case.test_id for case in CASES])
def test_policy_case(case: PolicyCase) -> None:
    outcome = run_case(case)
    assert outcome.passed, describe(outcome)


@pytest.mark.parametrize("case", CLOSURES_CASES, ids=[case.test_id for case in CLOSURES_CASES])
def test_policy_case_under_the_closures_backend(case: PolicyCase) -> None:
    outcome = run_case(case)
    assert outcome.passed, describe(outcome)


def test_the_closures_registry_compiles_with_the_plain_backend() -> None:
    """The mock above reached the loader: every policy's library is a closures-backend one."""
    assert {p.library.backend for p in CLOSURES_REGISTRY} == {"closures"}
    assert {p.library.backend for p in REGISTRY} == {"generated"}


@pytest.mark.parametrize("case", CASES, ids=[case.test_id for case in CASES])
def test_both_backends_give_the_same_values_evidence_and_decision(case: PolicyCase) -> None:
    plain_policy = CLOSURES_REGISTRY.policies[case.policy.id]
    plain_case = dataclasses.replace(case, policy=plain_policy)
    resources = case_resources(case)
    now = datetime(case.now.year, case.now.month, case.now.day, 12, tzinfo=UTC)
    parameters = {ORDER_PARAMETER: case.order_id, MEDICATION_HISTORY_PARAMETER: case.medication_history_available}
    fast = case.policy.library.evaluate(PatientRecord.from_resources(resources), now=now, parameters=parameters)
    plain = plain_policy.library.evaluate(PatientRecord.from_resources(resources), now=now, parameters=parameters)
    assert set(fast.values) == set(plain.values)
    for name in fast.values:
        assert to_json(plain.values[name]) == to_json(fast.values[name]), name
        assert plain.evidence[name] == fast.evidence[name], name
    assert decide_case(plain_case, resources) == decide_case(case, resources)


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
