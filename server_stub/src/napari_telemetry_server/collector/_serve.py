"""Running the collector under uvicorn: one worker, no access log, logs rotated and redacted."""

from __future__ import annotations

import contextlib
import logging

import uvicorn
from fastapi import FastAPI

from ._app import create_app
from ._logging import setup_logging
from ._metrics import LOOPBACK, serve_metrics
from ._protocol import deadline_protocol
from ._settings import Settings, proxy_list

log = logging.getLogger(__name__)


def server_config(app: FastAPI, *, host: str, port: int) -> uvicorn.Config:
    """uvicorn's configuration for the collector (also used by tests and the benchmark)."""
    settings: Settings = app.state.resources.settings
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=deadline_protocol(settings.request_timeout),
        workers=1,  # SQLite has one writer; more workers only add lock contention
        access_log=False,
        log_config=None,
        server_header=False,
        proxy_headers=True,  # the rate limiter sees the client behind a trusted proxy
        forwarded_allow_ips=proxy_list(settings.trusted_proxies),
        timeout_keep_alive=5,
        limit_concurrency=512,  # beyond that uvicorn answers 503 and clients retry later
    )


def serve(settings: Settings, *, host: str, port: int) -> None:
    """Serve until interrupted."""
    setup_logging(settings.log_dir)
    backend = "PostgreSQL" if settings.db.startswith("postgres") else "SQLite"
    log.info(
        "collector starting: %s storage, body limit %d bytes", backend, settings.max_body_bytes
    )
    if not settings.plugin_index.is_file():
        log.warning("no public plugin index file yet: no plugin is named in what is stored")
    app = create_app(settings)
    counters = None
    if settings.metrics_port is not None:
        counters, _ = serve_metrics(app.state.resources.metrics, settings.metrics_port)
        log.info("operators' counters on http://%s:%d/metrics", LOOPBACK, settings.metrics_port)
    try:
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: uvicorn has shut down already
            uvicorn.Server(server_config(app, host=host, port=port)).run()
    finally:
        if counters is not None:
            counters.shutdown()
            counters.server_close()
