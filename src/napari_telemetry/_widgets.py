"""npe2 entry points (``napari.yaml``): each starts telemetry, then returns or shows a view.

napari calls widget factories that are plain functions without arguments, so the viewer is
``napari.current_viewer()`` unless one is passed (tests, scripts).
"""

from __future__ import annotations

import logging
from typing import Any

from ._qt import PreviewDock, SettingsDock, get_controller
from ._qt import ask_consent as show_ask_consent
from ._qt._mount import PREVIEW_WIDGET, attach, main_window, open_dock

log = logging.getLogger("napari_telemetry")


def _viewer(viewer: Any | None) -> Any | None:
    if viewer is not None:
        return viewer
    try:
        from napari import current_viewer

        return current_viewer()
    except Exception:
        return None


def _start(viewer: Any | None) -> Any | None:
    """Start telemetry for *viewer* (idempotent, never raises) and attach the indicator."""
    viewer = _viewer(viewer)
    try:
        from . import _napari  # written by the napari-integration part; absent is fine

        _napari.start(viewer)
    except Exception:
        log.debug("telemetry start failed", exc_info=True)
    if viewer is not None:
        attach(viewer)
    return viewer


def _parent(viewer: Any | None) -> Any | None:
    return main_window(viewer) if viewer is not None else None


def settings_dock(napari_viewer: Any | None = None) -> SettingsDock:
    """The "Telemetry settings" dock widget."""
    viewer = _start(napari_viewer)
    dock = SettingsDock(get_controller())
    dock.consentRequested.connect(lambda: show_ask_consent(_parent(viewer)))
    if viewer is not None:
        dock.previewRequested.connect(lambda: open_dock(viewer, PREVIEW_WIDGET))
    return dock


def preview_dock(napari_viewer: Any | None = None) -> PreviewDock:
    """The "Telemetry preview" dock widget."""
    _start(napari_viewer)
    return PreviewDock(get_controller())


def ask_consent(napari_viewer: Any | None = None) -> None:
    """Show the consent dialog (command palette); the choice is recorded when it closes."""
    show_ask_consent(_parent(_start(napari_viewer)))


def send_now(napari_viewer: Any | None = None) -> None:
    """Upload everything pending now, in the background (command palette, settings dock)."""
    _start(napari_viewer)
    get_controller().send_now()
