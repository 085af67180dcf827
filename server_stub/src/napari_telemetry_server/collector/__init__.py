"""The collector: the FastAPI app that receives batches, and the uvicorn process serving it.

``create_app()`` only assembles: one router per concern (``_ingest``, ``_deletion``,
``_schema``, ``_collection``, ``_health``) over the app's resources (``_deps``: settings,
storage, the group writer, the plugin-index filter, the collection manifests, rate limiters,
the operators' counters), the error shapes (``_problems``) and the OpenAPI document. ``serve``
runs it under uvicorn with the deadline protocol and redacted logs, and the counters on a
loopback port of their own (``_metrics``).
"""

from __future__ import annotations

from ._app import create_app
from ._deletion import DeletionRequest
from ._metrics import Metrics, serve_metrics
from ._protocol import DeadlineProtocol
from ._serve import serve, server_config
from ._settings import Settings, data_dir, get_settings

__all__ = [
    "DeadlineProtocol",
    "DeletionRequest",
    "Metrics",
    "Settings",
    "create_app",
    "data_dir",
    "get_settings",
    "serve",
    "serve_metrics",
    "server_config",
]
