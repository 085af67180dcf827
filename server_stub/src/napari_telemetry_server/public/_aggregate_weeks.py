"""Quarters, calendars, Grafana's time column and rolling means over weekly series (pure).

ISO-week arithmetic itself is the wire schema's (``napari_telemetry.schema``), shared with the
client and the ingest window.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta

from napari_telemetry.schema import iso_week, week_start

WINDOWS = (4, 13, 52)
_QUARTER_RE = re.compile(r"^([0-9]{4})-Q([1-4])$")


def week_start_unix(week: str) -> int:
    """Monday 00:00 UTC of *week* in unix seconds (the time column Grafana reads)."""
    monday = week_start(week)
    return int(datetime(monday.year, monday.month, monday.day, tzinfo=UTC).timestamp())


def quarter_weeks(period: str) -> list[str]:
    """The ISO weeks of a quarter such as ``2026-Q4``: those whose Thursday falls in it.

    Thursday decides, as it does for the ISO year, so every week belongs to exactly one quarter.
    """
    match = _QUARTER_RE.match(period)
    if match is None:
        raise ValueError(f"period {period!r} is not a quarter such as 2026-Q4")
    year, quarter = int(match[1]), int(match[2])
    first = date(year, 3 * quarter - 2, 1)
    end = date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1)
    thursday = first + timedelta(days=(3 - first.weekday()) % 7)
    weeks = []
    while thursday < end:
        weeks.append(iso_week(thursday))
        thursday += timedelta(weeks=1)
    return weeks


def quarter_of(week: str) -> str:
    """The quarter an ISO week belongs to (by its Thursday): ``2026-W40`` → ``2026-Q4``."""
    thursday = week_start(week) + timedelta(days=3)
    return f"{thursday.year}-Q{(thursday.month - 1) // 3 + 1}"


def week_end(week: str) -> date:
    """The Monday after *week* (the first day it is over)."""
    return week_start(week) + timedelta(weeks=1)


def calendar(first: str, last: str) -> list[str]:
    """Every ISO week from *first* to *last*, both included (empty when *last* is earlier)."""
    monday, end = week_start(first), week_start(last)
    weeks = []
    while monday <= end:
        weeks.append(iso_week(monday))
        monday += timedelta(weeks=1)
    return weeks


def rolling_means(
    series: Mapping[str, int],
    weeks: Iterable[str],
    start: str,
    windows: Iterable[int] = WINDOWS,
) -> list[tuple[str, int, float, int]]:
    """Rolling means as (week, window, mean, weeks_covered) for every week of *weeks*.

    The window is the *window* calendar weeks ending at that week, from *start* (the release
    calendar's first week) on: what a mean covers is a matter of dates, never of the data. A
    calendar week missing from *series* (not released, or below threshold) counts as 0, so the
    mean is a lower bound; and a mean only looks back, so later weeks never change it.
    """
    wanted = sorted(set(weeks), key=week_start)
    if not wanted:
        return []
    days = calendar(start, wanted[-1])
    index = {week: i for i, week in enumerate(days)}
    prefix = [0]
    for week in days:
        prefix.append(prefix[-1] + series.get(week, 0))
    out = []
    for week in wanted:
        i = index[week]
        for window in windows:
            first = max(0, i + 1 - window)
            covered = i + 1 - first
            out.append(
                (week, window, round((prefix[i + 1] - prefix[first]) / covered, 2), covered)
            )
    return out
