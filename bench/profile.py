"""`python -m bench.profile [--size 201] [--criteria met] [--calls 30] [--server]`: where the hot path spends
its time, by pyinstrument over repeated calls of `pipeline.answer` (or the whole ASGI app with --server).

Writes bench/results/profile-<size>-<criteria>.txt (call tree) and prints the flattest useful summary: the
functions with the most self time, with their share of the total.
"""

from __future__ import annotations

import argparse
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import orjson
from pyinstrument import Profiler
from pyinstrument.frame import Frame

from . import hook_requests as hr
from .inprocess import InProcessService

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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--size", type=int, default=201)
    parser.add_argument("--criteria", choices=("met", "missing"), default="met")
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--server", action="store_true", help="profile the whole ASGI app, not answer()")
    args = parser.parse_args(argv)
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
