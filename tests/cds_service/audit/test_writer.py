"""Group commit: every concurrent caller returns only after its own record is committed."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest

from cds_service.audit.records import InvocationRecord
from cds_service.audit.store import SqliteAuditStore
from cds_service.audit.writer import GroupCommitWriter
from tests.support.audit_records import approved_call


def _record(index: int) -> InvocationRecord:
    return approved_call(f"h-{index}")


class CountingStore(SqliteAuditStore):
    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.groups: list[int] = []

    def record_invocations(self, records: Sequence[InvocationRecord]) -> None:
        self.groups.append(len(records))
        super().record_invocations(records)


def test_concurrent_writes_are_all_committed_in_fewer_transactions(tmp_path: Path) -> None:
    store = CountingStore(tmp_path / "a.sqlite3")
    writer = GroupCommitWriter(store)

    async def burst() -> None:
        await asyncio.gather(*(writer.write(_record(i)) for i in range(200)))

    asyncio.run(burst())
    writer.close()
    assert all(len(store.invocations(f"h-{i}")) == 1 for i in range(200))
    assert sum(store.groups) == 200
    assert len(store.groups) < 200  # callers that arrived together shared a commit
    store.close()


def test_a_failed_commit_is_raised_to_the_waiting_caller(tmp_path: Path) -> None:
    store = SqliteAuditStore(tmp_path / "b.sqlite3")
    writer = GroupCommitWriter(store)
    store.close()  # the next commit cannot happen

    async def write() -> None:
        await writer.write(_record(1))

    with pytest.raises(Exception, match="closed"):
        asyncio.run(write())
    writer.close()
