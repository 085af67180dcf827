"""Quarters, Grafana's time column and rolling means over weekly series (pure functions).

ISO-week arithmetic itself is the wire schema's (``napari_telemetry.schema``), shared with the
client and the ingest window.
"""

from __future__ import annotations

import re
from bisect import bisect_left
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


def rolling_means(
    series: Mapping[str, int], known_weeks: Iterable[str], windows: Iterable[int] = WINDOWS
) -> list[tuple[str, int, float, int]]:
    """Rolling means as (week, window, mean, weeks_covered) for every week in *known_weeks*.

    The window is the *window* ISO weeks ending at that week; only weeks the aggregate database
    knows count, and a known week missing from *series* (below threshold) counts as 0, so the
    mean stays a lower bound.
    """
    known = sorted(set(known_weeks), key=week_start)
    starts = [week_start(w) for w in known]
    prefix = [0]
    for week in known:
        prefix.append(prefix[-1] + series.get(week, 0))
    out = []
    for i, week in enumerate(known):
        for window in windows:
            first = bisect_left(starts, starts[i] - timedelta(weeks=window - 1))
            covered = i + 1 - first
            out.append(
                (week, window, round((prefix[i + 1] - prefix[first]) / covered, 2), covered)
            )
    return out
