"""The PostgreSQL server the tests in this folder share state through, from DATABASE_URL_TEST.

Each test gets a schema of its own (dropped afterwards) by putting it first on the connection's
search_path, so the service's unqualified tables land there and runs never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

HOW_TO_START = (
    "tests/postgres needs a PostgreSQL server: set DATABASE_URL_TEST=postgresql://user@127.0.0.1:port/db, or start "
    'a throwaway one on 127.0.0.1 with: eval "$(tests/postgres/local_postgres.sh start)" '
    '(stop it with: tests/postgres/local_postgres.sh stop "$COVERAGE_HOOKS_PG_DIR")'
)


def server_url() -> str:
    """DATABASE_URL_TEST; without it the test is skipped locally and FAILS in CI (CI=true)."""
    url = os.environ.get("DATABASE_URL_TEST", "")
    if url:
        return url
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("CI=true but DATABASE_URL_TEST is not set: .ci/run must start PostgreSQL. " + HOW_TO_START)
    pytest.skip(HOW_TO_START)


@contextmanager
def private_schema(url: str) -> Iterator[str]:
    """A connection string whose tables live in a fresh schema, removed on exit."""
    import psycopg
    from psycopg.conninfo import make_conninfo

    schema = f"hardening_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    try:
        yield make_conninfo(url, options=f"-csearch_path={schema}")
    finally:
        # A fresh connection: a test may have terminated every backend of the database, this one's included.
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")
