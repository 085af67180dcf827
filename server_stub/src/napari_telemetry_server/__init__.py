"""napari-telemetry collector: per-level ingest, retention and deletion for raw telemetry."""

from __future__ import annotations

from ._version import __version__
from .collector import Settings, create_app, get_settings
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
