"""Issue 5 item 5: no lost decisions. The real server (uvicorn, 1 worker, SQLite audit store in a temp dir)
takes paced load on 127.0.0.1 and is killed with SIGKILL mid-load; afterwards every 200 the client
received has its audit record (matched by hookInstance, same response body, its decisions), and the
store passes PRAGMA integrity_check.

Bounds (env): KILL_RATE requests/s (default 200), KILL_AFTER_S seconds of load before the kill (default 6).
A kill only proves the ordering "audit commit, then response"; surviving power loss is what
synchronous=FULL adds (docs/deployment.md).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
from pathlib import Path
from typing import Any

import orjson

from tests.support.hook_requests import order_sign
from tests.support.live_server import LiveServer
from tests.support.load_driver import LoadResult, paced

RATE = float(os.environ.get("KILL_RATE") or 200)
KILL_AFTER_S = float(os.environ.get("KILL_AFTER_S") or 6)


def request_mix() -> list[dict[str, Any]]:
    """Small calls across both sample payers and three lines of business. No policies are loaded: the point
    is the audit path at a high call rate (policy evaluation is what test_load_held.py loads)."""
    return [
        order_sign(payer_key="centene", line="medicaid"),
        order_sign(payer_key="centene", line="marketplace"),
        order_sign(payer_key="centene", line="commercial"),
        order_sign(payer_key="fep-blue", line="fehb"),
    ]


async def load_then_kill(server: LiveServer) -> LoadResult:
    mix = request_mix()
    stop = asyncio.Event()
    load = asyncio.create_task(
        paced(
            server.url,
            lambda i: mix[i % len(mix)],
            rate_per_s=RATE,
            duration_s=KILL_AFTER_S + 30,  # only the kill ends it; the bound is a safety net
            max_in_flight=64,
            stop=stop,
        )
    )
    await asyncio.sleep(KILL_AFTER_S)
    server.kill9()
    stop.set()
    return await load


def stored_records(db_path: Path) -> tuple[str, dict[str, str], dict[str, int]]:
    """(integrity_check verdict, response body by hookInstance, decision rows by hookInstance)."""
    with sqlite3.connect(db_path) as connection:
        verdict = connection.execute("PRAGMA integrity_check").fetchone()[0]
        bodies = dict(
            connection.execute("SELECT hook_instance, response_body FROM hook_invocations WHERE http_status = 200")
        )
        decisions = dict(
            connection.execute(
                "SELECT i.hook_instance, COUNT(*) FROM hook_invocations i"
                " JOIN hook_decisions d ON d.invocation_id = i.id GROUP BY i.hook_instance"
            )
        )
    return verdict, bodies, decisions


def test_every_answer_received_before_a_kill_9_is_in_the_audit_store(tmp_path: Path) -> None:
    with LiveServer(tmp_path, workers=1, env={"CDS_POLICIES_DIR": str(tmp_path / "no-policies")}) as server:
        result = asyncio.run(load_then_kill(server))
    received = result.ok
    verdict, bodies, decisions = stored_records(server.db_path)

    missing = [o.hook_instance for o in received if o.hook_instance not in bodies]
    different = [
        o.hook_instance
        for o in received
        if o.hook_instance in bodies and orjson.loads(bodies[o.hook_instance]) != orjson.loads(o.body)
    ]
    undecided = [o.hook_instance for o in received if decisions.get(o.hook_instance, 0) < 1]
    unanswered_but_stored = len(set(bodies) - {o.hook_instance for o in received})
    print(
        f"\nkill -9 after {KILL_AFTER_S:.0f} s at {RATE:.0f}/s target: {len(result.outcomes)} sent "
        f"({len(result.outcomes) / KILL_AFTER_S:.0f}/s achieved), {len(received)} answered 200, "
        f"{len(result.failed)} cut off by the kill; {len(bodies)} audit records "
        f"({unanswered_but_stored} stored whose answer never arrived); integrity_check={verdict}"
    )
    assert verdict == "ok"
    assert len(received) >= 100, "too little load before the kill to prove anything"
    assert [o for o in result.failed if o.status is not None] == [], "non-200 answers before the kill"
    assert server.returncode == -signal.SIGKILL
    assert missing == [], f"{len(missing)} answers the client holds have no audit record"
    assert different == [], f"{len(different)} audit records differ from the answer sent"
    assert undecided == [], f"{len(undecided)} audit records have no decision rows"
