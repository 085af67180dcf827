"""The collector under sustained load and repeated ``kill -9``: nothing acknowledged is lost.

    python benchmarks/bench_collector_crash.py [--seconds 20] [--kills 3] [--processes 4]
        [--records 50] [--db postgresql://...] [--wal-limit BYTES]

The long variant of ``server_stub/tests/collector/test_collector_crash.py``: a real ``serve``
process (SQLite in a temp folder, or ``--db``), several load processes sending gzip ``full``
batches as fast as it answers, and every ``--seconds`` a ``kill -9`` followed by a restart on the
same port. Prints batches acknowledged per phase, how long each restart took to answer /healthz,
the largest WAL seen against its bound, and the checks: every acknowledged batch stored with
all its records, ``PRAGMA integrity_check``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server_stub" / "tests"))
from collector_load import Load, integrity, stored, wal_bytes
from collector_testing import Process


def _phase(load: Load, seconds: float, db: Path | None, largest: list[int]) -> int:
    """Let the load run *seconds*; the batches acknowledged meanwhile."""
    before, end = len(load.acked()), time.monotonic() + seconds
    while time.monotonic() < end:
        if db is not None:
            largest[0] = max(largest[0], wal_bytes(db))
        time.sleep(0.05)
    return len(load.acked()) - before


def _restart(
    args: list[str], folder: Path, env: dict[str, str], port: int
) -> tuple[Process, float]:
    start = time.monotonic()
    server = Process(args, folder, env, port)
    while httpx.get(f"{server.url}/healthz", timeout=5).status_code != 200:
        time.sleep(0.05)
    return server, time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=20.0, help="load between two kills")
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--processes", type=int, default=4, help="load processes")
    parser.add_argument("--records", type=int, default=50, help="records per batch")
    parser.add_argument("--db", help="postgresql://... (default: SQLite in a temp folder)")
    parser.add_argument("--wal-limit", type=int, default=64 << 20)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db_url = opts.db or str(folder / "raw.sqlite")
        sqlite = None if "://" in db_url else Path(db_url)
        args = ["--db", db_url, "--log-dir", str(folder / "logs"), "--rate-limit", "1000000000"]
        env = {"NAPARI_TELEMETRY_SERVER_WAL_LIMIT": str(opts.wal_limit)}
        server, _ = _restart(args, folder, env, 0)
        load = Load(server.url, folder / "load", opts.processes, opts.records)
        largest, phases, restarts = [0], [], []
        try:
            for _ in range(opts.kills):
                phases.append(_phase(load, opts.seconds, sqlite, largest))
                server.kill()
                server, took = _restart(args, folder, env, server.port)
                restarts.append(took)
            phases.append(_phase(load, opts.seconds, sqlite, largest))
        finally:
            load.stop()
            server.stop()
        _report(opts, load.acked(), stored(db_url), phases, restarts, largest[0], sqlite)


def _report(
    opts: argparse.Namespace,
    acked: dict[str, int],
    kept: dict[str, int],
    phases: list[int],
    restarts: list[float],
    largest: int,
    sqlite: Path | None,
) -> None:
    backend = "SQLite" if sqlite else "PostgreSQL"
    print(f"collector on {backend}: {opts.processes} load processes, {opts.records}-record "
          f"batches, {opts.kills} x kill -9 every {opts.seconds:.0f} s, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    rates = ", ".join(f"{n / opts.seconds:.0f}" for n in phases)
    print(f"batches/s acknowledged per phase: {rates}")
    print(f"restart to a healthy /healthz: {', '.join(f'{s:.2f} s' for s in restarts)}")
    lost = [b for b in acked if b not in kept]
    short = [b for b, n in acked.items() if b in kept and kept[b] != n]
    print(f"acknowledged {len(acked):,}, stored {len(kept):,}, lost {len(lost)}, "
          f"with missing or extra records {len(short)}")  # fmt: skip
    if sqlite:
        limit = opts.wal_limit / 2**20
        print(f"largest WAL {largest / 2**20:.1f} MiB (bound {limit:.0f} MiB + one group), "
              f"database {sqlite.stat().st_size / 2**20:.1f} MiB, "
              f"integrity_check {integrity(sqlite)[0][0]}")  # fmt: skip


if __name__ == "__main__":
    main()
