"""Group commit: batches arriving while a transaction runs are written together in the next one."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool

from napari_telemetry.schema import Batch

from ._storage import Outcome, Storage

MAX_GROUP = 256


class GroupWriter:
    """One writer for the event loop: never two transactions at once, no timer, no extra wait.

    A request whose batch arrives while a transaction is running waits for it to end and is
    then written with everything else that arrived meanwhile, in one transaction.
    """

    def __init__(self, storage: Callable[[], Storage]) -> None:
        self._storage = storage
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
