"""`python -m bench.breakdown [--size 201] [--calls 100]`: the hook handler's stages timed one by one, in
wall and CPU milliseconds, for the request the benchmark sends: what the server does besides `answer()`.

Stages follow hooks.call_service: JSON parse with the nesting check, request parsing, pipeline, response
serialisation, the audit record's SQLite transaction (the store the service opens, synchronous=FULL).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import orjson

from cds_service.audit.records import InvocationRecord
from cds_service.hook.request_model import load_json, parse_hook_request

from . import hook_requests as hr
from .inprocess import InProcessService

REPO = Path(__file__).resolve().parents[1]


def _timed(stage: Callable[[], Any]) -> tuple[Any, float, float]:
    cpu, wall = time.thread_time(), time.perf_counter()
    value = stage()
    return value, (time.perf_counter() - wall) * 1000.0, (time.thread_time() - cpu) * 1000.0


def breakdown(size: int, criteria: hr.Criteria, calls: int) -> dict[str, dict[str, float]]:
    body = hr.request_bytes(hr.sotorasib_request(size, criteria))
    wall: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}

    def keep(name: str, stage: Callable[[], Any]) -> Any:
        value, w, c = _timed(stage)
        wall.setdefault(name, []).append(w)
        cpu.setdefault(name, []).append(c)
        return value

    with (
        tempfile.TemporaryDirectory(prefix="bench-breakdown-") as scratch,
        InProcessService(REPO / "policies", Path(scratch)) as service,
    ):
        limit = service.state.settings.max_body_bytes
        for call in range(calls + 3):
            payload = keep("load_json (orjson + nesting check)", lambda: load_json(body, limit))
            request = keep("parse_hook_request", partial(parse_hook_request, payload, service.service.hook))
            answer, answer_wall = service.answer(payload)
            wall.setdefault("pipeline.answer", []).append(answer_wall)
            cpu.setdefault("pipeline.answer", []).append(service.last_cpu_ms)
            response = keep("orjson.dumps(answer.body)", partial(orjson.dumps, answer.body))
            record = InvocationRecord(
                hook_instance=request.hook_instance,
                service_id=service.service.id,
                hook=request.hook,
                http_status=200,
                request_body=body,
                response_body=response,
                duration_ms=answer_wall,
                payer=answer.route.payer.key,
                line_of_business=answer.route.line_of_business,
                timings=answer.timings,
                decisions=tuple(answer.decisions),
            )
            keep("audit store transaction (SQLite)", partial(service.state.store.record_invocations, [record]))
            if call < 3:  # warm-up calls are not kept
                for samples in (*wall.values(), *cpu.values()):
                    samples.pop()
    return {name: {"wall_ms": statistics.median(wall[name]), "cpu_ms": statistics.median(cpu[name])} for name in wall}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.breakdown", description=__doc__)
    parser.add_argument("--size", type=int, default=201)
    parser.add_argument("--criteria", choices=("met", "missing"), default="met")
    parser.add_argument("--calls", type=int, default=100)
    args = parser.parse_args(argv)
    stages = breakdown(args.size, args.criteria, args.calls)
    total_cpu = sum(s["cpu_ms"] for s in stages.values())
    print(f"sotorasib {args.criteria} {args.size}: medians of {args.calls} calls")
    print(f"  {'stage':<40} {'wall ms':>9} {'cpu ms':>9} {'cpu share':>10}")
    for name, stage in stages.items():
        share = stage["cpu_ms"] / total_cpu * 100.0
        print(f"  {name:<40} {stage['wall_ms']:>9.3f} {stage['cpu_ms']:>9.3f} {share:>9.1f}%")


if __name__ == "__main__":
    main()
