"""Putting the Qt views into a napari window: the status-bar indicator and the Preferences page.

Every napari attribute this needs is reached through ``_hooks`` (public attributes only), and
nothing here raises: a window napari changed gets no indicator, never an error.
"""

from __future__ import annotations

import logging
from typing import Any

from napari_telemetry._qt import StatusIndicator, TelemetryController, get_controller

from . import _hooks, _theme
from ._preferences import sync_when_built

log = logging.getLogger("napari_telemetry")

PREVIEW_WIDGET = "Preview"  # napari titles its dock "Preview (napari-telemetry)"
SETTINGS_WIDGET = "Settings"


def install_status_indicator(
    viewer: Any, controller: TelemetryController | None = None
) -> StatusIndicator | None:
    """Add the indicator to *viewer*'s status bar once; return it, or None when impossible."""
    bar = _hooks.status_bar(viewer)
    if bar is None:
        return None
    try:
        existing = bar.findChild(StatusIndicator, "napari_telemetry_status")
        if existing is not None:
            return existing  # type: ignore[no-any-return]
        indicator = StatusIndicator(controller or get_controller())
        indicator.previewRequested.connect(lambda: _hooks.open_dock(viewer, PREVIEW_WIDGET))
        bar.addPermanentWidget(indicator)
    except Exception:
        log.debug("could not add the telemetry indicator", exc_info=True)
        return None
    return indicator


def attach(viewer: Any, controller: TelemetryController | None = None) -> StatusIndicator | None:
    """Everything a napari window gets once telemetry starts: its theme for the views, the
    indicator, Preferences sync, and the views following other processes' changes."""
    ctl = controller or get_controller()
    _theme.follow(viewer, ctl)
    sync_when_built(ctl)
    ctl.follow_files()  # what a terminal or another napari changes shows here too
    return install_status_indicator(viewer, ctl)
