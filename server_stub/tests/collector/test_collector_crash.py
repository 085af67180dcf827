"""The collector under sustained load from several processes, killed with ``kill -9`` twice.

Every acknowledged batch must be stored with all its records, once; SQLite's file must pass
``PRAGMA integrity_check`` and its WAL stay within its bound throughout. The longer variant is
``benchmarks/bench_collector_crash.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.collector_load import Load, integrity, stored, wal_bytes
from tests.collector_testing import Process

pytestmark = pytest.mark.slow  # seconds per test: left out of the quick loop

WAL_LIMIT = 2 << 20
GROUP = 2 << 20  # what one group commit of three clients' batches can add past the limit


def test_every_acknowledged_batch_survives_kill_9_under_load(
    run_server: Callable[..., Process], db_url: str, tmp_path: Path, plugin_index: Path
) -> None:
    sqlite = "://" not in db_url  # the db_url fixture gives a SQLite file, then PostgreSQL
    args = ["--db", db_url, "--log-dir", str(tmp_path / "logs"), "--rate-limit", "1000000000",
            "--plugin-index", str(plugin_index)]  # fmt: skip
    env = {"NAPARI_TELEMETRY_SERVER_WAL_LIMIT": str(WAL_LIMIT)}
    server = run_server(*args, **env)
    load = Load(server.url, tmp_path / "load", processes=3)
    largest = [0]

    def watch() -> None:
        if sqlite:
            largest[0] = max(largest[0], wal_bytes(Path(db_url)))

    try:
        for acks in (500, 1000):
            load.wait_for(acks, each=watch)
            server.kill()  # kill -9 while three processes keep sending
            server = run_server(*args, port=server.port, **env)
        load.wait_for(1500, each=watch)
    finally:
        load.stop()
        server.stop()
    acked = load.acked()
    kept = stored(db_url)
    missing = [batch_id for batch_id in acked if batch_id not in kept]
    assert not missing, f"{len(missing)} of {len(acked)} acknowledged batches lost"
    assert all(kept[batch_id] == n for batch_id, n in acked.items())  # every record, once
    if sqlite:
        assert integrity(Path(db_url)) == [("ok",)]
        assert largest[0] <= WAL_LIMIT + GROUP, f"WAL reached {largest[0]:,} bytes"
