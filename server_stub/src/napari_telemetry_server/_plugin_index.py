"""The public plugin index file the operator refreshes; middle records outside it are dropped.

The rule and the file format are the client's own (``napari_telemetry._public_index``), so the
collector drops exactly what a well-behaved client would not have sent.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from datetime import date
from pathlib import Path

from napari_telemetry._public_index import PublicIndex, parse_summary
from napari_telemetry.schema import Batch, PluginRecord

log = logging.getLogger(__name__)
_EMPTY = PublicIndex(versions={}, fetched=date.min)  # nothing is public


class PluginIndex:
    """Reads the index file again whenever it changes; without a file, keeps no plugin record."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | bool | None = False  # False: never looked
        self._index = _EMPTY

    def allows(self, record: PluginRecord) -> bool:
        """Whether *record* names a listed plugin at a listed, stable version."""
        return self._index.is_public_stable(record.name, record.version)

    def filter(self, batch: Batch) -> Batch:
        """*batch* without the plugin records the public index does not allow."""
        if batch.level != "middle":
            return batch
        self._refresh()
        kept = [r for r in batch.records if isinstance(r, PluginRecord) and self.allows(r)]
        if len(kept) == len(batch.records):
            return batch
        return batch.model_copy(update={"records": kept})

    def _refresh(self) -> None:
        try:
            st = os.stat(self.path)
        except OSError:
            stamp = None
        else:
            stamp = (st.st_mtime_ns, st.st_size)
        with self._lock:
            if stamp == self._stamp:
                return
            self._stamp = stamp
            self._index = self._load() if stamp else _EMPTY
            if not stamp:
                log.warning("no public plugin index file: middle-level plugin records are dropped")

    def _load(self) -> PublicIndex:
        try:
            versions = parse_summary(json.loads(self.path.read_bytes()))
        except (OSError, ValueError) as e:
            log.warning("public plugin index unreadable (%s); keeping the previous one", e)
            return self._index
        log.info("public plugin index loaded: %d plugins", len(versions))
        return PublicIndex(versions=versions, fetched=date.today())
