"""Pending JSON-lines files: one per level and day, merged under a lock shared by all processes.

A file is a header line ``{"batch_id": ...}`` (the id its batch will be sent with) followed by one
line per (consent token, record type, key): ``{"c": token, "t": rtype, "k": [...], "n": count}``.

The folder is shared by every environment of the user, and so by plugins of other versions: a
line that is a JSON object of a record type (or with keys) this plugin does not know was written
by a newer one. It is kept as it is, for that plugin to send, and never counted as corrupt.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from napari_telemetry.core import _paths
from napari_telemetry.schema import BATCH_ID_PATTERN, RECORD_LEVEL, SENDING_LEVELS, Level

log = logging.getLogger("napari_telemetry")
LOCK_TIMEOUT = 2.0
Key = tuple[str, str, tuple[object, ...]]  # (token, rtype, key values)
_SCALARS = (str, int, bool, type(None))


def lock(timeout: float | None = None) -> AbstractContextManager[None]:
    """The one lock every writer of pending data (and of the counters) holds.

    Raises ``_paths.LockTimeout`` (an OSError) when it is not granted in time, and
    ``_paths.LockUnavailable`` when the file system cannot lock at all.
    """
    root = _paths.pending_dir()
    root.mkdir(parents=True, exist_ok=True)
    return _paths.locked(root / ".lock", LOCK_TIMEOUT if timeout is None else timeout)


@dataclass
class DayFile:
    """The parsed content of one pending file."""

    path: Path
    batch_id: str
    entries: dict[Key, int] = field(default_factory=dict)
    corrupt: int = 0
    foreign: list[str] = field(default_factory=list)  # lines of another plugin version, verbatim

    @property
    def day(self) -> date:
        """The day the records were made (from the file name)."""
        return date.fromisoformat(self.path.name[:10])

    @property
    def level(self) -> Level:
        """The stream this file belongs to."""
        return Level(self.path.parent.name)


_FIELDS = frozenset("ctkn")


def _foreign(obj: object) -> bool:
    """A line of a newer plugin: an object with a record type or keys this one does not know."""
    if not isinstance(obj, dict) or not isinstance(obj.get("t"), str):
        return False
    return obj["t"] not in RECORD_LEVEL or not set(obj) <= _FIELDS


def _entry(obj: object) -> tuple[Key, int] | None:
    if not isinstance(obj, dict):
        return None
    c, t, k, n = obj.get("c"), obj.get("t"), obj.get("k"), obj.get("n")
    if not (isinstance(c, str) and isinstance(t, str) and t in RECORD_LEVEL):
        return None
    if not (isinstance(k, list) and all(isinstance(v, _SCALARS) for v in k)):
        return None
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        return None
    return (c, t, tuple(k)), n


def read(path: Path) -> DayFile:
    """Parse a pending file; corrupt or truncated lines are skipped and counted."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        text = ""
    out = DayFile(path, batch_id="")
    for i, line in enumerate(text.splitlines()):
        try:
            obj = json.loads(line)
        except ValueError:
            out.corrupt += 1
            continue
        if i == 0 and isinstance(obj, dict) and _is_uuid4(obj.get("batch_id")):
            out.batch_id = obj["batch_id"]
            continue
        parsed = None if _foreign(obj) else _entry(obj)
        if parsed is not None:
            out.entries[parsed[0]] = out.entries.get(parsed[0], 0) + parsed[1]
        elif _foreign(obj):
            out.foreign.append(line)
        else:
            out.corrupt += 1
    out.batch_id = out.batch_id or str(uuid.uuid4())
    return out


def _is_uuid4(value: object) -> bool:
    # The wire's one spelling: a header another tool wrote in capitals would never be sent.
    return isinstance(value, str) and re.match(BATCH_ID_PATTERN, value) is not None


def write(day: DayFile) -> None:
    """Replace a pending file atomically with its merged content."""
    lines = [json.dumps({"batch_id": day.batch_id})]
    for (c, t, k), n in sorted(day.entries.items(), key=lambda kv: repr(kv[0])):
        lines.append(json.dumps({"c": c, "t": t, "k": list(k), "n": n}, separators=(",", ":")))
    lines += day.foreign
    _paths.write_atomic(day.path, ("\n".join(lines) + "\n").encode())


def day_path(level: Level, day: date) -> Path:
    """The open (still growing) file of *level* for *day*.

    Something else in its place (a folder) is stepped around, never deleted: the day goes on in
    ``<day>.1.jsonl`` (and so on).
    """
    folder = _paths.pending_dir(level.value)
    path = folder / f"{day.isoformat()}.jsonl"
    for n in range(1, 10):
        if path.is_file() or not path.exists():
            break
        path = folder / f"{day.isoformat()}.{n}.jsonl"
    return path


def files(level: Level | None = None) -> Iterator[Path]:
    """Every pending file, oldest day first (open and sealed ones)."""
    levels = [level] if level else list(SENDING_LEVELS)
    found: list[Path] = []
    for lv in levels:
        folder = _paths.pending_dir(lv.value)
        if folder.is_dir():
            found += [p for p in folder.glob("*.jsonl") if _named_by_day(p) and p.is_file()]
    yield from sorted(found, key=lambda p: (p.name, p.parent.name))


STALE_TEMP = 600.0  # seconds: a temporary file lives for a write; older, its writer died


def sweep(level: Level) -> None:
    """Delete temporary files that a process killed while writing left behind."""
    cutoff = time.time() - STALE_TEMP
    for path in _paths.pending_dir(level.value).glob(".*.tmp"):
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < cutoff:
                path.unlink()


def _named_by_day(path: Path) -> bool:
    try:
        date.fromisoformat(path.name[:10])
    except ValueError:
        return False
    return True
