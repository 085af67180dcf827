"""ISO weeks, and which weeks the collector accepts: one rule for the client and the collector.

The collector accepts a batch only for a week from the oldest week still inside raw retention to
the current ISO week by its own clock, with a day's allowance for a clock that runs ahead. The
client drops pending data outside the same window instead of retrying it for ever.

A week is *inside raw retention* on day T while every one of its days is at most
``RAW_RETENTION_DAYS`` old: its Monday is on or after T − 60 days. That is also when the aggregate
still has the week's raw data complete, and it keeps every accepted week inside the weeks
``napari-telemetry ids`` lists, so one deletion request covers all of a user's raw data.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from enum import StrEnum

RAW_RETENTION_DAYS = 60
CLOCK_SKEW = timedelta(days=1)
WEEK_PATTERN = r"^[0-9]{4}-W(0[1-9]|[1-4][0-9]|5[0-3])$"
_WEEK = re.compile(WEEK_PATTERN)


class WeekProblem(StrEnum):
    """Why a week is refused (the ``type`` of the collector's 422 issue)."""

    NOT_IN_CALENDAR = "week_not_in_calendar"
    FUTURE = "week_in_future"
    EXPIRED = "week_before_retention"


class WeekRefused(ValueError):
    """A week outside the window; ``problem`` says which way, the message says why."""

    def __init__(self, problem: WeekProblem, message: str) -> None:
        super().__init__(message)
        self.problem = problem


def iso_week(day: date) -> str:
    """The ISO week of *day*, e.g. ``2026-W48``."""
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def week_start(week: str) -> date:
    """Monday of *week*; ValueError for a malformed week or one the calendar lacks (2025-W53)."""
    if not isinstance(week, str) or not _WEEK.match(week):
        raise ValueError(f"{week!r} is not an ISO week such as 2026-W48")
    year, num = week.split("-W")
    try:
        return date.fromisocalendar(int(year), int(num), 1)
    except ValueError as e:
        raise ValueError(f"{week!r} is not a week of the calendar") from e


def shift_week(week: str, weeks: int) -> str:
    """The ISO week *weeks* after (before, if negative) *week*."""
    return iso_week(week_start(week) + timedelta(weeks=weeks))


def oldest_week(today: date) -> str:
    """The oldest week inside raw retention on *today*: the first whose Monday is ≥ T − 60 d."""
    cutoff = today - timedelta(days=RAW_RETENTION_DAYS)
    return iso_week(cutoff + timedelta(days=(7 - cutoff.weekday()) % 7))


def newest_week(today: date) -> str:
    """The newest week accepted on *today*: the current one, or next week on a Sunday (skew)."""
    return iso_week(today + CLOCK_SKEW)


def check_week(week: str, today: date) -> None:
    """Raise WeekRefused unless *week* lies in the window of *today* (edges included)."""
    try:
        monday = week_start(week)
    except ValueError as e:
        raise WeekRefused(WeekProblem.NOT_IN_CALENDAR, str(e)) from e
    first, last = oldest_week(today), newest_week(today)
    window = f"the collector accepts {first} to {last} today"
    if monday > week_start(last):
        raise WeekRefused(WeekProblem.FUTURE, f"week {week} is in the future: {window}")
    if monday < week_start(first):
        raise WeekRefused(
            WeekProblem.EXPIRED,
            f"week {week} is past the {RAW_RETENTION_DAYS}-day raw retention: {window}",
        )


def week_accepted(week: str, today: date) -> bool:
    """Whether *week* lies in the window of *today* (see ``check_week``)."""
    try:
        check_week(week, today)
    except WeekRefused:
        return False
    return True
