"""The SQLite audit store: invocations and decisions by hookInstance, feedback, the shared jti cache, and
determinations (reused while valid, superseded when changed or expired, one PA number under concurrency)."""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from cds_service.audit.store import SqliteAuditStore
from tests.support.audit_records import approval_candidate, approved_call


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


def _numbers() -> Iterator[str]:
    for n in itertools.count(1):
        yield f"PA-{n:04d}"


def test_a_determination_is_reused_until_it_expires_and_a_changed_one_supersedes_it(tmp_path: Path) -> None:
    store = SqliteAuditStore(tmp_path / "d.sqlite3")
    numbers = _numbers()
    [first] = store.settle_determinations([approval_candidate()], "2026-11-23", lambda: next(numbers))
    assert (first.reused, first.record.pa_number, first.record.issue_date) == (False, "PA-0001", "2026-11-23")
    later = replace(approval_candidate(), issue_date="2027-01-10", expiry_date="2027-07-10")
    [again] = store.settle_determinations([later], "2027-01-10", lambda: next(numbers))
    # the stored approval, its dates included, not the one proposed today
    assert again.reused and again.record == first.record
    [changed] = store.settle_determinations([approval_candidate("k-2")], "2027-01-10", lambda: next(numbers))
    assert changed.record.pa_number == "PA-0002"
    old = store.determination_by_pa("PA-0001")
    assert old is not None and old["superseded"] and old["superseded_by"] == changed.record.coverage_assertion_id
    assert old["criteria"]["criteria"][0]["evidence"] == ["Condition/cond-nsclc"]
    [expired] = store.settle_determinations([approval_candidate("k-2")], "2027-05-24", lambda: next(numbers))
    assert (expired.reused, expired.record.pa_number) == (False, "PA-0003")
    store.close()


def test_two_stores_settling_the_same_approval_at_once_agree_on_one_pa_number(tmp_path: Path) -> None:
    """Two processes' worth of connections on one SQLite file; every thread proposes its own number."""
    stores = [SqliteAuditStore(tmp_path / "race.sqlite3") for _ in range(2)]
    start = threading.Barrier(8)

    def settle(i: int) -> str | None:
        start.wait()
        [settled] = stores[i % 2].settle_determinations(
            [approval_candidate()], "2026-11-23", lambda: f"PA-{uuid.uuid4().hex[:16].upper()}"
        )
        return settled.record.pa_number

    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = set(pool.map(settle, range(8)))
    assert len(numbers) == 1
    rows = stores[0]._query("SELECT pa_number FROM determinations", ())
    assert [r["pa_number"] for r in rows] == list(numbers)
    for store in stores:
        store.close()


def test_a_colliding_pa_number_is_drawn_again(tmp_path: Path) -> None:
    store = SqliteAuditStore(tmp_path / "c.sqlite3")
    store.settle_determinations([approval_candidate("k-1")], "2026-11-23", lambda: "PA-SAME")
    draws = iter(["PA-SAME", "PA-OTHER"])
    [second] = store.settle_determinations([approval_candidate("k-2")], "2026-11-23", lambda: next(draws))
    assert second.record.pa_number == "PA-OTHER"
    store.close()
