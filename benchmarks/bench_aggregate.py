"""Aggregation of 1,000,000 raw records against a plain SQL GROUP BY over the same rows.

    python benchmarks/bench_aggregate.py [--records 1000000] [--weeks 9]

Seeds a raw SQLite database (the collector's own tables, bulk-inserted), then times
``aggregate`` releasing every week of it (grouped reads, contribution bounds per weekly id,
OpenDP noise and partition selection, the quarter's partials, rolling means, writing the
aggregate file) and, as the lower bound, the plain ``COUNT(DISTINCT user_id) ... GROUP BY`` of
every released breakdown with no bounds, no noise and nothing written. Prints both and their
ratio.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import tempfile
import time
import uuid
from contextlib import closing
from datetime import date
from pathlib import Path

from napari_telemetry.schema import shift_week as shift
from napari_telemetry_server.demo._data import (
    LAYERS,
    NAPARI_COMMANDS,
    NAPARI_VERSIONS,
    OSES,
    PYTHONS,
    plugin_names,
)
from napari_telemetry_server.public._aggregate import aggregate
from napari_telemetry_server.public._release_config import ReleaseSettings
from napari_telemetry_server.storage import Storage, make_engine

# The GROUP BYs a plain report would run: one per published breakdown.
BASELINE = [
    "SELECT week, count(DISTINCT user_id), count(DISTINCT CASE WHEN first_report THEN user_id END)"
    " FROM batches WHERE level = 'basic' GROUP BY week",
    *(f"SELECT week, {c}, count(DISTINCT user_id) FROM session_records GROUP BY week, {c}"
      for c in ("napari_version", "python_version", "os_name", "os_name || ' ' || os_version",
                "arch")),
    "SELECT week, install_age, count(DISTINCT user_id) FROM batches WHERE level = 'basic' "
    "GROUP BY week, install_age",
    "SELECT week, name, count(DISTINCT user_id) FROM plugin_records GROUP BY week, name",
    "SELECT week, name, version, count(DISTINCT user_id) FROM plugin_records "
    "GROUP BY week, name, version",
    "SELECT week, plugin, command_id, count(DISTINCT user_id), sum(count) FROM command_records "
    "GROUP BY week, plugin, command_id",
    *(f"SELECT week, {c}, count(DISTINCT user_id), sum(count) FROM layer_records "
      f"GROUP BY week, {c}" for c in ("layer_type", "data_type", "ndim", "dtype", "size_bucket",
                                       "multiscale")),
]  # fmt: skip


def seed(raw: Path, records: int, weeks: int, rng: random.Random) -> int:
    """Bulk-insert about *records* record rows (plus their batches); return the record count."""
    Storage(make_engine(raw)).engine.dispose()  # the collector's own schema
    plugins = plugin_names(600)
    weights = [1.0 / (r + 1) ** 1.1 for r in range(len(plugins))]
    per_week = records // weeks
    tables = ("batches", "session_records", "plugin_records", "command_records", "layer_records")
    rows: dict[str, list[tuple[object, ...]]] = {t: [] for t in tables}
    total, last = 0, "2026-W48"
    for w in range(weeks):
        week, made = shift(last, -w), 0
        while made < per_week:
            user = uuid.UUID(int=rng.getrandbits(128)).hex
            made += _user_week(rows, user, week, rng, plugins, weights)
        total += made
    with closing(sqlite3.connect(raw)) as conn, conn:
        for table, values in rows.items():
            marks = ",".join("?" * len(values[0]))
            conn.executemany(f"INSERT INTO {table} VALUES ({marks})", values)
    return total


def _user_week(rows: dict[str, list[tuple[object, ...]]], user: str, week: str,
               rng: random.Random, plugins: list[str], weights: list[float]) -> int:  # fmt: skip
    made = 0
    today = date(2026, 11, 28)
    days = rng.randint(1, 5)
    os_name, os_version, _ = rng.choice(OSES)
    for day in range(days):
        bid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        rows["batches"].append((bid, "basic", user, week, day == 0 and rng.random() < 0.04,
                                "month", "0.1.0", 1, today, None))  # fmt: skip
        napari, python = rng.choice(NAPARI_VERSIONS), rng.choice(PYTHONS)
        rows["session_records"].append(
            (None, bid, user, week, napari, python, os_name, os_version, "x86_64", 2)
        )
        made += 1
    if rng.random() < 0.6:
        bid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        rows["batches"].append(
            (bid, "middle", user, week, False, "month", "0.1.0", 1, today, None)
        )
        for name in set(rng.choices(plugins, weights, k=rng.randint(1, 12))):
            rows["plugin_records"].append(
                (None, bid, user, week, name, f"0.{rng.randint(1, 4)}.0")
            )
            made += 1
    if rng.random() < 0.3:
        bid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        rows["batches"].append((bid, "full", user, week, False, "month", "0.1.0", 1, today, None))
        for cid in rng.sample(NAPARI_COMMANDS, 3):
            rows["command_records"].append((None, bid, user, week, cid, "napari", 3))
        for layer_type, data_type, _ in rng.sample(LAYERS, 2):
            rows["layer_records"].append((None, bid, user, week, layer_type, data_type, 3,
                                          "uint8", False, 1, rng.randint(16, 34), 2))  # fmt: skip
        made += 5
    return made


def forget_releases(raw: Path) -> None:
    """Forget an earlier run's ledger and quarter partials (each run releases every week anew)."""
    with closing(sqlite3.connect(raw)) as conn, conn:
        for table in ("ledger_meta", "ledger_periods", "ledger_keys", "window_partials"):
            conn.execute(f"DROP TABLE IF EXISTS {table}")


def timed(fn: object) -> tuple[float, float]:
    """Wall-clock and CPU seconds of *fn* (SQLite runs in this process, so CPU counts it too:
    the steadier figure on a shared machine)."""
    start, cpu = time.perf_counter(), time.process_time()
    fn()  # type: ignore[operator]
    return time.perf_counter() - start, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--weeks", type=int, default=9, help="weeks in the raw DB (60 days)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--raw", type=Path, help="keep the seeded raw database here (reused)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        raw = args.raw or Path(tmp) / "raw.sqlite"
        if raw.exists():
            print(f"reusing {raw}")
        else:
            t = time.perf_counter()
            n = seed(raw, args.records, args.weeks, random.Random(1))
            print(
                f"seeded {n:,} records over {args.weeks} weeks in {time.perf_counter() - t:.1f} s"
            )

        def baseline() -> None:
            with closing(sqlite3.connect(raw)) as conn:
                for sql in BASELINE:
                    conn.execute(sql).fetchall()

        calendar = ReleaseSettings(first_week=shift("2026-W48", 1 - args.weeks))

        def ours() -> None:
            out = Path(tmp) / "aggregates.sqlite"
            out.unlink(missing_ok=True)
            forget_releases(raw)
            report = aggregate(raw, out, settings=calendar, today=date(2026, 12, 3),
                               assume_complete=True)  # fmt: skip
            assert len(report.released) == args.weeks, report.lines()

        base = [timed(baseline) for _ in range(args.repeat)]
        agg = [timed(ours) for _ in range(args.repeat)]
        (bw, bc), (aw, ac) = min(base), min(agg)
        bc, ac = min(c for _, c in base), min(c for _, c in agg)
        print(f"plain GROUP BY (lower bound): {bw:.2f} s wall, {bc:.2f} s CPU")
        print(f"aggregate (bounds, OpenDP noise, partials, rolling means, written): "
              f"{aw:.2f} s wall, {ac:.2f} s CPU")  # fmt: skip
        print(f"ratio: {aw / bw:.2f}x wall, {ac / bc:.2f}x CPU (target: within 2x)")


if __name__ == "__main__":
    main()
