"""Audit store (CRD found-37): every hook call, its response and its decisions, retrievable by hookInstance;
plus card feedback and the shared JWT `jti` replay cache.

SQLite by default (WAL, synchronous=FULL: a committed record survives a crash or power loss), PostgreSQL
when DATABASE_URL is set. The SQL is portable; only placeholders and the connection differ. The hook
router writes the record before it returns the response, so a client never holds an answer we did not keep.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

import orjson

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS hook_invocations (
        id TEXT PRIMARY KEY,
        hook_instance TEXT NOT NULL,
        service_id TEXT NOT NULL,
        hook TEXT NOT NULL,
        received_at TEXT NOT NULL,
        http_status INTEGER NOT NULL,
        payer TEXT,
        line_of_business TEXT,
        duration_ms REAL NOT NULL,
        timings TEXT NOT NULL,
        request_body TEXT NOT NULL,
        response_body TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS hook_invocations_instance ON hook_invocations (hook_instance)",
    """CREATE TABLE IF NOT EXISTS hook_decisions (
        invocation_id TEXT NOT NULL,
        order_ref TEXT NOT NULL,
        policy_id TEXT,
        policy_version TEXT,
        decision TEXT NOT NULL,
        covered TEXT NOT NULL,
        pa_needed TEXT,
        coverage_assertion_id TEXT NOT NULL,
        satisfied_pa_id TEXT,
        expiry_date TEXT,
        card_uuids TEXT NOT NULL,
        PRIMARY KEY (invocation_id, order_ref)
    )""",
    "CREATE INDEX IF NOT EXISTS hook_decisions_assertion ON hook_decisions (coverage_assertion_id)",
    """CREATE TABLE IF NOT EXISTS card_feedback (
        id TEXT PRIMARY KEY,
        card_uuid TEXT NOT NULL,
        service_id TEXT NOT NULL,
        outcome TEXT NOT NULL,
        received_at TEXT NOT NULL,
        body TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS card_feedback_card ON card_feedback (card_uuid)",
    "CREATE TABLE IF NOT EXISTS jti_cache (jti TEXT PRIMARY KEY, expires_at REAL NOT NULL)",
)


@dataclass(frozen=True)
class DecisionRecord:
    order_ref: str
    decision: str  # approved | needs-info | not-met | no-policy | indeterminate | info-needed | no-active-coverage
    covered: str
    coverage_assertion_id: str
    pa_needed: str | None = None
    policy_id: str | None = None
    policy_version: str | None = None
    satisfied_pa_id: str | None = None
    expiry_date: str | None = None
    card_uuids: tuple[str, ...] = ()


@dataclass(frozen=True)
class InvocationRecord:
    hook_instance: str
    service_id: str
    hook: str
    http_status: int
    request_body: bytes
    response_body: bytes
    duration_ms: float
    payer: str | None = None
    line_of_business: str | None = None
    timings: dict[str, float] = field(default_factory=dict)
    decisions: tuple[DecisionRecord, ...] = ()
    received_at: str = ""


class AuditStore(Protocol):
    def record_invocation(self, record: InvocationRecord) -> None: ...

    def record_invocations(self, records: Sequence[InvocationRecord]) -> None: ...

    def invocations(self, hook_instance: str) -> list[dict[str, Any]]: ...

    def record_feedback(self, service_id: str, item: dict[str, Any]) -> None: ...

    def feedback_for_card(self, card_uuid: str) -> list[dict[str, Any]]: ...

    async def seen_before(self, jti: str, expires_at: float) -> bool: ...

    def ping(self) -> None:
        """Raise unless the database answers a trivial query (the readiness check, GET /healthz)."""
        ...

    def close(self) -> None: ...


_T = TypeVar("_T")


class _SqlStore:
    """Shared logic; subclasses supply a DB-API connection and the placeholder style."""

    placeholder = "?"
    integrity_errors: tuple[type[Exception], ...] = (sqlite3.IntegrityError,)
    # Errors that mean the connection itself is gone (server restart, failover, idle kill): reconnect once.
    connection_errors: tuple[type[Exception], ...] = ()

    def __init__(self, connection: Any) -> None:
        self._conn = connection
        self._lock = threading.Lock()
        with self._lock:
            for statement in SCHEMA:
                self._conn.execute(statement)
            self._commit()

    def _sql(self, statement: str) -> str:
        return statement if self.placeholder == "?" else statement.replace("?", self.placeholder)

    def _commit(self) -> None:
        self._conn.commit()

    def _reconnect(self) -> None:
        raise NotImplementedError

    def _rollback(self) -> None:
        try:
            self._conn.rollback()
        except self.connection_errors:
            pass  # the connection is gone; its transaction went with it

    def _locked(self, work: Callable[[], _T]) -> _T:
        """Run `work` under the lock; when the connection dropped, reconnect and run it once more."""
        with self._lock:
            try:
                return work()
            except self.connection_errors:
                self._reconnect()
                return work()

    def _execute_many(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> None:
        def work() -> None:
            try:
                for statement, params in statements:
                    self._conn.execute(self._sql(statement), params)
                self._commit()
            except BaseException:
                self._rollback()
                raise

        self._locked(work)

    def _query(self, statement: str, params: Sequence[Any]) -> list[dict[str, Any]]:
        def work() -> list[dict[str, Any]]:
            cursor = self._conn.execute(self._sql(statement), params)
            names = [d[0] for d in cursor.description]
            rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
            self._commit()
            return rows

        return self._locked(work)

    def record_invocation(self, record: InvocationRecord) -> None:
        self._execute_many(self._invocation_statements(record))

    def record_invocations(self, records: Sequence[InvocationRecord]) -> None:
        """Several records in one transaction: one fsync for a whole group (see audit_writer.py)."""
        self._execute_many([s for record in records for s in self._invocation_statements(record)])

    def _invocation_statements(self, record: InvocationRecord) -> list[tuple[str, Sequence[Any]]]:
        invocation_id = str(uuid.uuid4())
        received = record.received_at or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        statements: list[tuple[str, Sequence[Any]]] = [
            (
                "INSERT INTO hook_invocations (id, hook_instance, service_id, hook, received_at, http_status,"
                " payer, line_of_business, duration_ms, timings, request_body, response_body)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    invocation_id,
                    record.hook_instance,
                    record.service_id,
                    record.hook,
                    received,
                    record.http_status,
                    record.payer,
                    record.line_of_business,
                    record.duration_ms,
                    orjson.dumps(record.timings).decode(),
                    record.request_body.decode("utf-8", "replace"),
                    record.response_body.decode("utf-8", "replace"),
                ),
            )
        ]
        for d in record.decisions:
            statements.append(
                (
                    "INSERT INTO hook_decisions (invocation_id, order_ref, policy_id, policy_version,"
                    " decision, covered, pa_needed, coverage_assertion_id, satisfied_pa_id, expiry_date,"
                    " card_uuids)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        invocation_id,
                        d.order_ref,
                        d.policy_id,
                        d.policy_version,
                        d.decision,
                        d.covered,
                        d.pa_needed,
                        d.coverage_assertion_id,
                        d.satisfied_pa_id,
                        d.expiry_date,
                        ",".join(d.card_uuids),
                    ),
                )
            )
        return statements

    def invocations(self, hook_instance: str) -> list[dict[str, Any]]:
        rows = self._query(
            "SELECT * FROM hook_invocations WHERE hook_instance = ? ORDER BY received_at", (hook_instance,)
        )
        for row in rows:
            row["timings"] = orjson.loads(row["timings"])
            row["decisions"] = self._query(
                "SELECT * FROM hook_decisions WHERE invocation_id = ? ORDER BY order_ref", (row["id"],)
            )
        return rows

    def record_feedback(self, service_id: str, item: dict[str, Any]) -> None:
        self._execute_many(
            [
                (
                    "INSERT INTO card_feedback (id, card_uuid, service_id, outcome, received_at, body)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        str(uuid.uuid4()),
                        str(item["card"]),
                        service_id,
                        str(item["outcome"]),
                        time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                        orjson.dumps(item).decode(),
                    ),
                )
            ]
        )

    def feedback_for_card(self, card_uuid: str) -> list[dict[str, Any]]:
        rows = self._query("SELECT body FROM card_feedback WHERE card_uuid = ? ORDER BY received_at", (card_uuid,))
        return [orjson.loads(row["body"]) for row in rows]

    async def seen_before(self, jti: str, expires_at: float) -> bool:
        """Atomically remember `jti`; True when it was already there (a replayed token)."""
        now = time.time()

        def work() -> bool:
            try:
                self._conn.execute(self._sql("DELETE FROM jti_cache WHERE expires_at < ?"), (now,))
                self._conn.execute(
                    self._sql("INSERT INTO jti_cache (jti, expires_at) VALUES (?, ?)"), (jti, expires_at)
                )
                self._commit()
                return False
            except self.integrity_errors:
                self._rollback()
                return True
            except BaseException:
                self._rollback()
                raise

        return self._locked(work)

    def ping(self) -> None:
        def work() -> None:
            self._conn.execute("SELECT 1").fetchall()
            self._commit()  # PostgreSQL opened a transaction for it; an idle-in-transaction session holds locks

        self._locked(work)

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class SqliteAuditStore(_SqlStore):
    def __init__(self, path: Path, synchronous: str = "FULL") -> None:
        if synchronous not in ("FULL", "NORMAL"):
            raise ValueError(f"synchronous={synchronous!r} must be FULL or NORMAL")
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(str(path), check_same_thread=False, isolation_level="DEFERRED")
        connection.execute("PRAGMA journal_mode=WAL")
        # FULL: a committed record survives power loss. NORMAL (opt-in): survives a crash of the process
        # (kill -9) but not of the machine, and saves the per-commit fsync.
        connection.execute(f"PRAGMA synchronous={synchronous}")
        connection.execute("PRAGMA busy_timeout=5000")
        super().__init__(connection)


class PostgresAuditStore(_SqlStore):
    placeholder = "%s"

    def __init__(self, url: str) -> None:
        import psycopg

        self._url = url
        self.integrity_errors = (psycopg.errors.UniqueViolation,)
        self.connection_errors = (psycopg.OperationalError, psycopg.InterfaceError)
        super().__init__(psycopg.connect(url))

    def _reconnect(self) -> None:
        import psycopg

        try:
            self._conn.close()
        except self.connection_errors:
            pass
        self._conn = psycopg.connect(self._url)


def open_store(*, database_url: str | None, db_path: Path, synchronous: str = "FULL") -> AuditStore:
    if database_url:
        return PostgresAuditStore(database_url)
    return SqliteAuditStore(db_path, synchronous)
