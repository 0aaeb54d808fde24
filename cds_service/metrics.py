"""Prometheus text-format metrics for one worker: requests, decisions by outcome, request latency."""

from __future__ import annotations

import threading
from collections import Counter

LATENCY_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: Counter[tuple[str, int]] = Counter()
        self._decisions: Counter[str] = Counter()
        self._bucket_counts = [0] * len(LATENCY_BUCKETS_S)
        self._latency_sum = 0.0
        self._latency_count = 0

    def observe_request(self, service: str, status: int, seconds: float) -> None:
        with self._lock:
            self._requests[(service, status)] += 1
            self._latency_sum += seconds
            self._latency_count += 1
            for index, bound in enumerate(LATENCY_BUCKETS_S):
                if seconds <= bound:
                    self._bucket_counts[index] += 1

    def observe_decision(self, outcome: str) -> None:
        with self._lock:
            self._decisions[outcome] += 1

    def render(self) -> str:
        with self._lock:
            lines = [
                "# HELP cds_hook_requests_total Hook calls answered, by service and HTTP status.",
                "# TYPE cds_hook_requests_total counter",
            ]
            for (service, status), count in sorted(self._requests.items()):
                lines.append(f'cds_hook_requests_total{{service="{service}",status="{status}"}} {count}')
            lines += [
                "# HELP cds_decisions_total Coverage decisions returned, by outcome.",
                "# TYPE cds_decisions_total counter",
            ]
            for outcome, count in sorted(self._decisions.items()):
                lines.append(f'cds_decisions_total{{outcome="{outcome}"}} {count}')
            lines += [
                "# HELP cds_hook_request_duration_seconds Time from request received to response ready.",
                "# TYPE cds_hook_request_duration_seconds histogram",
            ]
            for bound, count in zip(LATENCY_BUCKETS_S, self._bucket_counts, strict=True):
                lines.append(f'cds_hook_request_duration_seconds_bucket{{le="{bound}"}} {count}')
            lines.append(f'cds_hook_request_duration_seconds_bucket{{le="+Inf"}} {self._latency_count}')
            lines.append(f"cds_hook_request_duration_seconds_sum {self._latency_sum:.6f}")
            lines.append(f"cds_hook_request_duration_seconds_count {self._latency_count}")
        return "\n".join(lines) + "\n"
