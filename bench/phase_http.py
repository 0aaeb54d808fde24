"""HTTP on 127.0.0.1 against the real uvicorn server: sequential keep-alive latency next to the echo floor,
memory, and closed-loop throughput with 2 workers."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from . import hook_requests as hr
from .http_client import KeepAliveClient, closed_loop_load, post_request
from .phase_inprocess import Checks
from .servers import HOST, ServerProcess, cds_server, echo_server
from .stats import Summary


@dataclass(frozen=True)
class HttpBudget:
    sequential: int = 2000
    sequential_seconds: float = 40.0  # a cap for a slow server; n < 2,000 is then reported, not hidden
    block: int = 50  # short blocks: the idle server's keep-alive (5 s) outlasts the other's block
    warmup: int = 100
    large_calls: int = 3
    clients: int = 16
    normal_sync: int = 300
    normal_sync_seconds: float = 8.0
    throughput_s: float = 8.0
    throughput_warmup_s: float = 1.5
    echo_throughput_s: float = 3.0

    @classmethod
    def quick(cls) -> HttpBudget:
        return cls(
            sequential=20,
            sequential_seconds=10.0,
            block=10,
            warmup=5,
            large_calls=1,
            clients=4,
            normal_sync=10,
            normal_sync_seconds=2.0,
            throughput_s=1.0,
            throughput_warmup_s=0.2,
            echo_throughput_s=0.5,
        )


def _series(client: KeepAliveClient, raw: bytes, count: int, statuses: dict[int, int]) -> list[float]:
    samples = []
    for _ in range(count):
        status, _, elapsed = client.send(raw)
        statuses[status] = statuses.get(status, 0) + 1
        samples.append(elapsed)
    return samples


def sequential(workdir: Path, policies_dir: Path, budget: HttpBudget, checks: Checks) -> dict[str, Any]:
    body = hr.request_bytes(hr.sotorasib_request(201, "met"))
    large = hr.request_bytes(hr.sotorasib_request(5001, "missing"))
    out: dict[str, Any] = {}
    with echo_server(workdir) as echo, cds_server(workdir, policies_dir) as cds:
        out["startup_s"] = round(cds.startup_s, 2)
        rss, _ = cds.memory_mb()[cds.pid]
        out["rss_startup_mb"] = round(rss, 1)
        print(f"    server up in {cds.startup_s:.1f} s, RSS {rss:.1f} MB with all policies loaded", flush=True)
        raw = {name: post_request(HOST, s.port, hr.SERVICE_PATH, body) for name, s in (("cds", cds), ("echo", echo))}
        clients = {"cds": KeepAliveClient(HOST, cds.port), "echo": KeepAliveClient(HOST, echo.port)}
        statuses: dict[str, dict[int, int]] = {"cds": {}, "echo": {}}
        try:
            status, response, _ = clients["cds"].send(raw["cds"])
            _check_answer(status, response, checks)
            for name in clients:
                _series(clients[name], raw[name], budget.warmup, {})
            samples: dict[str, list[float]] = {"cds": [], "echo": []}
            servers = {"cds": cds, "echo": echo}
            cpu_before = {name: server.cpu_s() for name, server in servers.items()}
            deadline = time.perf_counter() + budget.sequential_seconds
            # alternate blocks, so both servers see the same noise on the shared machine
            while len(samples["cds"]) < budget.sequential and time.perf_counter() < deadline:
                for name in clients:
                    samples[name] += _series(clients[name], raw[name], budget.block, statuses[name])
            for name, server in servers.items():  # server CPU per request: what the server did, not the waiting
                used = server.cpu_s() - cpu_before[name]
                out[f"{name}_201_cpu_ms_per_request"] = round(used * 1000.0 / len(samples[name]), 3)
            out["rss_after_201_mb"] = round(cds.memory_mb()[cds.pid][0], 1)
            large_raw = post_request(HOST, cds.port, hr.SERVICE_PATH, large)
            large_ms = _series(clients["cds"], large_raw, budget.large_calls, statuses["cds"])
            out["rss_after_5001_mb"], out["peak_rss_5001_mb"] = (round(v, 1) for v in cds.memory_mb()[cds.pid])
        finally:
            for client in clients.values():
                client.close()
    for name, counts in statuses.items():
        if set(counts) != {200}:
            checks.problems.append(f"HTTP {name}: statuses {counts}")
    summaries = {name: Summary.of(values) for name, values in samples.items()}
    out["cds_201_ms"] = summaries["cds"].as_json()
    out["echo_201_ms"] = summaries["echo"].as_json()
    out["cds_5001_missing_ms"] = Summary.of(large_ms).as_json()
    out["echo_ratio"] = summaries["cds"].median / summaries["echo"].median
    if summaries["cds"].n < budget.sequential:
        note = f"HTTP: {summaries['cds'].n} sequential requests in {budget.sequential_seconds:.0f} s, not "
        checks.notes.append(note + f"{budget.sequential}: the server is too slow for the full series")
    for name, label in (("cds", "cds_service 201 met"), ("echo", "echo floor")):
        cpu = out[f"{name}_201_cpu_ms_per_request"]
        print(f"    {label:<20} {summaries[name].line()}  server cpu {cpu:.3f} ms/request", flush=True)
    print(f"    cds_service 5001 missing: median {Summary.of(large_ms).median:.1f} ms; peak RSS "
          f"{out['peak_rss_5001_mb']} MB", flush=True)  # fmt: skip
    return out


def without_fsync(workdir: Path, policies_dir: Path, budget: HttpBudget) -> dict[str, Any]:
    """The same series with CDS_AUDIT_SYNCHRONOUS=NORMAL (the service's opt-in: the audit survives a crash of
    the process, not of the machine): how much of the HTTP latency is the per-request fsync."""
    body = hr.request_bytes(hr.sotorasib_request(201, "met"))
    env = {"CDS_AUDIT_SYNCHRONOUS": "NORMAL"}
    with cds_server(workdir, policies_dir, env=env, tag="-normal-sync") as cds:
        client = KeepAliveClient(HOST, cds.port)
        raw = post_request(HOST, cds.port, hr.SERVICE_PATH, body)
        statuses: dict[int, int] = {}
        try:
            _series(client, raw, budget.warmup, statuses)
            samples: list[float] = []
            deadline = time.perf_counter() + budget.normal_sync_seconds
            while len(samples) < budget.normal_sync and time.perf_counter() < deadline:
                samples += _series(client, raw, budget.block, statuses)
        finally:
            client.close()
    summary = Summary.of(samples)
    print(f"    same, CDS_AUDIT_SYNCHRONOUS=NORMAL  {summary.line()}", flush=True)
    return {"cds_201_ms": summary.as_json(), "statuses": {str(k): v for k, v in statuses.items()}}


def _check_answer(status: int, response: bytes, checks: Checks) -> None:
    if status != 200:
        checks.problems.append(f"HTTP answered {status}: {response[:200]!r}")
        return
    body = orjson.loads(response)
    if not body.get("systemActions"):
        checks.problems.append("HTTP answer without a coverage-information systemAction")


def _throughput(server: ServerProcess, body: bytes, budget: HttpBudget, seconds: float) -> dict[str, Any]:
    raw = post_request(HOST, server.port, hr.SERVICE_PATH, body)
    closed_loop_load(HOST, server.port, raw, budget.clients, budget.throughput_warmup_s)
    result = closed_loop_load(HOST, server.port, raw, budget.clients, seconds)
    return {
        "rps": round(result.rps, 1),
        "completed": result.completed,
        "failed": result.failed,
        "statuses": {str(k): v for k, v in result.statuses.items()},
        "duration_s": round(result.duration_s, 2),
        "latency_ms": Summary.of(result.latencies_ms).as_json() if result.latencies_ms else None,
    }


def throughput(workdir: Path, policies_dir: Path, budget: HttpBudget, checks: Checks) -> dict[str, Any]:
    body = hr.request_bytes(hr.sotorasib_request(201, "met"))
    out: dict[str, Any] = {}
    with cds_server(workdir, policies_dir, workers=2) as cds:
        cpu_before = cds.cpu_s()
        out["cds"] = _throughput(cds, body, budget, budget.throughput_s)
        used = cds.cpu_s() - cpu_before
        out["cds"]["server_cpu_ms_per_request"] = round(used * 1000.0 / max(1, out["cds"]["completed"]), 3)
        out["worker_rss_mb"] = {
            f"{pid} {cds.command(pid)}": round(m[0], 1) for pid, m in cds.memory_mb().items() if pid != cds.pid
        }
    with echo_server(workdir, workers=2) as echo:
        out["echo"] = _throughput(echo, body, budget, budget.echo_throughput_s)
    if out["cds"]["failed"]:
        checks.problems.append(f"throughput: {out['cds']['failed']} non-200 answers {out['cds']['statuses']}")
    out["throughput_2w_rps"] = out["cds"]["rps"]
    # what 2 idle cores could serve at the CPU each request cost the server here (client and others' load aside)
    out["cpu_bound_2w_rps_estimate"] = round(2000.0 / out["cds"]["server_cpu_ms_per_request"], 1)
    out["echo_throughput_ratio"] = out["cds"]["rps"] / out["echo"]["rps"] if out["echo"]["rps"] else None
    print(f"    cds_service 2 workers x {budget.clients} clients: {out['cds']['rps']:.0f} req/s "
          f"(p50 {out['cds']['latency_ms']['median']:.1f} ms); echo floor {out['echo']['rps']:.0f} req/s",
          flush=True)  # fmt: skip
    return out
