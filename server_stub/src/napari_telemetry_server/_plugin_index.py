"""The public plugin index file the operator refreshes; middle records outside it are dropped."""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from napari_telemetry.schema import Batch, PluginRecord

log = logging.getLogger(__name__)


def normalize(name: str) -> str:
    """PEP 503 normalized distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def is_stable(version: str) -> bool:
    """Whether *version* is a final release (no pre, dev or local part)."""
    try:
        parsed = Version(version)
    except InvalidVersion:
        return False
    return not (parsed.is_prerelease or parsed.is_devrelease or parsed.local)


def _parse(data: Any) -> dict[str, set[str] | None]:
    if not isinstance(data, list):
        raise ValueError(f"expected a list of plugins, got {type(data).__name__!r}")
    index: dict[str, set[str] | None] = {}
    for entry in data:
        name = (
            entry.get("normalized_name") or entry.get("name") if isinstance(entry, dict) else None
        )
        if isinstance(name, str):
            versions = entry.get("pypi_versions")
            listed = {str(v) for v in versions} if isinstance(versions, list) else None
            index[normalize(name)] = listed
    return index


class PluginIndex:
    """Reads the index file again whenever it changes; without a file, keeps no plugin record."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | bool | None = False  # False: never looked
        self._index: dict[str, set[str] | None] = {}

    def allows(self, record: PluginRecord) -> bool:
        """Whether *record* names a listed plugin at a listed, stable version."""
        listed = self._index.get(normalize(record.name), set())
        return is_stable(record.version) and (listed is None or record.version in listed)

    def filter(self, batch: Batch) -> Batch:
        """*batch* without the plugin records the public index does not allow."""
        if batch.level != "middle":
            return batch
        self._refresh()
        kept = [r for r in batch.records if isinstance(r, PluginRecord) and self.allows(r)]
        return (
            batch
            if len(kept) == len(batch.records)
            else batch.model_copy(update={"records": kept})
        )

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
            self._index = self._load() if stamp else {}
            if not stamp:
                log.warning("no public plugin index file: middle-level plugin records are dropped")

    def _load(self) -> dict[str, set[str] | None]:
        try:
            index = _parse(json.loads(self.path.read_bytes()))
        except (OSError, ValueError) as e:
            log.warning("public plugin index unreadable (%s); keeping the previous one", e)
            return self._index
        log.info("public plugin index loaded: %d plugins", len(index))
        return index
