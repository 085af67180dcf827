"""The views draw in napari's theme: its colours are read here and handed to the views as data.

Every napari window a telemetry view is mounted in sets the controller's palette from its theme
and follows the theme when the user changes it (Preferences › Appearance).
"""

from __future__ import annotations

import logging
from typing import Any

from napari_telemetry._qt import Palette, TelemetryController, get_controller

from . import _hooks

log = logging.getLogger("napari_telemetry")


def palette(viewer: Any) -> Palette | None:
    """*viewer*'s theme as the views' palette, or None when napari's theme is unreadable."""
    colours = _hooks.theme_colours(viewer)
    if colours is None:
        return None
    return Palette.from_theme(
        text=colours["text"],
        background=colours["background"],
        error=colours["error"],
        current=colours["current"],
        dark=bool(colours["dark"]),
    )


def follow(viewer: Any, controller: TelemetryController | None = None) -> None:
    """Draw the views in *viewer*'s theme now and after every change of it; never raises."""
    ctl = controller or get_controller()
    found = palette(viewer)
    if found is not None:
        ctl.setPalette(found)
    emitter = _hooks.theme_changed(viewer)
    if emitter is not None:
        try:
            emitter.connect(_on_theme_changed)  # the same function once per viewer
        except Exception:
            log.debug("could not follow napari's theme", exc_info=True)


def _on_theme_changed(event: Any) -> None:
    """A Qt-side slot: never raise into napari."""
    try:
        viewer = getattr(event, "source", None)
        found = palette(viewer) if viewer is not None else None
        if found is not None:
            get_controller().setPalette(found)  # the views' controller now (tests replace it)
    except Exception:
        log.debug("could not follow napari's theme", exc_info=True)
