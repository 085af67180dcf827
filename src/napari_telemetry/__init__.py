"""napari-telemetry: opt-in, transparent usage telemetry for napari (NAP-8).

Importing this package does nothing outside napari's GUI. Inside it, npe2's plugin discovery
imports it while napari builds its first viewer; the only work done then is to post
``_napari.start`` to the Qt event loop (see docs/design.md, "Starting at launch").
"""

from __future__ import annotations

import sys
from typing import Any

from ._version import __version__

__all__ = ["__version__", "start"]


def start(viewer: Any | None = None) -> None:
    """Start telemetry in this napari process (e.g. from napari's startup script); never raises.

    With no *viewer*, the current one is used. Asks for consent once if it was never given.
    """
    from ._napari import start as _start  # importing napari_telemetry stays cheap (npe2 does it)

    _start(viewer)


def _on_import() -> None:
    if "napari.window" in sys.modules:  # the cheap test first: most importers are not napari
        try:
            from ._napari import on_import  # only inside napari's first Viewer()

            on_import()
        except Exception:  # an import must never fail because of telemetry
            pass


_on_import()
