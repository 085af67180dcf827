"""npe2 entry points (``napari.yaml``): each starts telemetry, then returns or shows a view.

napari calls widget factories that are plain functions without arguments, so the viewer is
``napari.current_viewer()`` unless one is passed (tests, scripts).
"""

from __future__ import annotations

import logging
from typing import Any

from napari_telemetry._qt import PreviewDock, SettingsDock, get_controller
from napari_telemetry._qt import ask_consent as show_ask_consent

from . import _hooks, _start
from ._mount import PREVIEW_WIDGET

log = logging.getLogger("napari_telemetry")


def _viewer(viewer: Any | None) -> Any | None:
    return viewer if viewer is not None else _hooks.current_viewer()


def _started(viewer: Any | None) -> Any | None:
    """Start telemetry for *viewer* (idempotent, never raises); its window gets the indicator."""
    viewer = _viewer(viewer)
    try:
        _start.start(viewer, always_mount=True)
    except Exception:
        log.debug("telemetry start failed", exc_info=True)
    return viewer


def _parent(viewer: Any | None) -> Any | None:
    return _hooks.main_window(viewer) if viewer is not None else None


def settings_dock(napari_viewer: Any | None = None) -> SettingsDock:
    """The settings dock (Plugins › napari-telemetry › Settings)."""
    viewer = _started(napari_viewer)
    dock = SettingsDock(get_controller())
    dock.consentRequested.connect(lambda: show_ask_consent(_parent(viewer)))
    if viewer is not None:
        dock.previewRequested.connect(lambda: _hooks.open_dock(viewer, PREVIEW_WIDGET))
    return dock


def preview_dock(napari_viewer: Any | None = None) -> PreviewDock:
    """The preview dock (Plugins › napari-telemetry › Preview)."""
    _started(napari_viewer)
    return PreviewDock(get_controller())


def ask_consent(napari_viewer: Any | None = None) -> None:
    """Show the consent dialog (command palette); the choice is recorded when it closes."""
    show_ask_consent(_parent(_started(napari_viewer)))


def send_now(napari_viewer: Any | None = None) -> None:
    """Upload everything pending now, in the background (command palette, settings dock)."""
    _started(napari_viewer)
    get_controller().send_now()
