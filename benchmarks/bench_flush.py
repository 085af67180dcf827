"""Cost of flushing 10,000 buffered records to the pending files (on the background thread).

Run: ``python benchmarks/bench_flush.py``. Prints the time of one flush of 10,000 distinct
records into an empty day file, and of a second flush merging 10,000 more into it.
"""

from __future__ import annotations

import os
import tempfile
import time

N = 10_000


def main() -> None:
    os.environ["NAPARI_TELEMETRY_DIR"] = tempfile.mkdtemp(prefix="nt-bench-")
    from napari_telemetry.core._consent import record_consent
    from napari_telemetry.core._store import get_recorder, preview
    from napari_telemetry.schema import Level

    record_consent(Level.FULL)
    recorder = get_recorder()
    for label in ("first flush (new file)", "second flush (merge)"):
        for i in range(N):
            recorder.count("command", (f"napari:bench:cmd_{i}", "napari"))
        start = time.perf_counter()
        recorder._write()  # the flush body, timed without the thread hand-off
        elapsed = time.perf_counter() - start
        print(
            f"{label:26} {N} records: {elapsed * 1000:8.1f} ms "
            f"({elapsed / N * 1e6:.1f} µs per record)"
        )
    start = time.perf_counter()
    batches = preview(Level.FULL)
    elapsed = time.perf_counter() - start
    records = sum(len(b["records"]) for b in batches)
    print(f"{'preview (build batches)':26} {records} records: {elapsed * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
