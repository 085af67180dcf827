"""The shared ISO-week rule (``napari_telemetry.schema``): the client and the collector use it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from napari_telemetry import schema
from napari_telemetry.schema import (
    WeekProblem,
    WeekRefused,
    check_week,
    iso_week,
    newest_week,
    oldest_week,
    shift_week,
    week_start,
)


def test_iso_weeks_across_year_ends() -> None:
    assert iso_week(date(2026, 11, 28)) == "2026-W48"
    assert iso_week(date(2026, 12, 31)) == "2026-W53"  # 2026 has 53 ISO weeks
    assert iso_week(date(2027, 1, 3)) == "2026-W53"
    assert iso_week(date(2027, 1, 4)) == "2027-W01"
    assert shift_week("2026-W53", 1) == "2027-W01"
    assert shift_week("2026-W01", -1) == "2025-W52"
    assert week_start("2026-W48") == date(2026, 11, 23)


@pytest.mark.parametrize("week", ["2025-W53", "0000-W01", "2026-W54", "2026-W00", "26-W01", 7])
def test_weeks_the_calendar_lacks_are_value_errors(week: object) -> None:
    with pytest.raises(ValueError, match=repr(week).replace("'", ".")):
        week_start(week)  # type: ignore[arg-type]


def test_the_window_edges() -> None:
    saturday = date(2026, 11, 28)
    assert (oldest_week(saturday), newest_week(saturday)) == ("2026-W41", "2026-W48")
    assert newest_week(saturday + timedelta(days=1)) == "2026-W49"  # Sunday: a day of skew
    assert oldest_week(date(2026, 12, 4)) == "2026-W41"  # Monday 2026-10-05 is 60 days before
    assert oldest_week(date(2026, 12, 5)) == "2026-W42"
    with pytest.raises(WeekRefused) as refused:
        check_week("2026-W40", saturday)
    assert refused.value.problem is WeekProblem.EXPIRED
    assert str(refused.value) == (
        "week 2026-W40 is past the 60-day raw retention: the collector accepts 2026-W41 to "
        "2026-W48 today"
    )


def test_the_wire_pattern_is_the_rules_own() -> None:
    assert schema.BatchBase.model_json_schema()["properties"]["week"]["pattern"] == (
        schema.WEEK_PATTERN
    )
