"""What storing a batch did, and what makes a batch sent again the same batch."""

from __future__ import annotations

import enum
import hashlib

from napari_telemetry.schema import Batch

# What a batch says. first_report, install_age and client_version are worked out again at each
# attempt: a retry a week later may fall in the next install-age bucket, or come from an
# upgraded plugin, and is still the same batch.
_CONTENT = {"level", "user_id", "week", "records"}


class Outcome(enum.Enum):
    """The answer for one batch: 201, 200 or 409."""

    STORED = "stored"  # new
    KNOWN = "known"  # the same batch again, or a deleted id's: nothing more stored
    CONFLICT = "conflict"  # its batch_id is stored with other content: nothing stored


def batch_digest(batch: Batch) -> str:
    """32 hex digits of the validated batch's level, weekly id, week and records, in order."""
    content = batch.model_dump_json(include=_CONTENT).encode()
    return hashlib.blake2b(content, digest_size=16).hexdigest()


def outcome(
    batch: Batch, digest: str, dead: set[str], stored: dict[str, str | None], inserted: set[int]
) -> Outcome:
    """Stored now, known (the same content again, or a deleted id) or a clash of batch ids."""
    if batch.user_id in dead:
        return Outcome.KNOWN
    if id(batch) in inserted:
        return Outcome.STORED
    same = stored.get(str(batch.batch_id)) in (None, digest)  # None: stored before digests
    return Outcome.KNOWN if same else Outcome.CONFLICT
