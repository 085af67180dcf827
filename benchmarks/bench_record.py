"""Cost of ``get_recorder().count(...)`` on the caller's thread, against ``list.append``.

Run: ``python benchmarks/bench_record.py``. Prints median and p99 per call, measured in blocks
of calls (so the timer's own cost is spread out), and the ratio to appending to a list.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable

BLOCK = 200
BLOCKS = 2000


def per_call_ns(call: Callable[[int], None]) -> list[float]:
    """Nanoseconds per call, one figure per block of BLOCK calls."""
    out = []
    timer = time.perf_counter_ns
    for _ in range(BLOCKS):
        start = timer()
        for i in range(BLOCK):
            call(i)
        out.append((timer() - start) / BLOCK)
    return out


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98]


def main() -> None:
    os.environ["NAPARI_TELEMETRY_DIR"] = tempfile.mkdtemp(prefix="nt-bench-")
    from napari_telemetry.core._consent import record_consent
    from napari_telemetry.core._store import get_recorder
    from napari_telemetry.schema import Level

    record_consent(Level.FULL)
    recorder = get_recorder()
    keys = [(f"napari:window:cmd_{k}", "napari") for k in range(20)]
    sink: list[object] = []

    def append(i: int) -> None:
        sink.append(keys[i % 20])

    def count(i: int) -> None:
        recorder.count("command", keys[i % 20])

    def dropped(i: int) -> None:
        recorder.count("command", keys[i % 20])  # level none: the cheap early return

    rows = [
        ("list.append (baseline)", per_call_ns(append)),
        ("Recorder.count", per_call_ns(count)),
    ]
    recorder.set_level(Level.NONE)
    rows.append(("Recorder.count, telemetry off", per_call_ns(dropped)))
    base = statistics.median(rows[0][1])
    print(f"{'call':32} {'median':>10} {'p99':>10} {'x baseline':>11}")
    for name, values in rows:
        med = statistics.median(values)
        print(f"{name:32} {med / 1000:9.3f}µs {p99(values) / 1000:9.3f}µs {med / base:10.1f}x")


if __name__ == "__main__":
    main()
