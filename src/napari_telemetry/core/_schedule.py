"""When pending data leaves this computer: the next send, as the status bar says it.

The uploader sends a level's finished days at its next check (shortly after napari starts, then
at most every 10 minutes while napari records), at most once an hour per level and later while
it backs off after a failure; today's records wait until the day is over. This module reads
that state and says what will happen; it changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from napari_telemetry.schema import Level

from . import _consent, _switches, _upload_state
from ._store import get_recorder, pending_files

_NEXT_CHECK = "at the next check (shortly after napari starts, or while it is in use)"


@dataclass(frozen=True)
class NextSend:
    """The next send of pending data, or why there is none."""

    planned: bool  # False: nothing waits, or nothing will leave
    after: datetime | None  # not before this (UTC); None: at the uploader's next check
    why: str

    def text(self) -> str:
        """One line for a user, in local time: ``after 2026-12-04 00:00 (…)``."""
        if not self.planned:
            return f"none ({self.why})"
        if self.after is None:
            return self.why
        return f"after {self.after.astimezone():%Y-%m-%d %H:%M} ({self.why})"


def next_send(now: datetime | None = None, today: date | None = None) -> NextSend:
    """The earliest send over this level's streams; reads the files, never raises OSError."""
    now = now or datetime.now(UTC)
    today = today or date.today()
    level = _consent.effective_level().level
    if level is Level.NONE:
        return NextSend(False, None, "telemetry is off")
    if _switches.debug():
        return NextSend(False, None, "NAPARI_TELEMETRY_DEBUG is set: nothing is sent")
    states = _upload_state.load()
    buffered = get_recorder().buffered_streams()
    sends = [_stream(lv, states[lv], now, today, lv in buffered) for lv in level.streams()]
    planned = [s for s in sends if s is not None]
    if not planned:
        return NextSend(False, None, "nothing is waiting")
    return min(planned, key=lambda s: s.after or now)


def _stream(
    level: Level, state: _upload_state.LevelState, now: datetime, today: date, buffered: bool
) -> NextSend | None:
    days = {_day(path.name) for path in _safe_files(level)} | ({today} if buffered else set())
    if not days or _switches.batches_url(level) is None:
        return None
    if None in days or min(d for d in days if d is not None) < today:  # finished, or sealed
        after, why = None, _NEXT_CHECK
    else:
        midnight = datetime.combine(today + timedelta(days=1), time.min).astimezone()
        after, why = midnight.astimezone(UTC), "today's records, once the day is over"
    blocked = state.blocked_until(now)
    if blocked is not None and (after is None or blocked > after):
        retry = "retried after a failed attempt" if state.failures else "at most once an hour"
        problem = state.problem()
        after, why = blocked, f"{level.value}: {retry}" + (f": {problem}" if problem else "")
    return NextSend(True, after, why)


def _day(name: str) -> date | None:
    """The day of an open file; None for a sealed one (``<day>~<batch_id>``, ready to send)."""
    return None if "~" in name else date.fromisoformat(name[:10])


def _safe_files(level: Level) -> list[Path]:
    try:
        return list(pending_files(level))
    except OSError:
        return []
