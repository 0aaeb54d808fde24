"""`python -m bench.profile [--size 201] [--criteria met] [--calls 30] [--server]`: where the hot path spends
its time, by pyinstrument over repeated calls of `pipeline.answer` (or the whole ASGI app with --server).

Writes bench/results/profile-<size>-<criteria>.txt (call tree) and prints the flattest useful summary: the
functions with the most self time, with their share of the total.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import orjson
from pyinstrument import Profiler
from pyinstrument.frame import Frame

from cds_service.gather.record import GatheredData
from cds_service.policy.registry import load_policy
from cql_like import PatientRecord

from . import fhir_resources as fr
from . import hook_requests as hr
from .inprocess import FIXED_NOW, InProcessService

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"


SELF = "[self]"  # pyinstrument's synthetic child holding a frame's own time


def _key(frame: Frame) -> str:
    return f"{frame.file_path_short or frame.file_path or '?'}:{frame.line_no}:{frame.function}"


def self_times(root: Frame) -> dict[str, float]:
    """Self time per function (file:line:function; lambdas differ by line), summed over the call tree."""
    totals: defaultdict[str, float] = defaultdict(float)
    stack = [root]
    while stack:
        frame = stack.pop()
        children = [c for c in frame.children if c.function != SELF]
        totals[_key(frame)] += frame.time - sum(c.time for c in children)
        stack.extend(children)
    return totals


def inclusive_times(root: Frame) -> dict[str, float]:
    """Inclusive time per function, counted once per call stack (recursion does not double count)."""
    totals: defaultdict[str, float] = defaultdict(float)

    def walk(frame: Frame, seen: frozenset[str]) -> None:
        key = _key(frame)
        if key not in seen:
            totals[key] += frame.time
        for child in frame.children:
            if child.function != SELF:
                walk(child, seen | {key})

    walk(root, frozenset())
    return totals


def top(times: dict[str, float], total: float, count: int) -> list[tuple[str, float]]:
    return [(k, v / total) for k, v in sorted(times.items(), key=lambda kv: -kv[1])[:count]]


def profile(size: int, criteria: hr.Criteria, calls: int, server: bool) -> dict[str, Any]:
    body = hr.request_bytes(hr.sotorasib_request(size, criteria))
    with (
        tempfile.TemporaryDirectory(prefix="bench-profile-") as scratch,
        InProcessService(REPO / "policies", Path(scratch)) as service,
    ):
        service.answer(orjson.loads(body))  # warm: first-call caches are not the steady state
        payloads = [orjson.loads(body) for _ in range(calls)]
        profiler = Profiler(interval=0.0005)
        profiler.start()
        for payload in payloads:
            if server:
                service.serve(body)
            else:
                service.answer(payload)
        profiler.stop()
    session = profiler.last_session
    root = session.root_frame() if session is not None else None
    if root is None:
        raise RuntimeError("pyinstrument recorded nothing")
    name = f"profile-{size}-{criteria}{'-server' if server else ''}"
    RESULTS.mkdir(parents=True, exist_ok=True)
    tree = profiler.output_text(unicode=True, color=False, show_all=False)
    (RESULTS / f"{name}.txt").write_text(tree, encoding="utf-8")
    total = root.time
    return {
        "name": name,
        "calls": calls,
        "total_s": total,
        "per_call_ms": total / calls * 1000.0,
        "self": top(self_times(root), total, 25),
        "inclusive": top(inclusive_times(root), total, 40),
    }


def profile_cpu(size: int, criteria: hr.Criteria, calls: int) -> list[tuple[str, float, float, float]]:
    """cProfile timed by this thread's CPU clock: on a loaded machine a wall-clock sampler charges the wait
    for a core to whatever frame resumes (often a syscall); CPU time does not. Exact call counts too, at the
    price of cProfile's per-call overhead inflating small functions.

    Rows: (file:line:function, self share, inclusive share, calls per request).
    """
    body = hr.request_bytes(hr.sotorasib_request(size, criteria))
    with (
        tempfile.TemporaryDirectory(prefix="bench-profile-") as scratch,
        InProcessService(REPO / "policies", Path(scratch)) as service,
    ):
        service.answer(orjson.loads(body))
        payloads = [orjson.loads(body) for _ in range(calls)]
        profiler = cProfile.Profile(time.thread_time)
        profiler.enable()
        for payload in payloads:
            service.answer(payload)
        profiler.disable()
    stats: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = sum(tottime for _, _, tottime, _, _ in stats.values())
    rows = []
    for (path, line, function), (_, ncalls, tottime, cumtime, _) in stats.items():
        short = path.replace(str(REPO) + "/", "")
        rows.append((f"{short}:{line}:{function}", tottime / total, cumtime / total, ncalls / calls))
    return sorted(rows, key=lambda row: -row[1])


def define_costs(size: int, criteria: hr.Criteria, repeats: int = 3) -> tuple[float, list[tuple[str, float]]]:
    """Each public define of the sotorasib policy evaluated alone on a fresh context (so with everything it
    depends on): which criteria the time goes to. Returns (all defines ms, [(define, ms)]), medians."""
    request = hr.sotorasib_request(size, criteria)
    data = GatheredData()
    for value in request["prefetch"].values():
        data.add(value)
    for entry in request["context"]["draftOrders"]["entry"]:
        data.add(entry["resource"], override=True)
    library = load_policy(REPO / "policies" / "centene" / "CP.PHAR.549").library
    record = PatientRecord.from_resources(list(data.resources.values()))
    parameters = {"OrderId": fr.ORDER_ID}

    def run(defines: list[str] | None) -> float:
        started = time.thread_time()
        library.evaluate(record, now=FIXED_NOW, parameters=parameters, defines=defines)
        return (time.thread_time() - started) * 1000.0

    run(None)
    everything = statistics.median(run(None) for _ in range(repeats))
    costs = [(name, statistics.median(run([name]) for _ in range(repeats))) for name in library.define_names]
    return everything, sorted(costs, key=lambda item: -item[1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--size", type=int, default=201)
    parser.add_argument("--criteria", choices=("met", "missing"), default="met")
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--server", action="store_true", help="profile the whole ASGI app, not answer()")
    parser.add_argument("--cpu", action="store_true", help="cProfile on CPU time with call counts")
    parser.add_argument("--defines", action="store_true", help="CPU ms per sotorasib define, evaluated alone")
    args = parser.parse_args(argv)
    if args.defines:
        everything, costs = define_costs(args.size, args.criteria)
        print(f"sotorasib {args.criteria} {args.size}: all defines {everything:.2f} ms CPU; each alone:")
        for name, cost in costs[:20]:
            print(f"  {cost:8.2f} ms  {cost / everything * 100:5.1f}%  {name}")
        return
    if args.cpu:
        rows = profile_cpu(args.size, args.criteria, args.calls)
        print(f"sotorasib {args.criteria} {args.size}, answer() x {args.calls}, CPU time (cProfile)")
        print(f"  {'self':>6} {'incl':>6} {'calls/req':>10}  file:line:function")
        for key, own, inclusive, per_request in rows[:30]:
            print(f"  {own * 100:5.1f}% {inclusive * 100:5.1f}% {per_request:>10.0f}  {key}")
        return
    found = profile(args.size, args.criteria, args.calls, args.server)
    print(f"{found['name']}: {found['calls']} calls, {found['per_call_ms']:.2f} ms per call (profiled)")
    print("\nself time (file:function, share of total):")
    for key, share in found["self"]:
        print(f"  {share * 100:5.1f}%  {key}")
    print("\ninclusive time:")
    for key, share in found["inclusive"]:
        print(f"  {share * 100:5.1f}%  {key}")
    print(f"\ncall tree: {RESULTS / (found['name'] + '.txt')}")


if __name__ == "__main__":
    main()
