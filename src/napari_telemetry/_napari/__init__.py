"""The one part of napari-telemetry that talks to napari, npe2 and app-model.

Nothing here imports napari at module level: each internal it relies on is reached inside a
function in ``_hooks`` and degrades to fewer records when it is missing. This ``__init__`` stays
import-free because npe2's discovery imports ``_launch`` inside napari's first ``Viewer()``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["on_import", "start", "stop"]


def on_import() -> None:
    """The package was imported: if napari's first ``Viewer()`` is discovering it, start later.

    ``napari_telemetry/__init__`` calls this only inside napari's GUI (see ``_launch``).
    """
    from ._launch import on_import as _on_import  # as start: nothing heavy at discovery

    _on_import()


def start(viewer: Any | None = None) -> None:
    """Start (or re-check) telemetry for *viewer* (None: the current one); never raises.

    The one start path (``_start.start``): the window gets the status-bar indicator.
    """
    from . import _hooks, _start  # the core and the views: only once telemetry starts

    _start.start(viewer if viewer is not None else _hooks.current_viewer())


def stop() -> None:
    """Remove every hook this process installed."""
    from ._runtime import stop as _stop  # as start: nothing heavy while napari discovers us

    _stop()
