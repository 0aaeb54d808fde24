"""GET /metrics as Prometheus scrapes it: the Metrics facade's exposition, and the sum over all workers of
`serve --workers 2` whichever worker answers the scrape."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from prometheus_client.multiprocess import MultiProcessCollector
from typer.testing import CliRunner

from cds_service import __main__ as cli_module
from cds_service import prefork
from cds_service.audit.metrics import LATENCY_BUCKETS_S, MULTIPROC_DIR_ENV, Metrics
from tests.support.live_server import LiveServer
from tests.support.prometheus_text import scraped, total

REPO = Path(__file__).resolve().parents[3]
HOOK_CALLS = 20
MAX_HOOK_CALLS = 200  # if the kernel gave every connection to one worker, a few more rounds until both answered
SCRAPES = 8


def test_render_reports_counters_by_label_and_the_latency_histogram() -> None:
    metrics = Metrics()
    metrics.observe_request("crd-order-sign", 200, 0.004)
    metrics.observe_request("crd-order-sign", 200, 0.3)
    metrics.observe_request("crd-order-select", 400, 7.0)
    metrics.observe_decision("approved")
    metrics.observe_decision("approved")
    metrics.observe_decision("not-met")

    samples = scraped(metrics.render())

    assert samples[("cds_hook_requests_total", (("service", "crd-order-sign"), ("status", "200")))] == 2
    assert samples[("cds_hook_requests_total", (("service", "crd-order-select"), ("status", "400")))] == 1
    assert samples[("cds_decisions_total", (("outcome", "approved"),))] == 2
    assert samples[("cds_decisions_total", (("outcome", "not-met"),))] == 1
    buckets = {
        labels[0][1]: value
        for (name, labels), value in samples.items()
        if name == "cds_hook_request_duration_seconds_bucket"
    }
    assert list(buckets) == [str(bound) for bound in LATENCY_BUCKETS_S] + ["+Inf"]  # names dashboards query
    assert buckets["0.0025"] == 0
    assert buckets["0.005"] == buckets["0.25"] == 1
    assert buckets["0.5"] == buckets["5.0"] == 2
    assert buckets["+Inf"] == 3
    assert samples[("cds_hook_request_duration_seconds_count", ())] == 3
    assert samples[("cds_hook_request_duration_seconds_sum", ())] == pytest.approx(7.304)
    assert not any(name.endswith("_created") for name, _ in samples)  # as in multiprocess mode


def test_each_app_counts_in_its_own_registry() -> None:
    first, second = Metrics(), Metrics()
    first.observe_request("crd-order-sign", 200, 0.01)
    assert total(scraped(first.render()), "cds_hook_requests_total") == 1
    assert total(scraped(second.render()), "cds_hook_requests_total") == 0


def serve_and_see_metrics_dir(monkeypatch: pytest.MonkeyPatch, workers: int) -> str | None:
    """Runs `serve --workers N` with the server stubbed; the metrics directory the workers would have inherited."""
    seen: list[str | None] = []

    def run_uvicorn(*args: object, **kwargs: object) -> None:
        directory = os.environ.get(MULTIPROC_DIR_ENV)
        assert directory is None or Path(directory).is_dir()
        seen.append(directory)

    monkeypatch.setattr(uvicorn, "run", run_uvicorn)  # one worker
    monkeypatch.setattr(prefork, "serve_forked", run_uvicorn)  # several: gunicorn forks them (cds_service/prefork.py)
    result = CliRunner().invoke(cli_module.cli, ["serve", "--workers", str(workers)])
    assert result.exit_code == 0, result.output
    [directory] = seen
    return directory


def test_serve_with_several_workers_shares_a_fresh_metrics_dir_and_removes_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(MULTIPROC_DIR_ENV, raising=False)
    directory = serve_and_see_metrics_dir(monkeypatch, workers=2)
    assert directory is not None
    assert not Path(directory).exists()
    assert MULTIPROC_DIR_ENV not in os.environ


def test_serve_uses_the_operators_metrics_dir_and_keeps_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(MULTIPROC_DIR_ENV, str(tmp_path))
    assert serve_and_see_metrics_dir(monkeypatch, workers=2) == str(tmp_path)
    assert tmp_path.is_dir()
    assert os.environ[MULTIPROC_DIR_ENV] == str(tmp_path)


def test_serve_with_one_worker_needs_no_metrics_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MULTIPROC_DIR_ENV, raising=False)
    assert serve_and_see_metrics_dir(monkeypatch, workers=1) is None


@pytest.fixture
def temp_root(tmp_path: Path) -> Path:
    """The server's TMPDIR: where `serve` creates its metrics directory, so the test can watch it."""
    root = tmp_path / "tmp"
    root.mkdir()
    return root


@pytest.fixture
def two_workers(tmp_path: Path, temp_root: Path) -> Iterator[LiveServer]:
    with LiveServer(tmp_path, workers=2, env={"TMPDIR": str(temp_root)}, startup_timeout_s=90) as server:
        yield server


def first_sample() -> tuple[str, dict[str, Any]]:
    """The first request sample_bundles/index.json lists, and its hook."""
    entry = json.loads((REPO / "sample_bundles" / "index.json").read_text())["samples"][0]
    request: dict[str, Any] = json.loads((REPO / "sample_bundles" / f"{entry['name']}.json").read_text())
    return entry["hook"], request


def calls_per_worker(metrics_dir: Path) -> list[float]:
    """How many hook calls each worker has observed, from its own file in the shared metrics directory."""
    counts = []
    for worker_file in sorted(metrics_dir.glob("histogram_*.db")):
        merged = MultiProcessCollector.merge([str(worker_file)])  # type: ignore[no-untyped-call]
        [family] = [m for m in merged if m.type == "histogram"]
        counts.append(next(s.value for s in family.samples if s.name.endswith("_count")))
    return counts


@pytest.mark.timeout(180)
def test_two_workers_report_the_sum_of_both_on_every_scrape(two_workers: LiveServer, temp_root: Path) -> None:
    [metrics_dir] = temp_root.glob("cds-metrics-*")
    hook, request = first_sample()
    [service] = [s["id"] for s in httpx.get(two_workers.url + "/cds-services", timeout=10).json()["services"]
                 if s["hook"] == hook]  # fmt: skip
    hook_url = f"{two_workers.url}/cds-services/{service}"

    def call(_: int) -> int:
        return httpx.post(hook_url, json=request, timeout=30).status_code  # a fresh connection per call

    sent = 0
    with ThreadPoolExecutor(4) as pool:  # concurrent calls, so that a busy worker leaves some to the other
        while sent == 0 or (sum(1 for n in calls_per_worker(metrics_dir) if n) < 2 and sent < MAX_HOOK_CALLS):
            assert set(pool.map(call, range(HOOK_CALLS))) == {200}
            sent += HOOK_CALLS
    shares = calls_per_worker(metrics_dir)
    assert len(shares) == 2 and all(shares), f"one worker answered every call: {shares}"

    for _ in range(SCRAPES):
        response = httpx.get(two_workers.url + "/metrics", timeout=10)
        assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
        samples = scraped(response.text)
        assert samples[("cds_hook_requests_total", (("service", service), ("status", "200")))] == sent
        assert total(samples, "cds_hook_requests_total") == sent
        assert total(samples, "cds_decisions_total") == sent  # the sample has one order
        assert samples[("cds_hook_request_duration_seconds_count", ())] == sent
        assert samples[("cds_hook_request_duration_seconds_bucket", (("le", "+Inf"),))] == sent

    two_workers.stop()
    assert two_workers.returncode == 0, two_workers.log_tail()
    assert not metrics_dir.exists(), "serve leaves the metrics directory it created behind"
