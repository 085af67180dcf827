"""Putting the views into a napari window through public attributes only; never raises."""

from __future__ import annotations

import logging
from typing import Any

from ._controller import TelemetryController, get_controller
from ._status_indicator import StatusIndicator

log = logging.getLogger("napari_telemetry")

PLUGIN = "napari-telemetry"
PREVIEW_WIDGET = "Telemetry preview"
SETTINGS_WIDGET = "Telemetry settings"


def status_bar(viewer: Any) -> Any | None:
    """The window's status bar through ``viewer.window.main_menu``; None if unreachable."""
    try:
        bar = viewer.window.main_menu.window().statusBar()
    except Exception:  # napari changed: no indicator, never an error
        log.debug("no status bar reachable", exc_info=True)
        return None
    return bar if hasattr(bar, "addPermanentWidget") else None


def install_status_indicator(
    viewer: Any, controller: TelemetryController | None = None
) -> StatusIndicator | None:
    """Add the indicator to *viewer*'s status bar once; return it, or None when impossible."""
    bar = status_bar(viewer)
    if bar is None:
        return None
    try:
        existing = bar.findChild(StatusIndicator, "napari_telemetry_status")
        if existing is not None:
            return existing  # type: ignore[no-any-return]
        indicator = StatusIndicator(controller or get_controller())
        indicator.previewRequested.connect(lambda: open_dock(viewer, PREVIEW_WIDGET))
        bar.addPermanentWidget(indicator)
    except Exception:
        log.debug("could not add the telemetry indicator", exc_info=True)
        return None
    return indicator


def open_dock(viewer: Any, widget_name: str) -> None:
    """Show one of this plugin's docks in *viewer* (public ``add_plugin_dock_widget``)."""
    try:
        dock, _ = viewer.window.add_plugin_dock_widget(PLUGIN, widget_name)
        dock.show()
        dock.raise_()
    except Exception:
        log.debug("could not open %r", widget_name, exc_info=True)


def attach(viewer: Any, controller: TelemetryController | None = None) -> StatusIndicator | None:
    """Everything a napari window gets once telemetry starts: indicator and Preferences sync."""
    from ._preferences import sync_preferences

    ctl = controller or get_controller()
    sync_preferences(ctl)
    return install_status_indicator(viewer, ctl)


def main_window(viewer: Any) -> Any | None:
    """The viewer's Qt main window (to parent dialogs), or None."""
    try:
        return viewer.window.main_menu.window()
    except Exception:
        return None
