"""The determinations table: one current coverage assertion (and PA number) per order identity, allocated so that
workers and instances sharing one database agree, superseded rows pointing to their successor (CRD resp-29/35)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson

from .records import DeterminationRecord, Settled
from .schema import DETERMINATION_COLUMNS
from .sql_connection import SqlConnection

# Random ids collide with a probability of ~2^-64 per pair; a collision makes the insert a no-op, retried.
_ALLOCATION_ATTEMPTS = 4


class DeterminationTable(SqlConnection):
    """Settling and reading determinations (the AuditStore's determination methods)."""

    def _current_determinations(self, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        marks = ", ".join("?" for _ in keys)
        cursor = self._conn.execute(
            self._sql(
                f"SELECT {DETERMINATION_COLUMNS} FROM determinations"
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
                    f"INSERT INTO determinations ({DETERMINATION_COLUMNS})"
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
            f"SELECT {DETERMINATION_COLUMNS} FROM determinations"
            " WHERE order_ref = ? AND patient_id = ? AND coverage_ref = ? AND superseded = 0"
            " ORDER BY issued_at DESC",
            (order_ref, patient_id, coverage_ref),
        )
        return _decoded(rows[0]) if rows else None

    def _determination_where(self, column: str, value: str) -> dict[str, Any] | None:
        rows = self._query(f"SELECT {DETERMINATION_COLUMNS} FROM determinations WHERE {column} = ?", (value,))
        return _decoded(rows[0]) if rows else None


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
