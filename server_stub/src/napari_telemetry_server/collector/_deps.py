"""FastAPI dependencies: the per-app resources (settings, storage, writer, plugin index,
collection manifests, limiters, the operators' counters)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator
from datetime import date
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from starlette.concurrency import run_in_threadpool

from napari_telemetry_server.collection import Approvals
from napari_telemetry_server.storage import Storage, make_engine

from ._limits import RateLimiter
from ._metrics import Metrics
from ._plugin_index import PluginIndex
from ._settings import Settings
from ._writer import GroupWriter

CHECKPOINT_SECONDS = 1.0
log = logging.getLogger(__name__)


class Resources:
    """What the app opens once per process; storage is opened lazily so start-up never fails."""

    def __init__(self, settings: Settings, storage: Storage | None = None) -> None:
        self.settings = settings
        self.limiter = RateLimiter(settings.rate_limit, settings.rate_window)
        self.deletions = RateLimiter(settings.deletion_limit, settings.rate_window)  # weekly ids
        self.plugins = PluginIndex(settings.plugin_index)
        self.metrics = Metrics()  # the operators' counters (never on a public route)
        self.collection = Approvals(settings.collection_dir)
        self._storage = storage
        # The collector's one clock: the week window of ingest and the day a batch is received.
        self.today = storage.today if storage is not None else date.today
        self._opening = threading.Lock()
        self.writer = GroupWriter(self.storage, settings.wal_limit)

    def storage(self) -> Storage:
        with self._opening:
            if self._storage is None:
                engine = make_engine(
                    self.settings.db,
                    background_checkpoints=True,
                    wal_limit=self.settings.wal_limit,
                )
                try:
                    self._storage = Storage(engine, today=self.today)
                except BaseException:
                    engine.dispose()
                    raise
            return self._storage

    async def checkpoints(self, every: float = CHECKPOINT_SECONDS) -> None:
        """Run SQLite checkpoints off the request path, forever (a task of the app's lifespan)."""
        while True:
            await asyncio.sleep(every)
            if self._storage is None:
                continue
            try:
                await run_in_threadpool(self._storage.checkpoint)
            except Exception as e:  # only an optimisation: SQLite checkpoints at close anyway
                log.debug("checkpoint skipped: %s", e)

    @contextlib.asynccontextmanager
    async def lifespan(self, _: FastAPI) -> AsyncIterator[None]:
        """The app's lifespan: checkpoints run in the background while it serves."""
        task = asyncio.create_task(self.checkpoints())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def close(self) -> None:
        """Close the database connections (the storage reopens them if used again)."""
        if self._storage is not None:
            self._storage.engine.dispose()


async def get_resources(request: Request) -> Resources:
    """The app's resources (a dependency; hot routes call ``resources_of`` directly)."""
    return resources_of(request)


def resources_of(request: Request) -> Resources:
    """The resources of the app serving *request*."""
    resources: Resources = request.app.state.resources
    return resources


ResourcesDep = Annotated[Resources, Depends(get_resources)]
