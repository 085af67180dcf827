"""The uploader's small state file: last attempt, next allowed attempt and failures per level."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from napari_telemetry.schema import Level

from . import _paths

HOUR = timedelta(hours=1)
WEEK = timedelta(weeks=1)


@dataclass
class LevelState:
    """Upload bookkeeping of one level's stream."""

    last: datetime | None = None
    next: datetime | None = None
    failures: int = 0

    def blocked_until(self, now: datetime) -> datetime | None:
        """When the next attempt is allowed, or None if it is allowed now.

        A time in the future beyond any backoff means the clock went back: allowed.
        """
        waits = []
        if self.last is not None and self.last <= now < self.last + HOUR:
            waits.append(self.last + HOUR)
        if self.next is not None and now < self.next <= now + WEEK:
            waits.append(self.next)
        return max(waits) if waits else None

    def failed(self, now: datetime, retry_after: float | None) -> None:
        """Back off exponentially from an hour to a week, honouring Retry-After."""
        self.failures += 1
        delay = HOUR * 2 ** min(self.failures - 1, 8)
        if retry_after is not None:  # capped first: a huge value overflows timedelta
            delay = max(delay, timedelta(seconds=min(retry_after, WEEK.total_seconds())))
        self.next = now + min(delay, WEEK)

    def succeeded(self) -> None:
        """Reset the backoff."""
        self.failures, self.next = 0, None


def _time(value: object) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
    return parsed if parsed is None or parsed.tzinfo is not None else None


def load() -> dict[Level, LevelState]:
    """Every level's state; an unreadable file starts afresh (logged)."""
    data = _paths.read_state(_paths.uploader_state_file(), what="uploader state")
    levels = data.get("levels", {})
    states: dict[Level, LevelState] = {}
    for level in (Level.BASIC, Level.MIDDLE, Level.FULL):
        raw = levels.get(level.value, {}) if isinstance(levels, dict) else {}
        raw = raw if isinstance(raw, dict) else {}
        failures = raw.get("failures", 0)
        states[level] = LevelState(
            last=_time(raw.get("last")),
            next=_time(raw.get("next")),
            failures=failures if isinstance(failures, int) and failures >= 0 else 0,
        )
    return states


def save(states: dict[Level, LevelState]) -> None:
    """Write the state atomically."""
    levels = {
        level.value: {
            "last": s.last.isoformat() if s.last else None,
            "next": s.next.isoformat() if s.next else None,
            "failures": s.failures,
        }
        for level, s in states.items()
    }
    _paths.write_json(_paths.uploader_state_file(), {"version": 1, "levels": levels})
