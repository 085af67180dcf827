"""A batch_id sent again: 200 for a true retry, 409 (nothing stored) for other content."""

from __future__ import annotations

import gzip
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from napari_telemetry.schema import BATCH_MODELS, Batch, Level
from napari_telemetry_server import Storage, make_engine
from napari_telemetry_server.storage import Outcome, batch_digest
from tests.collector_testing import LiveServer

MakeBatch = Callable[..., dict[str, Any]]


def _model(data: dict[str, Any]) -> Batch:
    return BATCH_MODELS[Level(data["level"])].model_validate(data)


def _store(storage: Storage, *datas: dict[str, Any]) -> list[Outcome]:
    return storage.store([(b, batch_digest(b)) for b in map(_model, datas)])


def _records(storage: Storage) -> int:
    counts = storage.counts()
    return sum(n for table, n in counts.items() if table.endswith("_records"))


@pytest.mark.parametrize(
    "change",
    [
        {"records": "more"},
        {"user_id": "f" * 32},
        {"week": "2026-W47"},
    ],
)
def test_other_content_under_a_known_id_is_a_conflict(
    storage: Storage, make_batch: MakeBatch, change: dict[str, Any]
) -> None:
    first = make_batch("full", n=4)
    other = {**first, **change}
    if change.get("records") == "more":
        other["records"] = make_batch("full", n=5)["records"]
    assert _store(storage, first) == [Outcome.STORED]
    assert _store(storage, other) == [Outcome.CONFLICT]
    assert _store(storage, first) == [Outcome.KNOWN]
    assert (storage.counts()["batches"], _records(storage)) == (1, 4)


def test_envelope_fields_worked_out_at_each_attempt_do_not_make_a_conflict(
    storage: Storage, make_batch: MakeBatch
) -> None:
    first = make_batch("basic", n=2, first_report=True, install_age="week")
    later = {**first, "first_report": False, "install_age": "month", "client_version": "0.2.0"}
    assert _store(storage, first, later) == [Outcome.STORED, Outcome.KNOWN]
    assert _store(storage, later) == [Outcome.KNOWN]


def test_a_conflict_inside_one_group_commit(storage: Storage, make_batch: MakeBatch) -> None:
    first = make_batch("middle", n=2)
    clash = {**first, "records": make_batch("middle", n=3)["records"]}
    assert _store(storage, first, clash, first) == [
        Outcome.STORED,
        Outcome.CONFLICT,
        Outcome.KNOWN,
    ]
    assert _records(storage) == 2


def test_a_deleted_ids_batch_is_known_whatever_it_says(
    storage: Storage, make_batch: MakeBatch
) -> None:
    first = make_batch("basic")
    storage.forget([first["user_id"]])
    other = {**first, "records": make_batch("basic", n=3)["records"]}
    assert _store(storage, first, other) == [Outcome.KNOWN, Outcome.KNOWN]


def test_rows_stored_before_digests_take_any_retry(tmp_path: Path, make_batch: MakeBatch) -> None:
    db = tmp_path / "old.sqlite"
    engine = make_engine(db)
    storage = Storage(engine)
    old = make_batch("basic")
    assert _store(storage, old) == [Outcome.STORED]
    with engine.begin() as conn:  # the shape of a database made by an earlier version
        conn.exec_driver_sql("ALTER TABLE batches DROP COLUMN digest")
    engine.dispose()
    storage = Storage(make_engine(db))
    assert _store(storage, {**old, "records": []}) == [Outcome.KNOWN]
    assert _store(storage, make_batch("basic")) == [Outcome.STORED]
    storage.engine.dispose()


def _post(server: LiveServer, data: dict[str, Any], gzipped: bool = False) -> httpx.Response:
    body = json.dumps(data, indent=1 if gzipped else None).encode()
    headers = {"content-type": "application/json"}
    if gzipped:
        body, headers["content-encoding"] = gzip.compress(body), "gzip"
    return httpx.post(f"{server.url}/v1/{data['level']}/batches", content=body, headers=headers)


def test_over_http_a_retry_is_200_and_other_content_409(
    collector: LiveServer, make_batch: MakeBatch
) -> None:
    first = make_batch("full", n=3)
    assert _post(collector, first).status_code == 201
    again = _post(collector, dict(reversed(first.items())), gzipped=True)  # other bytes
    assert (again.status_code, again.json()["stored"]) == (200, False)
    clash = _post(collector, {**first, "records": make_batch("full", n=1)["records"]})
    assert clash.status_code == 409
    assert first["batch_id"] in clash.json()["detail"]
    storage = collector.app.state.resources.storage()
    assert (storage.counts()["batches"], _records(storage)) == (1, 3)


def test_a_retry_after_the_plugin_index_changed_is_still_a_retry(
    collector: LiveServer, make_batch: MakeBatch, plugin_index: Path
) -> None:
    records = [{"type": "plugin", "name": "napari-new", "version": "1.0.0"}]
    first = make_batch("middle", records=records)
    assert _post(collector, first).status_code == 201  # its record is not public yet: dropped
    entries = json.loads(plugin_index.read_text())
    entries.append({"normalized_name": "napari-new", "pypi_versions": ["1.0.0"]})
    plugin_index.write_text(json.dumps(entries))
    os.utime(plugin_index, ns=(time.time_ns(), time.time_ns() + 10**9))
    assert _post(collector, first).status_code == 200
