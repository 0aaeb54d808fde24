"""Determinations shared through PostgreSQL: two service processes (uvicorn, 127.0.0.1) on one database, posting the
same approval at the same moment, issue ONE PA number and one coverage-assertion-id; and no table holds the EHR's
access token afterwards."""

from __future__ import annotations

import asyncio
import secrets
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from cds_service.audit.store import PostgresAuditStore
from tests.support.audit_records import approval_candidate
from tests.support.inferno_checks import coverage_info_values, coverage_information
from tests.support.live_server import LiveServer
from tests.support.shared_database import private_schema, server_url

pytestmark = pytest.mark.postgres

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sample_bundles" / "centene-sotorasib-nsclc-approved.json"
SIGN = "/cds-services/crd-order-sign"


@pytest.fixture
def database() -> Iterator[str]:
    with private_schema(server_url()) as conninfo:
        yield conninfo


def test_connections_settling_the_same_approval_at_once_agree_on_one_pa_number(database: str) -> None:
    stores = [PostgresAuditStore(database) for _ in range(4)]
    start = threading.Barrier(8)

    def settle(i: int) -> tuple[str, str | None]:
        start.wait()
        [settled] = stores[i % 4].settle_determinations(
            [approval_candidate()], "2026-11-23", lambda: f"PA-{uuid.uuid4().hex[:16].upper()}"
        )
        return settled.record.coverage_assertion_id, settled.record.pa_number

    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            outcomes = set(pool.map(settle, range(8)))
        assert len(outcomes) == 1
        [(_, number)] = outcomes
        found = stores[0].determination_by_pa(str(number))
        assert found is not None and not found["superseded"]
    finally:
        for store in stores:
            store.close()


def _text_in_every_table(conninfo: str) -> str:
    """Every text column of every table of the service's schema, concatenated (what a pg_dump would show)."""
    import psycopg

    chunks: list[str] = []
    with psycopg.connect(conninfo) as db:
        columns = db.execute(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND data_type IN ('text', 'character varying')"
        ).fetchall()
        assert {table for table, _ in columns} >= {"hook_invocations", "determinations", "card_feedback"}
        for table, column in columns:
            rows = db.execute(f'SELECT "{column}" FROM "{table}"').fetchall()  # names from the catalog
            chunks.extend(str(value) for (value,) in rows if value is not None)
    return "\n".join(chunks)


def test_two_server_processes_on_one_database_issue_one_pa_number_and_keep_no_token(
    tmp_path: Path, database: str
) -> None:
    token = "eyJhbGciOiJSUzM4NCJ9." + secrets.token_urlsafe(24) + "." + secrets.token_urlsafe(32)
    refresh = "refresh-" + secrets.token_hex(16)

    def request() -> dict[str, Any]:
        body: dict[str, Any] = orjson.loads(SAMPLE.read_bytes())
        body["hookInstance"] = str(uuid.uuid4())
        body["fhirAuthorization"].update(access_token=token, refresh_token=refresh)
        return body

    env = {"DATABASE_URL": database}
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    with (
        LiveServer(tmp_path / "a", env=env) as first,
        LiveServer(tmp_path / "b", env=env) as second,
    ):

        async def drive() -> list[dict[str, Any]]:
            async with httpx.AsyncClient(timeout=60.0) as client:

                async def post(server: LiveServer) -> dict[str, Any]:
                    response = await client.post(server.url + SIGN, json=request())
                    assert response.status_code == 200, response.text
                    answer: dict[str, Any] = response.json()
                    return answer

                return list(await asyncio.gather(*(post((first, second)[i % 2]) for i in range(10))))

        answers = asyncio.run(drive())
        logs = first.log_text() + second.log_text()

    issued = set()
    for answer in answers:
        [action] = answer["systemActions"]
        values = coverage_info_values(coverage_information(action["resource"])[0])
        issued.add((values["coverage-assertion-id"][0], values["satisfied-pa-id"][0]))
    assert len(issued) == 1, issued
    [(assertion_id, pa_number)] = issued

    store = PostgresAuditStore(database)
    try:
        found = store.determination_by_pa(pa_number)
    finally:
        store.close()
    assert found is not None and found["coverage_assertion_id"] == assertion_id
    assert (found["order_ref"], found["policy_id"]) == ("MedicationRequest/mr-sotorasib", "centene-cp-phar-549")

    stored_text = _text_in_every_table(database)
    assert "pat-1" in stored_text and "[redacted]" in stored_text  # the calls are kept, the credentials are not
    assert token not in stored_text and refresh not in stored_text
    assert token not in logs and refresh not in logs
