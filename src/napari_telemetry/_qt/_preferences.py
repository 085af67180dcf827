"""Keep napari's Preferences entry (napari >= 0.9, ``configurations``) in step with the dock.

The consent record stays the source of truth: at start the Preferences value is set from it; a
change made in Preferences is recorded as consent (like the dock's level switch); a change made
anywhere else is written back to Preferences. On older napari there is no such page and nothing
happens.
"""

from __future__ import annotations

import logging
from typing import Any

from napari_telemetry.schema import Level

from ._controller import TelemetryController, get_controller
from ._core import DecisionLike
from ._mount import PLUGIN

log = logging.getLogger("napari_telemetry")

SECTION = "telemetry"
KEY = "level"
_SYNCED: set[tuple[int, int]] = set()


def preferences_section() -> Any | None:
    """The ``telemetry`` section of this plugin's napari settings, or None (older napari)."""
    try:
        from napari.settings import get_plugin_settings

        return getattr(get_plugin_settings(PLUGIN), SECTION)
    except Exception:  # napari < 0.9, plugin not discovered, or settings unreadable
        log.debug("no napari Preferences entry for telemetry", exc_info=True)
        return None


def sync_preferences(controller: TelemetryController | None = None) -> bool:
    """Mirror the level between Preferences and the consent record; True if connected."""
    ctl = controller or get_controller()
    section = preferences_section()
    if section is None:
        return False
    if (id(ctl), id(section)) in _SYNCED:
        return True
    _SYNCED.add((id(ctl), id(section)))

    def push(decision: DecisionLike | None) -> None:
        if decision is not None and getattr(section, KEY) != decision.agreed_level.value:
            setattr(section, KEY, decision.agreed_level.value)

    def pull(event: Any) -> None:
        value = getattr(event, "value", event)  # napari's evented settings send an Event
        decision = ctl.decision()
        if decision is not None and value != decision.agreed_level.value:
            ctl.set_level(Level(value))

    push(ctl.decision())
    ctl.decisionChanged.connect(push)
    getattr(section.events, KEY).connect(pull)
    return True
