"""A server that drips bytes cannot hold a request, the upload lock or the index fetch."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest

from napari_telemetry.core import _consent, _paths, _public_index, _uploader, _weekly
from napari_telemetry.core._deadline import Deadline
from napari_telemetry.core._store import get_recorder, preview
from napari_telemetry.core._transport import RequestsTransport, TransportError
from napari_telemetry.core._uploader import Uploader
from napari_telemetry.schema import Level

from .fault_servers import DripServer, http_answer

# 2,000 bytes, one every 20 ms: each read is short, the whole answer takes 40 s.
LONG = http_answer(202, b"{" + b" " * 1900 + b"}")


def test_dripped_headers_end_at_the_deadline() -> None:
    with DripServer(LONG) as server:
        with pytest.raises(TransportError, match=r"within the 0\.5 s deadline"):
            RequestsTransport().post(f"{server.url}/v1/basic/batches", b"{}", {}, timeout=0.5)
        assert server.hung_up.wait(10), "the client never hung up"
    assert not server.finished.is_set()
    assert server.dripped < len(LONG) / 2


def test_a_dripped_body_ends_at_the_deadline() -> None:
    head = LONG.index(b"\r\n\r\n") + 4
    with DripServer(LONG, at_once=head) as server:
        with pytest.raises(TransportError, match="deadline"):
            RequestsTransport().get(f"{server.url}/index", {}, timeout=0.5)
        assert server.hung_up.wait(10)
    assert not server.finished.is_set()


def test_a_body_without_length_cut_at_the_deadline_is_no_answer() -> None:
    # Without Content-Length the end of the body is the end of the connection: what the shutdown
    # leaves must not pass for a whole answer.
    answer = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n[" + b" " * 2000 + b"]"
    with DripServer(answer, at_once=60) as server, pytest.raises(TransportError, match="deadline"):
        RequestsTransport().get(f"{server.url}/index", {}, timeout=0.5)


def test_a_fast_answer_is_unaffected_and_leaves_no_thread() -> None:
    before = set(threading.enumerate())
    with DripServer(http_answer(201, b'{"ok": true}'), every=0) as server:
        for _ in range(3):
            response = RequestsTransport().post(server.url, b"{}", {}, timeout=5)
            assert (response.status, response.body) == (201, b'{"ok": true}')
    assert {t for t in threading.enumerate() if t.is_alive()} - before == set()


def test_deadlines_need_a_positive_time_and_do_not_nest() -> None:
    with pytest.raises(ValueError, match="positive"):
        Deadline(0)
    with Deadline(5), pytest.raises(RuntimeError, match="nest"), Deadline(5):
        pass


def _record_three_streams() -> None:
    _consent.record_consent(Level.FULL)
    recorder = get_recorder()
    recorder.count("session", ("0.9.2", "3.11.4", "Linux", "debian-12", "x86_64"))
    recorder.count("plugin", ("napari-svg", "0.2.1"))
    recorder.count("command", ("napari.window.file.open", "napari"))
    recorder.flush(timeout=2)
    past = (date.today() - timedelta(days=1)).isoformat()
    for path in _paths.pending_dir().glob("*/*.jsonl"):
        path.rename(path.with_name(f"{past}.jsonl"))


def test_a_dripping_collector_holds_the_upload_lock_no_longer_than_a_round(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _record_three_streams()
    monkeypatch.setattr(_uploader, "TIMEOUT", 0.5)
    monkeypatch.setattr(_uploader, "ROUND_DEADLINE", 0.8)
    with DripServer(LONG) as server:
        monkeypatch.setenv("NAPARI_TELEMETRY_URL", server.url)
        report = Uploader(RequestsTransport()).send_now()
        assert report.sent == 0
        assert "deadline" in str(report)
        # The lock is free while the server is still dripping: another process may send.
        second = Uploader(RequestsTransport()).send_now()
        assert "another napari process" not in str(second)
    assert not server.finished.is_set()
    assert server.requests <= 4  # two rounds of at most two requests each: the budget held
    assert sorted(b["level"] for b in preview()) == ["basic", "full", "middle"]  # nothing lost


def test_the_plugin_index_fetch_has_the_same_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_weekly, "TIMEOUT", 0.5)  # the weekly fetches share it
    with DripServer(LONG) as server:
        monkeypatch.setenv("NAPARI_TELEMETRY_INDEX_URL", f"{server.url}/index")
        assert _public_index.refresh(RequestsTransport()) is None
        assert server.hung_up.wait(10)
    assert not server.finished.is_set()
    assert not _public_index.needs_refresh(date.today())  # tried today: not again until tomorrow
