"""Issue 5 item 6: load held. The real server with 2 workers takes 16 concurrent closed-loop clients sending the
realistic order-sign call (the real mCODE breast-cancer patient, everolimus + exemestane, approved) for
LOAD_SECONDS (default 20 in `make test`; `make fuzz` runs the full 60): zero errors, p50/p95/p99 printed,
and resident memory (server + workers, sampled every second) grows less than 10 % between the first and
the last 10 seconds. A short unmeasured warm-up comes first, so one-time allocations (first evaluation,
connection setup) do not count as growth.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import orjson

from tests.support.live_server import LiveServer
from tests.support.load_driver import closed_loop, percentile
from tests.support.policy_requests import REAL_BREAST_APPROVED, order_sign_from_bundles

LOAD_SECONDS = float(os.environ.get("LOAD_SECONDS") or 20)
WARMUP_SECONDS = 3.0
CLIENTS = 16
WORKERS = 2
WINDOW_S = 10.0
P99_BUDGET_MS = 10_000.0  # a generous bound: this only catches a server that stalls


def test_two_workers_hold_sixteen_clients_without_errors_or_memory_growth(tmp_path: Path) -> None:
    assert LOAD_SECONDS >= 2 * WINDOW_S, "LOAD_SECONDS must cover two 10 s memory windows"
    request = order_sign_from_bundles(REAL_BREAST_APPROVED)
    samples: list[tuple[float, int]] = []
    with LiveServer(tmp_path, workers=WORKERS) as server:
        asyncio.run(closed_loop(server.url, lambda _: request, clients=CLIENTS, duration_s=WARMUP_SECONDS))
        started = time.monotonic()
        result = asyncio.run(
            closed_loop(
                server.url,
                lambda _: request,
                clients=CLIENTS,
                duration_s=LOAD_SECONDS,
                on_tick=lambda: samples.append((time.monotonic() - started, server.rss_bytes())),
            )
        )
        samples.append((time.monotonic() - started, server.rss_bytes()))

    latencies = result.latencies_ms()
    first = [rss for at, rss in samples if at < WINDOW_S]
    last = [rss for at, rss in samples if at >= LOAD_SECONDS - WINDOW_S]
    first_mb, last_mb = sum(first) / len(first) / 2**20, sum(last) / len(last) / 2**20
    growth = (last_mb - first_mb) / first_mb
    decisions = {orjson.loads(o.body)["cards"][0]["summary"] for o in result.ok[:50]}
    print(
        f"\nload: {WORKERS} workers, {CLIENTS} clients, {LOAD_SECONDS:.0f} s: {len(result.outcomes)} requests "
        f"({len(result.outcomes) / result.elapsed_s:.1f}/s), {len(result.failed)} errors; latency ms "
        f"p50={percentile(latencies, 0.50):.0f} p95={percentile(latencies, 0.95):.0f} "
        f"p99={percentile(latencies, 0.99):.0f} max={latencies[-1]:.0f}; RSS first {WINDOW_S:.0f} s "
        f"{first_mb:.1f} MiB, last {WINDOW_S:.0f} s {last_mb:.1f} MiB ({growth:+.1%})"
    )
    assert result.failed == [], f"{len(result.failed)} errors, first: {result.failed[0]}"
    assert len(result.outcomes) >= CLIENTS * 2, "the server answered almost nothing"
    assert all("approved" in summary for summary in decisions), decisions
    assert percentile(latencies, 0.99) < P99_BUDGET_MS
    assert growth < 0.10
