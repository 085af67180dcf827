"""Pending data outside the collector's week window is dropped and counted, never retried."""

from __future__ import annotations

import gzip
import json
from collections.abc import Mapping
from datetime import date, timedelta

import pytest

from napari_telemetry._cli._status import status_lines
from napari_telemetry.core import _consent, _identity, _paths
from napari_telemetry.core._store import _stats, get_recorder, preview
from napari_telemetry.core._transport import MockTransport, Response
from napari_telemetry.core._uploader import Uploader
from napari_telemetry.schema import (
    RAW_RETENTION_DAYS,
    Level,
    oldest_week,
    shift_week,
    week_start,
)

SESSION = ("0.9.2", "3.11.4", "Linux", "debian-12", "x86_64")


def _record_on(*days: date) -> None:
    """One session record on each of *days* (as if napari ran then)."""
    _consent.record_consent(Level.BASIC)
    for day in days:
        get_recorder().count("session", SESSION)
        get_recorder().flush(timeout=2)
        for path in _paths.pending_dir("basic").glob(f"{date.today().isoformat()}.jsonl"):
            path.rename(path.with_name(f"{day.isoformat()}.jsonl"))


def _ok(url: str, body: bytes, headers: Mapping[str, str]) -> Response:
    return Response(201, None, b"")


def _sent_weeks(transport: MockTransport) -> list[str]:
    return [json.loads(gzip.decompress(body))["week"] for _, body, _ in transport.requests]


def test_days_whose_week_left_retention_are_dropped_not_sent() -> None:
    today = date.today()
    too_old = week_start(oldest_week(today)) - timedelta(days=1)  # a Sunday, 61 days or more ago
    oldest = week_start(oldest_week(today))  # a Monday at most 60 days ago: still sent
    _record_on(too_old, oldest)
    assert [b["week"] for b in preview()] == [oldest_week(today)]  # the preview says the same
    transport = MockTransport(_ok)
    report = Uploader(transport).send_now()
    assert _sent_weeks(transport) == [oldest_week(today)]
    assert (report.sent, report.dropped) == (1, 0)
    assert "basic: 1 record(s) outside the week window" in str(report)
    assert _stats.read()["outside_window"] == 1
    assert list(_paths.pending_dir("basic").glob("*.jsonl")) == []
    assert any("no longer accepts their week" in line for line in status_lines())


def test_days_far_ahead_of_the_clock_are_dropped() -> None:
    """A clock that was set ahead left files no collector accepts before that week comes."""
    today = date.today()
    _record_on(today + timedelta(days=30), today - timedelta(days=1))
    transport = MockTransport(_ok)
    Uploader(transport).send_now(force=True)
    assert len(transport.requests) == 1
    assert _stats.read()["outside_window"] == 1


def _week_refused(url: str, body: bytes, headers: Mapping[str, str]) -> Response:
    detail = [{"loc": ["week"], "msg": "week … is past the raw retention", "type": "x"}]
    return Response(422, None, json.dumps({"detail": detail}).encode())


def _other_422(url: str, body: bytes, headers: Mapping[str, str]) -> Response:
    detail = [{"loc": ["records", 0, "name"], "msg": "bad", "type": "string_pattern_mismatch"}]
    return Response(422, None, json.dumps({"detail": detail}).encode())


@pytest.mark.parametrize(
    ("answer", "counter"),
    [(_week_refused, "outside_window"), (_other_422, "rejected_batches")],
)
def test_a_422_for_the_week_is_a_counted_drop(answer: object, counter: str) -> None:
    """The collector's clock is a day ahead of ours: its 422 drops the batch, as ours would."""
    _record_on(date.today() - timedelta(days=1))
    transport = MockTransport(answer)  # type: ignore[arg-type]
    report = Uploader(transport).send_now()
    assert (report.dropped, report.kept) == (1, 0)
    assert _stats.read()[counter] == 1
    assert sum(_stats.read().values()) == 1
    assert Uploader(transport).send_now().dropped == 0  # not retried
    assert len(transport.requests) == 1


def test_the_ids_cover_every_week_the_collector_may_hold() -> None:
    """`ids` (and so `forget`) reach every week the collector accepts, whatever the weekday."""
    for offset in range(7):
        today = date(2026, 11, 23) + timedelta(days=offset)
        listed = {week for week, _ in _identity.recent_ids(today=today)}
        week = oldest_week(today)
        assert week_start(week) >= today - timedelta(days=RAW_RETENTION_DAYS)
        while week_start(week) <= today:
            assert week in listed, (today, week)
            week = shift_week(week, 1)
