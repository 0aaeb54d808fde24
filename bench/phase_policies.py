"""1 vs 100 loaded policies: the 201-resource sotorasib request timed in two child processes
(bench.policy_worker), one holding the real policy alone and one holding it among 99 synthetic copies,
rounds alternating between them.

The workers start after the other phases (compiling 100 policies takes ~20 s of CPU, which would otherwise be
timed into them); `finish` waits for both to compile, then measures.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
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

    def close(self) -> None:
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


class PolicyWorkers:
    """The two workers, from `start` (after the other phases) to `finish` (measure, stop)."""

    def __init__(self, real_policy: Path, workdir: Path) -> None:
        self.started = time.perf_counter()
        self.workers: dict[int, Worker] = {}
        try:
            for count in COUNTS:
                tree = build_tree(workdir / f"policies-{count}", real_policy, count)
                self.workers[count] = Worker(tree, workdir / f"worker-{count}", workdir / f"worker-{count}.log")
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        for worker in self.workers.values():
            worker.close()

    def finish(self, budget: Budget, checks: Checks) -> dict[str, Any]:
        print("  1 vs 100 loaded policies (real sotorasib policy + synthetic copies, same payer)", flush=True)
        try:
            return self._measure(budget, checks)
        finally:
            self.close()

    def _measure(self, budget: Budget, checks: Checks) -> dict[str, Any]:
        out: dict[str, Any] = {}
        waited = time.perf_counter()
        for count, worker in self.workers.items():
            ready = worker.receive()
            checks.expect(f"{count} policies loaded", ready["decision"], "approved")
            if ready["policies"] != count:
                checks.problems.append(f"{count} policies generated, {ready['policies']} loaded")
            out[f"load_{count}_s"] = round(ready["startup_s"], 2)
            out[f"rss_{count}_policies_mb"] = round(ready["rss_mb"], 1)
            print(f"    {count:>3} policies: compiled in {ready['startup_s']:.1f} s, "
                  f"RSS {ready['rss_mb']:.0f} MB", flush=True)  # fmt: skip
        out["waited_for_compile_s"] = round(time.perf_counter() - waited, 1)
        wall: dict[int, list[float]] = {count: [] for count in COUNTS}
        cpu: dict[int, list[float]] = {count: [] for count in COUNTS}
        for worker in self.workers.values():
            worker.run(budget.policy_round)  # warm-up
        deadline = time.perf_counter() + budget.policy_rounds_seconds
        while len(wall[1]) < budget.policy_iterations and (not wall[1] or time.perf_counter() < deadline):
            for count, worker in self.workers.items():
                answer = worker.run(budget.policy_round)
                wall[count] += answer["samples_ms"]
                cpu[count] += answer["cpu_ms"]
        for worker in self.workers.values():
            worker.send({"quit": True})
        for count in COUNTS:
            out[f"policies_{count}_ms"] = Summary.of(wall[count]).as_json()
            out[f"policies_{count}_cpu_ms"] = Summary.of(cpu[count]).as_json()
            print(f"    {count:>3} policies loaded, 201 met  {Summary.of(wall[count]).line()}  "
                  f"cpu {Summary.of(cpu[count]).median:.3f}", flush=True)  # fmt: skip
        out["policies_100_vs_1_ratio"] = out["policies_100_ms"]["median"] / out["policies_1_ms"]["median"]
        out["policies_100_vs_1_cpu_ratio"] = out["policies_100_cpu_ms"]["median"] / out["policies_1_cpu_ms"]["median"]
        return out
