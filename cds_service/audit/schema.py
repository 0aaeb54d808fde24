"""The audit store's tables, the same SQL for SQLite and PostgreSQL (placeholders aside)."""

from __future__ import annotations

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

DETERMINATION_COLUMNS = (
    "coverage_assertion_id, determination_key, order_ref, patient_id, coverage_ref, payer, line_of_business,"
    " policy_id, policy_version, decision, covered, pa_needed, pa_number, criteria, issued_at, issue_date,"
    " expiry_date, superseded, superseded_by"
)
