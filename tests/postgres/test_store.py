"""PostgresAuditStore on a real server: invocations with decisions, feedback, and the jti cache shared between
connections (what lets N workers on M machines refuse a replayed token)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from cds_service.audit.store import PostgresAuditStore
from tests.support.audit_records import approved_call
from tests.support.shared_database import private_schema, server_url

pytestmark = pytest.mark.postgres


@pytest.fixture
def database() -> Iterator[str]:
    with private_schema(server_url()) as conninfo:
        yield conninfo


def test_invocations_decisions_and_feedback_round_trip(database: str) -> None:
    store = PostgresAuditStore(database)
    store.record_invocations([approved_call("pg-1")])
    [row] = store.invocations("pg-1")
    assert row["payer"] == "centene" and row["timings"] == {"evaluate_ms": 1.0}
    assert [d["satisfied_pa_id"] for d in row["decisions"]] == ["PA-1"]
    item = {"card": "c-1", "outcome": "overridden", "outcomeTimestamp": "2026-11-23T10:00:00Z"}
    store.record_feedback("crd-order-sign", item)
    assert store.feedback_for_card("c-1") == [item]
    store.close()


def test_jti_replay_is_refused_across_connections(database: str) -> None:
    first, second = PostgresAuditStore(database), PostgresAuditStore(database)
    expires = time.time() + 300

    async def scenario() -> list[bool]:
        return [await first.seen_before("jti-1", expires), await second.seen_before("jti-1", expires)]

    assert asyncio.run(scenario()) == [False, True]
    first.close()
    second.close()
