"""The one part of napari-telemetry that talks to napari, npe2 and app-model.

Nothing here imports napari at module level: each internal it relies on is reached inside a
function in ``_hooks`` and degrades to fewer records when it is missing. This ``__init__`` stays
import-free because npe2's discovery imports ``_launch`` inside napari's first ``Viewer()``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["start", "stop"]


def start(viewer: Any | None = None) -> None:
    """Start (or re-check) telemetry for *viewer*; idempotent, never raises."""
    from ._runtime import start as _start

    _start(viewer)


def stop() -> None:
    """Remove every hook this process installed."""
    from ._runtime import stop as _stop

    _stop()
