"""The uploader against a fake transport: batching, outcomes, backoff, limits, debug mode."""

from __future__ import annotations

import gzip
import json
import logging
import os
import time
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from napari_telemetry.core import _consent, _paths, _upload_state
from napari_telemetry.core._store import _stats, get_recorder, preview, sent_copies
from napari_telemetry.core._transport import MockTransport, Response, TransportError
from napari_telemetry.core._uploader import Uploader
from napari_telemetry.schema import BATCH_MODELS, Level

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
PAST = (date.today() - timedelta(days=3)).isoformat()


def _record_past_day(level: Level = Level.FULL) -> None:
    """Some records of every stream of *level*, moved to a finished day."""
    _consent.record_consent(level)
    recorder = get_recorder()
    recorder.count("session", ("0.9.2", "3.11.4", "Linux", "debian-12", "x86_64"))
    recorder.count("plugin", ("napari-svg", "0.2.1"))
    recorder.count("command", ("napari:layer:new", "napari"), 4)
    recorder.flush(timeout=2)
    for path in _paths.pending_dir().glob("*/*.jsonl"):
        path.rename(path.with_name(f"{PAST}.jsonl"))


def _answer(status: int, retry_after: float | None = None) -> MockTransport:
    return MockTransport(lambda url, body, headers: Response(status, retry_after, b""))


def _uploader(transport: MockTransport, now: datetime = NOW) -> Uploader:
    return Uploader(transport, now=lambda: now)


def test_finished_days_become_gzip_batches_per_level(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NAPARI_TELEMETRY_URL", "http://127.0.0.1:9/{level}")
    _record_past_day()
    expected = preview()
    transport = _answer(202)
    report = _uploader(transport).send_now()
    assert (report.sent, report.dropped, report.kept) == (3, 0, 0)
    urls = [url for url, _, _ in transport.requests]
    assert urls == [
        f"http://127.0.0.1:9/{lv}/v1/{lv}/batches" for lv in ("basic", "middle", "full")
    ]
    bodies = [json.loads(gzip.decompress(body)) for _, body, _ in transport.requests]
    assert bodies == expected  # the preview was exact
    for body in bodies:
        BATCH_MODELS[Level(body["level"])].model_validate(body)
    assert all(h["Content-Encoding"] == "gzip" for _, _, h in transport.requests)
    assert {b["batch_id"] for b in bodies} == {c["batch_id"] for c in sent_copies()}
    assert preview() == []
    assert all(b["first_report"] for b in bodies)


def test_today_waits_unless_forced() -> None:
    _consent.record_consent(Level.BASIC)
    get_recorder().count("session", ("0.9.2", "3.11.4", "Linux", "debian-12", "x86_64"))
    get_recorder().flush(timeout=2)
    transport = _answer(200)
    report = _uploader(transport).send_now()
    assert report.sent == 0
    assert "Nothing was due" in str(report)
    assert _uploader(transport).send_now(force=True).sent == 1
    assert len(transport.requests) == 1


def test_first_report_only_once() -> None:
    _record_past_day(Level.BASIC)
    _uploader(_answer(200)).send_now()
    _record_past_day(Level.BASIC)
    transport = _answer(200)
    _uploader(transport, NOW + timedelta(hours=2)).send_now()
    ((_, body, _),) = transport.requests
    assert json.loads(gzip.decompress(body))["first_report"] is False


@pytest.mark.parametrize("status", [400, 403, 404, 413, 415, 422])
def test_client_errors_drop_and_count(status: int) -> None:
    _record_past_day(Level.BASIC)
    report = _uploader(_answer(status)).send_now()
    assert (report.dropped, report.kept) == (1, 0)
    assert preview() == []
    assert _stats.read()["rejected_batches"] == 1
    assert sent_copies() == []


def _garbage(url: str, body: bytes, headers: Mapping[str, str]) -> Response:
    return Response(502, None, b"<html><body>Bad gateway</body></html>")


def _refused(url: str, body: bytes, headers: Mapping[str, str]) -> Response:
    raise TransportError("ReadTimeout while contacting the server")


@pytest.mark.parametrize(
    "transport",
    [
        _answer(408),
        _answer(429),
        _answer(500),
        _answer(503),
        _answer(302),
        MockTransport(_garbage),
        MockTransport(_refused),
    ],
)
def test_other_answers_keep_and_back_off(transport: MockTransport) -> None:
    _record_past_day(Level.BASIC)
    batch_id = preview()[0]["batch_id"]
    report = _uploader(transport).send_now()
    assert (report.sent, report.kept) == (0, 1)
    assert [b["batch_id"] for b in preview()] == [batch_id]  # same id on the retry
    state = _upload_state.load()[Level.BASIC]
    assert (state.failures, state.next) == (1, NOW + timedelta(hours=1))


def test_backoff_doubles_up_to_a_week_and_retry_after_wins() -> None:
    _record_past_day(Level.BASIC)
    now, waits = NOW, []
    for _ in range(10):
        _uploader(_answer(503), now).send_now()
        state = _upload_state.load()[Level.BASIC]
        assert state.next is not None
        waits.append(state.next - now)
        now = state.next
    assert waits[:4] == [timedelta(hours=h) for h in (1, 2, 4, 8)]
    assert waits[-1] == timedelta(weeks=1)
    _uploader(_answer(200), now).send_now()
    assert _upload_state.load()[Level.BASIC].failures == 0


@pytest.mark.parametrize(
    ("seconds", "wait"),
    [(3 * 86400, timedelta(days=3)), (60, timedelta(hours=1)), (90 * 86400, timedelta(weeks=1))],
)
def test_retry_after_is_honoured_within_bounds(seconds: float, wait: timedelta) -> None:
    _record_past_day(Level.BASIC)
    _uploader(_answer(429, retry_after=seconds)).send_now()
    assert _upload_state.load()[Level.BASIC].next == NOW + wait


def test_at_most_one_attempt_per_level_per_hour() -> None:
    _record_past_day(Level.BASIC)
    transport = _answer(200)
    _uploader(transport).send_now()
    _record_past_day(Level.BASIC)
    report = _uploader(transport, NOW + timedelta(minutes=30)).send_now()
    assert len(transport.requests) == 1
    local = (NOW + timedelta(hours=1)).astimezone()
    assert f"basic: next attempt after {local:%Y-%m-%d %H:%M} (local time)" in str(report)
    assert not report.ok
    _uploader(transport, NOW + timedelta(minutes=30)).send_now(force=True)
    assert len(transport.requests) == 2


def test_clock_going_back_does_not_block_forever() -> None:
    _record_past_day(Level.BASIC)
    _uploader(_answer(503), NOW + timedelta(days=300)).send_now()
    transport = _answer(200)
    assert _uploader(transport, NOW).send_now().sent == 1


def test_debug_logs_and_sends_nothing(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _record_past_day(Level.BASIC)
    monkeypatch.setenv("NAPARI_TELEMETRY_DEBUG", "1")
    transport = _answer(200)
    with caplog.at_level(logging.WARNING, "napari_telemetry"):
        report = _uploader(transport).send_now(force=True)
    assert transport.requests == []
    assert report.debug
    assert "would send" in caplog.text
    assert '"level": "basic"' in caplog.text
    assert len(preview()) == 1


def test_debug_says_what_it_would_send_and_uses_up_no_slot(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _record_past_day(Level.MIDDLE)
    _consent.record_consent(Level.MIDDLE)  # a later consent: nothing of the first is due
    get_recorder().count("session", ("0.9.2", "3.11.4", "Linux", "debian-12", "x86_64"))
    get_recorder().flush(timeout=2)  # today's, shown with --now only
    pending = sorted(p.name for p in _paths.pending_dir().glob("*/*.jsonl"))
    monkeypatch.setenv("NAPARI_TELEMETRY_DEBUG", "1")
    transport = _answer(200)
    with caplog.at_level(logging.WARNING, "napari_telemetry"):
        report = _uploader(transport).send_now(force=True)
    assert report.shown == 1
    assert "1 batch(es) would have been sent" in str(report)
    assert "Nothing was due" not in str(report)
    assert caplog.text.count("would send") == 1
    assert sorted(p.name for p in _paths.pending_dir().glob("*/*.jsonl")) == pending  # unsealed
    assert not _paths.uploader_state_file().exists()
    monkeypatch.delenv("NAPARI_TELEMETRY_DEBUG")
    assert _uploader(transport).send_now(force=True).sent == 1  # no hourly wait was started


def test_bad_url_sends_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    _record_past_day(Level.BASIC)
    monkeypatch.setenv("NAPARI_TELEMETRY_URL", "ftp://example/{level}")
    transport = _answer(200)
    report = _uploader(transport).send_now(force=True)
    assert transport.requests == []
    assert "no usable collector URL" in str(report)


def test_policy_endpoint_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NAPARI_TELEMETRY_URL")
    policy = tmp_path / "policy.json"
    policy.write_text('{"endpoint": "http://127.0.0.1:9/site"}')
    monkeypatch.setenv("NAPARI_TELEMETRY_POLICY", str(policy))
    _record_past_day(Level.BASIC)
    transport = _answer(200)
    _uploader(transport).send_now()
    assert transport.requests[0][0] == "http://127.0.0.1:9/site/v1/basic/batches"


def test_lines_of_an_old_consent_are_dropped_and_counted() -> None:
    _record_past_day(Level.BASIC)
    _consent.record_consent(Level.BASIC)
    transport = _answer(200)
    _uploader(transport).send_now()
    assert transport.requests == []
    assert _stats.read()["stale_consent"] == 1
    assert not list(_paths.pending_dir().glob("*/*.jsonl"))


def test_nothing_sent_when_off() -> None:
    _record_past_day(Level.BASIC)
    _consent.record_consent(Level.NONE)
    transport = _answer(200)
    report = _uploader(transport).send_now(force=True)
    assert transport.requests == []
    assert "telemetry is off" in str(report)


def test_sent_copies_kept_sixty_days() -> None:
    _record_past_day(Level.BASIC)
    _uploader(_answer(200)).send_now()
    (copy,) = _paths.sent_dir("basic").glob("*.json")
    old = time.time() - 61 * 86400
    os.utime(copy, (old, old))
    _uploader(_answer(200), NOW + timedelta(hours=2)).send_now()
    assert sent_copies() == []


def test_thread_starts_and_stops_quickly() -> None:
    uploader = _uploader(_answer(200))
    uploader.start()
    uploader.start()
    started = time.monotonic()
    uploader.stop(timeout=0.5)
    assert time.monotonic() - started < 5  # generous: only "does not hang"
    assert uploader.next_attempt(Level.BASIC) is None


@pytest.mark.parametrize("value", ["yes", "1", "verbose"])
def test_debug_nonsense_reads_as_debug(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    _record_past_day(Level.BASIC)
    monkeypatch.setenv("NAPARI_TELEMETRY_DEBUG", value)
    transport = _answer(200)
    assert _uploader(transport).send_now(force=True).debug
    assert transport.requests == []


def test_data_of_another_environment_is_sent_under_its_own_consent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _record_past_day(Level.BASIC)  # environment A agreed and recorded
    monkeypatch.setattr("sys.prefix", "/environment/b")
    _consent.record_consent(Level.BASIC)  # B agreed too: A's consent still holds for A's data
    transport = _answer(200)
    assert _uploader(transport).send_now().sent == 1


def test_data_of_an_environment_that_withdrew_is_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    _record_past_day(Level.BASIC)
    _paths.consent_file().unlink()  # A's consent record is gone
    monkeypatch.setattr("sys.prefix", "/environment/b")
    _consent.record_consent(Level.BASIC)
    transport = _answer(200)
    assert _uploader(transport).send_now().sent == 0
    assert _stats.read()["stale_consent"] == 1


def test_future_dated_file_is_sent_with_now() -> None:
    _record_past_day(Level.BASIC)
    for path in _paths.pending_dir().glob("*/*.jsonl"):  # a day ahead: the window allows it
        path.rename(path.with_name(f"{date.today() + timedelta(days=1)}.jsonl"))
    assert _uploader(_answer(200)).send_now().sent == 0
    assert _uploader(_answer(200)).send_now(force=True).sent == 1


def test_a_batch_accepted_is_never_sent_again_when_its_copy_cannot_be_kept() -> None:
    _record_past_day(Level.BASIC)
    _paths.sent_dir().mkdir(parents=True)
    _paths.sent_dir("basic").write_bytes(b"")  # the copy cannot be written (full disk, perms)
    transport = _answer(202)
    report = _uploader(transport).send_now()
    assert report.sent == 1, str(report)
    assert preview() == []
    assert _uploader(transport, NOW + timedelta(days=1)).send_now().sent == 0
    assert len(transport.requests) == 1  # before: posted again every round, for ever
