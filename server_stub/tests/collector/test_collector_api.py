"""Deletion, the published schema, health, the plugin index and storage outages, over HTTP."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from napari_telemetry.schema import BATCH_MODELS, Level
from napari_telemetry_server import Settings, Storage, make_engine
from napari_telemetry_server.collector import serve_metrics
from tests.collector_testing import Clock, LiveServer, counters, received

MakeBatch = Callable[..., dict[str, Any]]


def _send(server: LiveServer, batch: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{server.url}/v1/{batch['level']}/batches", json=batch)


def _counts(server: LiveServer) -> dict[str, int]:
    counts: dict[str, int] = server.app.state.resources.storage().counts()
    return counts


def test_deletion_removes_rows_and_drops_batches_in_flight(
    collector: LiveServer, make_batch: MakeBatch
) -> None:
    user = "0123456789abcdef" * 2
    for level in ("basic", "middle", "full"):
        assert _send(collector, make_batch(level, n=2, user_id=user)).status_code == 201
    assert _send(collector, make_batch("basic")).status_code == 201
    response = httpx.post(f"{collector.url}/v1/deletion", json={"user_ids": [user, "f" * 32]})
    assert (response.status_code, response.json()) == (202, {"deleted": True})
    counts = _counts(collector)
    assert (counts["batches"], counts["session_records"], counts["plugin_records"]) == (1, 1, 0)
    late = _send(collector, make_batch("full", user_id=user))
    assert (late.status_code, late.json()["stored"]) == (200, False)
    assert _counts(collector)["batches"] == 1


@pytest.mark.parametrize(
    "body",
    [
        {"user_ids": []},
        {"user_ids": ["a" * 32] * 13},
        {"user_ids": ["not-hex"]},
        {"user_ids": ["a" * 32], "email": "x@example.org"},
        {},
    ],
)
def test_bad_deletion_request_is_422(collector: LiveServer, body: dict[str, Any]) -> None:
    assert httpx.post(f"{collector.url}/v1/deletion", json=body).status_code == 422


@pytest.mark.parametrize("level", ["basic", "middle", "full"])
def test_schema_endpoint_publishes_the_wire_model(collector: LiveServer, level: str) -> None:
    response = httpx.get(f"{collector.url}/v1/schema/{level}")
    assert response.status_code == 200
    assert response.json() == BATCH_MODELS[Level(level)].model_json_schema()


def test_schema_of_unknown_level_is_refused(collector: LiveServer) -> None:
    assert httpx.get(f"{collector.url}/v1/schema/none").status_code == 422


def test_openapi_documents_each_level_with_its_model(collector: LiveServer) -> None:
    doc = httpx.get(f"{collector.url}/openapi.json").json()
    for level, model in BATCH_MODELS.items():
        post = doc["paths"][f"/v1/{level.value}/batches"]["post"]
        ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        assert ref == f"#/components/schemas/{model.__name__}"
        assert {"200", "201", "400", "413", "415", "422", "429", "503"} <= set(post["responses"])
    assert "DeletionRequest" in doc["components"]["schemas"]
    assert set(doc["paths"]) == {
        "/v1/basic/batches", "/v1/middle/batches", "/v1/full/batches",
        "/v1/deletion", "/v1/schema/{level}", "/v1/collection", "/healthz",
    }  # fmt: skip


def test_healthz_says_whether_a_batch_can_be_stored_and_nothing_countable(
    collector: LiveServer,
) -> None:
    response = httpx.get(f"{collector.url}/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}  # no count: it is on every public host name
    httpx.post(f"{collector.url}/v1/basic/batches", content=b"not json")
    assert httpx.get(f"{collector.url}/healthz").content == response.content


def test_operators_counters_count_requests_but_not_health_checks(
    collector: LiveServer, make_batch: MakeBatch
) -> None:
    server, _ = serve_metrics(collector.app.state.resources.metrics, 0)
    url = f"http://127.0.0.1:{server.server_port}/metrics"
    try:
        before = received(url)
        httpx.get(f"{collector.url}/healthz")
        assert received(url) == before
        httpx.get(f"{collector.url}/v1/schema/basic")
        httpx.post(f"{collector.url}/v1/basic/batches", content=b"not json")
        batch = make_batch("basic")
        for _ in range(2):
            httpx.post(f"{collector.url}/v1/basic/batches", json=batch)
        httpx.post(f"{collector.url}/v1/deletion", json={"user_ids": ["a" * 32, "b" * 32]})
        private = [{"type": "plugin", "name": "napari-private", "version": "1.0.0"}]
        httpx.post(
            f"{collector.url}/v1/middle/batches", json=make_batch("middle", records=private)
        )
        found = counters(url)
    finally:
        server.shutdown()
        server.server_close()
    assert found["napari_telemetry_requests_total{route=batches}"] == 4
    assert found["napari_telemetry_requests_total{route=schema}"] == 1
    assert found["napari_telemetry_requests_total{route=deletion}"] == 1
    assert found["napari_telemetry_refused_total{status=415}"] == 1  # not JSON
    assert found["napari_telemetry_batches_total{level=basic,outcome=stored}"] == 1
    assert found["napari_telemetry_batches_total{level=basic,outcome=known}"] == 1
    assert found["napari_telemetry_deleted_ids_total"] == 2
    assert found["napari_telemetry_dropped_records_total"] == 1  # not in the plugin index
    assert sum(v for k, v in found.items() if "requests_total" in k) == before + 6


def _plugin(name: str, version: str) -> dict[str, str]:
    return {"type": "plugin", "name": name, "version": version}


def test_plugins_outside_the_public_stable_index_are_dropped(
    collector: LiveServer, make_batch: MakeBatch
) -> None:
    records = [
        _plugin("napari-plugin-1", "1.0.0"),  # listed
        _plugin("Napari_Plugin.2", "0.9.0"),  # listed, written another way
        _plugin("napari-private", "1.0.0"),  # not in the index
        _plugin("napari-plugin-3", "1.1.0rc1"),  # listed, but a pre-release
        _plugin("napari-plugin-4", "1.0.0.dev1"),  # a development version (a local one: 422)
        _plugin("napari-plugin-5", "2.0.0"),  # version the index does not list
    ]
    assert _send(collector, make_batch("middle", records=records)).status_code == 201
    storage = collector.app.state.resources.storage()
    with storage.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT name, version FROM plugin_records").all()
    assert sorted(map(tuple, rows)) == [("Napari_Plugin.2", "0.9.0"), ("napari-plugin-1", "1.0.0")]


def test_index_file_is_read_again_when_it_changes(
    collector: LiveServer, make_batch: MakeBatch, plugin_index: Path
) -> None:
    batch = make_batch("middle", records=[_plugin("napari-new", "1.0.0")])
    _send(collector, batch)
    assert _counts(collector)["plugin_records"] == 0
    entries = json.loads(plugin_index.read_text())
    entries.append({"normalized_name": "napari-new", "pypi_versions": ["1.0.0"]})
    plugin_index.write_text(json.dumps(entries))
    os.utime(plugin_index, ns=(time.time_ns(), time.time_ns() + 10**9))
    _send(collector, {**batch, "batch_id": make_batch()["batch_id"]})
    assert _counts(collector)["plugin_records"] == 1


def test_without_an_index_no_plugin_record_is_kept(
    serve: Callable[..., LiveServer], settings: Settings, make_batch: MakeBatch, tmp_path: Path
) -> None:
    server = serve(settings.model_copy(update={"plugin_index": tmp_path / "missing.json"}))
    assert _send(server, make_batch("middle", n=3)).status_code == 201
    counts = _counts(server)
    assert (counts["batches"], counts["plugin_records"]) == (1, 0)


def test_unreadable_index_keeps_the_previous_one(
    collector: LiveServer, make_batch: MakeBatch, plugin_index: Path
) -> None:
    _send(collector, make_batch("middle", n=1))
    plugin_index.write_text("{not json")
    os.utime(plugin_index, ns=(time.time_ns(), time.time_ns() + 10**9))
    _send(collector, make_batch("middle", n=1))
    assert _counts(collector)["plugin_records"] == 2


def _storage_server(
    serve: Callable[..., LiveServer], settings: Settings, clock: Clock
) -> tuple[LiveServer, Path]:
    db = Path(settings.db)
    server = serve(settings, Storage(make_engine(db), today=clock))
    return server, db


def test_deleted_database_is_503_then_recovers(
    serve: Callable[..., LiveServer], settings: Settings, clock: Clock, make_batch: MakeBatch
) -> None:
    server, db = _storage_server(serve, settings, clock)
    assert _send(server, make_batch("basic")).status_code == 201
    away = db.with_name("moved-away.sqlite")
    db.rename(away)
    refused = _send(server, make_batch("basic"))
    assert (refused.status_code, refused.headers["retry-after"]) == (503, "60")
    assert httpx.get(f"{server.url}/healthz").status_code == 503
    away.rename(db)
    assert _send(server, make_batch("basic")).status_code == 201
    assert httpx.get(f"{server.url}/healthz").status_code == 200
    assert _counts(server)["batches"] == 2


@pytest.mark.parametrize(
    "left_behind",
    [None, b"this is not a database, it was overwritten by mistake\n" * 100],
    ids=["removed", "overwritten"],
)
def test_removed_or_corrupt_database_file_is_503_then_reopened(
    serve: Callable[..., LiveServer],
    settings: Settings,
    clock: Clock,
    make_batch: MakeBatch,
    left_behind: bytes | None,
) -> None:
    server, db = _storage_server(serve, settings, clock)
    assert _send(server, make_batch("basic")).status_code == 201
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    if left_behind is not None:
        db.write_bytes(left_behind)
    refused = _send(server, make_batch("basic"))
    assert (refused.status_code, refused.headers["retry-after"]) == (503, "60")
    assert httpx.get(f"{server.url}/healthz").status_code == 503
    db.unlink(missing_ok=True)
    db.touch()  # the operator puts an (empty) database in its place
    assert _send(server, make_batch("basic")).status_code == 201
    assert httpx.get(f"{server.url}/healthz").status_code == 200
    assert _counts(server)["batches"] == 1


def test_ingest_and_deletion_on_each_backend(
    serve: Callable[..., LiveServer], settings: Settings, db_url: str, make_batch: MakeBatch
) -> None:
    server = serve(settings.model_copy(update={"db": db_url}))
    batches = [make_batch(level, n=3) for level in ("basic", "middle", "full")]
    with httpx.Client(base_url=server.url) as client:
        for batch in batches:
            assert client.post(f"/v1/{batch['level']}/batches", json=batch).status_code == 201
            assert client.post(f"/v1/{batch['level']}/batches", json=batch).status_code == 200
        counts = _counts(server)
        assert counts["batches"] == 3
        assert counts["session_records"] == counts["plugin_records"] == 3
        gone = {"user_ids": [batches[0]["user_id"]]}
        assert client.post("/v1/deletion", json=gone).status_code == 202
        assert client.get("/healthz").json()["status"] == "ok"
    assert _counts(server)["batches"] == 2


def test_unreachable_postgresql_is_503(
    serve: Callable[..., LiveServer], settings: Settings, make_batch: MakeBatch
) -> None:
    from tests.collector_testing import free_port

    dead = f"postgresql://postgres@127.0.0.1:{free_port()}/postgres?connect_timeout=2"
    server = serve(settings.model_copy(update={"db": dead}))
    refused = _send(server, make_batch("basic"))
    assert (refused.status_code, refused.headers["retry-after"]) == (503, "60")
    assert (
        httpx.post(f"{server.url}/v1/deletion", json={"user_ids": ["a" * 32]}).status_code == 503
    )
    assert httpx.get(f"{server.url}/healthz").status_code == 503
