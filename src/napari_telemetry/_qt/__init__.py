"""Thin Qt views over the telemetry core: consent dialog, settings and preview docks, indicator.

Everything here reads and changes state through one :class:`TelemetryController`; nothing here
reads or writes files or talks to the network itself.
"""

from ._consent_dialog import ConsentChoice, ConsentDialog, ask_consent, show_consent_dialog
from ._controller import TelemetryController, get_controller, set_controller
from ._core import Core, DecisionLike, Outcome, RealCore
from ._palette import Palette
from ._preview_dock import PreviewDock
from ._settings_dock import SettingsDock
from ._status_indicator import StatusIndicator

__all__ = [
    "ConsentChoice",
    "ConsentDialog",
    "Core",
    "DecisionLike",
    "Outcome",
    "Palette",
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
