"""The telemetry core: consent, identity, the store, sending, the plugin index, file locations.

It imports no Qt, no napari and no CLI. Its front door is :data:`telemetry` (a
:class:`Telemetry`): the CLI, the Qt views and napari's glue ask it, and nothing else of the
core. :data:`state` holds what one process made (recorder, uploader, transport, plugin index);
``state.reset()`` gives tests a fresh process. What a napari launch never needs (forgetting,
carrying data out, the HTTP side, plugins' counters) is imported on first use (``__getattr__``
below), so that napari's memory does not carry it.
"""

from typing import TYPE_CHECKING

from napari_telemetry import _lazy

from ._consent import MAX_CONSENT_DAYS, Decision
from ._identity import PRIVACY_EMAIL, SecretError
from ._schedule import NextSend
from ._send_report import SendReport
from ._service import Endpoints, Status, Stream, Telemetry, telemetry
from ._state import State, state
from ._store import Recorder, preview_json

if TYPE_CHECKING:
    from ._carry import CarryError, ExportReport, FileSendReport
    from ._counters import CounterOffer, Overview, PluginOffer
    from ._forget import Folder, ForgetResult, LocalForgetResult

__all__ = [
    "MAX_CONSENT_DAYS",
    "PRIVACY_EMAIL",
    "CarryError",
    "CounterOffer",
    "Decision",
    "Endpoints",
    "ExportReport",
    "FileSendReport",
    "Folder",
    "ForgetResult",
    "LocalForgetResult",
    "NextSend",
    "Overview",
    "PluginOffer",
    "Recorder",
    "SecretError",
    "SendReport",
    "State",
    "Status",
    "Stream",
    "Telemetry",
    "preview_json",
    "state",
    "telemetry",
]
_LAZY = {
    "CarryError": "._carry",
    "CounterOffer": "._counters",
    "ExportReport": "._carry",
    "FileSendReport": "._carry",
    "Folder": "._forget",
    "ForgetResult": "._forget",
    "LocalForgetResult": "._forget",
    "Overview": "._counters",
    "PluginOffer": "._counters",
}


def __getattr__(name: str) -> object:
    """What a launch does not need, imported on first use."""
    return _lazy.load(__name__, _LAZY, globals(), name)
