"""Issue 5 item 8: workers are stateless; the jti replay cache and the audit store are shared through PostgreSQL.

Two app instances (two workers' worth: separate apps, separate connections) on one real PostgreSQL server
must reject a client JWT replayed from one to the other, also when both see it at the same moment, and
each must read the audit records and feedback the other wrote. Then the real server with 2 uvicorn worker
processes on DATABASE_URL: a token presented concurrently many times is accepted exactly once, and every
answered call is in the database.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import orjson
import pytest

from cds_service.app import EmptyCatalog, create_app
from cds_service.settings import Settings
from tests.support.app_client import TestClient
from tests.support.hook_requests import order_sign
from tests.support.jwt_minter import SigningKey, generate_key, mint_token, write_jwks_file
from tests.support.live_server import LiveServer
from tests.support.shared_database import private_schema, server_url

pytestmark = pytest.mark.postgres

ISSUER = "https://ehr.example.org"
SIGN = "/cds-services/crd-order-sign"
AUDIENCE = "http://testserver" + SIGN  # TestClient's base URL


@pytest.fixture(scope="module")
def signing_key() -> SigningKey:
    return generate_key("ES384")


@pytest.fixture
def database(tmp_path: Path) -> Iterator[str]:
    with private_schema(server_url()) as conninfo:
        yield conninfo


@pytest.fixture
def workers(tmp_path: Path, database: str, signing_key: SigningKey) -> Iterator[tuple[TestClient, TestClient]]:
    jwks = write_jwks_file(tmp_path / "jwks.json", signing_key)
    settings = Settings(
        auth="jwt", trusted_jwks=jwks, trusted_issuers=(ISSUER,), database_url=database, db_path=tmp_path / "unused"
    )
    with (
        TestClient(create_app(settings, policies=(EmptyCatalog(), None))) as first,
        TestClient(create_app(settings, policies=(EmptyCatalog(), None))) as second,
    ):
        yield first, second
    assert not (tmp_path / "unused").exists(), "a worker fell back to SQLite"


def call(client: TestClient, token: str, request: dict[str, object] | None = None) -> int:
    body = orjson.dumps(request or order_sign())
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    status: int = client.post(SIGN, content=body, headers=headers).status_code
    return status


def test_a_jti_used_on_one_worker_is_rejected_on_the_other(
    workers: tuple[TestClient, TestClient], signing_key: SigningKey
) -> None:
    first, second = workers
    token = mint_token(signing_key, iss=ISSUER, aud=AUDIENCE)
    assert call(first, token) == 200
    assert call(second, token) == 401
    assert call(first, token) == 401
    other = mint_token(signing_key, iss=ISSUER, aud=AUDIENCE)
    assert call(second, other) == 200
    assert call(first, other) == 401


def test_a_jti_presented_to_both_workers_at_once_is_accepted_once(
    workers: tuple[TestClient, TestClient], signing_key: SigningKey
) -> None:
    first, second = workers
    for _ in range(5):
        token = mint_token(signing_key, iss=ISSUER, aud=AUDIENCE)
        with ThreadPoolExecutor(max_workers=8) as pool:
            presentations = [(first, second)[i % 2] for i in range(8)]
            statuses = Counter(pool.map(call, presentations, [token] * len(presentations)))
        assert statuses == Counter({200: 1, 401: 7})


def test_audit_records_and_feedback_written_by_one_worker_are_read_by_the_other(
    workers: tuple[TestClient, TestClient], signing_key: SigningKey
) -> None:
    first, second = workers
    request = order_sign()
    assert call(first, mint_token(signing_key, iss=ISSUER, aud=AUDIENCE), request) == 200
    records = second.app.state.cds.store.invocations(request["hookInstance"])  # type: ignore[attr-defined]
    assert [(r["http_status"], r["service_id"], r["payer"]) for r in records] == [(200, "crd-order-sign", "centene")]
    assert [d["decision"] for d in records[0]["decisions"]] == ["no-policy"]

    item = {
        "card": "5b0f3c5e-6d3c-4c1a-9d1e-3f4f0c3b1a11",
        "outcome": "overridden",
        "outcomeTimestamp": "2026-11-23T10:00:00Z",
    }
    token = mint_token(signing_key, iss=ISSUER, aud=AUDIENCE + "/feedback")
    response = second.post(
        SIGN + "/feedback", content=orjson.dumps({"feedback": [item]}), headers={"authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    assert first.app.state.cds.store.feedback_for_card(item["card"]) == [item]  # type: ignore[attr-defined]


def test_two_uvicorn_workers_on_one_database_accept_a_token_once_and_audit_every_call(
    tmp_path: Path, database: str, signing_key: SigningKey
) -> None:
    jwks = write_jwks_file(tmp_path / "jwks.json", signing_key)
    env = {
        "DATABASE_URL": database,
        "CDS_AUTH": "jwt",
        "CDS_TRUSTED_JWKS": str(jwks),
        "CDS_TRUSTED_ISSUERS": ISSUER,
        "CDS_POLICIES_DIR": str(tmp_path / "no-policies"),  # routing and audit are what is shared, not policies
    }
    with LiveServer(tmp_path, workers=2, env=env) as server:
        replayed = mint_token(signing_key, iss=ISSUER, aud=server.url + SIGN)
        fresh = [mint_token(signing_key, iss=ISSUER, aud=server.url + SIGN) for _ in range(20)]
        requests = [order_sign() for _ in fresh]

        async def drive() -> tuple[list[int], list[int]]:
            async with httpx.AsyncClient(base_url=server.url, timeout=30.0) as client:

                async def post(token: str, request: dict[str, object]) -> int:
                    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
                    return (await client.post(SIGN, content=orjson.dumps(request), headers=headers)).status_code

                replays = await asyncio.gather(*(post(replayed, order_sign()) for _ in range(12)))
                answered = await asyncio.gather(*(post(t, r) for t, r in zip(fresh, requests, strict=True)))
                return list(replays), list(answered)

        replays, answered = asyncio.run(drive())
        pids = {  # "... Started server process [1234]", whatever the log prefix (gunicorn's has brackets too)
            line.rsplit("[", 1)[1].split("]")[0]
            for line in server.log_text().splitlines()
            if "Started server process" in line
        }

    assert Counter(replays) == Counter({200: 1, 401: 11})
    assert answered == [200] * len(fresh)
    assert len(pids) == 2, f"expected 2 worker processes, saw {pids}"
    from cds_service.audit.store import PostgresAuditStore

    store = PostgresAuditStore(database)
    try:
        stored = [store.invocations(r["hookInstance"]) for r in requests]
    finally:
        store.close()
    assert [len(rows) for rows in stored] == [1] * len(requests)


def test_a_worker_recovers_when_postgresql_drops_its_connection(
    workers: tuple[TestClient, TestClient], database: str, signing_key: SigningKey
) -> None:
    import psycopg

    first, _ = workers
    assert call(first, mint_token(signing_key, iss=ISSUER, aud=AUDIENCE)) == 200
    with psycopg.connect(database, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    # The store reconnects within the call that finds the connection gone, so not even that call fails.
    statuses = [call(first, mint_token(signing_key, iss=ISSUER, aud=AUDIENCE)) for _ in range(3)]
    assert statuses == [200, 200, 200], statuses
