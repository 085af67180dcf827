"""Hostile and broken clients against a real ``serve`` process: slow requests, bad chunks."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from tests.collector_testing import Process, dropped

pytestmark = pytest.mark.slow  # seconds per test: left out of the quick loop

HEAD = b"POST /v1/basic/batches HTTP/1.1\r\nHost: basic.example.org\r\n"
SLOW = 3.0  # the collector's request deadline in these tests (default 10 s)


@pytest.fixture
def server(run_server: Callable[..., Process], tmp_path: Path, plugin_index: Path) -> Process:
    folder = tmp_path / "server"
    return run_server("--db", str(folder / "raw.sqlite"), "--log-dir", str(folder / "logs"),
                      "--plugin-index", str(plugin_index), "--rate-limit", "100000",
                      NAPARI_TELEMETRY_SERVER_REQUEST_TIMEOUT=str(SLOW))  # fmt: skip


def _connect(server: Process) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=10)


@pytest.fixture
def sockets() -> Iterator[ExitStack]:
    with ExitStack() as stack:
        yield stack


def test_connections_that_never_finish_their_headers_aredropped(
    server: Process, sockets: ExitStack
) -> None:
    held = []
    for _ in range(600):  # more than uvicorn's limit_concurrency (512)
        sock = sockets.enter_context(_connect(server))
        sock.sendall(HEAD)
        held.append(sock)
    assert all(dropped(sock) for sock in held)
    # The attacker's sockets are still open on its side; the collector has let them go.
    assert httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200


def test_a_body_that_stops_half_way_isdropped(server: Process, sockets: ExitStack) -> None:
    sock = sockets.enter_context(_connect(server))
    sock.sendall(HEAD + b"Content-Type: application/json\r\nContent-Length: 500\r\n\r\n{")
    assert dropped(sock)


def test_a_request_dripped_byte_by_byte_isdropped(server: Process, sockets: ExitStack) -> None:
    sock = sockets.enter_context(_connect(server))
    assert dropped(sock, drip=HEAD + b"X-Slow: " + b"a" * 1000)


def test_a_bad_chunk_after_an_early_answer_is_one_line_in_the_log(
    server: Process, sockets: ExitStack, tmp_path: Path
) -> None:
    for encoding in (b"", b"Content-Encoding: gzip\r\n"):
        sock = sockets.enter_context(_connect(server))
        ctype = b"text/plain" if not encoding else b"application/json"
        sock.sendall(HEAD + b"Content-Type: " + ctype + b"\r\n" + encoding
                     + b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n")  # fmt: skip
        assert sock.recv(4096).split(b" ")[1] in (b"415", b"400")  # answered before the end
        sock.sendall(b"zz\r\n")  # not a chunk size
        assert dropped(sock)
    server.stop()
    folder = tmp_path / "server"
    for path in (folder / "stdout.txt", folder / "logs" / "collector.log"):
        text = path.read_text()
        assert "Traceback" not in text, path.name
        assert text.count("Invalid HTTP request received.") <= 2, path.name


def test_an_honest_slow_client_within_the_deadline_is_served(
    server: Process, make_batch: Callable[..., dict[str, object]]
) -> None:
    import json

    body = json.dumps(make_batch("basic")).encode()
    with _connect(server) as sock:
        sock.sendall(HEAD + b"Content-Type: application/json\r\n")
        time.sleep(0.3)
        sock.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body[:10])
        time.sleep(0.3)
        sock.sendall(body[10:])
        assert sock.recv(4096).startswith(b"HTTP/1.1 201 ")
