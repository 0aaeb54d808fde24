"""1 vs 1,000 loaded policies (issue 17): start-up cold and warm, memory, and the 201-resource sotorasib request
timed in two child processes (bench.policy_worker), one holding the real policy alone and one holding it among
the other real policies and synthetic ones (bench/synthetic_policies.py), rounds alternating between them.

Each tree is started twice. Cold: an empty cache directory (`CQL_LIKE_CACHE_DIR`: parsed CQL, compiled code and
libraries, parsed policy.yaml), as a new release on a new machine starts. Warm: the directory the cold start filled,
as every later worker and restart starts. The warm workers are the ones timed. Before quitting, the cold N-policy
worker answers orders of two synthetic drugs: each must be decided by its own synthetic policy, and the everolimus
one must be approved as the real policy approves the same order of the real drug.

The workers start after the other phases (compiling 1,000 policies cold takes a minute of CPU, which would
otherwise be timed into them); `finish` waits for them, then measures.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

import orjson

from . import hook_requests as hr
from .phase_inprocess import Budget, Checks
from .servers import REPO
from .stats import Summary
from .synthetic_policies import EVEROLIMUS, Synthetic, build_tree, recoded

CACHE_ENV = "CQL_LIKE_CACHE_DIR"


class Worker:
    def __init__(self, tree: Path, workdir: Path, cache: Path, log_path: Path) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self._log = log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.policy_worker", str(tree), str(workdir)],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env={**os.environ, CACHE_ENV: str(cache)},
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

    def answer(self, request: dict[str, Any]) -> dict[str, Any]:
        self.send({"answer": request})
        return self.receive()

    def quit(self) -> None:
        self.send({"quit": True})
        self.process.wait(timeout=60)


class PolicyWorkers:
    """The workers, from `start` (after the other phases: trees built, cold workers started) to `finish`."""

    def __init__(self, workdir: Path, count: int) -> None:
        self.workdir = workdir
        self.counts = (1, count)
        self.workers: dict[int, Worker] = {}
        self.trees: dict[int, Path] = {}
        self.synthetics: list[Synthetic] = []
        started = time.perf_counter()
        for total in self.counts:
            self.trees[total], synthetics = build_tree(workdir / f"policies-{total}", total)
            self.synthetics += synthetics
            shutil.rmtree(self._cache(total), ignore_errors=True)
        self.build_s = time.perf_counter() - started
        self._start()

    def _cache(self, count: int) -> Path:
        return self.workdir / f"cache-{count}"

    def _start(self) -> None:
        try:
            for count in self.counts:
                self.workers[count] = Worker(
                    self.trees[count],
                    self.workdir / f"worker-{count}",
                    self._cache(count),
                    self.workdir / f"worker-{count}.log",
                )
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        for worker in self.workers.values():
            worker.close()

    def finish(self, budget: Budget, checks: Checks) -> dict[str, Any]:
        many = self.counts[1]
        print(f"  1 vs {many:,} loaded policies (3 real + synthetic copies with their own codes, same payers)",
              flush=True)  # fmt: skip
        try:
            out: dict[str, Any] = {"policies": many, "build_tree_s": round(self.build_s, 1)}
            out |= self._ready(checks, "cold")
            self._check_synthetics(checks)
            for worker in self.workers.values():
                worker.quit()
            self.close()
            self._start()
            out |= self._ready(checks, "warm")
            out |= self._latency(budget)
            return out
        finally:
            self.close()

    def _ready(self, checks: Checks, start: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for count, worker in self.workers.items():
            ready = worker.receive()
            checks.expect(f"{count} policies loaded ({start})", ready["decision"], "approved")
            if ready["policies"] != count:
                checks.problems.append(f"{count} policies generated, {ready['policies']} loaded")
            out[f"{start}_start_{count}_s"] = round(ready["startup_s"], 2)
            out[f"{start}_start_{count}_cpu_s"] = round(ready["startup_cpu_s"], 2)
            out[f"rss_{count}_policies_mb_{start}"] = round(ready["rss_mb"], 1)
            print(f"    {count:>5} policies, {start} start: {ready['startup_s']:.1f} s "
                  f"(cpu {ready['startup_cpu_s']:.1f} s), RSS {ready['rss_mb']:.0f} MB", flush=True)  # fmt: skip
        return out

    def _check_synthetics(self, checks: Checks) -> None:
        """An order of a synthetic drug reaches its own policy; the everolimus copy approves what the real one does."""
        if not self.synthetics:
            return
        worker = self.workers[self.counts[1]]
        everolimus = next((s for s in self.synthetics if s.template == EVEROLIMUS), None)
        if everolimus is not None:
            answer = worker.answer(recoded(hr.everolimus_request(), everolimus.codes))
            # the first draft is the everolimus order; the second, exemestane, has no policy
            checks.expect(f"synthetic everolimus {everolimus.id}", answer["decision"].split(",")[0], "approved")
            if answer["policies"][0] != everolimus.id:
                checks.problems.append(f"everolimus order of {everolimus.id} decided by {answer['policies']}")
        sotorasib = self.synthetics[0]
        answer = worker.answer(recoded(hr.sotorasib_request(201, "met"), sotorasib.codes))
        if answer["policies"] != [sotorasib.id]:
            checks.problems.append(f"sotorasib order of {sotorasib.id} decided by {answer['policies']}")

    def _latency(self, budget: Budget) -> dict[str, Any]:
        out: dict[str, Any] = {}
        wall: dict[int, list[float]] = {count: [] for count in self.counts}
        cpu: dict[int, list[float]] = {count: [] for count in self.counts}
        for worker in self.workers.values():
            worker.run(budget.policy_round)  # warm-up
        deadline = time.perf_counter() + budget.policy_rounds_seconds
        while len(wall[1]) < budget.policy_iterations and (not wall[1] or time.perf_counter() < deadline):
            for count, worker in self.workers.items():
                answer = worker.run(budget.policy_round)
                wall[count] += answer["samples_ms"]
                cpu[count] += answer["cpu_ms"]
        for worker in self.workers.values():
            worker.quit()
        for count in self.counts:
            out[f"policies_{count}_ms"] = Summary.of(wall[count]).as_json()
            out[f"policies_{count}_cpu_ms"] = Summary.of(cpu[count]).as_json()
            print(f"    {count:>5} policies loaded, 201 met  {Summary.of(wall[count]).line()}  "
                  f"cpu {Summary.of(cpu[count]).median:.3f}", flush=True)  # fmt: skip
        many = self.counts[1]
        out["policies_many_vs_1_ratio"] = out[f"policies_{many}_ms"]["median"] / out["policies_1_ms"]["median"]
        out["policies_many_vs_1_cpu_ratio"] = (
            out[f"policies_{many}_cpu_ms"]["median"] / out["policies_1_cpu_ms"]["median"]
        )
        return out
