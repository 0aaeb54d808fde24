"""Faults of the EHR's FHIR server (issue 5 item 4): every call returns within budget, failure recorded."""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

import pytest

from cds_service.gather.fhir_client import FailureReason, FetchOutcome, fetch_queries
from tests.support.fhir_server import FakeFhirServer, Fault

TOKEN = "ehr-access-token-faults"
BUDGET_S = 1.0
SLACK_S = 1.0
PATIENT = {"resourceType": "Patient", "id": "123"}
OBSERVATION = {
    "resourceType": "Observation",
    "id": "obs-1",
    "status": "final",
    "subject": {"reference": "Patient/123"},
    "code": {"coding": [{"system": "http://loinc.org", "code": "69548-6"}]},
}
QUERIES = {"patient": "Patient/123", "kras": "Observation?patient=123&code=http://loinc.org|69548-6"}


def timed_fetch(fhir_server: str, queries: dict[str, str], **kwargs: Any) -> tuple[FetchOutcome, float]:
    started = time.monotonic()
    outcome = asyncio.run(
        fetch_queries(
            fhir_server,
            TOKEN,
            queries,
            allowed_prefixes=["http://127.0.0.1"],
            budget_s=BUDGET_S,
            **kwargs,
        )
    )
    return outcome, time.monotonic() - started


def test_slow_server_times_out_within_budget() -> None:
    with FakeFhirServer([PATIENT, OBSERVATION], slow_seconds=10) as server:
        server.set_fault(Fault.SLOW)
        outcome, elapsed = timed_fetch(server.url, QUERIES)
    assert elapsed < BUDGET_S + SLACK_S
    assert outcome.failures == {"patient": FailureReason.TIMEOUT, "kras": FailureReason.TIMEOUT}
    assert outcome.resources == {}


def test_slow_resource_type_does_not_hold_back_the_others() -> None:
    with FakeFhirServer([PATIENT, OBSERVATION], slow_seconds=10) as server:
        server.set_fault(Fault.SLOW, resource_type="Observation")
        outcome, elapsed = timed_fetch(server.url, QUERIES)
    assert elapsed < BUDGET_S + SLACK_S
    assert outcome.resources == {"patient": PATIENT}
    assert outcome.failures == {"kras": FailureReason.TIMEOUT}


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (Fault.HTTP_500, "http-500"),
        (Fault.INVALID_JSON, FailureReason.INVALID_JSON),
        (Fault.OPERATION_OUTCOME, FailureReason.OPERATION_OUTCOME),
    ],
)
def test_server_fault_is_recorded_per_key(fault: Fault, reason: str) -> None:
    with FakeFhirServer([PATIENT, OBSERVATION]) as server:
        server.set_fault(fault, resource_type="Observation")
        outcome, elapsed = timed_fetch(server.url, QUERIES)
    assert elapsed < BUDGET_S + SLACK_S
    assert outcome.failures == {"kras": reason}
    assert outcome.resources["patient"] == PATIENT


def test_operation_outcome_entries_are_stripped_from_the_bundle() -> None:
    with FakeFhirServer([PATIENT, OBSERVATION]) as server:
        server.set_fault(Fault.OPERATION_OUTCOME, resource_type="Observation")
        outcome, _ = timed_fetch(server.url, {"kras": QUERIES["kras"]})
    assert outcome.failures == {"kras": FailureReason.OPERATION_OUTCOME}
    assert outcome.resources["kras"]["entry"] == []


def test_connection_refused_is_recorded_within_budget() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    outcome, elapsed = timed_fetch(f"http://127.0.0.1:{closed_port}/fhir", QUERIES)
    assert elapsed < BUDGET_S + SLACK_S
    assert outcome.failures == {key: FailureReason.CONNECTION_FAILED for key in QUERIES}
    assert outcome.blocked is False


def test_oversized_response_is_refused() -> None:
    big = {**PATIENT, "text": {"status": "generated", "div": "x" * 200_000}}
    with FakeFhirServer([big]) as server:
        from cds_service.gather.fhir_client import FetchLimits, FhirFetcher

        async def capped() -> FetchOutcome:
            limits = FetchLimits(max_response_bytes=50_000)
            async with FhirFetcher(allowed_prefixes=[server.url], limits=limits) as fetcher:
                return await fetcher.fetch(server.url, TOKEN, {"patient": "Patient/123"})

        outcome = asyncio.run(capped())
    assert outcome.failures == {"patient": FailureReason.TOO_LARGE}
    assert outcome.resources == {}


def test_failures_never_carry_the_access_token(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("DEBUG"), FakeFhirServer([PATIENT]) as server:
        server.set_fault(Fault.HTTP_500)
        outcome, _ = timed_fetch(server.url, {"patient": "Patient/123"})
    assert outcome.failures == {"patient": "http-500"}
    assert "reason=http-500" in caplog.text
    assert TOKEN not in caplog.text
    assert TOKEN not in repr(outcome)
