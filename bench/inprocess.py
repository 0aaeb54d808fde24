"""The service without a network: the same `create_app` the server runs, driven two ways.

- `answer`: `pipeline.answer` alone (payer routing, policy selection, cql_like evaluation, decision,
  cards): the issue's "in-process" time.
- `serve`: the whole ASGI application for one POST (JSON parse, request checks, pipeline, serialisation,
  audit write): the "server time" compared with the JSON floor. The ASGI call is made directly, with no
  HTTP client or socket in between.

Timing happens inside the coroutine, so the event loop's own start-up per call is not counted.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from cds_service.app import create_app, freeze_heap
from cds_service.hook.discovery import SERVICES
from cds_service.hook.request_model import parse_hook_request
from cds_service.pipeline import Answer, answer
from cds_service.settings import Settings

from .hook_requests import SERVICE_PATH

FIXED_NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
"""The clock the generated records are written against (ages, "30 days on therapy")."""


def bench_settings(policies_dir: Path, workdir: Path) -> Settings:
    return Settings(
        auth="off",
        db_path=workdir / "audit.sqlite3",
        policies_dir=policies_dir,
        allowed_fhir_servers=("http://127.0.0.1",),
    )


class InProcessService:
    """`with InProcessService(policies_dir, workdir) as service: service.answer_ms(payload)`."""

    def __init__(self, policies_dir: Path, workdir: Path, clock: Callable[[], datetime] = lambda: FIXED_NOW):
        started = time.perf_counter()
        self.app = create_app(bench_settings(policies_dir, workdir), clock=clock)
        # As the server's app_from_env does: the compiled policies leave the garbage collector's scans, which
        # otherwise double the p90 of the 5,001-resource request.
        freeze_heap()
        self.startup_s = time.perf_counter() - started
        self.state = self.app.state.cds
        self.service = SERVICES[SERVICE_PATH.rsplit("/", 1)[1]]
        self._loop = asyncio.new_event_loop()
        self.last_cpu_ms = 0.0

    def __enter__(self) -> InProcessService:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._loop.close()
        writer = getattr(self.state, "audit_writer", None)  # the app's lifespan would stop it; we ran none
        if writer is not None:
            writer.close()
        self.state.store.close()

    @property
    def policy_count(self) -> int:
        count: int = self.state.policy_count
        return count

    def answer(self, payload: dict[str, Any]) -> tuple[Answer, float]:
        """One pipeline call on a parsed request; (answer, wall-clock milliseconds).

        The call's CPU time is kept in `last_cpu_ms`: on a shared machine wall time includes waiting for a
        core, CPU time mostly does not, so the two together tell load from work.
        """
        request = parse_hook_request(payload, self.service.hook)

        async def timed() -> tuple[Answer, float]:
            cpu_started = time.thread_time()
            started = time.perf_counter()
            result = await answer(request, self.service, self.state.engine)
            elapsed = (time.perf_counter() - started) * 1000.0
            self.last_cpu_ms = (time.thread_time() - cpu_started) * 1000.0
            return result, elapsed

        return self._loop.run_until_complete(timed())

    def serve(self, body: bytes, path: str = SERVICE_PATH) -> tuple[int, bytes, float]:
        """One POST through the ASGI application; (status, response body, milliseconds)."""
        return self._loop.run_until_complete(_asgi_post(self.app, path, body))


async def _asgi_post(app: Any, path: str, body: bytes) -> tuple[int, bytes, float]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    sent_body = False
    status = 0
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent_body
        if sent_body:
            return {"type": "http.disconnect"}
        sent_body = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    started = time.perf_counter()
    await app(scope, receive, send)
    elapsed = (time.perf_counter() - started) * 1000.0
    return status, b"".join(chunks), elapsed
