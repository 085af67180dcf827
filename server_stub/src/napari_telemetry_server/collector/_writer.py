"""Group commit: batches arriving while a transaction runs are written together in the next one."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool

from napari_telemetry.schema import Batch
from napari_telemetry_server.storage import Outcome, Storage

MAX_GROUP = 256
WAL_RETRY_SECONDS = 2.0  # after a truncation a long reader held up, ingest goes on a while
log = logging.getLogger(__name__)


class GroupWriter:
    """One writer for the event loop: never two transactions at once, no timer, no extra wait.

    A request whose batch arrives while a transaction is running waits for it to end and is
    then written with everything else that arrived meanwhile, in one transaction.

    The writer also bounds SQLite's WAL: background checkpoints run alongside the writes, so
    under sustained load they never catch up (the WAL grew to 1.2 GB in 30 s). Once a group
    leaves the WAL above *wal_limit* bytes, the next group waits for a truncating checkpoint.
    """

    def __init__(self, storage: Callable[[], Storage], wal_limit: int) -> None:
        self._storage = storage
        self._wal_limit = wal_limit
        self._truncate_after = 0.0  # monotonic time before which no truncation is tried
        self._pending: list[tuple[tuple[Batch, str], asyncio.Future[Outcome]]] = []
        self._drain: asyncio.Task[None] | None = None

    async def submit(self, batch: Batch, digest: str) -> Outcome:
        """Store *batch* (*digest*: its ``batch_digest`` as received); raises what storage does."""
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._pending.append(((batch, digest), future))
        if self._drain is None or self._drain.done():
            self._drain = asyncio.create_task(self._write_all())
        return await future

    async def _insert(self, group: list[tuple[Batch, str]]) -> list[Outcome]:
        storage = self._storage()
        if storage.local:
            # An embedded SQLite write takes well under a millisecond per batch; in a worker
            # thread it would wait for the GIL at every driver call while the loop is busy.
            return storage.store(group)
        return await run_in_threadpool(storage.store, group)

    async def _write_all(self) -> None:
        while self._pending:
            group, self._pending = self._pending[:MAX_GROUP], self._pending[MAX_GROUP:]
            try:
                results = await self._insert([b for b, _ in group])
            except Exception as e:  # every waiting request answers with it (503 for outages)
                for _, future in group:
                    if not future.done():
                        future.set_exception(e)
            else:
                for (_, future), outcome in zip(group, results, strict=True):
                    if not future.done():
                        future.set_result(outcome)
                await self._bound_wal()

    async def _bound_wal(self) -> None:
        storage = self._storage()
        if storage.wal_bytes() <= self._wal_limit or time.monotonic() < self._truncate_after:
            return
        try:
            emptied = await run_in_threadpool(storage.checkpoint, truncate=True)
        except Exception as e:  # the database went away or the disk is full: writes say so
            log.debug("truncating checkpoint failed: %s", e)
            emptied = False
        if not emptied:
            self._truncate_after = time.monotonic() + WAL_RETRY_SECONDS
