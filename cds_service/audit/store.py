"""Audit store (CRD found-37): every hook call, its response and its decisions, retrievable by hookInstance;
the payer's determinations (coverage assertions and PA numbers, one current per order and content); card
feedback; and the shared JWT `jti` replay cache.

SQLite by default (WAL, synchronous=FULL: a committed record survives a crash or power loss), PostgreSQL
when DATABASE_URL is set. The SQL is portable; only placeholders and the connection differ. The hook
router writes the record before it returns the response, so a client never holds an answer we did not keep.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from ..security.redaction import redact
from .determination_table import DeterminationTable
from .records import AuditStore, InvocationRecord, PurgeCounts


class _SqlStore(DeterminationTable):
    """Hook calls and their decisions, card feedback, the jti replay cache and retention, on top of the
    determinations table; subclasses supply the connection."""

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
                    redact(record.request_body).decode("utf-8", "replace"),
                    redact(record.response_body).decode("utf-8", "replace"),
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
                        redact(orjson.dumps(item)).decode(),
                    ),
                )
            ]
        )

    def feedback_for_card(self, card_uuid: str) -> list[dict[str, Any]]:
        rows = self._query("SELECT body FROM card_feedback WHERE card_uuid = ? ORDER BY received_at", (card_uuid,))
        return [orjson.loads(row["body"]) for row in rows]

    def purge(self, cutoff_date: str) -> PurgeCounts:
        """Delete calls and feedback received before `cutoff_date`, and determinations whose approval expired
        (or, without a PA number, that were issued) before it."""
        cutoff = cutoff_date + "T00:00:00Z"

        def work() -> PurgeCounts:
            try:
                self._begin_write()
                self._conn.execute(
                    self._sql(
                        "DELETE FROM hook_decisions WHERE invocation_id IN"
                        " (SELECT id FROM hook_invocations WHERE received_at < ?)"
                    ),
                    (cutoff,),
                )
                invocations = self._conn.execute(
                    self._sql("DELETE FROM hook_invocations WHERE received_at < ?"), (cutoff,)
                ).rowcount
                feedback = self._conn.execute(
                    self._sql("DELETE FROM card_feedback WHERE received_at < ?"), (cutoff,)
                ).rowcount
                determinations = self._conn.execute(
                    self._sql("DELETE FROM determinations WHERE COALESCE(expiry_date, issue_date) < ?"),
                    (cutoff_date,),
                ).rowcount
                self._commit()
                return PurgeCounts(invocations, feedback, determinations)
            except BaseException:
                self._rollback()
                raise

        return self._locked(work)

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

    @classmethod
    def in_memory(cls) -> SqliteAuditStore:
        """A private store that lives as long as the object (offline replay: nothing kept on disk)."""
        return cls(Path(":memory:"))

    def _begin_write(self) -> None:
        # IMMEDIATE takes the write lock now (waiting up to busy_timeout), so another process's commit cannot
        # invalidate what this transaction read before it writes (SQLITE_BUSY_SNAPSHOT under WAL).
        if not self._conn.in_transaction:
            self._conn.execute("BEGIN IMMEDIATE")


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
