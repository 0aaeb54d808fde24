"""The audit store and jti cache on a real PostgreSQL server (the portable SQL, the placeholders, the
unique-violation path). Uses CDS_TEST_DATABASE_URL when set; otherwise starts a throwaway cluster on
127.0.0.1 with the local PostgreSQL binaries (Debian: `apt-get install postgresql`) and stops it after."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cds_service.store import DecisionRecord, InvocationRecord, PostgresAuditStore

pytestmark = pytest.mark.postgres
PG_BIN = Path("/usr/lib/postgresql")


def _bin(name: str) -> str | None:
    versions = sorted(PG_BIN.glob("*/bin"), reverse=True) if PG_BIN.is_dir() else []
    for directory in versions:
        if (directory / name).exists():
            return str(directory / name)
    return shutil.which(name)


def _as_postgres(command: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root; CI and containers often are root.
    return ["su", "postgres", "-c", " ".join(command)] if os.geteuid() == 0 else command


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    if os.environ.get("CDS_TEST_DATABASE_URL"):
        yield os.environ["CDS_TEST_DATABASE_URL"]
        return
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    if initdb is None or pg_ctl is None:
        pytest.skip("PostgreSQL is not installed: apt-get install postgresql, or set CDS_TEST_DATABASE_URL")
    # Not under pytest's basetemp: that tree is private to the invoking user, and the server runs as postgres.
    workdir = Path(tempfile.mkdtemp(prefix="cds-pg-"))
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres")
    data = workdir / "data"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    subprocess.run(
        _as_postgres([initdb, "-D", str(data), "-A", "trust", "-U", "postgres"]),
        check=True,
        capture_output=True,
        timeout=120,
    )
    options = f"'-p {port} -k {workdir} -c listen_addresses=127.0.0.1'"
    start = [pg_ctl, "-D", str(data), "-o", options, "-l", str(workdir / "pg.log"), "-w", "start"]
    subprocess.run(_as_postgres(start), check=True, capture_output=True, timeout=120)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_postgres([pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"]), capture_output=True, timeout=120
        )
        shutil.rmtree(workdir, ignore_errors=True)


def test_invocations_decisions_and_feedback_round_trip(database_url: str) -> None:
    store = PostgresAuditStore(database_url)
    instance = f"pg-{time.time_ns()}"
    store.record_invocations(
        [
            InvocationRecord(
                hook_instance=instance,
                service_id="crd-order-sign",
                hook="order-sign",
                http_status=200,
                request_body=b'{"hook":"order-sign"}',
                response_body=b'{"cards":[]}',
                duration_ms=2.0,
                payer="centene",
                line_of_business="medicaid",
                timings={"evaluate_ms": 1.5},
                decisions=(
                    DecisionRecord(
                        order_ref="MedicationRequest/mr-1",
                        decision="approved",
                        covered="covered",
                        pa_needed="satisfied",
                        coverage_assertion_id="a-1",
                        satisfied_pa_id="PA-1",
                    ),
                ),
            )
        ]
    )
    [row] = store.invocations(instance)
    assert row["payer"] == "centene" and row["timings"] == {"evaluate_ms": 1.5}
    assert [d["satisfied_pa_id"] for d in row["decisions"]] == ["PA-1"]
    item = {"card": instance, "outcome": "overridden", "outcomeTimestamp": "2026-11-23T10:00:00Z"}
    store.record_feedback("crd-order-sign", item)
    assert store.feedback_for_card(instance) == [item]
    store.close()


def test_jti_replay_is_refused_across_connections(database_url: str) -> None:
    first, second = PostgresAuditStore(database_url), PostgresAuditStore(database_url)
    jti, expires = f"jti-{time.time_ns()}", time.time() + 300

    async def scenario() -> list[bool]:
        return [await first.seen_before(jti, expires), await second.seen_before(jti, expires)]

    assert asyncio.run(scenario()) == [False, True]
    first.close()
    second.close()
