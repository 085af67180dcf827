"""The one part of napari-telemetry that talks to napari, npe2 and app-model.

Nothing here imports napari at module level: each internal it relies on is reached inside a
function in ``_hooks`` and degrades to fewer records when it is missing.
"""

from __future__ import annotations

from ._runtime import attach, catch_up, start, stop

__all__ = ["attach", "catch_up", "start", "stop"]
