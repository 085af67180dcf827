"""FastAPI dependencies: the per-app resources (settings, storage, writer, index, limiter)."""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from ._limits import RateLimiter
from ._plugin_index import PluginIndex
from ._settings import Settings
from ._storage import Storage, make_engine
from ._writer import GroupWriter


class Resources:
    """What the app opens once per process; storage is opened lazily so start-up never fails."""

    def __init__(self, settings: Settings, storage: Storage | None = None) -> None:
        self.settings = settings
        self.limiter = RateLimiter(settings.rate_limit, settings.rate_window)
        self.plugins = PluginIndex(settings.plugin_index)
        self._storage = storage
        self._opening = threading.Lock()
        self.writer = GroupWriter(self.storage)

    def storage(self) -> Storage:
        with self._opening:
            if self._storage is None:
                engine = make_engine(self.settings.db)
                try:
                    self._storage = Storage(engine)
                except BaseException:
                    engine.dispose()
                    raise
            return self._storage


async def get_resources(request: Request) -> Resources:
    resources: Resources = request.app.state.resources
    return resources


async def rate_limit(
    request: Request, resources: Annotated[Resources, Depends(get_resources)]
) -> None:
    """429 with Retry-After when this client address sent too much in this window."""
    source = request.client.host if request.client else "-"
    wait = resources.limiter.hit(source)
    if wait is not None:
        raise HTTPException(429, "too many requests", headers={"Retry-After": str(wait)})


ResourcesDep = Annotated[Resources, Depends(get_resources)]
