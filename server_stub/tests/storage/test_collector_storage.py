"""Raw storage on SQLite and on a real PostgreSQL: the same suite for both backends."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from napari_telemetry.schema import BATCH_MODELS, RECORD_TYPES, Batch, Level, iso_week
from napari_telemetry_server import Storage, StorageUnavailable, make_engine
from napari_telemetry_server.storage import (
    RAW_RETENTION_DAYS,
    TOMBSTONE_DAYS,
    batches,
    database_url,
    metadata,
    record_tables,
)
from tests.collector_testing import Clock

MakeBatch = Callable[..., dict[str, Any]]


def _batch(make_batch: MakeBatch, level: str = "middle", **kw: Any) -> Batch:
    return BATCH_MODELS[Level(level)].model_validate(make_batch(level, **kw))


def test_record_tables_are_generated_from_the_wire_models() -> None:
    for models in RECORD_TYPES.values():
        for model in models:
            rtype = model.model_fields["type"].default
            fields = [f for f in model.model_fields if f != "type"]
            columns = [c.name for c in record_tables[rtype].columns]
            assert columns == ["id", "batch_id", "user_id", "week", *fields]
    assert set(record_tables) == {"session", "plugin", "command", "layer", "counter"}


@pytest.mark.parametrize("level", ["basic", "middle", "full"])
def test_insert_is_new_once_then_duplicate(
    storage: Storage, make_batch: MakeBatch, level: str
) -> None:
    batch = _batch(make_batch, level, n=4)
    assert storage.insert_batch(batch) is True
    assert storage.insert_batch(batch) is False
    counts = storage.counts()
    assert counts["batches"] == 1
    assert sum(counts[f"{t}_records"] for t in record_tables) == 4


def test_rows_hold_typed_values(storage: Storage, make_batch: MakeBatch, clock: Clock) -> None:
    batch = _batch(make_batch, "full", n=2)
    storage.insert_batch(batch)
    with storage.engine.connect() as conn:
        row = conn.execute(select(batches)).one()
        layer = conn.execute(select(record_tables["layer"])).one()
        command = conn.execute(select(record_tables["command"])).one()
    assert row.batch_id == str(batch.batch_id)
    assert row.received_on == clock.day
    assert row.first_report is False
    assert (layer.ndim, layer.multiscale, layer.size_bucket, layer.user_id) == (
        2, False, 1, batch.user_id,
    )  # fmt: skip
    assert (command.command_id, command.count) == ("napari:cmd_0", 3)
    assert command.week == iso_week(clock.day)


def test_concurrent_duplicates_store_exactly_one(storage: Storage, make_batch: MakeBatch) -> None:
    batch = _batch(make_batch, "middle", n=5)
    barrier = threading.Barrier(4)
    results: list[bool] = []

    def insert() -> None:
        barrier.wait()
        results.append(storage.insert_batch(batch))

    threads = [threading.Thread(target=insert) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False, False, False, True]
    assert storage.counts()["plugin_records"] == 5


def test_forget_deletes_rows_and_drops_later_batches(
    storage: Storage, make_batch: MakeBatch, clock: Clock
) -> None:
    mine = _batch(make_batch, "full", n=3)
    other = _batch(make_batch, "full", n=3)
    storage.insert_batch(mine)
    storage.insert_batch(other)
    assert storage.forget([mine.user_id, "f" * 32]) == 1
    counts = storage.counts()
    assert (counts["batches"], counts["tombstones"]) == (1, 2)
    late = _batch(make_batch, "middle", user_id=mine.user_id)
    assert storage.insert_batch(late) is False
    assert storage.counts()["batches"] == 1
    clock.day += timedelta(days=TOMBSTONE_DAYS + 1)
    storage.purge(clock.day)
    assert storage.counts()["tombstones"] == 0
    assert storage.insert_batch(late) is True


def test_purge_keeps_60_days_of_raw_data(
    storage: Storage, make_batch: MakeBatch, clock: Clock
) -> None:
    received = clock.day = date(2026, 11, 23)  # a Monday: its week stays inside retention
    week = "2026-W48"
    storage.insert_batch(_batch(make_batch, "full", n=4, week=week))
    clock.day += timedelta(days=1)
    storage.insert_batch(_batch(make_batch, "basic", n=1, week="2026-W49"))
    assert storage.purge(received + timedelta(days=RAW_RETENTION_DAYS)) == 0
    assert storage.purge(received + timedelta(days=RAW_RETENTION_DAYS + 1)) == 1
    counts = storage.counts()
    assert (counts["batches"], counts["session_records"]) == (1, 1)
    assert counts["command_records"] == counts["layer_records"] == 0
    assert storage.purge(received + timedelta(days=RAW_RETENTION_DAYS + 2)) == 1
    assert storage.counts()["batches"] == 0


def test_purge_drops_a_week_once_it_leaves_retention(
    storage: Storage, make_batch: MakeBatch, clock: Clock
) -> None:
    """A late upload goes with its week, so the 9 weeks of ``ids`` cover all raw data."""
    clock.day = date(2026, 11, 28)
    late = _batch(make_batch, "middle", week="2026-W41")  # Monday 2026-10-05, 54 days ago
    storage.insert_batch(late)
    storage.insert_batch(_batch(make_batch, "middle", week="2026-W42"))
    assert storage.purge(date(2026, 12, 4)) == 0  # W41's Monday is 60 days old: still inside
    assert storage.purge(date(2026, 12, 5)) == 1  # received 7 days ago, but its week has gone
    with storage.engine.connect() as conn:
        assert conn.execute(select(batches.c.week)).scalars().all() == ["2026-W42"]


def test_check_and_reopen(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        Storage(engine).check()
        Storage(engine).check()  # creating the tables again is harmless
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u@h:5/db", "postgresql+psycopg://u@h:5/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_database_url(given: str, expected: str) -> None:
    assert database_url(given) == expected


def test_database_url_of_a_path_is_absolute_sqlite(tmp_path: Any) -> None:
    assert database_url(tmp_path / "a" / "raw.sqlite") == f"sqlite:///{tmp_path}/a/raw.sqlite"


def test_background_checkpoints(tmp_path: Any, make_batch: MakeBatch) -> None:
    engine = make_engine(tmp_path / "raw.sqlite", background_checkpoints=True)
    storage = Storage(engine)
    try:
        for _ in range(20):
            storage.insert_batch(_batch(make_batch, "full", n=50))
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
        wal = tmp_path / "raw.sqlite-wal"
        before = (tmp_path / "raw.sqlite").stat().st_size
        assert wal.stat().st_size > 0
        storage.checkpoint()
        assert (tmp_path / "raw.sqlite").stat().st_size > before  # pages moved into the file
        assert storage.counts()["batches"] == 20
    finally:
        engine.dispose()


def test_several_processes_may_create_the_tables_at_once(db_url: str) -> None:
    """Several ``serve`` processes (or hosts) starting on one fresh database all come up."""
    errors: list[BaseException] = []

    def start(engine: Any, barrier: threading.Barrier) -> None:
        barrier.wait()
        try:
            Storage(engine).check()
        except BaseException as error:
            errors.append(error)

    for _ in range(3):  # a race: try it more than once on a fresh database
        engines = [make_engine(db_url) for _ in range(6)]
        metadata.drop_all(engines[0])
        barrier = threading.Barrier(len(engines))
        threads = [threading.Thread(target=start, args=(e, barrier)) for e in engines]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for engine in engines:
            engine.dispose()
    assert errors == []


@pytest.mark.postgres
def test_deletion_waits_for_an_ingest_in_flight(
    pg_url: str, make_batch: MakeBatch, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch checked against the tombstones before a deletion commits must not outlive it."""
    engine = make_engine(pg_url)
    metadata.drop_all(engine)
    storage = Storage(engine)
    batch = _batch(make_batch, "middle", n=3)
    checked, resume = threading.Event(), threading.Event()
    tombstoned = Storage._tombstoned

    def paused(conn: Any, user_ids: set[str], today: Any) -> set[str]:
        dead = tombstoned(conn, user_ids, today)
        checked.set()  # the id is not tombstoned yet; the batch goes in once resumed
        resume.wait(60)
        return dead

    monkeypatch.setattr(Storage, "_tombstoned", staticmethod(paused))
    ingest = threading.Thread(target=storage.insert_batch, args=(batch,))
    ingest.start()
    try:
        assert checked.wait(60)
        deletion = threading.Thread(target=storage.forget, args=([batch.user_id],))
        deletion.start()
        waiting = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        with engine.connect() as conn:
            while deletion.is_alive() and not conn.exec_driver_sql(waiting).scalar():
                deletion.join(0.01)
    finally:
        resume.set()
        ingest.join()
    deletion.join()
    try:
        counts = storage.counts()
        assert (counts["batches"], counts["plugin_records"], counts["tombstones"]) == (0, 0, 1)
    finally:
        engine.dispose()


def test_a_file_put_back_on_the_same_inode_gets_its_tables(
    tmp_path: Any, make_batch: MakeBatch
) -> None:
    """After a failure the file is checked again even when its inode did not change."""
    db = tmp_path / "raw.sqlite"
    storage = Storage(make_engine(db))
    for suffix in ("", "-wal", "-shm"):
        (tmp_path / f"raw.sqlite{suffix}").unlink(missing_ok=True)
    db.write_bytes(b"not a database\n" * 100)
    with pytest.raises(StorageUnavailable, match="file is not a database"):
        storage.check()
    with db.open("r+b") as f:  # emptied in place: the same inode, as a reused one would be
        f.truncate(0)
    assert storage.insert_batch(_batch(make_batch, "basic")) is True
    storage.engine.dispose()
