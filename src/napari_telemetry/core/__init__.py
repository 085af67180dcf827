"""The telemetry core: consent, identity, the store, sending, the plugin index, file locations.

It imports no Qt, no napari and no CLI. Its front door is :data:`telemetry` (a
:class:`Telemetry`): the CLI, the Qt views and napari's glue ask it, and nothing else of the
core. :data:`state` holds what one process made (recorder, uploader, transport, plugin index);
``state.reset()`` gives tests a fresh process.
"""

from ._consent import MAX_CONSENT_DAYS, Decision
from ._forget import Folder, ForgetResult, LocalForgetResult
from ._identity import PRIVACY_EMAIL, SecretError
from ._schedule import NextSend
from ._send_report import SendReport
from ._service import Endpoints, Status, Stream, Telemetry, preview_json, telemetry
from ._state import State, state
from ._store import Recorder

__all__ = [
    "MAX_CONSENT_DAYS",
    "PRIVACY_EMAIL",
    "Decision",
    "Endpoints",
    "Folder",
    "ForgetResult",
    "LocalForgetResult",
    "NextSend",
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
