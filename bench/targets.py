"""The targets of issue 4 and, where it set stricter ones, issue 17 (engine, HTTP, JSON floor, throughput, 1,000
policies): reported PASS/FAIL by `make bench`, never asserted in a test (the machine is shared)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Target:
    key: str
    label: str
    limit: float
    unit: str
    higher_is_better: bool = False

    def passes(self, value: float) -> bool:
        return value >= self.limit if self.higher_is_better else value <= self.limit

    def line(self, value: float | None) -> str:
        sign = ">=" if self.higher_is_better else "<="
        if value is None:
            return f"  SKIP  {self.label:<48} (not measured)        target {sign} {self.limit:g} {self.unit}"
        verdict = "PASS" if self.passes(value) else "FAIL"
        figure = f"{value:>10.3f} {self.unit:<6}"
        return f"  {verdict}  {self.label:<48} {figure}  target {sign} {self.limit:g} {self.unit}"


TARGETS = (
    Target("cql_like_201_median_ms", "cql_like CP.PHAR.549 evaluate, 201 resources", 0.5, "ms"),
    Target("inprocess_201_median_ms", "in-process, 201 resources, median", 1.0, "ms"),
    Target("http_201_p50_ms", "HTTP 1 worker, 201 resources, p50", 2.0, "ms"),
    Target("http_201_p99_ms", "HTTP 1 worker, 201 resources, p99", 6.0, "ms"),
    Target("throughput_2w_rps", "throughput, 2 workers, 16 clients", 500.0, "req/s", higher_is_better=True),
    Target("json_floor_ratio", "server time / JSON floor (201)", 2.0, "x"),
    Target("scaling_5001_vs_201_ratio", "5,001 vs 201 resources (criteria missing)", 30.0, "x"),
    Target("policies_many_vs_1_ratio", "1,000 vs 1 loaded policies, request latency", 1.10, "x"),
    Target("policies_cold_start_s", "1,000 policies, cold start (empty caches)", 120.0, "s"),
    Target("policies_warm_start_s", "1,000 policies, warm start (caches filled)", 5.0, "s"),
    Target("policies_rss_mb", "1,000 policies, RSS per worker", 300.0, "MB"),
    Target("rss_mb", "RSS after startup, all policies, per worker", 150.0, "MB"),
    Target("peak_rss_5001_mb", "peak RSS during the 5,001 request", 150.0, "MB"),
)


def report(results: Mapping[str, Any]) -> list[str]:
    return [target.line(results.get(target.key)) for target in TARGETS]


def verdicts(results: Mapping[str, Any]) -> dict[str, str]:
    out = {}
    for target in TARGETS:
        value = results.get(target.key)
        out[target.key] = "SKIP" if value is None else ("PASS" if target.passes(value) else "FAIL")
    return out
