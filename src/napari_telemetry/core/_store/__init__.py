"""The store: the in-memory recorder, the pending files, preview and the user's sent copies.

It follows every consent recorded in this process at once (:data:`_consent.recorded`): the live
recorder's level, and no pending data above it.
"""

from napari_telemetry.core import _consent

from ._pending import MAX_PENDING_BYTES
from ._recorder import Recorder, get_recorder, level_changed
from ._view import delete_pending, pending_here, preview, sent_copies, withdraw_pending

__all__ = [
    "MAX_PENDING_BYTES",
    "Recorder",
    "delete_pending",
    "get_recorder",
    "level_changed",
    "pending_here",
    "preview",
    "sent_copies",
    "withdraw_pending",
]

_consent.recorded.connect(level_changed)
