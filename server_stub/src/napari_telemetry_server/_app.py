"""The collector application: assembled here, implemented in one router per concern."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI

from napari_telemetry_server.storage import Storage

from ._deletion import router as deletion_router
from ._deps import Resources
from ._ingest import router as ingest_router
from ._limits import RateLimitMiddleware
from ._openapi import openapi_builder
from ._problems import install_handlers
from ._published import health_router, schema_router
from ._settings import Settings, get_settings
from ._version import __version__

DESCRIPTION = (
    "Receives napari-telemetry batches, one endpoint per level so each level can be blocked on "
    "its own. Stores no IP address and keeps no access log. Raw data is kept 60 days."
)


@asynccontextmanager
async def _lifespan(resources: Resources, _: FastAPI) -> AsyncIterator[None]:
    task = asyncio.create_task(resources.checkpoints())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def create_app(settings: Settings | None = None, *, storage: Storage | None = None) -> FastAPI:
    """The collector app for *settings* (default: the cached ``get_settings()``, from env).

    *storage* replaces the database the settings name (tests pass one with a fake clock).
    """
    settings = settings or get_settings()
    resources = Resources(settings, storage)
    app = FastAPI(
        lifespan=partial(_lifespan, resources),
        title="napari-telemetry collector",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
    )
    app.state.resources = resources
    app.add_middleware(RateLimitMiddleware, limiter=resources.limiter)
    for router in (ingest_router, deletion_router, schema_router, health_router):
        app.include_router(router)
    install_handlers(app)
    app.openapi = openapi_builder(app)  # type: ignore[method-assign]
    return app
