"""The SQLite audit store: invocations and decisions by hookInstance, feedback, the shared jti cache."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

from cds_service.store import SqliteAuditStore
from tests.cds_service.audit_records import approved_call


def test_invocations_are_retrievable_by_hook_instance_across_reopen(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite3"
    store = SqliteAuditStore(path)
    store.record_invocation(approved_call("h-1"))
    store.close()
    reopened = SqliteAuditStore(path)
    [row] = reopened.invocations("h-1")
    assert row["payer"] == "centene" and row["response_body"] == '{"cards":[]}'
    assert row["timings"] == {"evaluate_ms": 1.0}
    [decision] = row["decisions"]
    assert decision["satisfied_pa_id"] == "PA-1" and decision["card_uuids"] == "c-1,c-2"
    assert reopened.invocations("other") == []
    reopened.close()


def test_durability_settings(tmp_path: Path) -> None:
    store = SqliteAuditStore(tmp_path / "a.sqlite3")
    store.close()
    conn = sqlite3.connect(tmp_path / "a.sqlite3")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
    live = SqliteAuditStore(tmp_path / "a.sqlite3")
    assert live._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    live.close()


def test_jti_cache_is_shared_between_store_instances(tmp_path: Path) -> None:
    first, second = SqliteAuditStore(tmp_path / "j.sqlite3"), SqliteAuditStore(tmp_path / "j.sqlite3")
    expires = time.time() + 300

    async def scenario() -> list[bool]:
        return [
            await first.seen_before("jti-1", expires),
            await second.seen_before("jti-1", expires),
            await second.seen_before("jti-2", expires),
            await first.seen_before("expired", time.time() - 1),
            await first.seen_before("expired", expires),
        ]

    assert asyncio.run(scenario()) == [False, True, False, False, False]
    first.close()
    second.close()


def test_feedback_by_card(tmp_path: Path) -> None:
    store = SqliteAuditStore(tmp_path / "f.sqlite3")
    item = {"card": "c-1", "outcome": "overridden", "outcomeTimestamp": "2026-11-23T10:00:00Z"}
    store.record_feedback("crd-order-sign", item)
    store.record_feedback("crd-order-sign", {**item, "outcome": "accepted", "acceptedSuggestions": []})
    assert [f["outcome"] for f in store.feedback_for_card("c-1")] == ["overridden", "accepted"]
    store.close()
