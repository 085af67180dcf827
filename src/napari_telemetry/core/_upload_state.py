"""The uploader's small state file: last attempt, next allowed attempt and failures per level."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from napari_telemetry.schema import Level

from . import _paths

HOUR = timedelta(hours=1)
WEEK = timedelta(weeks=1)
# What a failure is called where space is short (the status bar): TransportError.kind, or http.
SHORT = {
    "certificate": "the collector's certificate is not trusted by this computer",
    "tls": "the secure connection failed",
    "proxy": "the proxy failed",
    "timeout": "no answer in time",
    "connection": "the collector could not be reached",
    "http": "the collector answered with an error",
}


@dataclass
class LevelState:
    """Upload bookkeeping of one level's stream."""

    last: datetime | None = None
    next: datetime | None = None
    failures: int = 0
    error: str | None = None  # why the last attempt failed, in a user's words (no host names)
    kind: str | None = None  # its kind (SHORT's keys)
    failing_since: datetime | None = None  # the first failure since the last success

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

    def failed(
        self, now: datetime, retry_after: float | None, error: str = "", kind: str = "http"
    ) -> None:
        """Back off exponentially from an hour to a week, honouring Retry-After."""
        self.failures += 1
        self.error, self.kind = error or None, kind if error else None
        self.failing_since = self.failing_since or now
        delay = HOUR * 2 ** min(self.failures - 1, 8)
        if retry_after is not None:  # capped first: a huge value overflows timedelta
            delay = max(delay, timedelta(seconds=min(retry_after, WEEK.total_seconds())))
        self.next = now + min(delay, WEEK)

    def succeeded(self) -> None:
        """Reset the backoff and forget the failure."""
        self.failures, self.next = 0, None
        self.error = self.kind = self.failing_since = None

    def problem(self) -> str | None:
        """The last failure in a few words (the status bar), or None."""
        return SHORT.get(self.kind or "", self.error) if self.error else None


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
        error, kind = raw.get("error"), raw.get("kind")
        states[level] = LevelState(
            last=_time(raw.get("last")),
            next=_time(raw.get("next")),
            failures=failures if isinstance(failures, int) and failures >= 0 else 0,
            error=error if isinstance(error, str) else None,
            kind=kind if kind in SHORT else None,
            failing_since=_time(raw.get("failing_since")),
        )
    return states


def save(states: dict[Level, LevelState]) -> None:
    """Write the state atomically."""
    levels = {
        level.value: {
            "last": s.last.isoformat() if s.last else None,
            "next": s.next.isoformat() if s.next else None,
            "failures": s.failures,
            "error": s.error,
            "kind": s.kind,
            "failing_since": s.failing_since.isoformat() if s.failing_since else None,
        }
        for level, s in states.items()
    }
    _paths.write_json(_paths.uploader_state_file(), {"version": 1, "levels": levels})
