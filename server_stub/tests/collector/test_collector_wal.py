"""SQLite's write-ahead log under sustained ingest, and a disk that fills up."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from napari_telemetry_server import Settings
from tests.collector_testing import LiveServer

pytestmark = pytest.mark.slow  # seconds per test: left out of the quick loop

MakeBatch = Callable[..., dict[str, Any]]
LIMIT = 1 << 20  # the WAL bound these tests set (default 64 MiB)
GROUP = 1 << 20  # what one group commit of the test's few clients can add past it, generously


def _wal_bytes(db: Path) -> int:
    try:
        return os.stat(f"{db}-wal").st_size
    except FileNotFoundError:
        return 0


def _hammer(
    server: LiveServer, make_batch: MakeBatch, db: Path, *, clients: int, each: int
) -> tuple[list[str], int]:
    """*clients* threads send *each* 50-record batches; the acknowledged ids, the largest WAL."""
    acked: list[str] = []
    largest = [0]

    def client() -> None:
        with httpx.Client(base_url=server.url, timeout=60) as http:
            for _ in range(each):
                batch = make_batch("full", n=50)
                if http.post("/v1/full/batches", json=batch).status_code in (200, 201):
                    acked.append(batch["batch_id"])
                largest[0] = max(largest[0], _wal_bytes(db))

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return acked, largest[0]


def _check(db: Path, acked: list[str]) -> None:
    """``PRAGMA integrity_check`` is ok and every acknowledged batch is there."""
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        stored = {row[0] for row in conn.execute("SELECT batch_id FROM batches")}
    finally:
        conn.close()
    assert set(acked) <= stored


def test_the_wal_stays_within_its_bound_under_sustained_ingest(
    serve: Callable[..., LiveServer], settings: Settings, make_batch: MakeBatch
) -> None:
    server = serve(settings.model_copy(update={"wal_limit": LIMIT}))
    db = Path(settings.db)
    acked, largest = _hammer(server, make_batch, db, clients=6, each=250)
    assert len(acked) == 1500
    assert largest <= LIMIT + GROUP, f"WAL reached {largest:,} bytes"
    _check(db, acked)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 6 MiB tmpfs, unmounted afterwards (needs root; skipped where mount is refused)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=6m,mode=0700", "tmpfs", str(disk)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=True)


def test_a_full_disk_is_503_and_the_database_stays_intact(
    serve: Callable[..., LiveServer], settings: Settings, make_batch: MakeBatch, small_disk: Path
) -> None:
    db = small_disk / "raw.sqlite"
    server = serve(settings.model_copy(update={"db": str(db), "wal_limit": LIMIT}))
    ballast = small_disk / "ballast"
    ballast.write_bytes(b"\0" * (2 << 20))
    acked: list[str] = []
    with httpx.Client(base_url=server.url, timeout=60) as http:
        send = lambda batch: http.post("/v1/full/batches", json=batch)  # noqa: E731
        for _ in range(2_000):  # far more than the disk holds
            batch = make_batch("full", n=50)
            response = send(batch)
            if response.status_code != 201:
                break
            acked.append(batch["batch_id"])
        assert (response.status_code, response.headers["retry-after"]) == (503, "60")
        assert "full" in response.json()["detail"]
        assert len(acked) > 10
        _check(db, acked)
        ballast.unlink()  # the operator makes room: the collector goes on by itself
        batch = make_batch("full", n=50)
        assert send(batch).status_code == 201
    _check(db, [*acked, batch["batch_id"]])
