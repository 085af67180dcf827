"""napari-telemetry collector: per-level ingest, retention and deletion for raw telemetry."""

from __future__ import annotations

from ._version import __version__

__all__ = ["__version__"]
