"""Bounded HTTP load against a server on 127.0.0.1: paced (open loop, capped in flight) or closed loop.

Every request carries a fresh hookInstance, so each answer can be matched to its audit record. The driver
only ever stops by itself: after `duration_s`, or earlier when `stop` is set (the kill test sets it).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

SIGN = "/cds-services/crd-order-sign"


@dataclass
class Outcome:
    hook_instance: str
    status: int | None  # None: no HTTP answer (connection refused or reset)
    body: bytes
    started: float
    latency_s: float
    error: str = ""


@dataclass
class LoadResult:
    outcomes: list[Outcome] = field(default_factory=list)
    elapsed_s: float = 0.0

    @property
    def ok(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == 200]

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status != 200]

    def latencies_ms(self, since: float = 0.0) -> list[float]:
        return sorted(o.latency_s * 1000.0 for o in self.ok if o.started >= since)


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


RequestFactory = Callable[[int], dict[str, Any]]


async def _send(client: httpx.AsyncClient, request: dict[str, Any]) -> Outcome:
    request = {**request, "hookInstance": str(uuid.uuid4())}
    body = orjson.dumps(request)
    started = time.monotonic()
    try:
        response = await client.post(SIGN, content=body, headers={"content-type": "application/json"})
    except httpx.HTTPError as exc:
        return Outcome(request["hookInstance"], None, b"", started, time.monotonic() - started, type(exc).__name__)
    return Outcome(request["hookInstance"], response.status_code, response.content, started, time.monotonic() - started)


def _client(base_url: str, connections: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.AsyncClient(base_url=base_url, limits=limits, timeout=httpx.Timeout(60.0))


async def paced(
    base_url: str,
    make_request: RequestFactory,
    *,
    rate_per_s: float,
    duration_s: float,
    max_in_flight: int,
    stop: asyncio.Event | None = None,
) -> LoadResult:
    """Start a request every 1/rate seconds (never more than `max_in_flight` at once) until the time is up."""
    result = LoadResult()
    slots = asyncio.Semaphore(max_in_flight)
    tasks: list[asyncio.Task[None]] = []
    started = time.monotonic()

    async def one(client: httpx.AsyncClient, index: int) -> None:
        try:
            result.outcomes.append(await _send(client, make_request(index)))
        finally:
            slots.release()

    async with _client(base_url, max_in_flight) as client:
        index = 0
        while time.monotonic() - started < duration_s and not (stop and stop.is_set()):
            await slots.acquire()
            tasks.append(asyncio.create_task(one(client, index)))
            index += 1
            next_at = started + index / rate_per_s
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        await asyncio.gather(*tasks)
    result.elapsed_s = time.monotonic() - started
    return result


async def closed_loop(
    base_url: str,
    make_request: RequestFactory,
    *,
    clients: int,
    duration_s: float,
    on_tick: Callable[[], None] | None = None,
) -> LoadResult:
    """`clients` concurrent clients, each sending its next request as soon as the last one is answered."""
    result = LoadResult()
    started = time.monotonic()

    async def client_loop(client: httpx.AsyncClient, number: int) -> None:
        sent = 0
        while time.monotonic() - started < duration_s:
            result.outcomes.append(await _send(client, make_request(number * 1_000_000 + sent)))
            sent += 1

    async def ticker() -> None:
        while time.monotonic() - started < duration_s:
            if on_tick is not None:
                on_tick()
            await asyncio.sleep(1.0)

    async with _client(base_url, clients) as client:
        await asyncio.gather(ticker(), *(client_loop(client, n) for n in range(clients)))
    result.elapsed_s = time.monotonic() - started
    return result
