"""napari-telemetry collector: per-level ingest, retention and deletion for raw telemetry."""

from __future__ import annotations

from ._app import create_app
from ._settings import Settings, get_settings
from ._version import __version__
from .storage import Storage, StorageUnavailable, make_engine

__all__ = [
    "Settings",
    "Storage",
    "StorageUnavailable",
    "__version__",
    "create_app",
    "get_settings",
    "make_engine",
]
