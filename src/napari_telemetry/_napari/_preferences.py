"""Keep napari's Preferences entry (napari >= 0.9, ``configurations``) in step with the dock.

The consent record stays the source of truth: at start the Preferences value is set from it; a
change made in Preferences is recorded as consent (like the dock's level switch); a change made
anywhere else is written back to Preferences. On older napari there is no such page and nothing
happens (``_hooks.preferences_section`` is None).
"""

from __future__ import annotations

from typing import Any

from napari_telemetry._qt import DecisionLike, TelemetryController, get_controller
from napari_telemetry.schema import Level

from . import _hooks

SECTION = "telemetry"
KEY = "level"
_SYNCED: set[tuple[int, int]] = set()


def sync_preferences(controller: TelemetryController | None = None) -> bool:
    """Mirror the level between Preferences and the consent record; True if connected."""
    ctl = controller or get_controller()
    section = _hooks.preferences_section(SECTION)
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
