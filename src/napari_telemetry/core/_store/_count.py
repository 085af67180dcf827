"""How much is pending: the records ``preview()`` would list now, counted without building them.

The status-bar indicator, the preview dock and ``napari-telemetry status`` all say how much
waits to be sent, and this is their one answer: the streams of the effective level, the weeks
the collector accepts, lines whose consent still holds, keys the schema accepts, merged by key
as a batch merges them, and the records this process still holds in memory.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from napari_telemetry.core import _consent
from napari_telemetry.schema import RECORD_LEVEL, Level

from . import _files, _pending
from ._batches import valid_key
from ._files import Key
from ._snapshot import reading, streams

_Keys = frozenset[tuple[str, tuple[object, ...]]]  # (rtype, key values)


@dataclass(frozen=True)
class Waiting:
    """One stream's pending records and the days they belong to."""

    level: Level
    records: int
    days: frozenset[date | None]  # None: a sealed day (finished, waiting for its send or retry)


@dataclass(frozen=True)
class Pending:
    """What waits to be sent, stream by stream."""

    streams: tuple[Waiting, ...] = ()

    @property
    def records(self) -> int:
        """Records waiting in all: the number the indicator and ``status`` show."""
        return sum(w.records for w in self.streams)


def pending(level: Level | None = None, today: date | None = None) -> Pending:
    """What ``preview(level)`` would list now, counted (*level* None: the effective level's)."""
    today = today or date.today()
    with reading() as memory:
        return Pending(tuple(_waiting(s, today, memory) for s in streams(level)))


def _waiting(stream: Level, today: date, memory: dict[Key, int]) -> Waiting:
    sendable = _verdicts(stream)
    in_memory = {
        (rtype, key)
        for token, rtype, key in memory
        if RECORD_LEVEL[rtype] is stream and sendable(token) and _valid(rtype, key)
    }
    open_today = _files.day_path(stream, today)
    total, days = 0, set()
    for path in _files.files(stream):
        if not _pending.in_window(path, today):
            continue  # never sent, so never pending
        keys = set().union(*(k for token, k in _keys(path).items() if sendable(token)))
        if path == open_today:
            keys |= in_memory
            in_memory = set()
        if keys:
            total += len(keys)
            days.add(None if "~" in path.name else date.fromisoformat(path.name[:10]))
    if in_memory:  # today's file is not written yet
        total += len(in_memory)
        days.add(today)
    return Waiting(stream, total, frozenset(days))


def _verdicts(stream: Level) -> Callable[[str], bool]:
    """Whether data of a consent token is sent in *stream* (each token judged once per count)."""
    return cache(lambda token: _consent.judge_token(token, stream) == "send")


def _keys(path: Path) -> dict[str, _Keys]:
    """The valid keys of one file by consent token; parsed again only when the file changed."""
    try:
        st = path.stat()
    except OSError:
        return {}
    stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
    with _lock:
        known = _parsed.get(path)
    if known is not None and known[0] == stamp:
        return known[1]
    by_token: dict[str, set[tuple[str, tuple[object, ...]]]] = {}
    for token, rtype, key in _files.read(path).entries:
        if _valid(rtype, key):
            by_token.setdefault(token, set()).add((rtype, key))
    keys = {token: frozenset(k) for token, k in by_token.items()}
    with _lock:
        if len(_parsed) > _MAX_FILES:
            _parsed.clear()
        _parsed[path] = (stamp, keys)
    return keys


def _valid(rtype: str, key: tuple[object, ...]) -> bool:
    """``valid_key``, remembered: a batch leaves out what it refuses, and so does the count."""
    found = _checked.get((rtype, key))
    if found is None:
        if len(_checked) > _MAX_KEYS:
            _checked.clear()
        found = _checked[(rtype, key)] = valid_key(rtype, key)
    return found


_MAX_FILES, _MAX_KEYS = 1_000, 100_000  # bounds of the caches (pending data is ~5 MB at most)
_parsed: dict[Path, tuple[tuple[int, int, int], dict[str, _Keys]]] = {}
_checked: dict[tuple[str, tuple[object, ...]], bool] = {}
_lock = threading.Lock()
