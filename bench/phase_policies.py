"""1 vs 100 loaded policies: the 201-resource sotorasib request timed in two child processes
(bench.policy_worker), one holding the real policy alone and one holding it among 99 synthetic copies,
rounds alternating between them."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import orjson

from .phase_inprocess import Budget, Checks
from .servers import REPO
from .stats import Summary
from .synthetic_policies import build_tree

COUNTS = (1, 100)


class Worker:
    def __init__(self, tree: Path, workdir: Path, log_path: Path) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.policy_worker", str(tree), str(workdir)],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
        )

    def __enter__(self) -> Worker:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._log.close()

    def _pipe(self, pipe: IO[bytes] | None) -> IO[bytes]:
        if pipe is None:
            raise RuntimeError("worker pipes are not open")
        return pipe

    def receive(self) -> dict[str, Any]:
        line = self._pipe(self.process.stdout).readline()
        if not line:
            raise RuntimeError(f"policy worker exited ({self.process.poll()}); see {self._log.name}")
        message: dict[str, Any] = orjson.loads(line)
        return message

    def send(self, message: dict[str, Any]) -> None:
        stdin = self._pipe(self.process.stdin)
        stdin.write(orjson.dumps(message) + b"\n")
        stdin.flush()

    def run(self, calls: int) -> dict[str, Any]:
        self.send({"run": calls})
        return self.receive()


def run(real_policy: Path, workdir: Path, budget: Budget, checks: Checks) -> dict[str, Any]:
    print("  1 vs 100 loaded policies (real sotorasib policy + synthetic copies, same payer)", flush=True)
    trees = {count: build_tree(workdir / f"policies-{count}", real_policy, count) for count in COUNTS}
    out: dict[str, Any] = {}
    samples: dict[int, list[float]] = {count: [] for count in COUNTS}
    started = time.perf_counter()
    with (
        Worker(trees[1], workdir / "worker-1", workdir / "worker-1.log") as one,
        Worker(trees[100], workdir / "worker-100", workdir / "worker-100.log") as hundred,
    ):
        workers = {1: one, 100: hundred}
        for count, worker in workers.items():  # both compile at once: nothing is being measured yet
            ready = worker.receive()
            checks.expect(f"{count} policies loaded", ready["decision"], "approved")
            if ready["policies"] != count:
                checks.problems.append(f"{count} policies generated, {ready['policies']} loaded")
            out[f"load_{count}_s"] = round(ready["startup_s"], 2)
            out[f"rss_{count}_policies_mb"] = round(ready["rss_mb"], 1)
            print(f"    {count:>3} policies: compiled in {ready['startup_s']:.1f} s, "
                  f"RSS {ready['rss_mb']:.0f} MB", flush=True)  # fmt: skip
        print(f"    (both compiled in parallel in {time.perf_counter() - started:.1f} s)", flush=True)
        for worker in workers.values():
            worker.run(budget.policy_round)  # warm-up
        deadline = time.perf_counter() + budget.policy_rounds_seconds
        while len(samples[1]) < budget.policy_iterations and (not samples[1] or time.perf_counter() < deadline):
            for count, worker in workers.items():
                samples[count] += worker.run(budget.policy_round)["samples_ms"]
        for worker in workers.values():
            worker.send({"quit": True})
    summaries = {count: Summary.of(values) for count, values in samples.items()}
    for count, summary in summaries.items():
        out[f"policies_{count}_ms"] = summary.as_json()
        print(f"    {count:>3} policies loaded, 201 met  {summary.line()}", flush=True)
    out["policies_100_vs_1_ratio"] = summaries[100].median / summaries[1].median
    return out
