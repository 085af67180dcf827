"""The public plugin index file the operator refreshes: nothing outside it is named in storage.

Middle-level plugin records outside it are dropped; at full level, commands of plugins outside
it are dropped and data types of modules that are neither public array libraries nor public
plugins become ``other.Other``. The rules and the file format are the client's own
(``napari_telemetry.schema``), so the collector drops
exactly what a well-behaved client would not have sent, whatever an older one sends.
"""

from __future__ import annotations

import json
import logging
import operator
import os
import threading
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from napari_telemetry.schema import (
    Batch,
    CommandRecord,
    IsPublic,
    LayerRecord,
    PluginRecord,
    PublicIndex,
    command_owner,
    parse_summary,
    public_data_type,
)

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
        """*batch* without the records, or names, that the public index does not allow."""
        if batch.level == "basic":
            return batch
        self._refresh()
        if batch.level == "middle":
            kept: list[Any] = [
                r for r in batch.records if isinstance(r, PluginRecord) and self.allows(r)
            ]
        else:
            kept = public_full_records(batch.records, self._index.is_public)
        if len(kept) == len(batch.records) and all(map(operator.is_, kept, batch.records)):
            return batch  # nothing dropped or renamed: the batch as validated
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
                log.warning("no public plugin index file: no plugin is named in what is stored")

    def _load(self) -> PublicIndex:
        try:
            versions = parse_summary(json.loads(self.path.read_bytes()))
        except (OSError, ValueError) as e:
            log.warning("public plugin index unreadable (%s); keeping the previous one", e)
            return self._index
        log.info("public plugin index loaded: %d plugins", len(versions))
        return PublicIndex(versions=versions, fetched=date.today())


def public_full_records(records: Iterable[object], is_public: IsPublic) -> list[Any]:
    """Full-level *records* as a well-behaved client sends them: nothing private named.

    A command is kept only when its owner is napari or a public plugin and is the owner its id
    says; a data type outside the public libraries and plugins becomes ``other.Other``.
    """
    kept: list[Any] = []
    for record in records:
        if isinstance(record, CommandRecord):
            if command_owner(record.command_id, is_public) == record.plugin:
                kept.append(record)
        elif isinstance(record, LayerRecord):
            kind = public_data_type(record.data_type, is_public)
            same = kind == record.data_type
            kept.append(record if same else record.model_copy(update={"data_type": kind}))
        else:  # a plugin's counter: the collection manifest judges it (``collection``)
            kept.append(record)
    return kept
