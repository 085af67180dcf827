"""napari ``Viewer()`` creation with napari-telemetry active against without it, in one run.

Run under a display (``DISPLAY=:99 LIBGL_ALWAYS_SOFTWARE=1 python benchmarks/bench_viewer.py``).
Each round creates a viewer and lets the event loop settle, once bare and once with telemetry
started on it exactly as at launch (consent at ``full``, the public index cached, hooks,
session and plugin records, status-bar indicator), interleaved so that a busy machine slows both
alike. Telemetry is stopped after each round so every round pays the start again. A second
figure is the cost of the import that npe2's discovery does in the first ``Viewer()``.
"""

from __future__ import annotations

import gc
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ["NAPARI_TELEMETRY_DIR"] = tempfile.mkdtemp(prefix="bench-telemetry-")
os.environ["NAPARI_TELEMETRY_URL"] = "http://127.0.0.1:9/{level}"
os.environ["NAPARI_TELEMETRY_INDEX_URL"] = "http://127.0.0.1:9/index"
for name in ("DO_NOT_TRACK", "NAPARI_TELEMETRY", "PYTEST_CURRENT_TEST"):
    os.environ.pop(name, None)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the tests' index copy
from e2e.e2e_support import INDEX  # noqa: E402

ROUNDS = 12
INDICATOR = "--no-indicator" not in sys.argv


_START: list[float] = []


class _FileFetcher:
    def get(self, url: str, headers: object, timeout: float) -> object:
        from napari_telemetry.core._transport import Response

        return Response(200, None, INDEX.read_bytes())


def _one(with_telemetry: bool) -> float:
    import napari
    from qtpy.QtWidgets import QApplication

    from napari_telemetry._napari import _launch, _runtime

    gc.collect()
    t0 = time.perf_counter()
    viewer = napari.Viewer(show=False)
    if with_telemetry:
        t1 = time.perf_counter()
        if INDICATOR:
            _launch.launched()  # what the queued start-at-launch call does
        else:
            _runtime.start(viewer)  # the collection alone, without the Qt indicator
        _START.append(time.perf_counter() - t1)
    QApplication.processEvents()
    elapsed = time.perf_counter() - t0
    viewer.close()
    _runtime.stop()
    return elapsed


def discovery_import_cost() -> float:
    """Seconds to import the package as npe2's discovery does inside napari (fresh process)."""
    code = (
        "import time, napari.window\n"
        "t = time.perf_counter()\n"
        "import napari_telemetry\n"
        "print(time.perf_counter() - t)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    from napari_telemetry.core import _consent, _public_index
    from napari_telemetry.schema import Level

    _consent.record_consent(Level.FULL)
    _public_index.refresh(_FileFetcher())  # type: ignore[arg-type]
    _one(False)  # warm-up: plugin discovery, Qt, GL, caches
    bare: list[float] = []
    active: list[float] = []
    for i in range(ROUNDS):  # alternate which goes first: a closed viewer's clean-up lands
        for with_telemetry in (i % 2 == 0, i % 2 == 1):  # in the next creation's events
            (active if with_telemetry else bare).append(_one(with_telemetry))
    b, a = statistics.median(bare), statistics.median(active)
    print(f"Viewer() bare            median {b * 1e3:7.1f} ms  (n={ROUNDS})")
    print(f"Viewer() with telemetry  median {a * 1e3:7.1f} ms  (n={ROUNDS})")
    print(f"ratio with/without       {a / b:.3f}   (target <= 1.02)")
    own = statistics.median(_START)
    print(f"telemetry start alone    median {own * 1e3:7.2f} ms  ({own / b:.2%} of a Viewer())")
    print(f"ratio from the start's own time  {1 + own / b:.3f}  (the figure noise cannot blur)")
    imp = discovery_import_cost()
    print(f"discovery-time import    {imp * 1e3:7.2f} ms  ({imp / b:.2%} of a Viewer())")


if __name__ == "__main__":
    main()
