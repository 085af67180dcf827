"""What the user can see and delete: pending envelopes (preview) and copies of sent batches."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import date
from typing import Any

from napari_telemetry.core import _consent, _paths
from napari_telemetry.core._identity import SecretError
from napari_telemetry.core._state import state
from napari_telemetry.schema import RECORD_LEVEL, SENDING_LEVELS, Level

from . import _files, _pending
from ._batches import build
from ._files import DayFile, Key
from ._snapshot import reading, streams

log = logging.getLogger("napari_telemetry")


def preview_json(batches: list[dict[str, Any]]) -> str:
    """The text ``napari-telemetry preview --json`` prints for *batches* (and an export holds)."""
    return json.dumps(batches, indent=2, sort_keys=False)


def preview(level: Level | None = None) -> list[dict[str, Any]]:
    """The exact envelopes (JSON-ready dicts) that would be sent now, oldest first, with the
    records this process still holds in memory (in today's batch, as they will be written).

    *level* None means every stream of the effective level. Never raises; an unusable secret
    (no ids can be made) shows nothing.
    """
    out: list[dict[str, Any]] = []
    try:
        today = date.today()
        with reading() as memory:
            days = [day for stream in streams(level) for day in _days(stream, today, memory)]
        for day in days:
            out += build(day, _consent.judge_token).envelopes
    except (OSError, SecretError) as e:
        why = e.strerror if isinstance(e, OSError) else str(e)
        log.warning("cannot preview pending telemetry: %s", why or type(e).__name__)
    return out


def _days(stream: Level, today: date, memory: dict[Key, int]) -> list[DayFile]:
    """*stream*'s files the collector would accept, today's with what is still in memory."""
    mine = {key: n for key, n in memory.items() if RECORD_LEVEL[key[1]] is stream}
    open_today = _files.day_path(stream, today)
    days = []
    for path in _files.files(stream):
        if _pending.in_window(path, today):  # what is outside is never sent
            days.append(_files.read(path))
            if path == open_today:
                _add(days[-1], mine)
                mine = {}
    if mine:  # today's file is not written yet: its batch id is drawn when it is
        days.append(DayFile(open_today, str(uuid.uuid4()), dict(mine)))
    return days


def _add(day: DayFile, memory: dict[Key, int]) -> None:
    for key, n in memory.items():
        day.entries[key] = day.entries.get(key, 0) + n


def sent_copies(level: Level | None = None) -> list[dict[str, Any]]:
    """Copies of the batches that left this computer (kept 60 days), newest first."""
    levels = [level] if level is not None else list(SENDING_LEVELS)
    found = []
    for lv in levels:
        folder = _paths.sent_dir(lv.value)
        if folder.is_dir():
            found += list(folder.glob("*.json"))
    copies: list[tuple[float, dict[str, Any]]] = []
    for path in found:
        try:
            data = _paths.read_json(path)
            mtime = path.stat().st_mtime
        except (OSError, ValueError):
            continue
        if isinstance(data, dict):
            copies.append((mtime, data))
    copies.sort(key=lambda item: item[0], reverse=True)
    return [data for _, data in copies]


def delete_pending(level: Level | None = None, batch_key: str | None = None) -> None:
    """Delete pending data: all of it, one level's, or one batch (*batch_key* = its batch_id).

    A batch is deleted as the preview shows it: lines kept for another environment's plugin
    (not shown, not sendable from here) stay.
    """
    recorder = state.recorder
    if batch_key is None and recorder is not None:
        recorder.discard_buffer(level)
    spare = None if batch_key is None else _not_shown
    _pending.delete(level, batch_key, spare)
    notify()


def _not_shown(token: str) -> bool:
    return _consent.judge_token(token, Level.FULL) == "keep"


def pending_here() -> int:
    """Records this environment recorded and has not sent (on disk and in memory)."""
    recorder = state.recorder
    here = _paths.environment_key()
    on_disk = sum(
        1
        for path in _files.files()
        for token, _, _ in _files.read(path).entries
        if _consent.token_environment(token) == here
    )
    return on_disk + (recorder.buffered() if recorder is not None else 0)


def withdraw_pending(level: Level | None = None) -> None:
    """Delete what this environment recorded and has not sent (of *level*'s stream, or all).

    The data folder is shared by the user's environments; the others' data stays.
    """
    recorder = state.recorder
    if recorder is not None:
        recorder.discard_buffer(level)
    here = _paths.environment_key()
    _pending.delete(level, spare=lambda token: _consent.token_environment(token) != here)
    notify()


def notify() -> None:
    """Tell the views of this process that pending data changed (a send, a deletion)."""
    recorder = state.recorder
    if recorder is not None:
        recorder.notify()


def withdraw_counters(plugin: str) -> None:
    """Delete what this environment counted for *plugin* and has not sent (its switch is off)."""
    recorder = state.recorder
    if recorder is not None:
        recorder.discard("counter", lambda key: key[0] == plugin)
    here = _paths.environment_key()

    def gone(entry: _files.Key) -> bool:
        token, rtype, key = entry
        mine = _consent.token_environment(token) == here
        return mine and rtype == "counter" and bool(key) and key[0] == plugin

    _pending.delete_lines(Level.FULL, gone)
    notify()
