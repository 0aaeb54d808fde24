"""`serve --workers 2`: the policies are loaded once, in gunicorn's master, and both forked workers answer from them,
each writing the audit through its own store connection."""

from __future__ import annotations

import json
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.inferno_checks import coverage_info_values, coverage_information
from tests.support.live_server import LiveServer

REPO = Path(__file__).resolve().parents[2]
CALLS = 12


def approved_sample() -> tuple[dict[str, Any], str]:
    """The first sample request the index says is approved, and its order id."""
    index = json.loads((REPO / "sample_bundles" / "index.json").read_text())["samples"]
    entry = next(s for s in index if s["decision"] == "approved" and s["hook"] == "order-sign")
    request: dict[str, Any] = json.loads((REPO / "sample_bundles" / f"{entry['name']}.json").read_text())
    return request, entry["order"].split("/", 1)[1]


@pytest.mark.timeout(180)
def test_two_forked_workers_share_the_masters_policies_and_decide(tmp_path: Path) -> None:
    request, order_id = approved_sample()
    with LiveServer(tmp_path, workers=2, startup_timeout_s=120) as server:

        def call(_: int) -> dict[str, Any]:
            response = httpx.post(f"{server.url}/cds-services/crd-order-sign", json=request, timeout=60)
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            return body

        with ThreadPoolExecutor(4) as pool:  # concurrent fresh connections: both workers get some
            bodies = list(pool.map(call, range(CALLS)))
        for body in bodies:
            [action] = [a for a in body["systemActions"] if a["resource"]["id"] == order_id]
            values = coverage_info_values(coverage_information(action["resource"])[0])
            assert (values["covered"], values["pa-needed"]) == (["covered"], ["satisfied"])
        log = server.log_text()
        server.stop()
        assert server.returncode == 0, server.log_tail()
    assert log.count("policies loaded in the master") == 1
    assert "loaded 3 policies from" in log and log.count("loaded 3 policies from") == 1  # never again in a worker
    assert log.count("Booting worker with pid") == 2 and log.count("Application startup complete") == 2
    with sqlite3.connect(tmp_path / "audit.sqlite3") as audit:
        [(written,)] = audit.execute("SELECT count(*) FROM hook_invocations").fetchall()
    assert written == CALLS  # every call audited, whichever worker answered it
