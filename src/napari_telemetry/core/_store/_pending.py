"""Operations on pending data, each under the shared lock: merge, bound, seal, delete."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date
from pathlib import Path

from napari_telemetry.core import _paths
from napari_telemetry.schema import RECORD_LEVEL, Level, iso_week, week_accepted

from . import _files, _stats
from ._files import DayFile, Key

log = logging.getLogger("napari_telemetry")
MAX_PENDING_BYTES = 5_000_000


def merge(day: date, entries: dict[Key, int]) -> None:
    """Add buffered counts to the day's files (and keep pending data within its bound)."""
    by_level: dict[Level, dict[Key, int]] = {}
    for key, n in entries.items():
        by_level.setdefault(RECORD_LEVEL[key[1]], {})[key] = n
    with _files.lock():
        corrupt = 0
        for level, counts in by_level.items():
            current = _files.read(_files.day_path(level, day))
            corrupt += current.corrupt
            for key, n in counts.items():
                current.entries[key] = current.entries.get(key, 0) + n
            _files.write(current)
        dropped = _enforce_bound()
        _stats.bump(corrupt_lines=corrupt, dropped_oldest=dropped)


def _enforce_bound() -> int:
    """Drop the oldest files until pending data fits its limit; return records dropped."""
    paths = list(_files.files())
    sizes = {p: _size(p) for p in paths}
    total, dropped = sum(sizes.values()), 0
    for path in paths[:-1]:  # never the newest: it holds what was just recorded
        if total <= MAX_PENDING_BYTES:
            break
        dropped += len(_files.read(path).entries)
        path.unlink(missing_ok=True)
        total -= sizes[path]
    if dropped:
        log.info("pending telemetry over its size limit: %d oldest records dropped", dropped)
    return dropped


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def seal(level: Level, *, include_today: bool, today: date) -> list[DayFile]:
    """Freeze the finished days' files of *level* (all open ones with *include_today*).

    A sealed file is renamed ``<day>~<batch_id>.jsonl`` so that new records start a new file,
    and a retry sends the same batch id again.
    """
    sealed: list[DayFile] = []
    with _files.lock():
        _files.sweep(level)
        for path in _files.files(level):
            day = _files.read(path)
            # include_today also takes days "after" today: the clock went back
            if "~" not in path.name and (include_today or day.day < today):
                target = path.with_name(f"{path.name[:10]}~{day.batch_id}.jsonl")
                day.path = target
                _files.write(day)
                path.unlink(missing_ok=True)
                _stats.bump(corrupt_lines=day.corrupt)
                day.corrupt = 0
            if "~" in day.path.name:
                sealed.append(day)
    return sealed


def due(level: Level, *, include_today: bool, today: date) -> list[DayFile]:
    """The files :func:`seal` would hand out now, read without changing anything."""
    with _files.lock():
        days = [_files.read(path) for path in _files.files(level)]
    ready = [d for d in days if "~" in d.path.name or include_today or d.day < today]
    return [d for d in ready if in_window(d.path, today)]  # the rest is dropped, not sent


def in_window(path: Path, today: date) -> bool:
    """Whether the collector accepts the week of the pending file *path* on *today*."""
    return week_accepted(iso_week(date.fromisoformat(path.name[:10])), today)


def drop_outside_window(level: Level, today: date) -> int:
    """Delete *level*'s files whose week the collector refuses; return the records dropped.

    Retrying them would be refused for ever (too old), or until the calendar catches up with a
    clock that was set ahead; either way they are dropped and counted, never sent.
    """
    dropped = 0
    with _files.lock():
        for path in list(_files.files(level)):
            if not in_window(path, today):
                dropped += len(_files.read(path).entries)
                path.unlink(missing_ok=True)
        _stats.bump(outside_window=dropped)
    if dropped:
        log.info("%d pending %s records dropped: outside the week window", dropped, level.value)
    return dropped


def finish(day: DayFile, keep: set[Key]) -> None:
    """After a sealed file was sent (or refused): drop what went, keep the rest for its plugin.

    What stays (lines for other environments' plugins, record types of newer plugins) gets a new
    batch id: that plugin's batch must not pass for a retry of the one just sent.
    """
    with _files.lock():
        current = _files.read(day.path)  # re-read: another environment may have withdrawn lines
        done = set(day.entries) - keep
        left = {k: n for k, n in current.entries.items() if k not in done}
        if not left and not current.foreign:
            day.path.unlink(missing_ok=True)
        elif len(left) < len(current.entries):
            batch_id = str(uuid.uuid4())
            rest = _files.DayFile(day.path.with_name(f"{day.path.name[:10]}~{batch_id}.jsonl"),
                                  batch_id, left, foreign=current.foreign)  # fmt: skip
            _files.write(rest)
            day.path.unlink(missing_ok=True)


Spare = Callable[[str], bool]  # a consent token whose lines stay


def delete(
    level: Level | None = None, batch_key: str | None = None, spare: Spare | None = None
) -> int:
    """Delete pending files of *level* (all levels if None), or the batch *batch_key*.

    With *spare*, lines instead of files: those whose token *spare* keeps stay, and so do lines
    of newer plugins. Returns how many files changed.
    """
    changed = 0
    try:
        with _files.lock():
            for path in list(_files.files(level)):
                day = _files.read(path)
                if batch_key is None or day.batch_id == batch_key:
                    keep = (lambda key: spare(key[0])) if spare else None
                    changed += _thin(day, keep) if keep else _unlink(path)
    except OSError as e:
        log.warning("could not delete pending telemetry: %s", type(e).__name__)
    return changed


def _unlink(path: Path) -> int:
    path.unlink(missing_ok=True)
    return 1


def delete_lines(level: Level, gone: Callable[[Key], bool]) -> int:
    """Delete the lines of *level*'s pending files whose key *gone* accepts (any consent).

    Returns how many files changed; lines of newer plugins stay.
    """
    try:
        with _files.lock():
            days = [_files.read(path) for path in list(_files.files(level))]
            return sum(_thin(day, lambda key: not gone(key)) for day in days)
    except OSError as e:
        log.warning("could not delete pending telemetry: %s", type(e).__name__)
        return 0


def _thin(day: DayFile, keep: Callable[[Key], bool]) -> int:
    """Drop the lines of *day* that *keep* does not keep (0: none were)."""
    left = {k: n for k, n in day.entries.items() if keep(k)}
    if not (left or day.foreign):
        return _unlink(day.path)
    if len(left) == len(day.entries):
        return 0
    day.entries = left
    _files.write(day)
    return 1


def locked() -> AbstractContextManager[None]:
    """The pending lock, for callers outside the store that bump counters."""
    return _files.lock()


def storage_problem() -> str | None:
    """Why pending data cannot be written here now (lock or folder), or None when it can.

    Looks only where something was recorded: a folder never used is no problem.
    """
    if not _paths.pending_dir().is_dir():
        return None
    try:
        with _files.lock():
            pass
    except _paths.LockTimeout:
        return (
            f"the data folder's lock was not granted within {_files.LOCK_TIMEOUT:g} s "
            "(a file system whose locks do not work, or a process that hangs while writing)"
        )
    except OSError as e:
        return f"the data folder cannot be written ({e.strerror or type(e).__name__})"
    return None
