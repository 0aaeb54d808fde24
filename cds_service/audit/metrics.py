"""Prometheus metrics (prometheus_client): hook calls, decisions by outcome, request latency.

One worker: the values live in this process and a per-app registry renders them. Several workers
(`serve --workers N`, see __main__.py): PROMETHEUS_MULTIPROC_DIR is set before the workers start, each worker
writes its values to files there, and whichever worker answers GET /metrics renders the sum of all of them.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROC_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"
# What generate_latest writes. Not CONTENT_TYPE_LATEST: since prometheus_client 0.22 that names text format
# 1.0.0, which prometheus_client only writes when the scraper asks for it.
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

# The `*_created` series are not exported in multiprocess mode; leaving them out in one-worker mode too keeps
# the exposition the same whatever the worker count (and the same as before prometheus_client).
disable_created_metrics()  # type: ignore[no-untyped-call]


class Metrics:
    """The service's metrics, in a registry of their own so that many apps in one process do not collide."""

    def __init__(self) -> None:
        # prometheus_client chose file-backed values at import if the variable was set then; follow the same rule.
        multiproc_dir = os.environ.get(MULTIPROC_DIR_ENV)
        self._registry = CollectorRegistry()
        # Multiprocess mode: the metrics stay unregistered (their values reach the registry through the
        # workers' files; registering them as well would export them twice).
        owner = None if multiproc_dir else self._registry
        if multiproc_dir:
            MultiProcessCollector(self._registry, path=multiproc_dir)  # type: ignore[no-untyped-call]
        self._requests = Counter(
            "cds_hook_requests",
            "Hook calls answered, by service and HTTP status.",
            ("service", "status"),
            registry=owner,
        )
        self._decisions = Counter(
            "cds_decisions", "Coverage decisions returned, by outcome.", ("outcome",), registry=owner
        )
        self._latency = Histogram(
            "cds_hook_request_duration_seconds",
            "Time from request received to response ready.",
            buckets=LATENCY_BUCKETS_S,
            registry=owner,
        )

    def observe_request(self, service: str, status: int, seconds: float) -> None:
        self._requests.labels(service=service, status=str(status)).inc()
        self._latency.observe(seconds)

    def observe_decision(self, outcome: str) -> None:
        self._decisions.labels(outcome=outcome).inc()

    def render(self) -> str:
        """The Prometheus text exposition (METRICS_CONTENT_TYPE)."""
        return generate_latest(self._registry).decode()
