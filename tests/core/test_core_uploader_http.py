"""The real uploader and transport against a small real HTTP server on 127.0.0.1."""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from napari_telemetry.core import _consent, _forget, _identity, _paths, _upload_state, _uploader
from napari_telemetry.core._store import get_recorder, preview, sent_copies
from napari_telemetry.core._transport import RequestsTransport, parse_retry_after
from napari_telemetry.core._uploader import Uploader
from napari_telemetry.schema import BATCH_MODELS, Level

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


class Collector(ThreadingHTTPServer):
    """Answers each POST with the next planned (status, headers, body); stores what it got."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.plan: list[tuple[int, dict[str, str], bytes]] = []
        self.received: list[tuple[str, dict[str, str], bytes]] = []
        self.hang = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(BaseHTTPRequestHandler):
    server: Collector

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((self.path, dict(self.headers), body))
        if self.server.hang.is_set():
            time.sleep(3)
        status, headers, reply = self.server.plan.pop(0) if self.server.plan else (202, {}, b"{}")
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def do_GET(self) -> None:
        if self.path == "/index.json":
            self.send_response(302)
            self.send_header("Location", "/v2/index.json")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        reply = b'{"plugins": []}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, format: str, *args: object) -> None:  # no access log, like the collector
        pass


@pytest.fixture
def collector(monkeypatch: pytest.MonkeyPatch) -> Iterator[Collector]:
    server = Collector()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("NAPARI_TELEMETRY_URL", server.url)
    yield server
    server.shutdown()
    server.server_close()


def _record_past_day() -> None:
    _consent.record_consent(Level.MIDDLE)
    get_recorder().count("session", ("0.9.2", "3.11.4", "Linux", "debian-12", "x86_64"))
    get_recorder().count("plugin", ("napari-svg", "0.2.1"))
    get_recorder().flush(timeout=2)
    past = (date.today() - timedelta(days=1)).isoformat()
    for path in _paths.pending_dir().glob("*/*.jsonl"):
        path.rename(path.with_name(f"{past}.jsonl"))


def _real(now: datetime = NOW) -> Uploader:
    return Uploader(RequestsTransport(), now=lambda: now)


def test_batches_arrive_gzipped_and_valid(collector: Collector) -> None:
    _record_past_day()
    report = _real().send_now()
    assert report.sent == 2, str(report)
    paths = [path for path, _, _ in collector.received]
    assert paths == ["/v1/basic/batches", "/v1/middle/batches"]
    for path, headers, body in collector.received:
        assert headers["Content-Encoding"] == "gzip"
        assert headers["Content-Type"] == "application/json"
        envelope = json.loads(gzip.decompress(body))
        BATCH_MODELS[Level(path.split("/")[2])].model_validate(envelope)
    assert len(sent_copies()) == 2
    assert preview() == []


def test_retry_after_date_and_500_html(collector: Collector) -> None:
    _record_past_day()
    later = "Sat, 05 Dec 2099 12:00:00 GMT"
    collector.plan = [(429, {"Retry-After": later}, b""), (500, {}, b"<html>oops</html>")]
    report = _real().send_now()
    assert (report.sent, report.kept) == (0, 2)
    states = _upload_state.load()
    assert states[Level.BASIC].next == NOW + timedelta(weeks=1)  # capped at a week
    assert states[Level.MIDDLE].next == NOW + timedelta(hours=1)
    assert len(preview()) == 2


def test_hanging_collector_times_out(
    collector: Collector, monkeypatch: pytest.MonkeyPatch
) -> None:
    _record_past_day()
    monkeypatch.setattr(_uploader, "TIMEOUT", 0.3)
    collector.hang.set()
    report = _real().send_now()
    assert report.kept == 2
    assert "no complete answer within the 0.3 s deadline" in str(report)
    assert len(preview()) == 2


def test_nothing_listening_keeps_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    _record_past_day()  # NAPARI_TELEMETRY_URL points at a dead loopback port
    report = _real().send_now()
    assert report.kept == 2
    assert not report.ok
    for level in ("basic", "middle"):
        said = f"{level}: could not reach 127.0.0.1:9: nothing answers at that address"
        assert said in str(report), str(report)
    assert "kept on this computer, tried again after" in str(report)
    assert len(preview()) == 2


def test_forget_reaches_the_collector(collector: Collector) -> None:
    _consent.record_consent(Level.BASIC)
    ids = [i for _, i in _identity.recent_ids()[:1]]  # this week's: the only one in use
    result = _forget.forget(RequestsTransport())
    assert result.reached
    assert result.replaced
    ((path, _, body),) = collector.received
    assert path == "/v1/deletion"
    assert json.loads(body) == {"user_ids": ids}


def test_parse_retry_after_forms() -> None:
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("Sat, 28 Nov 2026 12:01:00 GMT", now=NOW.timestamp()) == 60.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_get_follows_redirects_and_reads_the_body(collector: Collector) -> None:
    response = RequestsTransport().get(f"{collector.url}/index.json", {}, timeout=5)
    assert (response.status, response.body) == (200, b'{"plugins": []}')


@pytest.mark.parametrize(
    ("retry_after", "wait"),
    [
        ("99999999999999", timedelta(weeks=1)),  # overflowed timedelta: send_now raised
        ("1" + "0" * 400, timedelta(weeks=1)),  # float("1000…") is inf
        ("\u00b2", timedelta(hours=1)),  # "²" (byte 0xb2) passes str.isdigit(), not float()
    ],
)
def test_odd_retry_after_keeps_the_backoff_bounded(
    collector: Collector, retry_after: str, wait: timedelta
) -> None:
    _record_past_day()
    header = {"Retry-After": retry_after}
    collector.plan = [(503, header, b""), (202, header, b"{}")]
    report = _real().send_now()
    assert (report.sent, report.kept) == (1, 1), str(report)
    states = _upload_state.load()
    assert states[Level.BASIC].next == NOW + wait
    assert states[Level.BASIC].failures == 1
    assert states[Level.MIDDLE].next is None
    assert [b["level"] for b in preview()] == ["basic"]  # the accepted batch is not sent again
