"""In-process measurements: pipeline time by record size, and server time against the JSON floor."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from . import hook_requests as hr
from .inprocess import InProcessService
from .memory import own_peak_mb
from .stats import Summary, time_calls

EXPECTED = {"met": "approved", "missing": "needs-info"}


@dataclass(frozen=True)
class Budget:
    """How many timed calls each measurement gets, and the wall-clock cap on each (whichever comes first)."""

    iterations: dict[int, int] = field(default_factory=lambda: {9: 300, 201: 600, 1001: 60, 5001: 10})
    seconds: dict[int, float] = field(default_factory=lambda: {9: 1.0, 201: 5.0, 1001: 2.0, 5001: 4.0})
    server_iterations: int = 400
    server_seconds: float = 4.0
    policy_rounds_seconds: float = 8.0
    policy_round: int = 10
    policy_iterations: int = 500
    policy_count: int = 1000  # issue 17: a payer's registry, against 1 loaded policy

    @classmethod
    def quick(cls) -> Budget:
        return cls({9: 5, 201: 5, 1001: 3, 5001: 1}, {9: 1.0, 201: 1.0, 1001: 1.0, 5001: 1.0}, 5, 1.0, 0.5, 2, 4, 12)


@dataclass
class Checks:
    """What the benchmark verified about the answers it timed; a timing of the wrong answer is worthless."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # not wrong, but the reader should know

    def expect(self, what: str, actual: str, expected: str) -> None:
        if actual != expected:
            self.problems.append(f"{what}: decision {actual!r}, expected {expected!r}")


def decision_of(answer: Any) -> str:
    return ",".join(d.decision for d in answer.decisions) or "none"


@dataclass(frozen=True)
class Measured:
    wall: Summary
    cpu: Summary
    answer: Any

    def as_json(self) -> dict[str, Any]:
        return {"ms": self.wall.as_json(), "cpu_ms": self.cpu.as_json()}


def measure_answer(
    service: InProcessService, payload_bytes: bytes, iterations: int, seconds: float, warmup: int
) -> Measured:
    """Pipeline time on a freshly parsed request each call (no call sees dicts a previous call touched),
    by the pipeline's own clock inside the coroutine rather than this wrapper's."""
    fresh: list[dict[str, Any]] = []
    last: list[Any] = []
    wall: list[float] = []
    cpu: list[float] = []

    def prepare() -> None:
        fresh.append(orjson.loads(payload_bytes))

    def call() -> None:
        result, elapsed = service.answer(fresh.pop())
        last[:] = [result]
        wall.append(elapsed)
        cpu.append(service.last_cpu_ms)

    time_calls(call, iterations=iterations, warmup=warmup, budget_s=seconds, prepare=prepare)
    return Measured(Summary.of(wall[warmup:]), Summary.of(cpu[warmup:]), last[0])


def run_sizes(service: InProcessService, budget: Budget, checks: Checks) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for size in hr.RECORD_SIZES:
        for criteria in ("met", "missing"):
            body = hr.request_bytes(hr.sotorasib_request(size, criteria))
            warmup = 3 if size <= 201 else 1
            measured = measure_answer(service, body, budget.iterations[size], budget.seconds[size], warmup)
            decision = decision_of(measured.answer)
            checks.expect(f"sotorasib {criteria} {size}", decision, EXPECTED[criteria])
            out[f"sotorasib_{criteria}_{size}"] = {
                "request_bytes": len(body),
                "decision": decision,
                **measured.as_json(),
            }
            print(f"    sotorasib {criteria:<7} {size:>5} resources  {measured.wall.line()}  "
                  f"cpu {measured.cpu.median:.3f}", flush=True)  # fmt: skip
    body = hr.request_bytes(hr.everolimus_request())
    measured = measure_answer(service, body, budget.iterations[201], budget.seconds[9], 3)
    decision = decision_of(measured.answer)
    checks.expect("everolimus", decision.split(",")[0], "approved")
    out["everolimus"] = {"request_bytes": len(body), "decision": decision, **measured.as_json()}
    print(f"    everolimus (CP.PHAR.63 case)      {measured.wall.line()}  cpu {measured.cpu.median:.3f}",
          flush=True)  # fmt: skip
    return out


def stage_medians(service: InProcessService, body: bytes, calls: int = 50) -> dict[str, float]:
    """Median of the pipeline's own stage timers (data, evaluate, render) for one request."""
    stages: dict[str, list[float]] = {}
    for _ in range(calls):
        answer, _ = service.answer(orjson.loads(body))
        for key, value in answer.timings.items():
            stages.setdefault(key, []).append(value)
    return {k: round(statistics.median(v), 4) for k, v in stages.items()}


def run_floor(service: InProcessService, budget: Budget, checks: Checks) -> dict[str, Any]:
    """Server time (the whole ASGI app) and the JSON floor (orjson parse + serialise) for the 201 request."""
    body = hr.request_bytes(hr.sotorasib_request(201, "met"))
    status, response, _ = service.serve(body)
    if status != 200:
        checks.problems.append(f"ASGI call answered {status}: {response[:200]!r}")
    answer, _ = service.answer(orjson.loads(body))
    response_body = answer.body

    def json_floor() -> None:
        orjson.loads(body)
        orjson.dumps(response_body)

    floor = Summary.of(time_calls(json_floor, iterations=2000, warmup=50, budget_s=budget.server_seconds))
    served: list[float] = []

    def serve() -> None:
        served.append(service.serve(body)[2])

    time_calls(serve, iterations=budget.server_iterations, warmup=5, budget_s=budget.server_seconds)
    server = Summary.of(served[5:])
    print(f"    JSON floor (orjson loads+dumps)   {floor.line()}", flush=True)
    print(f"    server time (ASGI app, no socket) {server.line()}", flush=True)
    return {
        "json_floor_ms": floor.as_json(),
        "server_ms": server.as_json(),
        "response_bytes": len(response),
        "stages_ms": stage_medians(service, body),
        "json_floor_ratio": server.median / floor.median,
    }


def run(policies_dir: Path, workdir: Path, budget: Budget, checks: Checks) -> dict[str, Any]:
    print("  in-process (pipeline.answer, the repository's policies)", flush=True)
    with InProcessService(policies_dir, workdir) as service:
        print(f"    {service.policy_count} policies compiled in {service.startup_s:.2f} s", flush=True)
        sizes = run_sizes(service, budget, checks)
        floor = run_floor(service, budget, checks)
    return {"sizes": sizes, "floor": floor, "bench_process_peak_rss_mb": round(own_peak_mb(), 1)}
