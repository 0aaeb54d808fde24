"""Audit store (CRD found-37): every hook call, its response and its decisions, retrievable by hookInstance;
the payer's determinations (coverage assertions and PA numbers, one current per order and content); card
feedback; and the shared JWT `jti` replay cache.

SQLite by default (WAL, synchronous=FULL: a committed record survives a crash or power loss), PostgreSQL
when DATABASE_URL is set. The SQL is portable; only placeholders and the connection differ. The hook
router writes the record before it returns the response, so a client never holds an answer we did not keep.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

import orjson

from ..security.redaction import redact

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
    # One row per coverage assertion the payer made on a primary hook. `determination_key` hashes what the
    # assertion was decided on (determinations.py); at most one row per key is current (superseded = 0), which
    # the partial unique index enforces across workers and instances sharing the database.
    """CREATE TABLE IF NOT EXISTS determinations (
        coverage_assertion_id TEXT PRIMARY KEY,
        determination_key TEXT NOT NULL,
        order_ref TEXT NOT NULL,
        patient_id TEXT NOT NULL,
        coverage_ref TEXT NOT NULL,
        payer TEXT NOT NULL,
        line_of_business TEXT,
        policy_id TEXT,
        policy_version TEXT,
        decision TEXT NOT NULL,
        covered TEXT NOT NULL,
        pa_needed TEXT,
        pa_number TEXT UNIQUE,
        criteria TEXT NOT NULL,
        issued_at TEXT NOT NULL,
        issue_date TEXT NOT NULL,
        expiry_date TEXT,
        superseded INTEGER NOT NULL DEFAULT 0,
        superseded_by TEXT
    )""",
    "CREATE UNIQUE INDEX IF NOT EXISTS determinations_current ON determinations (determination_key)"
    " WHERE superseded = 0",
    "CREATE INDEX IF NOT EXISTS determinations_order ON determinations (order_ref, patient_id, coverage_ref)",
)
_DETERMINATION_COLUMNS = (
    "coverage_assertion_id, determination_key, order_ref, patient_id, coverage_ref, payer, line_of_business,"
    " policy_id, policy_version, decision, covered, pa_needed, pa_number, criteria, issued_at, issue_date,"
    " expiry_date, superseded, superseded_by"
)
# Random ids collide with a probability of ~2^-64 per pair; a collision makes the insert a no-op, retried.
_ALLOCATION_ATTEMPTS = 4


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
class DeterminationRecord:
    """What the payer determined for one order: proposed by the pipeline, stored, and read back."""

    key: str
    order_ref: str
    patient_id: str
    coverage_ref: str
    payer: str
    line_of_business: str | None
    policy_id: str | None
    policy_version: str | None
    decision: str
    covered: str
    pa_needed: str | None
    criteria: Mapping[str, Any]
    issue_date: str
    expiry_date: str | None
    issues_pa_number: bool = False
    coverage_assertion_id: str = ""
    pa_number: str | None = None


@dataclass(frozen=True)
class Settled:
    """The determination in force for a candidate, and whether an earlier call had already made it."""

    record: DeterminationRecord
    reused: bool


@dataclass(frozen=True)
class PurgeCounts:
    invocations: int
    feedback: int
    determinations: int


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

    def settle_determinations(
        self, candidates: Sequence[DeterminationRecord], today: str, new_pa_number: Callable[[], str]
    ) -> list[Settled]: ...

    def determination_by_pa(self, pa_number: str) -> dict[str, Any] | None: ...

    def determination_by_assertion(self, assertion_id: str) -> dict[str, Any] | None: ...

    def current_determination(self, order_ref: str, patient_id: str, coverage_ref: str) -> dict[str, Any] | None: ...

    def purge(self, cutoff_date: str) -> PurgeCounts: ...

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

    def _begin_write(self) -> None:
        """Start a transaction that will write; PostgreSQL starts one implicitly (SQLite overrides)."""

    def _current_determinations(self, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        marks = ", ".join("?" for _ in keys)
        cursor = self._conn.execute(
            self._sql(
                f"SELECT {_DETERMINATION_COLUMNS} FROM determinations"
                f" WHERE superseded = 0 AND determination_key IN ({marks})"
            ),
            tuple(keys),
        )
        names = [d[0] for d in cursor.description]
        return {row["determination_key"]: row for row in (dict(zip(names, r, strict=True)) for r in cursor.fetchall())}

    def settle_determinations(
        self, candidates: Sequence[DeterminationRecord], today: str, new_pa_number: Callable[[], str]
    ) -> list[Settled]:
        """The determination in force for each candidate: the current one with the same key while it has not
        expired, else a new one (fresh assertion id, and PA number when the candidate issues one) that
        supersedes the order's earlier ones. Concurrent callers on one database agree: the partial unique index
        lets one insert per key win, and everyone reads the winner back.

        The common case (a repeat) is one indexed SELECT and no write; a new determination is one transaction.
        """
        if not candidates:
            return []
        keys = [c.key for c in candidates]

        def lookup() -> dict[str, dict[str, Any]]:
            found = self._current_determinations(keys)
            self._commit()
            return found

        found = self._locked(lookup)
        if all(_in_force(found.get(c.key), today) for c in candidates):
            return [Settled(_determination(found[c.key], c), reused=True) for c in candidates]

        def write() -> list[Settled]:
            try:
                self._begin_write()
                # Sorted by key: two calls settling the same orders take row locks in the same order.
                settled = {c.key: self._settle_one(c, today, new_pa_number) for c in sorted(candidates, key=_key)}
                self._commit()
                return [settled[c.key] for c in candidates]
            except BaseException:
                self._rollback()
                raise

        return self._locked(write)

    def _settle_one(self, candidate: DeterminationRecord, today: str, new_pa_number: Callable[[], str]) -> Settled:
        current = self._current_determinations([candidate.key]).get(candidate.key)
        if _in_force(current, today):
            assert current is not None
            return Settled(_determination(current, candidate), reused=True)
        issued_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        for _ in range(_ALLOCATION_ATTEMPTS):
            assertion_id = str(uuid.uuid4())
            if current is not None:  # lapsed: the approval expired, a new one replaces it
                self._conn.execute(
                    self._sql(
                        "UPDATE determinations SET superseded = 1, superseded_by = ?"
                        " WHERE coverage_assertion_id = ? AND superseded = 0"
                    ),
                    (assertion_id, current["coverage_assertion_id"]),
                )
            pa_number = new_pa_number() if candidate.issues_pa_number else None
            self._conn.execute(
                self._sql(
                    f"INSERT INTO determinations ({_DETERMINATION_COLUMNS})"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, NULL) ON CONFLICT DO NOTHING"
                ),
                (
                    assertion_id,
                    candidate.key,
                    candidate.order_ref,
                    candidate.patient_id,
                    candidate.coverage_ref,
                    candidate.payer,
                    candidate.line_of_business,
                    candidate.policy_id,
                    candidate.policy_version,
                    candidate.decision,
                    candidate.covered,
                    candidate.pa_needed,
                    pa_number,
                    orjson.dumps(candidate.criteria, option=orjson.OPT_SORT_KEYS).decode(),
                    issued_at,
                    candidate.issue_date,
                    candidate.expiry_date,
                ),
            )
            winner = self._current_determinations([candidate.key]).get(candidate.key)
            if winner is None:
                continue  # an id collided with a stored one: draw new ones
            self._conn.execute(
                self._sql(
                    "UPDATE determinations SET superseded = 1, superseded_by = ?"
                    " WHERE order_ref = ? AND patient_id = ? AND coverage_ref = ? AND superseded = 0"
                    " AND determination_key <> ?"
                ),
                (
                    winner["coverage_assertion_id"],
                    candidate.order_ref,
                    candidate.patient_id,
                    candidate.coverage_ref,
                    candidate.key,
                ),
            )
            return Settled(_determination(winner, candidate), reused=winner["coverage_assertion_id"] != assertion_id)
        raise RuntimeError("could not allocate a unique coverage assertion id and PA number")

    def determination_by_pa(self, pa_number: str) -> dict[str, Any] | None:
        return self._determination_where("pa_number", pa_number)

    def determination_by_assertion(self, assertion_id: str) -> dict[str, Any] | None:
        """The determination a coverage-assertion-id names (DTR's `context`), superseded or not."""
        return self._determination_where("coverage_assertion_id", assertion_id)

    def current_determination(self, order_ref: str, patient_id: str, coverage_ref: str) -> dict[str, Any] | None:
        """The order's determination in force under this Coverage (the last one made; earlier ones superseded)."""
        rows = self._query(
            f"SELECT {_DETERMINATION_COLUMNS} FROM determinations"
            " WHERE order_ref = ? AND patient_id = ? AND coverage_ref = ? AND superseded = 0"
            " ORDER BY issued_at DESC",
            (order_ref, patient_id, coverage_ref),
        )
        return _decoded(rows[0]) if rows else None

    def _determination_where(self, column: str, value: str) -> dict[str, Any] | None:
        rows = self._query(f"SELECT {_DETERMINATION_COLUMNS} FROM determinations WHERE {column} = ?", (value,))
        return _decoded(rows[0]) if rows else None

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

    def ping(self) -> None:
        def work() -> None:
            self._conn.execute("SELECT 1").fetchall()
            self._commit()  # PostgreSQL opened a transaction for it; an idle-in-transaction session holds locks

        self._locked(work)

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _key(candidate: DeterminationRecord) -> str:
    return candidate.key


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    row["criteria"] = orjson.loads(row["criteria"])
    row["superseded"] = bool(row["superseded"])
    return row


def _in_force(row: Mapping[str, Any] | None, today: str) -> bool:
    """A current determination holds until its expiry date has passed (one without an expiry holds until the
    order or the record changes)."""
    return row is not None and (row["expiry_date"] is None or row["expiry_date"] >= today)


def _determination(row: Mapping[str, Any], candidate: DeterminationRecord) -> DeterminationRecord:
    """The stored determination, as the candidate's record (stored ids, dates and criteria)."""
    return DeterminationRecord(
        key=row["determination_key"],
        order_ref=row["order_ref"],
        patient_id=row["patient_id"],
        coverage_ref=row["coverage_ref"],
        payer=row["payer"],
        line_of_business=row["line_of_business"],
        policy_id=row["policy_id"],
        policy_version=row["policy_version"],
        decision=row["decision"],
        covered=row["covered"],
        pa_needed=row["pa_needed"],
        criteria=orjson.loads(row["criteria"]),
        issue_date=row["issue_date"],
        expiry_date=row["expiry_date"],
        issues_pa_number=candidate.issues_pa_number,
        coverage_assertion_id=row["coverage_assertion_id"],
        pa_number=row["pa_number"],
    )


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
