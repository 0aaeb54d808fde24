"""Group commit for the audit store: concurrent hook calls share one transaction (one fsync), and each
call still waits until its own record is committed before it answers.

A single writer thread drains the queue: whatever arrived while the previous commit was being synced is
written together. Sequential traffic pays one commit per call, as before; concurrent traffic pays one
per group instead of one per call, and the event loop never blocks on disk.
"""

from __future__ import annotations

import asyncio
import queue
import threading

from .records import AuditStore, InvocationRecord

_MAX_GROUP = 256
_STOP = object()


class GroupCommitWriter:
    def __init__(self, store: AuditStore) -> None:
        self._store = store
        self._queue: queue.Queue[object] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
        self._thread.start()

    async def write(self, record: InvocationRecord) -> None:
        """Return once `record` is committed; raise what the store raised if it could not be."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._queue.put((record, done, loop))
        await done

    def close(self) -> None:
        self._queue.put(_STOP)
        self._thread.join()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            group = [item]
            while len(group) < _MAX_GROUP:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is _STOP:
                    self._queue.put(_STOP)
                    break
                group.append(more)
            pending = [entry for entry in group if isinstance(entry, tuple)]
            error: BaseException | None = None
            try:
                self._store.record_invocations([record for record, _, _ in pending])
            except Exception as exc:  # reported to every waiting caller, who answers 500
                error = exc
            for _, done, loop in pending:
                loop.call_soon_threadsafe(_settle, done, error)


def _settle(done: asyncio.Future[None], error: BaseException | None) -> None:
    if done.cancelled():
        return
    if error is None:
        done.set_result(None)
    else:
        done.set_exception(error)
