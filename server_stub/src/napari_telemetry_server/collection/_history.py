"""The manifests the collector has served, and which counters each week may carry.

A manifest is in force from the day it was signed until the next version was signed (or it
expired). A week's counter records are judged by every manifest in force on any day of that
week: a counter (and label) approved by one of them, and not yet expired when the week began,
is kept; anything else is dropped before storage. So a late batch is judged by the manifest
its client counted under, not only by the newest (Go's telemetry checks only the newest).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from pydantic import ValidationError

from napari_telemetry.schema import (
    Batch,
    CollectionManifest,
    CounterRecord,
    SignedCollection,
    loads_unique,
    week_start,
)

log = logging.getLogger(__name__)
CURRENT = "collection.json"
HISTORY = "history"
Approved = frozenset[tuple[str, str, str]]  # (plugin, counter, label; "" without labels)


def latest_version(folder: Path) -> int:
    """The highest version signed into *folder* (0: none)."""
    names = (p.stem for p in (folder / HISTORY).glob("*.json"))
    return max((int(n) for n in names if n.isdigit()), default=0)


@dataclass(frozen=True)
class Filtered:
    """A batch without the counter records its week does not approve, and how many went."""

    batch: Batch
    dropped: int


class Approvals:
    """Reads the folder again whenever a signing changed it; without one, approves nothing."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._stamp: object = False  # False: never looked
        self._manifests: list[CollectionManifest] = []
        self._current: bytes | None = None
        self._weeks: dict[str, Approved] = {}

    def current(self) -> bytes | None:
        """The served manifest's bytes, exactly as signed (None: none was signed)."""
        self._refresh()
        return self._current

    def approved(self, week: str) -> Approved:
        """The (plugin, counter, label) any manifest in force during *week* approves."""
        self._refresh()
        with self._lock:
            if week not in self._weeks:
                self._weeks[week] = _approved(self._manifests, week_start(week))
            return self._weeks[week]

    def filter(self, batch: Batch) -> Filtered:
        """*batch* without its unapproved counter records (other record types untouched)."""
        if not any(isinstance(r, CounterRecord) for r in batch.records):
            return Filtered(batch, 0)
        allowed = self.approved(batch.week)
        kept = [
            r
            for r in batch.records
            if not isinstance(r, CounterRecord) or (r.plugin, r.counter, r.label) in allowed
        ]
        dropped = len(batch.records) - len(kept)
        if dropped:
            log.info("%d counter records dropped: not approved for their week", dropped)
            batch = batch.model_copy(update={"records": kept})
        return Filtered(batch, dropped)

    def _refresh(self) -> None:
        stamp = _stamp(self.folder)
        with self._lock:
            if stamp == self._stamp:
                return
            self._stamp = stamp
            self._manifests, self._current = _load(self.folder)
            self._weeks.clear()


def _stamp(folder: Path) -> object:
    try:
        current, history = (folder / CURRENT).stat(), (folder / HISTORY).stat()
    except OSError:
        return None
    return current.st_mtime_ns, current.st_size, history.st_mtime_ns


def _load(folder: Path) -> tuple[list[CollectionManifest], bytes | None]:
    manifests = []
    for path in sorted((folder / HISTORY).glob("*.json")):
        try:
            manifests.append(SignedCollection.model_validate(loads_unique(path.read_bytes())))
        except (OSError, ValueError, ValidationError) as e:
            log.warning("collection history file %s skipped: %s", path.name, e)
    try:
        current: bytes | None = (folder / CURRENT).read_bytes()
    except OSError:
        current = None
    signed = sorted((m.signed for m in manifests), key=lambda m: m.version)
    return signed, current


def _approved(manifests: list[CollectionManifest], start: date) -> Approved:
    end = start + timedelta(days=7)
    out: set[tuple[str, str, str]] = set()
    for i, manifest in enumerate(manifests):
        following = manifests[i + 1].issued if i + 1 < len(manifests) else manifest.expires
        until = min(manifest.expires, following)
        if not (manifest.issued < end and until > start):
            continue
        for plugin, approved in manifest.plugins.items():
            for name, counter in approved.counters.items():
                if counter.expires > start:
                    out.update((plugin, name, label) for label in counter.labels or ("",))
    return frozenset(out)
