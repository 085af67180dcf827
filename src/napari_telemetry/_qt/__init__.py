"""Thin Qt views over the telemetry core: consent dialog, settings and preview docks, indicator.

Everything here reads and changes state through one :class:`TelemetryController`; nothing here
reads or writes files or talks to the network itself. A napari launch needs only the controller
and the status-bar indicator: the dialog and the docks are imported when first asked for, so
that napari's memory does not carry them (``__getattr__`` below).
"""

import typing

from napari_telemetry import _lazy

from ._controller import TelemetryController, get_controller, set_controller
from ._core import (
    Core,
    CounterOfferLike,
    DecisionLike,
    Outcome,
    OverviewLike,
    PluginOfferLike,
    RealCore,
)
from ._palette import Palette
from ._status_indicator import StatusIndicator

if typing.TYPE_CHECKING:
    from ._consent_dialog import ConsentChoice, ConsentDialog, ask_consent, show_consent_dialog
    from ._plugin_counters import PluginCountersSection, PluginRow
    from ._preview_dock import PreviewDock
    from ._settings_dock import SettingsDock

__all__ = [
    "ConsentChoice",
    "ConsentDialog",
    "Core",
    "CounterOfferLike",
    "DecisionLike",
    "Outcome",
    "OverviewLike",
    "Palette",
    "PluginCountersSection",
    "PluginOfferLike",
    "PluginRow",
    "PreviewDock",
    "RealCore",
    "SettingsDock",
    "StatusIndicator",
    "TelemetryController",
    "ask_consent",
    "get_controller",
    "set_controller",
    "show_consent_dialog",
]
_LAZY = {
    "ConsentChoice": "._consent_dialog",
    "ConsentDialog": "._consent_dialog",
    "ask_consent": "._consent_dialog",
    "show_consent_dialog": "._consent_dialog",
    "PluginCountersSection": "._plugin_counters",
    "PluginRow": "._plugin_counters",
    "PreviewDock": "._preview_dock",
    "SettingsDock": "._settings_dock",
}


def __getattr__(name: str) -> object:
    """The views a launch does not need, imported on first use."""
    return _lazy.load(__name__, _LAZY, globals(), name)
