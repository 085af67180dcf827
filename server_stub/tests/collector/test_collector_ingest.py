"""``POST /v1/{level}/batches`` over real HTTP: what is stored, what is refused and how."""

from __future__ import annotations

import gzip
import json
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from napari_telemetry_server import Settings
from tests.collector_testing import LiveServer

MakeBatch = Callable[..., dict[str, Any]]
JSON = {"content-type": "application/json"}
GZIP = {"content-type": "application/json", "content-encoding": "gzip"}


def _post(server: LiveServer, path: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(server.url + path, content=body, headers=headers, timeout=30)


def _counts(server: LiveServer) -> dict[str, int]:
    counts: dict[str, int] = server.app.state.resources.storage().counts()
    return counts


@pytest.mark.parametrize(("level", "table"), [("basic", "session"), ("full", "command")])
def test_batch_is_stored_once(
    collector: LiveServer, make_batch: MakeBatch, level: str, table: str
) -> None:
    batch = make_batch(level, n=4)
    first = httpx.post(f"{collector.url}/v1/{level}/batches", json=batch)
    again = httpx.post(f"{collector.url}/v1/{level}/batches", json=batch)
    assert (first.status_code, first.json()) == (
        201,
        {"batch_id": batch["batch_id"], "stored": True, "dropped": 0},
    )
    assert (again.status_code, again.json()["stored"]) == (200, False)
    counts = _counts(collector)
    assert counts["batches"] == 1
    assert counts[f"{table}_records"] == (4 if level == "basic" else 2)


def test_gzip_body_is_accepted(collector: LiveServer, make_batch: MakeBatch) -> None:
    body = gzip.compress(json.dumps(make_batch("middle", n=3)).encode())
    assert _post(collector, "/v1/middle/batches", body, GZIP).status_code == 201
    assert _counts(collector)["plugin_records"] == 3


def test_record_type_of_another_level_is_422(collector: LiveServer, make_batch: MakeBatch) -> None:
    batch = {**make_batch("middle"), "level": "full"}
    response = httpx.post(f"{collector.url}/v1/full/batches", json=batch)
    assert response.status_code == 422
    assert ["records", 0] in [issue["loc"][:2] for issue in response.json()["detail"]]
    sneaky = make_batch("basic", n=1)
    sneaky["records"].append(make_batch("full", n=1)["records"][0])
    assert httpx.post(f"{collector.url}/v1/basic/batches", json=sneaky).status_code == 422
    assert _counts(collector)["batches"] == 0


def test_level_that_does_not_exist_is_404(collector: LiveServer, make_batch: MakeBatch) -> None:
    assert httpx.post(f"{collector.url}/v1/huge/batches", json=make_batch()).status_code == 404


@pytest.mark.parametrize(
    "change",
    [
        {"batch_id": "not-a-uuid"},
        {"batch_id": "6ba7b810-9dad-11d1-80b4-00c04fd430c8"},  # a version-1 UUID
        {"user_id": 12},
        {"first_report": "maybe"},
        {"first_report": "yes"},  # booleans are strict: a client bug must not pass as true
        {"first_report": 1},
        {"week": "2026-11-28"},
        {"unknown_field": 1},
        {"records": "plugin"},
        {"records": [{"type": "plugin", "name": "/home/me/secret", "version": "1.0"}]},
    ],
)
def test_invalid_envelope_is_422(
    collector: LiveServer, make_batch: MakeBatch, change: dict[str, Any]
) -> None:
    response = httpx.post(f"{collector.url}/v1/middle/batches", json={**make_batch(), **change})
    assert response.status_code == 422
    assert "home" not in response.text  # refusals do not echo the input back


@pytest.mark.parametrize(
    "body",
    [
        b'{"schema_version": 1, "batch_id": ',  # malformed
        b"\xff\xfe\x00{\x00}",  # not UTF-8
        b"[" * 50_000 + b"]" * 50_000,  # deeply nested
        b"",
        b"null",
    ],
    ids=["malformed", "not-utf8", "deeply-nested", "empty", "null"],
)
def test_bad_json_is_422(collector: LiveServer, body: bytes) -> None:
    assert _post(collector, "/v1/basic/batches", body, JSON).status_code == 422


def test_huge_array_is_refused(collector: LiveServer, make_batch: MakeBatch) -> None:
    batch = make_batch("middle", n=1)
    batch["records"] = batch["records"] * 5_001
    assert httpx.post(f"{collector.url}/v1/middle/batches", json=batch).status_code == 422
    assert (
        _post(collector, "/v1/basic/batches", b"[" + b"0," * 600_000 + b"0]", JSON).status_code
        == 413
    )


def test_body_over_the_limit_with_content_length_is_413(collector: LiveServer) -> None:
    body = b'{"pad": "' + b"x" * (1 << 20) + b'"}'
    response = _post(collector, "/v1/basic/batches", body, JSON)
    assert response.status_code == 413


def test_body_over_the_limit_without_content_length_is_413(collector: LiveServer) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(40):
            yield b"x" * 65_536

    response = httpx.post(f"{collector.url}/v1/basic/batches", content=chunks(), headers=JSON)
    assert response.status_code == 413
    assert response.request.headers.get("transfer-encoding") == "chunked"


def test_gzip_bomb_is_413(collector: LiveServer) -> None:
    bomb = gzip.compress(b" " * (200 << 20), compresslevel=9)  # 200 MiB in ~200 KiB
    assert len(bomb) < (1 << 20)
    assert _post(collector, "/v1/basic/batches", bomb, GZIP).status_code == 413


@pytest.mark.parametrize(
    "mangle",
    [lambda b: b[: len(b) // 2], lambda b: b"not gzip at all", lambda b: b + b + b"junk"],
    ids=["truncated", "not-gzip", "trailing-data"],
)
def test_broken_gzip_is_400(
    collector: LiveServer, make_batch: MakeBatch, mangle: Callable[[bytes], bytes]
) -> None:
    body = mangle(gzip.compress(json.dumps(make_batch()).encode()))
    assert _post(collector, "/v1/middle/batches", body, GZIP).status_code == 400
    assert _counts(collector)["batches"] == 0


@pytest.mark.parametrize(
    "headers",
    [
        {"content-type": "text/plain"},
        {"content-type": "application/x-www-form-urlencoded"},
        {"content-type": "application/json; charset=latin-1"},
        {"content-type": "application/json", "content-encoding": "br"},
        {},
    ],
)
def test_wrong_content_type_is_415(
    collector: LiveServer, make_batch: MakeBatch, headers: dict[str, str]
) -> None:
    body = json.dumps(make_batch()).encode()
    assert _post(collector, "/v1/middle/batches", body, headers).status_code == 415


def test_charset_utf8_is_fine(collector: LiveServer, make_batch: MakeBatch) -> None:
    headers = {"content-type": "application/json; charset=utf-8"}
    body = json.dumps(make_batch()).encode()
    assert _post(collector, "/v1/middle/batches", body, headers).status_code == 201


def _send_twice_at_once(url: str, body: bytes) -> list[int]:
    barrier = threading.Barrier(2)
    codes: list[int] = []

    def send() -> None:
        with httpx.Client() as client:  # one connection each
            barrier.wait()
            codes.append(client.post(url, content=body, headers=JSON).status_code)

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(codes)


def test_duplicate_sent_concurrently_from_two_connections(
    collector: LiveServer, make_batch: MakeBatch
) -> None:
    for _ in range(10):
        body = json.dumps(make_batch("full", n=20)).encode()
        assert _send_twice_at_once(collector.url + "/v1/full/batches", body) == [200, 201]
    counts = _counts(collector)
    assert counts["batches"] == 10
    assert counts["command_records"] + counts["layer_records"] == 200


def test_rate_limit_answers_429_with_retry_after(
    serve: Callable[..., LiveServer], settings: Settings, make_batch: MakeBatch
) -> None:
    server = serve(settings.model_copy(update={"rate_limit": 3}))
    codes = [
        httpx.post(f"{server.url}/v1/middle/batches", json=make_batch()).status_code
        for _ in range(4)
    ]
    assert codes == [201, 201, 201, 429]
    refused = httpx.post(f"{server.url}/v1/deletion", json={"user_ids": ["a" * 32]})
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    limiter = server.app.state.resources.limiter
    assert "127.0.0.1" not in repr(vars(limiter))
    assert all(b"127.0.0.1" not in key for key in limiter._counts)


def test_client_leaving_mid_body_stores_nothing_and_logs_no_error(
    collector: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    import socket
    from urllib.parse import urlsplit

    port = urlsplit(collector.url).port
    with socket.create_connection(("127.0.0.1", port)) as sock:
        head = b"POST /v1/basic/batches HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        sock.sendall(head + b"Content-Length: 5000\r\n\r\n" + b'{"sch')
    assert httpx.get(f"{collector.url}/healthz").status_code == 200
    assert _counts(collector)["batches"] == 0
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
