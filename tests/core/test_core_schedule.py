"""The next send: what the status bar says agrees with what the uploader does."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from napari_telemetry.core import _consent, _paths, _schedule, _upload_state
from napari_telemetry.core._store import get_recorder
from napari_telemetry.core._transport import MockTransport, Response
from napari_telemetry.core._uploader import Uploader
from napari_telemetry.schema import Level

NOW = datetime.now(UTC).replace(microsecond=0)
YESTERDAY = date.today() - timedelta(days=1)
SESSION = ("0.9.2", "3.11.4", "Linux", "debian-12", "x86_64")


def _record(level: Level = Level.BASIC, *, finished: bool = False) -> None:
    _consent.record_consent(level)
    get_recorder().count("session", SESSION)
    get_recorder().flush(timeout=2)
    if finished:  # the next day finds it so
        for path in _paths.pending_dir().glob("*/*.jsonl"):
            path.rename(path.with_name(f"{YESTERDAY}.jsonl"))


def _blocked(*, last: datetime | None = None, failures: int = 0) -> datetime:
    states = _upload_state.load()
    states[Level.BASIC].last = last
    if failures:
        for _ in range(failures):
            states[Level.BASIC].failed(NOW, None)
    _upload_state.save(states)
    until = states[Level.BASIC].blocked_until(NOW)
    assert until is not None
    return until


def test_nothing_planned_when_off_or_nothing_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _schedule.next_send(NOW).text() == "none (telemetry is off)"
    _consent.record_consent(Level.FULL)
    assert _schedule.next_send(NOW).text() == "none (nothing is waiting)"
    _record()
    monkeypatch.setenv("NAPARI_TELEMETRY_DEBUG", "1")
    assert not _schedule.next_send(NOW).planned


def test_todays_records_leave_once_the_day_is_over() -> None:
    _record()
    got = _schedule.next_send(NOW)
    midnight = datetime.combine(date.today() + timedelta(days=1), time.min).astimezone()
    assert (got.planned, got.after) == (True, midnight.astimezone(UTC))
    assert got.text() == f"after {midnight:%Y-%m-%d} 00:00 (today's records, once the day is over)"


def test_a_finished_day_leaves_at_the_next_check() -> None:
    _record(finished=True)
    got = _schedule.next_send(NOW)
    assert (got.planned, got.after) == (True, None)
    assert got.text() == "at the next check (shortly after napari starts, or while it is in use)"


def test_the_earliest_stream_wins() -> None:
    _record(Level.MIDDLE, finished=True)  # basic: a finished day
    get_recorder().count("plugin", ("napari-svg", "0.2.1"))  # middle: only today's
    get_recorder().flush(timeout=2)
    assert _schedule.next_send(NOW).after is None


@pytest.mark.parametrize(
    ("state", "why"),
    [
        ({"last": NOW - timedelta(minutes=10)}, "basic: at most once an hour"),
        ({"failures": 3}, "basic: retried after a failed attempt"),
    ],
)
def test_a_wait_is_said_and_the_uploader_keeps_to_it(state: dict[str, object], why: str) -> None:
    _record(finished=True)
    until = _blocked(**state)  # type: ignore[arg-type]
    got = _schedule.next_send(NOW)
    assert (got.after, got.why) == (until, why)
    transport = MockTransport(lambda url, body, headers: Response(202, None, b""))
    Uploader(transport, now=lambda: until - timedelta(seconds=1)).send_now()
    assert transport.requests == []  # not before the time said
    Uploader(transport, now=lambda: until).send_now()
    assert len(transport.requests) == 1  # and at it


def test_records_still_in_memory_count_as_todays() -> None:
    _consent.record_consent(Level.BASIC)
    get_recorder().set_level(Level.BASIC)
    get_recorder().count("session", SESSION)  # not yet written (the writer runs every 5 s)
    assert _schedule.next_send(NOW).why == "today's records, once the day is over"


def test_the_real_cli_status_says_the_same() -> None:
    _record()
    tool = Path(sys.executable).parent / "napari-telemetry"
    done = subprocess.run([tool, "status"], env=dict(os.environ), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert f"Next send: {_schedule.next_send().text()}\n" in done.stdout
    assert "once the day is over" in done.stdout
