"""One DB-API connection shared by the store's threads: a lock, portable placeholders, and one reconnect when the
connection itself is gone. The tables (schema.py) are created on open."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from .schema import SCHEMA

_T = TypeVar("_T")


class SqlConnection:
    """Subclasses supply a DB-API connection and the placeholder style."""

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

    def _begin_write(self) -> None:
        """Start a transaction that will write; PostgreSQL starts one implicitly (SQLite overrides)."""

    def ping(self) -> None:
        def work() -> None:
            self._conn.execute("SELECT 1").fetchall()
            self._commit()  # PostgreSQL opened a transaction for it; an idle-in-transaction session holds locks

        self._locked(work)

    def close(self) -> None:
        with self._lock:
            self._conn.close()
