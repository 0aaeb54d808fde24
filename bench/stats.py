"""Latency summaries. Percentiles by linear interpolation between closest ranks (numpy's default), so p99 of
2,000 samples sits between the 20th and 21st slowest instead of jumping with one outlier."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass


def percentile(samples: Sequence[float], q: float) -> float:
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    rank = (len(ordered) - 1) * q / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Summary:
    """Milliseconds."""

    n: int
    median: float
    p90: float
    p99: float
    mean: float
    min: float
    max: float

    @classmethod
    def of(cls, samples_ms: Sequence[float]) -> Summary:
        return cls(
            n=len(samples_ms),
            median=percentile(samples_ms, 50),
            p90=percentile(samples_ms, 90),
            p99=percentile(samples_ms, 99),
            mean=sum(samples_ms) / len(samples_ms),
            min=min(samples_ms),
            max=max(samples_ms),
        )

    def as_json(self) -> dict[str, float]:
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in asdict(self).items()}

    def line(self) -> str:
        return f"median {self.median:.3f} ms  p90 {self.p90:.3f}  p99 {self.p99:.3f}  (n={self.n})"


def time_calls(
    call: Callable[[], object],
    *,
    iterations: int,
    warmup: int,
    budget_s: float,
    prepare: Callable[[], object] | None = None,
) -> list[float]:
    """Time `call` up to `iterations` times or until `budget_s` runs out (at least 5 samples); ms each.

    `prepare` runs untimed before each call (e.g. a fresh JSON parse, so no call sees a warm object).
    """
    for _ in range(warmup):
        if prepare is not None:
            prepare()
        call()
    samples: list[float] = []
    deadline = time.perf_counter() + budget_s
    while len(samples) < iterations and (len(samples) < 5 or time.perf_counter() < deadline):
        if prepare is not None:
            prepare()
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000.0)
    return samples
