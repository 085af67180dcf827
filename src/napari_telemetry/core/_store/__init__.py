"""The store: the in-memory recorder, the pending files, preview and the user's sent copies.

It follows every consent recorded in this process at once (:data:`_consent.recorded`): the live
recorder's level, and no pending data above it.
"""

from napari_telemetry.core import _consent

from ._batches import build, wire_bytes
from ._count import Pending, Waiting, pending
from ._files import DayFile as PendingDay
from ._files import files as pending_files
from ._pending import (
    MAX_PENDING_BYTES,
    drop_outside_window,
    due,
    finish,
    locked,
    seal,
    storage_problem,
)
from ._recorder import Recorder, get_recorder, level_changed
from ._stats import bump as bump_stats
from ._stats import in_words as stats_in_words
from ._view import (
    delete_pending,
    notify,
    pending_here,
    preview,
    preview_json,
    sent_copies,
    withdraw_counters,
    withdraw_pending,
)

# The uploader's part (a day sealed, built into batches, finished) and the counters are the
# store's front door too: nothing outside the store imports its private modules.
__all__ = [
    "MAX_PENDING_BYTES",
    "Pending",
    "PendingDay",
    "Recorder",
    "Waiting",
    "build",
    "bump_stats",
    "delete_pending",
    "drop_outside_window",
    "due",
    "finish",
    "get_recorder",
    "level_changed",
    "locked",
    "notify",
    "pending",
    "pending_files",
    "pending_here",
    "preview",
    "preview_json",
    "seal",
    "sent_copies",
    "stats_in_words",
    "storage_problem",
    "wire_bytes",
    "withdraw_counters",
    "withdraw_pending",
]

_consent.recorded.connect(level_changed)
