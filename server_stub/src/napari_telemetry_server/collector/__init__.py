"""The collector: the FastAPI app that receives batches, and the uvicorn process serving it.

``create_app()`` only assembles: one router per concern (``_ingest``, ``_deletion``,
``_schema``, ``_collection``, ``_health``) over the app's resources (``_deps``: settings,
storage, the group writer, the plugin-index filter, the collection manifests, rate
limiters), the error shapes (``_problems``) and the OpenAPI document. ``serve`` runs it under
uvicorn with the deadline protocol and redacted logs.
"""

from __future__ import annotations

from ._app import create_app
from ._deletion import DeletionRequest
from ._protocol import DeadlineProtocol
from ._serve import serve, server_config
from ._settings import Settings, data_dir, get_settings

__all__ = [
    "DeadlineProtocol",
    "DeletionRequest",
    "Settings",
    "create_app",
    "data_dir",
    "get_settings",
    "serve",
    "server_config",
]
