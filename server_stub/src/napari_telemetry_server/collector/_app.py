"""The collector application: assembled here, implemented in one router per concern."""

from __future__ import annotations

from fastapi import FastAPI

from napari_telemetry_server._requires import check_plugin
from napari_telemetry_server._version import __version__
from napari_telemetry_server.storage import Storage

from . import _collection, _deletion, _health, _ingest, _schema
from ._deps import Resources
from ._limits import RateLimitMiddleware
from ._metrics import MetricsMiddleware
from ._openapi import openapi_builder
from ._problems import install_handlers
from ._settings import Settings, get_settings

DESCRIPTION = (
    "Receives napari-telemetry batches, one endpoint per level so each level can be blocked on "
    "its own. Stores no IP address and keeps no access log. Raw data is kept 60 days."
)


def create_app(settings: Settings | None = None, *, storage: Storage | None = None) -> FastAPI:
    """The collector app for *settings* (default: the cached ``get_settings()``, from env).

    *storage* replaces the database the settings name (tests pass one with a fake clock).
    """
    check_plugin()  # IncompatiblePlugin, naming both versions, before anything is opened
    settings = settings or get_settings()
    resources = Resources(settings, storage)
    app = FastAPI(
        lifespan=resources.lifespan,
        title="napari-telemetry collector",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
    )
    app.state.resources = resources
    app.add_middleware(RateLimitMiddleware, limiter=resources.limiter)
    app.add_middleware(MetricsMiddleware, metrics=resources.metrics)  # outermost: sees 429s
    for concern in (_ingest, _deletion, _schema, _collection, _health):
        app.include_router(concern.router)
    install_handlers(app)
    app.openapi = openapi_builder(app, resources.today)  # type: ignore[method-assign]
    return app
