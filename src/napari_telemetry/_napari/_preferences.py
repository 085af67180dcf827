"""Keep napari's Preferences entry (napari >= 0.9, ``configurations``) in step with the dock.

The consent record stays the source of truth: once napari builds its plugin settings (its
Preferences dialog does, when it opens) the Preferences value is set from it; a change made in
Preferences is recorded as consent (like the dock's level switch); a change made anywhere else is
written back to Preferences. Building napari's plugin settings at launch only to set the value
would cost napari about 0.5 MB for a page that may never be opened, so this waits for napari to
build them. On older napari there is no such page and nothing happens.
"""

from __future__ import annotations

import contextlib
from typing import Any

from napari_telemetry._qt import DecisionLike, TelemetryController, get_controller
from napari_telemetry.schema import Level

from . import _hooks, _runtime

SECTION = "telemetry"
KEY = "level"


def sync_when_built(controller: TelemetryController | None = None) -> bool:
    """Sync as soon as napari has its plugin settings (now, if it has them); True if arranged."""
    ctl = controller or get_controller()
    if _hooks.plugin_settings_built():
        return sync_preferences(ctl)
    waiting = _runtime.current().preferences
    if (id(ctl), 0) in waiting:
        return True
    undo = _hooks.after_plugin_settings(lambda: sync_preferences(ctl))
    if undo is not None:
        waiting[(id(ctl), 0)] = undo  # stop() undoes it, like the connections
    return undo is not None


def sync_preferences(controller: TelemetryController | None = None) -> bool:
    """Mirror the level between Preferences and the consent record; True if connected."""
    ctl = controller or get_controller()
    section = _hooks.preferences_section(SECTION)
    if section is None:
        return False
    synced = _runtime.current().preferences  # what this process connected (stop() undoes it)
    if (id(ctl), id(section)) in synced:
        return True

    def push(decision: DecisionLike | None) -> None:
        if decision is not None and getattr(section, KEY) != decision.agreed_level.value:
            setattr(section, KEY, decision.agreed_level.value)

    def pull(event: Any) -> None:
        value = getattr(event, "value", event)  # napari's evented settings send an Event
        decision = ctl.decision()
        if decision is not None and value != decision.agreed_level.value:
            ctl.set_level(Level(value))

    def disconnect() -> None:
        with contextlib.suppress(RuntimeError, TypeError, ValueError):  # gone with its window
            ctl.decisionChanged.disconnect(push)
        with contextlib.suppress(RuntimeError, TypeError, ValueError):
            getattr(section.events, KEY).disconnect(pull)

    push(ctl.decision())
    ctl.decisionChanged.connect(push)
    getattr(section.events, KEY).connect(pull)
    synced[(id(ctl), id(section))] = disconnect
    return True
