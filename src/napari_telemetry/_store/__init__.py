"""The store: the in-memory recorder, the pending files, preview and the user's sent copies."""

from __future__ import annotations

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
