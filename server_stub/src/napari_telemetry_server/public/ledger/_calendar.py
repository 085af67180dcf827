"""The release calendar: which periods are due, decided by the ledger and the date alone.

From the calendar's first week on, every ISO week is released once it has ended and its grace
period is over, with data or without (an empty week is a release of noisy zeros like any other),
while its raw data is still complete. A quarter is released once its last week's grace is over,
over the weeks of it the ledger released. Whether a batch exists for a week decides nothing.

A quarter's weeks and its own release are counted under one set of settings: those in force
when its first week was released. A change of settings takes effect at the first week of the
next quarter none of whose weeks has been released yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from napari_telemetry.schema import RAW_RETENTION_DAYS, iso_week, week_start
from napari_telemetry_server.public._aggregate_weeks import (
    calendar,
    quarter_of,
    quarter_weeks,
    week_end,
)
from napari_telemetry_server.public._release_config import ReleaseSettings
from napari_telemetry_server.storage import Period


def releasable(week: str, today: date, grace_days: int) -> bool:
    """Whether *week* has ended and its grace period for late uploads is over."""
    return today >= week_end(week) + timedelta(days=grace_days)


def complete(week: str, today: date) -> bool:
    """Whether no batch of *week* can have been purged yet (one day of clock skew allowed)."""
    return week_start(week) - timedelta(days=1) >= today - timedelta(days=RAW_RETENTION_DAYS)


def pinned(periods: Sequence[Period], quarter: str) -> ReleaseSettings | None:
    """The settings of the first released week of *quarter*, which its other weeks keep."""
    weeks = [p for p in periods if p.kind == "week" and quarter_of(p.period) == quarter]
    if not weeks:
        return None
    first = min(weeks, key=lambda p: week_start(p.period))
    return ReleaseSettings.of(first.document)


@dataclass
class Due:
    """The weeks of the calendar that are due now, and those that are not."""

    weeks: list[tuple[str, ReleaseSettings]] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)  # current week, or inside the grace
    missed: list[str] = field(default_factory=list)  # raw data partly past retention


def due_weeks(
    periods: Sequence[Period],
    first_week: str,
    today: date,
    current: ReleaseSettings,
    assume_complete: bool = False,
) -> Due:
    """The calendar's weeks from *first_week* up to today's that the ledger does not hold."""
    done = {p.period for p in periods}
    pins: dict[str, ReleaseSettings] = {}
    due = Due()
    for week in calendar(first_week, iso_week(today)):
        if week in done:
            continue
        quarter = quarter_of(week)
        settings = pins.get(quarter) or pinned(periods, quarter) or current
        if not releasable(week, today, settings.grace_days):
            due.waiting.append(week)
        elif assume_complete or complete(week, today):
            pins.setdefault(quarter, settings)
            due.weeks.append((week, settings))
        else:
            due.missed.append(week)
    return due


def due_quarters(
    periods: Sequence[Period], waiting: set[str], today: date
) -> tuple[list[tuple[str, ReleaseSettings]], list[str]]:
    """Quarters with partials (*waiting*) to release now, and those never to be released.

    A quarter is due once its last week's grace is over (all its weeks are then released or
    missed); one released already, or whose settings turn the window off, is never due.
    """
    done = {p.period for p in periods}
    due, never = [], []
    for quarter in sorted(waiting):
        settings = pinned(periods, quarter)
        if quarter in done or settings is None or settings.window == "none":
            never.append(quarter)
        elif releasable(quarter_weeks(quarter)[-1], today, settings.grace_days):
            due.append((quarter, settings))
    return due, never


def settings_note(periods: Sequence[Period], today: date, current: ReleaseSettings) -> str | None:
    """A sentence when today's settings differ from those the current quarter keeps."""
    quarter = quarter_of(iso_week(today))
    kept = pinned(periods, quarter)
    if kept is None or kept.stated() == current.stated():
        return None
    weeks = quarter_weeks(quarter)
    nxt = quarter_of(iso_week(week_end(weeks[-1])))
    return (
        f"the release settings changed: {quarter} keeps those of its first released week; "
        f"the new ones take effect in {nxt} (from {quarter_weeks(nxt)[0]})"
    )
