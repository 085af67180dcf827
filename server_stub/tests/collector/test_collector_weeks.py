"""The week window of ingest, over real HTTP, on SQLite and on a real PostgreSQL.

A batch is accepted only for a week from the oldest week inside raw retention (its Monday at most
60 days ago) to the current ISO week by the collector's clock, or next week on a Sunday (a day of
clock skew). Anything else is a 422 that says why, and nothing of it is stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from napari_telemetry.schema import RAW_RETENTION_DAYS, iso_week, week_start
from napari_telemetry_server import Settings, Storage, make_engine
from tests.collector_testing import Clock, LiveServer

MakeBatch = Callable[..., dict[str, Any]]
SATURDAY = date(2026, 11, 28)  # 2026-W48; 60 days before is Tuesday 2026-09-29 (W40)


@pytest.fixture
def server(
    serve: Callable[..., LiveServer], settings: Settings, db_url: str, clock: Clock
) -> Iterator[LiveServer]:
    """The collector on *db_url* whose clock the test sets (``clock.day``)."""
    engine = make_engine(db_url)
    yield serve(settings.model_copy(update={"db": db_url}), Storage(engine, today=clock))
    engine.dispose()


def _send(server: LiveServer, make_batch: MakeBatch, week: str) -> httpx.Response:
    batch = make_batch("full", n=2, week=week)
    return httpx.post(f"{server.url}/v1/full/batches", json=batch, timeout=30)


def _stored(server: LiveServer) -> int:
    counts = server.app.state.resources.storage().counts()
    return int(counts["batches"] + counts["command_records"] + counts["layer_records"])


@pytest.mark.parametrize(
    ("today", "week", "problem"),
    [
        (SATURDAY, "2026-W48", None),  # the current week
        (SATURDAY, "2026-W49", "week_in_future"),  # next week, a day too early
        (SATURDAY + timedelta(days=1), "2026-W49", None),  # Sunday: next week is a day away
        (SATURDAY + timedelta(days=1), "2026-W50", "week_in_future"),
        (SATURDAY, "2099-W01", "week_in_future"),
        (SATURDAY, "2026-W41", None),  # Monday 2026-10-05: 54 days ago
        (SATURDAY, "2026-W40", "week_before_retention"),  # Monday 2026-09-28: 61 days ago
        (date(2026, 12, 4), "2026-W41", None),  # its Monday exactly 60 days ago
        (date(2026, 12, 5), "2026-W41", "week_before_retention"),  # 61 days ago
        (SATURDAY, "2024-W01", "week_before_retention"),
        (SATURDAY, "0001-W01", "week_before_retention"),
        (SATURDAY, "2025-W53", "week_not_in_calendar"),  # 2025 has 52 ISO weeks
        (SATURDAY, "0000-W01", "week_not_in_calendar"),  # there is no year 0
    ],
)
def test_only_weeks_inside_the_window_are_stored(
    server: LiveServer,
    make_batch: MakeBatch,
    clock: Clock,
    today: date,
    week: str,
    problem: str | None,
) -> None:
    clock.day = today
    response = _send(server, make_batch, week)
    if problem is None:
        assert response.status_code == 201, response.text
        assert _stored(server) == 1 + 2
        return
    assert response.status_code == 422
    [issue] = response.json()["detail"]
    assert (issue["loc"], issue["type"]) == (["week"], problem)
    assert week in issue["msg"]
    if problem != "week_not_in_calendar":  # the answer names the window it used
        assert f"accepts {_oldest(today)} to" in issue["msg"]
    assert _stored(server) == 0


def _oldest(today: date) -> str:
    """The oldest accepted week, counted the slow way: the first Monday at most 60 days ago."""
    day = today - timedelta(days=RAW_RETENTION_DAYS)
    while day.weekday() != 0:
        day += timedelta(days=1)
    return iso_week(day)


def test_the_window_follows_the_clock(
    server: LiveServer, make_batch: MakeBatch, clock: Clock
) -> None:
    """A week accepted today is refused once its Monday is 61 days old (a late upload)."""
    clock.day = week_start("2026-W41") + timedelta(days=RAW_RETENTION_DAYS)
    assert _send(server, make_batch, "2026-W41").status_code == 201
    clock.day += timedelta(days=1)
    assert _send(server, make_batch, "2026-W41").status_code == 422
    assert _send(server, make_batch, "2026-W42").status_code == 201
    assert server.app.state.resources.storage().counts()["batches"] == 2


def test_a_week_outside_the_window_is_refused_before_anything_else_is_done(
    server: LiveServer, make_batch: MakeBatch, clock: Clock
) -> None:
    """Even a retry of a stored batch: the window is the rule, not the batch id."""
    clock.day = SATURDAY
    batch = make_batch("middle", week="2026-W48")
    assert httpx.post(f"{server.url}/v1/middle/batches", json=batch).status_code == 201
    clock.day += timedelta(days=RAW_RETENTION_DAYS + 7)
    again = httpx.post(f"{server.url}/v1/middle/batches", json=batch)
    assert (again.status_code, again.json()["detail"][0]["type"]) == (
        422,
        "week_before_retention",
    )
