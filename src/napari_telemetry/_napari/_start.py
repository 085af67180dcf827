"""The one way telemetry starts in a napari window: at launch, from a contribution, or by hand.

``napari_telemetry.start()`` (a startup script), ``_launch.launched`` (npe2's discovery import)
and every npe2 contribution (``_widgets``) call :func:`start`; each window that starts gets the
status-bar indicator and the Preferences page.
"""

from __future__ import annotations

from typing import Any

from . import _mount, _runtime, _theme


def start(
    viewer: Any | None = None, *, interactive: bool = True, always_mount: bool = False
) -> bool:
    """Start (or re-check) telemetry, then mount the views in *viewer*'s window; never raises.

    Returns False when telemetry is switched off here (or could not start): nothing is hooked,
    and the window gets its indicator only with *always_mount* (a widget the user opened,
    which then says "Telemetry off").
    """
    if viewer is not None:
        _theme.follow(viewer)  # before the consent dialog: it is drawn in napari's colours
    started = _runtime.start(viewer, interactive=interactive)
    if viewer is not None and (started or always_mount):
        _mount.attach(viewer)
    return started
