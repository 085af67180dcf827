"""When pending data leaves this computer: the next send, as the status bar says it.

The uploader sends a level's finished days at its next check (shortly after napari starts, then
at most every 10 minutes while napari records), at most once an hour per level and later while
it backs off after a failure; today's records wait until the day is over. This module reads
that state and says what will happen; it changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from napari_telemetry.schema import Level

from . import _consent, _switches, _upload_state
from ._store import Pending, Waiting, pending

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


def next_send(
    now: datetime | None = None, today: date | None = None, waiting: Pending | None = None
) -> NextSend:
    """The earliest send over the streams of what is pending (*waiting*: the store's count,
    read now if not given, so that the words and the number come from one look)."""
    now = now or datetime.now(UTC)
    today = today or date.today()
    level = _consent.effective_level().level
    if level is Level.NONE:
        return NextSend(False, None, "telemetry is off")
    if _switches.debug():
        return NextSend(False, None, "NAPARI_TELEMETRY_DEBUG is set: nothing is sent")
    waiting = waiting if waiting is not None else pending(today=today)
    states = _upload_state.load()
    sends = [_stream(w, states[w.level], now, today) for w in waiting.streams if w.records]
    planned = [s for s in sends if s is not None]
    if not planned:
        return NextSend(False, None, "nothing is waiting")
    return min(planned, key=lambda s: s.after or now)


def _stream(
    waiting: Waiting, state: _upload_state.LevelState, now: datetime, today: date
) -> NextSend | None:
    level, days = waiting.level, waiting.days
    if _switches.batches_url(level) is None:
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
